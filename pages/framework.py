"""Framework matrix: per case x code cell a state, a rating with its decision rule, a short summary, pinned quotes
and a validation status, over counts derived from the codings.

Every save goes through analysis.framework_matrix (one transaction, one event) with the sidebar's coder as actor.
Transcript text is untrusted: quotes are shown through md_escape, never as HTML.
"""

import pandas as pd
import streamlit as st

from analysis.cooccurrence import UNITS
from analysis.framework_matrix import (
    MAX_SUMMARY_SENTENCES,
    VALIDATION_STEPS,
    pin_quote,
    save_cell,
    set_rating_level,
    unpin_quote,
)
from analysis.framework_undo import cell_undoable
from analysis.matrix import cell_segments
from analysis.matrix_scope import set_primary_coder
from analysis.matrix_view import (
    cell_changes,
    cooccurrence_frame,
    framework_frame,
    matrix_options,
    profile_frame,
    quote_heading,
    selected_cell,
    spec_signature,
)
from cases.documents import list_documents
from cases.projects import get_document, list_coders
from coding.retrieval import marked_context
from exports.charts import value_cycle_figure
from exports.cross_case_report import build_cross_case_report
from focusgroups.anonymise import add_mask_term, delete_mask_term, list_mask_terms
from store.db import read_session
from store.errors import Refused
from store.events import latest_event_id
from store.models import CELL_STATES, MASK_KINDS
from store.privileges import Permission
from ui.analysis_cache import load_framework, load_learning, load_profile
from ui.blind import close_if_blind
from ui.depth import depth_choice
from ui.state import EMPTY, actor, engine, md_escape, project_or_stop, run_write, show_flash
from ui.undo_offers import undo_redo_line

STATE_NAMES = {"assessed": "assessed", "not_assessed": "not assessed", "no_data": "no data", "absent": "absent",
               "not_applicable": "not applicable"}

with read_session(engine()) as s:
    project = project_or_stop(s)
    close_if_blind(s, project, "the Framework matrix")
    options = matrix_options(s, project)
    revision = latest_event_id(s, project.guid)
    coder_names = {c.id: c.name for c in list_coders(s, project)}
    documents = [(str(d.guid), d.title, coder_names.get(d.primary_coder_id)) for d in list_documents(s, project)]
    masks = [(m.term, m.kind, m.replacement) for m in list_mask_terms(s, project)]
project_guid = str(project.guid)

st.title("Framework matrix")
show_flash()
if not options.codebooks:
    st.info("This project has no codebooks yet: adopt one on the Codebooks page.")
    st.stop()





codebook_names = {c.key: c.name for c in options.codebooks}
keys = list(codebook_names)
t1, t2, t3, t4 = st.columns(4)
codebook = t1.selectbox("Codebook", keys, index=keys.index("vc") if "vc" in keys else 0, key="fw_codebook",
                        format_func=codebook_names.get)
option = options.codebook(codebook)
depth = depth_choice(t2, "Depth", "fw_depth", option.max_depth if option else 1)
counts = t3.toggle("Show k of n interviewees", value=True, key="fw_counts")
summaries = t4.toggle("Show summaries in the table", value=False, key="fw_summaries")

try:
    framework = load_framework(project_guid, revision, codebook, depth)
except Refused as exc:
    st.error(md_escape(str(exc)))
    st.stop()
matrix = framework.matrix
if not matrix.rows:
    st.info("No cases yet: create cases on the Cases & attributes page.")
    st.stop()

matrix_tab, profile_tab, learning_tab = st.tabs(["Cells", "Value-cycle profile", "Learning level × value cycle"])

