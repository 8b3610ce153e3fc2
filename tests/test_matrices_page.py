"""The Matrices page under AppTest (SQLite): the table equals the engine's cells, a clicked cell lists its quotes
as text with links into the transcript, stored states are not zeros, code x code co-occurrence, no stale cache.

The study (tests/matrix_fixture.py, cells worked out there) gets one more document in Zuid whose coded text
holds markup, to show that a quote is rendered as text.
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import parse_qs

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from apptest_support import make_app  # noqa: E402
from matrix_fixture import Z1, build_study, span  # noqa: E402

from analysis.cooccurrence import Cooccurrence, CooccurrenceSpec, build_cooccurrence  # noqa: E402
from analysis.framework_matrix import save_cell  # noqa: E402
from analysis.matrix import Column, MatrixSpec, build_matrix  # noqa: E402
from analysis.matrix_view import cooccurrence_frame  # noqa: E402
from cases.importer import SpeakerDecision, preview_import, store_import  # noqa: E402
from cases.projects import get_case, get_document, get_or_create_coder, get_project  # noqa: E402
from coding.codings import apply_coding  # noqa: E402
from store.db import get_engine, read_session, write_session  # noqa: E402
from ui.state import md_escape  # noqa: E402

S1 = """I: En verder?
R: Wij schreven <script>alert(1)</script> in de **nieuwsbrief** & meer.
"""


@pytest.fixture
def study(sqlite_url):  # type: ignore[no-untyped-def]
    engine = get_engine(sqlite_url)
    built = build_study(engine)
    with write_session(engine) as s:
        project = get_project(s, built.guid)
        preview = preview_import("S1.txt", S1.encode("utf-8"), language="nl")
        s1 = store_import(s, project, preview, cases=[get_case(s, project, "Zuid")],
                          speakers={"I": SpeakerDecision("interviewer"), "R": SpeakerDecision("respondent")})
        tom, _ = get_or_create_coder(s, project, "Tom")
        apply_coding(s, project, s1, tom, *span(S1, "<script>alert(1)</script> in de **nieuwsbrief**"),
                     ["vc.immediate"])
        s1_guid = str(s1.guid)
    return sqlite_url, built.guid, s1_guid


def open_matrices(monkeypatch, url: str, guid: str):  # type: ignore[no-untyped-def]
    at = make_app(monkeypatch, url, project_guid=guid, coder="Sanne")
    at.run()
    at.switch_page("pages/matrices.py")
    at.run()
    assert not at.exception, at.exception
    return at


def engine_matrix(url: str, guid: str, spec: MatrixSpec):  # type: ignore[no-untyped-def]
    with read_session(get_engine(url)) as s:
        return build_matrix(s, get_project(s, guid), spec)


def table(at):  # type: ignore[no-untyped-def]
    (element,) = [d for d in at.dataframe if (d.key or "").startswith("matrix_table_")]
    return element


def cell(frame, row: str, key: str) -> str:  # type: ignore[no-untyped-def]
    return frame.loc[row, key]


def test_the_table_shows_the_engines_cells(monkeypatch, study):
    url, guid, _ = study
    at = open_matrices(monkeypatch, url, guid)
    assert at.selectbox(key="matrix_depth").value == 1  # the default, as on Charts and Framework
    at.selectbox(key="matrix_depth").set_value(0).run()  # every codable code
    frame = table(at).value
    expected = engine_matrix(url, guid, MatrixSpec(rows="cases", codebook="vc"))
    assert list(frame.index) == ["Leeg", "Noord", "Zuid"]
    assert list(frame.columns) == expected.column_keys()
    assert frame.values.tolist() == expected.to_frame().values.tolist()
    # By hand (primary coder: Sanne on N1 and N2, Tom on Z1 and S1): Tom's double coding of N1 is not counted.
    assert cell(frame, "Noord", "vc.potential.human") == "2"
    assert cell(frame, "Noord", "vc.immediate") == "2"
    assert cell(frame, "Zuid", "vc.immediate") == "1"
    assert cell(frame, "Zuid", "vc.realised") == "1"
    assert cell(frame, "Leeg", "vc.immediate") == "0"  # a row without codings is there, with zeros
    assert "Codings of each document's primary coder" in " ".join(c.value for c in at.caption)
    assert [b.proto.label for b in at.get("download_button")] == ["CSV", "Excel", "Word"]

    # All coders pooled: Tom's segment in N1 (his own segment) joins, and the cell says it pools.
    at.selectbox(key="matrix_coders").set_value("all")
    at.run()
    assert cell(table(at).value, "Noord", "vc.potential.human") == "3 ⧉"

    # k of n interviewees: Noord's immediate value comes from Bert and Carla, of Anna, Bert and Carla.
    at.selectbox(key="matrix_coders").set_value("primary")
    at.selectbox(key="matrix_measure").set_value("persons")
    at.run()
    assert cell(table(at).value, "Noord", "vc.immediate") == "2 of 3"

    # Rolled up to the top codes: potential value counts the distinct segments of its subtree.
    at.selectbox(key="matrix_measure").set_value("count")
    at.selectbox(key="matrix_depth").set_value(1)
    at.run()
    frame = table(at).value
    rolled = engine_matrix(url, guid, MatrixSpec(rows="cases", codebook="vc", depth=1))
    assert frame.values.tolist() == rolled.to_frame().values.tolist()
    assert cell(frame, "Noord", "vc.potential") == "3"
    assert at.get("plotly_chart"), "the heat map is drawn"


def test_a_clicked_cell_lists_its_quotes_as_text_with_links(monkeypatch, study):
    url, guid, s1_guid = study
    at = open_matrices(monkeypatch, url, guid)
    at.selectbox(key="matrix_depth").set_value(0).run()  # every codable code
    grid = table(at)
    at.session_state[grid.key] = {"selection": {"rows": [], "columns": [], "cells": [[2, "vc.immediate"]]}}
    at.run()
    assert not at.exception, at.exception
    assert "Zuid × Immediate value" in [h.value for h in at.subheader]
    texts = [str(m.value) for m in at.markdown]
    assert "**S1 · turn 2 · respondent · coded by Tom**" in texts
    quote = next(t for t in texts if "alert" in t)
    assert quote == "Wij schreven **\\<script\\>alert\\(1\\)\\</script\\> in de \\*\\*nieuwsbrief\\*\\*** \\& meer\\."
    assert "<script>" not in "".join(texts)
    links = [parse_qs(link.proto.query_string) for link in at.get("page_link")]
    assert [link.proto.page for link in at.get("page_link")] == ["coding"]
    assert links == [{"project": [guid], "document": [s1_guid], "turn": ["1"]}]

    # Another matrix (another spec) starts without a selection: no stale quotes.
    at.selectbox(key="matrix_depth").set_value(1)
    at.run()
    assert not at.subheader


def test_a_stored_no_data_cell_reads_no_data_and_a_new_coding_is_seen(monkeypatch, study):
    url, guid, _ = study
    at = open_matrices(monkeypatch, url, guid)
    assert cell(table(at).value, "Leeg", "vc.immediate") == "0"
    assert cell(table(at).value, "Zuid", "vc.expected") == "0"
    engine = get_engine(url)
    with write_session(engine) as s:
        project = get_project(s, guid)
        save_cell(s, project, "Leeg", "vc.immediate", state="no_data", actor="Sanne")
        tom, _ = get_or_create_coder(s, project, "Tom")
        apply_coding(s, project, get_document(s, project, "Z1"), tom, *span(Z1, "Wat is er veranderd"),
                     ["vc.expected"])
    at.run()
    frame = table(at).value
    assert cell(frame, "Leeg", "vc.immediate") == "no data"  # never a 0
    assert cell(frame, "Zuid", "vc.expected") == "1"  # the cached matrix was not served after the change


def test_code_by_code_cooccurrence(monkeypatch, study):
    url, guid, _ = study
    at = open_matrices(monkeypatch, url, guid)
    at.radio(key="matrix_mode").set_value("codes")
    at.run()
    at.selectbox(key="co_depth").set_value(1)
    at.selectbox(key="co_depth2").set_value(1)
    at.selectbox(key="co_unit").set_value("document")
    at.run()
    assert not at.exception, at.exception
    (frame,) = [d.value for d in at.dataframe]  # a read-only grid carries no key: the only one on the page
    with read_session(get_engine(url)) as s:
        co = build_cooccurrence(s, get_project(s, guid), CooccurrenceSpec(codebook="vc", codebook2="vc", depth=1,
                                                                          depth2=1, unit="document"))
    keys = [c.key for c in co.rows]
    potential, immediate, expected = keys.index("vc.potential"), keys.index("vc.immediate"), keys.index("vc.expected")
    # By hand: immediate in N2 and S1, potential in N1 and N2, expected in N1 (documents, primary coders).
    assert (co.n_rows[immediate], co.n_rows[potential], co.n_rows[expected]) == (2, 2, 1)
    assert frame.iloc[potential, immediate] == "1 · c=0.33"  # N2: 1 / (2 + 2 - 1)
    assert frame.iloc[expected, potential] == "1 · c=0.50"  # N1: 1 / (1 + 2 - 1)
    assert frame.iloc[immediate, immediate] == "—"
    assert frame.index[immediate] == "Immediate value (n=2)"
    notes = " ".join(c.value for c in at.caption)
    assert md_escape("Co-occurrence by same document, within each coder's own codings, all cases.") in notes

    # Pooling the coders: Tom's double coding of N1 now counts with Sanne's.
    at.checkbox(key="co_pool").check()
    at.selectbox(key="matrix_coders").set_value("all")
    at.run()
    assert "pooled across coders" in " ".join(c.value for c in at.caption)


def test_cooccurrence_cells_flag_a_frequency_gap():
    """A pair whose codes' frequencies differ more than 5x carries ⚠ (c understates it); zero pairs read 0."""
    rare = Column(key="a", label="Rare", code_id=1, depth=0, members=frozenset({1}))
    common = Column(key="b", label="Common", code_id=2, depth=0, members=frozenset({2}))
    other = Column(key="c", label="Other", code_id=3, depth=0, members=frozenset({3}))
    co = Cooccurrence(spec=CooccurrenceSpec(), rows=[rare], columns=[common, other], n12=[[1, 0]], n_rows=[1],
                      n_columns=[12, 2], note="")
    frame = cooccurrence_frame(co)
    assert frame.loc["Rare (n=1)", "Common (n=12)"] == "1 · c=0.08 ⚠"  # 1 / (1 + 12 - 1)
    assert frame.loc["Rare (n=1)", "Other (n=2)"] == "0"


def test_the_table_is_shaded_like_the_heat_map(study):
    from analysis.matrix_view import heat_styles, matrix_frame

    url, guid, _ = study
    with read_session(get_engine(url)) as s:
        matrix = build_matrix(s, get_project(s, guid), MatrixSpec(rows="cases", codebook="vc", depth=1))
    styles = heat_styles(matrix, matrix_frame(matrix))
    alpha = {(case, key): float(css.rsplit(",", 1)[1].rstrip(")")) if css else 0.0
             for case, row in styles.iterrows() for key, css in row.items()}
    counts = {(r.label, c.key): matrix.counts[i][j] for i, r in enumerate(matrix.rows)
              for j, c in enumerate(matrix.columns)}
    assert all((alpha[k] > 0) == (counts[k] > 0) for k in counts)  # zeros and states stay plain
    ranked = sorted(counts, key=counts.get)
    assert [alpha[k] for k in ranked] == sorted(alpha[k] for k in ranked)  # more codings, darker
