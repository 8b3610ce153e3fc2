"""Matrices: rows x codes (or code x code) built on demand; a cell's quotes open the transcript at their turn.

Transcript text is untrusted: quotes are shown through md_escape or in a data grid, never as HTML. Results are
cached per project revision (the latest event id), so a new coding is seen on the next run.
"""

import streamlit as st

from analysis.cooccurrence import UNITS, CooccurrenceSpec
from analysis.matrix import MEASURES, MatrixSpec, cell_segments
from analysis.matrix_view import (
    CODER_SCOPES,
    MEASURE_LABELS,
    column_labels,
    cooccurrence_frame,
    heat_styles,
    make_scope,
    matrix_frame,
    matrix_options,
    quote_heading,
    selected_cell,
    spec_signature,
)
from analysis.tidy import iter_tidy_codings
from coding.retrieval import marked_context
from coding.text_edits import review_list
from exports.charts import cooccurrence_figure, matrix_heatmap
from exports.matrix_tables import build_matrix_docx, build_xlsx, matrix_table, table_csv
from exports.xlsx_book import XLSX_MIME
from store.db import read_session
from store.errors import Refused
from store.events import latest_event_id
from ui.analysis_cache import load_cooccurrence, load_matrix
from ui.blind import close_if_blind
from ui.depth import depth_choice
from ui.links import coding_link, show_link
from ui.state import EMPTY, engine, md_escape, project_or_stop, show_flash

MAX_QUOTES = 100

with read_session(engine()) as s:
    project = project_or_stop(s)
    close_if_blind(s, project, "the Matrices page")
    options = matrix_options(s, project)
    revision = latest_event_id(s, project.guid)
    in_review = review_list(s, project)
project_guid = str(project.guid)

st.title("Matrices")
show_flash()
if in_review:
    st.warning(md_escape(f"{len(in_review)} segment(s) lost all their text in a transcript edit and wait for review "
                         f"({', '.join(sorted({r.document for r in in_review}))}, on the Documents page); until then "
                         "they are counted with the text they had."))
if not options.codebooks:
    st.info("This project has no codebooks yet: adopt one on the Codebooks page.")
    st.stop()


codebook_names = {c.key: c.name for c in options.codebooks}


def depth_of(label: str, codebook: str, key: str, column) -> int | None:  # type: ignore[no-untyped-def]
    option = options.codebook(codebook)
    return depth_choice(column, label, key, option.max_depth if option else 1)


def scope_choices():  # type: ignore[no-untyped-def]
    """Whose codings count, and which documents and speakers: shared by both modes."""
    s1, s2, s3, s4 = st.columns(4)
    coders = s1.selectbox("Coders", list(CODER_SCOPES), key="matrix_coders", format_func=CODER_SCOPES.get)
    one_coder = None
    if coders == "one":
        one_coder = s2.selectbox("Coder", options.coders, key="matrix_one_coder")
        if one_coder is None:
            s2.caption("Nobody has coded yet: showing each document's primary coder.")
    kinds = s3.multiselect("Document kinds", options.kinds, key="matrix_kinds", placeholder="all kinds")
    roles = s4.multiselect("Speaker roles", options.roles, key="matrix_roles", placeholder="all speakers")
    return make_scope(coders, one_coder, kinds, roles)


mode = st.radio("Matrix", ["rows", "codes", "stories"], horizontal=True, key="matrix_mode",
                format_func={"rows": "rows × codes", "codes": "code × code (co-occurrence)",
                             "stories": "value-creation stories × cycles"}.get)

if mode == "stories":  # the stories' own matrices (written on the Stories page)
    from ui.stories_view import show_value_creation_matrix

    show_value_creation_matrix(project, None)
    st.stop()