with matrix_tab:
    if summaries:  # whole summaries, wrapped: a static table (its cells are Markdown, so every one is escaped)
        st.caption(md_escape(matrix.scope_note) + " Choose the case and code below to edit a cell.")
        whole = framework_frame(framework, counts=counts, summaries=True)
        st.table(whole.rename(columns={c.key: c.label for c in matrix.columns}).map(md_escape)
                 .rename(index=md_escape, columns=md_escape))
        event = None
    else:
        st.caption(md_escape(matrix.scope_note) + " Click a cell to edit it, or choose the case and code below.")
        event = st.dataframe(framework_frame(framework, counts=counts, summaries=False), width="stretch",
                             on_select="rerun", selection_mode="single-cell",
                             key=f"fw_table_{spec_signature(project_guid, codebook, depth)}",
                             column_config={c.key: st.column_config.TextColumn(c.label, help=c.key, width="medium")
                                            for c in matrix.columns}, placeholder=EMPTY)
    picked = selected_cell(matrix, event)
    if picked is None:
        st.session_state.pop("fw_applied", None)  # a cleared selection: the next click counts again
    elif st.session_state.get("fw_applied") != picked:
        st.session_state["fw_applied"] = picked  # a new click chooses the cell; the selects may change it again
        st.session_state["fw_case"] = picked[0]
        st.session_state["fw_code"] = picked[1]
    p1, p2 = st.columns(2)
    i = p1.selectbox("Case", range(len(matrix.rows)), key="fw_case", format_func=lambda n: matrix.rows[n].label)
    j = p2.selectbox("Code", range(len(matrix.columns)), key="fw_code",
                     format_func=lambda n: f"{matrix.columns[n].label} · {matrix.columns[n].key}")
    cell = framework.cells[i][j]
    case_name, code_key = matrix.rows[i].label, matrix.columns[j].key

    st.subheader(f"{md_escape(case_name)} × {md_escape(matrix.columns[j].label)}")
    st.markdown(md_escape(cell.line(counts=True)))
    undo_redo_line("fw_", project, lambda s: cell_undoable(s, project, case_name, code_key), "on this cell")
    if cell.assigned_not_evidenced:
        st.warning("⚠ Rated without coded evidence: no coded segment of this case backs this cell. "
                   "Code the evidence, or change the rating.")
    scale = {step.level: step for step in framework.scale}
    form_key = f"fw_cell_{spec_signature(project_guid, case_name, code_key, revision)}"  # saved values reload
    with st.form(form_key):
        left, right = st.columns(2)
        state = right.selectbox("State", CELL_STATES, index=CELL_STATES.index(cell.state or "not_assessed"),
                                format_func=STATE_NAMES.get, key=f"{form_key}_state",
                                help="A rating makes the cell assessed.")
        levels = [0, *scale]  # 0: no rating
        rating = left.radio("Rating", levels, index=levels.index(cell.rating or 0), key=f"{form_key}_rating",
                            format_func=lambda v: f"{v} · {scale[v].label}" if v else "no rating",
                            captions=["", *(scale[v].rule for v in scale)]) or None
        summary = right.text_area(f"Summary (1–{MAX_SUMMARY_SENTENCES} sentences)", value=cell.summary,
                                  key=f"{form_key}_summary", max_chars=1000)
        now = cell.validation or "proposed"
        steps = [now, *sorted(VALIDATION_STEPS[now])]
        validation = right.selectbox("Validation", steps, key=f"{form_key}_validation",
                                     help="proposed → discussed → confirmed, amended or disputed")
        if st.form_submit_button("Save cell", type="primary"):
            changes = cell_changes(cell, state, rating, summary, validation)
            if not changes:
                st.info("Nothing changed.")
            else:
                seen = {"state": cell.state, "rating": cell.rating, "summary": cell.summary,
                        "validation": cell.validation}
                run_write(lambda s: save_cell(s, project, case_name, code_key, actor=actor(Permission.BUILD),
                                              shown=seen, **changes),
                      f"Saved {case_name} × {code_key}.")
    if cell.rating is not None:
        st.caption(f"Decision rule for {cell.rating} · {md_escape(scale[cell.rating].label)}: "
                   f"{md_escape(scale[cell.rating].rule)}")

    pinned = [q.segment for q in cell.quotes]
    with read_session(engine()) as s:
        segments = cell_segments(s, project, matrix, i, j)
    st.markdown(f"**Coded segments ({len(segments)})** · pinned quotes come first in reports "
                "and presentations, the headline first")
    if not segments:
        st.caption("No coded segments in this cell.")
    order = {guid: n for n, guid in enumerate(pinned)}
    listing = st.container(height=640 if len(segments) > 4 else "content", border=False)  # a long cell scrolls
    for seg in sorted(segments, key=lambda g: order.get(str(g.segment), len(order))):
        guid = str(seg.segment)
        with listing.container(border=True):
            badge = ("Headline quote · " if order.get(guid) == 0 else "Pinned · ") if guid in order else ""
            st.markdown(f"{badge}**{md_escape(quote_heading(seg))}**")
            st.markdown(marked_context(seg, md_escape))
            b1, b2, _ = st.columns([1, 2, 5])
            if guid in order:
                if b1.button("Unpin", key=f"unpin_{guid}"):
                    run_write(lambda s, g=guid: unpin_quote(s, project, case_name, code_key, g, actor=actor(Permission.BUILD)),
                          "Quote unpinned.")
                if order[guid] != 0 and b2.button("Make headline", key=f"headline_{guid}"):
                    run_write(lambda s, g=guid: pin_quote(s, project, case_name, code_key, g, headline=True,
                                                      actor=actor(Permission.BUILD)), "Quote is now the headline.")
            else:
                if b1.button("Pin", key=f"pin_{guid}"):
                    run_write(lambda s, g=guid: pin_quote(s, project, case_name, code_key, g, actor=actor(Permission.BUILD)),
                          "Quote pinned.")
                if b2.button("Pin as headline", key=f"pinhead_{guid}"):
                    run_write(lambda s, g=guid: pin_quote(s, project, case_name, code_key, g, headline=True,
                                                      actor=actor(Permission.BUILD)), "Quote pinned as the headline.")

    shown = {str(seg.segment) for seg in segments}
    for quote in (q for q in cell.quotes if q.segment not in shown):  # pinned from a coder outside this scope
        with st.container(border=True):
            st.markdown(f"Pinned · **{md_escape(quote_heading(quote))}**")
            st.markdown(md_escape(quote.text))
            if st.button("Unpin", key=f"unpin_{quote.segment}"):
                run_write(lambda s, g=quote.segment: unpin_quote(s, project, case_name, code_key, g, actor=actor(Permission.BUILD)),
                      "Quote unpinned.")