if mode == "rows":
    c1, c2, c3, c4 = st.columns(4)
    rows = c1.selectbox("Rows", list(options.rows), key="matrix_rows", format_func=options.rows.get)
    codebook = c2.selectbox("Columns: codebook", list(codebook_names), key="matrix_codebook",
                            format_func=codebook_names.get)
    depth = depth_of("Depth", codebook, "matrix_depth", c3)
    measure = c4.selectbox("Cell", MEASURES, key="matrix_measure", format_func=MEASURE_LABELS.get)
    scope = scope_choices()
    spec = MatrixSpec(rows=rows, codebook=codebook, depth=depth, measure=measure, scope=scope)
    try:
        matrix = load_matrix(project_guid, revision, spec)
    except Refused as exc:
        st.error(md_escape(str(exc)))
        st.stop()

    st.caption(md_escape(matrix.scope_note) + (" ⧉ marks cells that pool several coders' codings of one document."
                                               if any(any(r) for r in matrix.pooled) else ""))
    table_tab, heatmap_tab = st.tabs(["Table", "Heat map"])
    with table_tab:
        labels = column_labels(matrix)
        frame = matrix_frame(matrix, measure)
        shading = heat_styles(matrix, frame, measure)
        event = st.dataframe(
            frame.style.apply(lambda _: shading, axis=None), key=f"matrix_table_{spec_signature(project_guid, spec)}",
            on_select="rerun", selection_mode="single-cell", width="stretch",
            height="content" if len(matrix.rows) <= 30 else "auto",
            column_config={k: st.column_config.TextColumn(label, help=k) for k, label in labels.items()}, placeholder=EMPTY)
        st.caption("Click a cell to see the coded text behind it.")
    with heatmap_tab:
        st.plotly_chart(matrix_heatmap(matrix, measure), key="matrix_heatmap", width="stretch")

    table = matrix_table(matrix, measure)
    stem = f"matrix-{matrix.codebook}-{rows.replace(':', '-')}-{measure}"
    database = engine()

    def excel() -> bytes:  # built on click (in another thread): the matrix sheet and its coded segments
        with read_session(database) as session:  # the coded segments are read as they are written
            tidy = iter_tidy_codings(session, project, codebooks=[matrix.codebook], scope=matrix.spec.scope)
            return build_xlsx([table], tidy, project=project.name)

    # on_click="ignore": a download does not rerun the page, so the other buttons' files stay valid (a rerun
    # registers them anew, and a second click at once found "Deferred file not found")
    d1, d2, d3, _ = st.columns([1, 1, 1, 3])
    d1.download_button("CSV", data=("\ufeff" + table_csv(table)).encode("utf-8"), file_name=f"{stem}.csv",
                       mime="text/csv", key="matrix_csv", icon=":material/download:", on_click="ignore")
    d2.download_button("Excel", data=excel, file_name=f"{stem}.xlsx", mime=XLSX_MIME, key="matrix_xlsx",
                       icon=":material/download:", on_click="ignore")
    d3.download_button("Word", data=lambda: build_matrix_docx(table, project=project.name),
                       file_name=f"{stem}.docx", key="matrix_docx", icon=":material/download:", on_click="ignore",
                       mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document")

    cell = selected_cell(matrix, event)
    if cell is not None:
        i, j = cell
        row, column = matrix.rows[i], matrix.columns[j]
        st.subheader(f"{md_escape(row.label)} × {md_escape(column.label)}")
        with read_session(engine()) as s:
            segments = cell_segments(s, project, matrix, i, j)
        st.caption(f"{matrix.cell_text(i, j, measure)} · {len(segments)} coded segment(s) · "
                   + md_escape(matrix.scope_note))
        if not segments:
            st.info("No coded text behind this cell.")
        for seg in segments[:MAX_QUOTES]:
            with st.container(border=True):
                st.markdown(f"**{md_escape(quote_heading(seg))}**")
                st.markdown(marked_context(seg, md_escape))
                show_link(coding_link(project_guid, str(seg.document_guid), seg.turn))
        if len(segments) > MAX_QUOTES:
            st.caption(f"… and {len(segments) - MAX_QUOTES} more.")
else:
    c1, c2, c3, c4 = st.columns(4)
    codebook = c1.selectbox("Rows: codebook", list(codebook_names), key="co_codebook",
                            format_func=codebook_names.get)
    depth = depth_of("Row depth", codebook, "co_depth", c2)
    codebook2 = c3.selectbox("Columns: codebook", list(codebook_names), key="co_codebook2",
                             format_func=codebook_names.get)
    depth2 = depth_of("Column depth", codebook2, "co_depth2", c4)
    u1, u2, u3 = st.columns(3)
    unit = u1.selectbox("Together in", UNITS, key="co_unit",
                        format_func={"overlap": "overlapping segments", "sentence": "the same sentence",
                                     "turn": "the same turn", "document": "the same document"}.get)
    case = u2.selectbox("Case", ["", *options.cases], key="co_case", format_func=lambda c: c or "all cases") or None
    pool = u3.checkbox("Pool coders", key="co_pool",
                       help="Count pairs across coders; otherwise only pairs within one coder's own codings.")
    scope = scope_choices()
    spec = CooccurrenceSpec(codebook=codebook, codebook2=codebook2, depth=depth, depth2=depth2, unit=unit,
                            scope=scope, pool_coders=pool, case=case)
    try:
        co = load_cooccurrence(project_guid, revision, spec)
    except Refused as exc:
        st.error(md_escape(str(exc)))
        st.stop()
    st.caption(md_escape(co.note))
    st.dataframe(cooccurrence_frame(co), key="co_table", width="stretch",
                 height="content" if len(co.rows) <= 30 else "auto", placeholder=EMPTY)
    st.caption("Each cell: n12 (pairs or units holding both codes) and c = n12 / (n1 + n2 − n12). "
               "⚠ the two codes' frequencies differ more than 5×, so c understates the association.")
    st.plotly_chart(cooccurrence_figure(co), key="co_heatmap", width="stretch")