with profile_tab:
    try:
        profile, bands = load_profile(project_guid, revision, codebook)
    except Refused as exc:
        st.info(md_escape(str(exc)))
    else:
        st.caption("Coded segments per value cycle, in ladder order (immediate → transformative), grouped by "
                   "horizon: " + ", ".join(f"{b.label} ({len(b.columns)})" for b in bands) + ".")
        st.dataframe(profile_frame(profile, bands), width="stretch", key="fw_profile", placeholder=EMPTY)
        st.plotly_chart(value_cycle_figure(profile, bands), key="fw_profile_chart", width="stretch")

with learning_tab:
    l1, l2, l3 = st.columns(3)
    levels = l1.selectbox("Learning levels", keys, index=keys.index("lo") if "lo" in keys else 0, key="fw_levels",
                          format_func=codebook_names.get)
    learning_case = l2.selectbox("Case", ["", *options.cases], key="fw_learning_case",
                                 format_func=lambda c: c or "all cases pooled") or None
    learning_unit = l3.selectbox("Together in", UNITS, key="fw_learning_unit")
    try:
        learning = load_learning(project_guid, revision, levels, codebook, learning_case, learning_unit)
    except Refused as exc:
        st.info(md_escape(str(exc)))
    else:
        st.caption(md_escape(learning.note))
        if not any(learning.n_rows):
            st.info(f"Nothing is coded with '{levels}' in this scope yet.")
        st.dataframe(cooccurrence_frame(learning), width="stretch", key="fw_learning", placeholder=EMPTY)

with st.expander("Word report (cross-case)"):
    st.caption("Title page, method, this codebook's framework and count matrices as Word tables, charts, exemplar "
               "quotes per cell (pinned first), focus-group feedback and the codebook. Built when you click.")
    w1, w2, w3 = st.columns(3)
    network = w1.selectbox("For", ["", *options.cases], key="report_case",
                           format_func=lambda c: f"{c} (others anonymised)" if c else "all cases") or None
    anonymise = w2.checkbox("Anonymise", key="report_anonymise", help="Speakers as role + number, names masked.")
    with_charts = w3.checkbox("Include charts", value=True, key="report_charts")
    database = engine()

    def report() -> bytes:  # runs on click, in another thread
        with read_session(database) as session:
            return build_cross_case_report(session, project, codebook=codebook, depth=depth, case=network,
                                           anonymise=anonymise, images=with_charts)

    st.download_button("Download Word report", data=report, key="report_docx", icon=":material/download:",
                       on_click="ignore",
                       file_name=f"cross-case-{codebook}{'-' + network if network else ''}.docx",
                       mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document")

with st.expander("Settings: rating scale, mask list, primary coders"):
    st.markdown("**Rating scale**")
    with st.form("fw_scale"):
        edits = {}
        for step in framework.scale:
            a, b = st.columns([1, 3])
            edits[step.level] = (a.text_input(f"Label {step.level}", value=step.label, key=f"scale_label_{step.level}"),
                                 b.text_input(f"Decision rule {step.level}", value=step.rule,
                                              key=f"scale_rule_{step.level}"))
        if st.form_submit_button("Save scale"):
            changed = {lv: v for lv, v in edits.items() if v != (scale[lv].label, scale[lv].rule)}

            def save_scale(s):  # type: ignore[no-untyped-def]
                for level, (label, rule) in changed.items():
                    set_rating_level(s, project, level, label, rule, actor=actor(Permission.MANAGE))

            run_write(save_scale, f"Rating scale saved ({len(changed)} level(s) changed).")

    st.markdown("**Mask list** (names masked in anonymised quotes; registered persons are masked anyway)")
    if masks:
        st.dataframe(pd.DataFrame(masks, columns=["term", "kind", "replacement"]), hide_index=True, key="fw_masks", placeholder=EMPTY)
    with st.form("fw_mask_add", clear_on_submit=True):
        m1, m2, m3 = st.columns(3)
        term = m1.text_input("Name to mask", key="mask_term")
        kind = m2.selectbox("Kind", MASK_KINDS, key="mask_kind")
        replacement = m3.text_input("Replacement (optional)", key="mask_replacement", placeholder="[organisation]")
        if st.form_submit_button("Add to mask list"):
            run_write(lambda s: add_mask_term(s, project, term, kind, replacement, actor=actor(Permission.MANAGE)), f"Masking {term}.")
    if masks:
        r1, r2 = st.columns([3, 1])
        doomed = r1.selectbox("Remove from the mask list", [m[0] for m in masks], key="mask_delete")
        if r2.button("Remove", key="mask_delete_button"):
            run_write(lambda s: delete_mask_term(s, project, doomed, actor=actor(Permission.MANAGE)), f"No longer masking {doomed}.")

    st.markdown("**Primary coder per document** (whose codings count by default; others only when pooled)")
    if documents and options.coders:
        titles = {g: t for g, t, _ in documents}
        d1, d2, d3 = st.columns([3, 2, 1])
        doc = d1.selectbox("Document", list(titles), key="primary_document", format_func=titles.get)
        current = next(c for g, _, c in documents if g == doc)
        choices = [None, *options.coders]
        coder = d2.selectbox("Primary coder", choices, index=choices.index(current) if current in choices else 0,
                             key=f"primary_coder_{doc}", format_func=lambda c: c or "who coded it first")
        if d3.button("Set", key="primary_set"):
            run_write(lambda s: set_primary_coder(s, project, get_document(s, project, doc), coder, actor=actor(Permission.MANAGE)),
                  "Primary coder set.")
    else:
        st.caption("No documents or coders yet.")
