"""The matrix engine against cells worked out by hand (tests/matrix_fixture.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from matrix_fixture import N1, N2, build_study  # noqa: E402

from analysis.framework_matrix import save_cell  # noqa: E402
from analysis.matrix import MatrixSpec, build_matrix, cell_segments, matrix_columns  # noqa: E402
from analysis.matrix_scope import Scope, set_primary_coder  # noqa: E402
from cases.documents import document_text  # noqa: E402
from cases.projects import get_document, get_project  # noqa: E402
from exports.matrix_tables import matrix_table, table_csv  # noqa: E402
from store.db import read_session, write_session  # noqa: E402
from store.errors import Refused  # noqa: E402


@pytest.fixture
def study(engine):  # type: ignore[no-untyped-def]
    return build_study(engine)


def matrix(study, **spec):  # type: ignore[no-untyped-def]
    with read_session(study.engine) as s:
        return build_matrix(s, get_project(s, study.guid), MatrixSpec(**spec))


def cells(m, measure=None) -> dict[tuple[str, str], object]:  # type: ignore[no-untyped-def]
    values = m.values(measure)
    return {(r.label, c.key): values[i][j] for i, r in enumerate(m.rows) for j, c in enumerate(m.columns)}


def test_columns_every_codable_code_or_rolled_up(study):
    with read_session(study.engine) as s:
        project = get_project(s, study.guid)
        flat = [c.key for c in matrix_columns(s, project, "vc")]
        top = matrix_columns(s, project, "value-creation", depth=1)
    assert flat[:4] == ["vc.expected", "vc.immediate", "vc.potential", "vc.potential.human"]
    assert "vc" not in flat  # the folder is not codable
    assert [c.key for c in top] == ["vc.expected", "vc.immediate", "vc.potential", "vc.applied", "vc.realised",
                                    "vc.transformative"]  # the 2020 cycles are switched off
    assert len(top[2].members) == 6  # vc.potential and its five capitals


def test_columns_see_what_the_session_has_not_flushed(study):
    """A code switched off in the same session, not yet flushed, is no column (the codes are read as plain rows)."""
    from sqlalchemy import select

    from store.models import Code, Codebook

    with write_session(study.engine) as s:
        project = get_project(s, study.guid)
        code = s.scalar(select(Code).join(Codebook).where(Codebook.project_id == project.id,
                                                          Code.key == "vc.expected"))
        code.enabled = False
        top = [c.key for c in matrix_columns(s, project, "value-creation", depth=1)]
        m = build_matrix(s, project, MatrixSpec(rows="cases", codebook="value-creation", depth=1))
        s.rollback()
    assert top == [c.key for c in m.columns] == ["vc.immediate", "vc.potential", "vc.applied", "vc.realised",
                                                 "vc.transformative"]


def test_case_counts_primary_coder_overlaps_and_empty_rows(study):
    m = matrix(study, rows="cases", codebook="vc")
    assert [r.label for r in m.rows] == ["Leeg", "Noord", "Zuid"]
    got = cells(m)
    # Tom's double coding of N1 is not counted: Sanne coded N1 first.
    assert got[("Noord", "vc.potential.human")] == 2  # N1 (Sanne) + N2
    assert got[("Noord", "vc.potential.social")] == 1
    assert got[("Noord", "vc.potential.tangible")] == 1  # the same segment as social
    assert got[("Noord", "vc.immediate")] == 2
    assert got[("Noord", "vc.expected")] == 1
    assert got[("Zuid", "vc.realised")] == 1
    assert got[("Zuid", "vc.potential.human")] == 0
    assert all(got[("Leeg", c.key)] == 0 for c in m.columns)  # a case without codings is a row of zeros
    assert not any(any(row) for row in m.pooled)
    assert "primary coder" in m.scope_note


def test_rolled_up_counts_distinct_segments_of_the_subtree(study):
    m = matrix(study, rows="cases", codebook="vc", depth=1)
    got = cells(m)
    # s1 (human), s2 (social + tangible: one segment), Bert's human capital: three segments, not four codings.
    assert got[("Noord", "vc.potential")] == 3
    assert cells(matrix(study, rows="cases", codebook="vc", depth=1, measure="documents"),
                 "documents")[("Noord", "vc.potential")] == 2
    with pytest.raises(Refused, match="built without document counts"):
        m.values("documents")  # counted only when asked for: a distinct count per cell is most of the query
    assert cells(m, "presence")[("Zuid", "vc.potential")] == 0
    assert cells(m, "presence")[("Zuid", "vc.realised")] == 1


def test_pooling_all_coders_marks_the_cell(study):
    m = matrix(study, rows="cases", codebook="vc", scope=Scope(coders="all"))
    got = cells(m)
    assert got[("Noord", "vc.potential.human")] == 3
    j = m.column_keys().index("vc.potential.human")
    i = [r.label for r in m.rows].index("Noord")
    assert m.pooled[i][j] is True
    assert m.cell_text(i, j) == "3 ⧉"
    assert m.pooled[i][m.column_keys().index("vc.immediate")] is False
    assert "all coders pooled" in m.scope_note
    only_tom = cells(matrix(study, rows="cases", codebook="vc", scope=Scope(coders=("Tom",))))
    assert only_tom[("Noord", "vc.potential.human")] == 1 and only_tom[("Zuid", "vc.realised")] == 1


def test_primary_coder_can_be_chosen(study):
    with write_session(study.engine) as s:
        project = get_project(s, study.guid)
        set_primary_coder(s, project, get_document(s, project, "N1"), "Tom", actor="test")
    got = cells(matrix(study, rows="cases", codebook="vc"))
    # N1 now counts Tom's one coding; N2 still counts Sanne's.
    assert got[("Noord", "vc.potential.human")] == 2
    assert got[("Noord", "vc.potential.social")] == 0
    assert got[("Noord", "vc.expected")] == 0


def test_k_of_n_interviewees_with_a_double_interview(study):
    m = matrix(study, rows="cases", codebook="vc", measure="persons")
    i = [r.label for r in m.rows].index("Noord")
    assert m.interviewees(i) == 3  # Anna, Bert, Carla; the interviewer is not an interviewee
    got = cells(m)
    assert got[("Noord", "vc.immediate")] == 2  # Bert and Carla
    assert got[("Noord", "vc.potential.human")] == 2  # Anna and Bert
    assert got[("Noord", "vc.expected")] == 0  # only the interviewer said it
    assert m.cell_text(i, m.column_keys().index("vc.immediate")) == "2 of 3"
    assert m.as_json()["n"] == [0, 3, 1]


def test_coverage_counts_overlapping_characters_once(study):
    with read_session(study.engine) as s:
        project = get_project(s, study.guid)
        length = sum(len(document_text(s, get_document(s, project, t))) for t in ("N1", "N2"))
    m = matrix(study, rows="cases", codebook="vc", depth=1, measure="coverage")
    # "leerde daar veel" + "veel over subsidies" share "veel": 31 characters, plus Bert's 30.
    union = len("leerde daar veel over subsidies") + len("de juiste mensen bij de douane")
    assert cells(m)[("Noord", "vc.potential")] == round(100 * union / length, 1)
    assert cells(m)[("Leeg", "vc.potential")] == 0.0


def test_row_and_column_percentages(study):
    m = matrix(study, rows="cases", codebook="vc", depth=1)
    noord = cells(m)
    total = sum(noord[("Noord", c.key)] for c in m.columns)  # expected 1 + immediate 2 + potential 3 + applied 1
    assert total == 7
    assert cells(m, "row_pct")[("Noord", "vc.potential")] == round(100 * 3 / 7, 1)
    assert cells(m, "col_pct")[("Zuid", "vc.realised")] == 100.0


def test_stored_states_never_render_as_zero(study):
    with write_session(study.engine) as s:
        project = get_project(s, study.guid)
        save_cell(s, project, "Leeg", "vc.immediate", state="no_data")
        save_cell(s, project, "Zuid", "vc.immediate", state="not_assessed")
        save_cell(s, project, "Zuid", "vc.realised", state="absent")
    m = matrix(study, rows="cases", codebook="vc")
    rows = [r.label for r in m.rows]
    j = m.column_keys().index("vc.immediate")
    assert m.cell_text(rows.index("Leeg"), j) == "no data"
    assert m.cell_text(rows.index("Zuid"), j) == "not assessed"
    # Coded evidence wins over a stored "absent": the count shows, the state stays available.
    k = m.column_keys().index("vc.realised")
    assert m.cell_text(rows.index("Zuid"), k) == "1" and m.states[rows.index("Zuid")][k] == "absent"
    assert "no data" in table_csv(matrix_table(m)).splitlines()[1]


def test_other_row_kinds(study):
    docs = cells(matrix(study, rows="documents", codebook="vc", depth=1))
    assert docs[("N1", "vc.potential")] == 2 and docs[("N2", "vc.potential")] == 1 and docs[("Z1", "vc.realised")] == 1
    roles = cells(matrix(study, rows="roles", codebook="vc", depth=1))
    assert roles[("interviewer", "vc.expected")] == 1
    assert roles[("respondent", "vc.immediate")] == 2 and roles[("respondent", "vc.expected")] == 0
    persons = cells(matrix(study, rows="persons", codebook="vc", depth=1))
    assert persons[("R2", "vc.immediate")] == 1 and persons[("R2", "vc.potential")] == 1
    assert persons[("R1", "vc.potential")] == 2
    coders = cells(matrix(study, rows="coders", codebook="vc", depth=1))  # every coder, whatever the default
    assert coders[("Tom", "vc.potential")] == 1 and coders[("Sanne", "vc.potential")] == 3
    land = matrix(study, rows="attribute:land", codebook="vc", depth=1)
    assert [r.label for r in land.rows] == ["DE", "NL"]
    assert cells(land)[("NL", "vc.potential")] == 3 and cells(land)[("DE", "vc.realised")] == 1


def test_speaker_rows_coverage_is_over_their_own_turns(study):
    m = matrix(study, rows="persons", codebook="vc", depth=1, measure="coverage")
    bert_turns = len("Een goede tip over export, meteen handig.") + len("Ik ken nu de juiste mensen bij de douane.")
    i = [r.label for r in m.rows].index("R2")
    assert m.rows[i].chars == bert_turns  # the content of his two turns, labels and line breaks not counted
    expected = round(100 * len("de juiste mensen bij de douane") / m.rows[i].chars, 1)
    assert cells(m)[("R2", "vc.potential")] == expected


def test_quotes_and_drill_down(study):
    m = matrix(study, rows="cases", codebook="vc", depth=1, measure="quotes")
    rows = [r.label for r in m.rows]
    j = m.column_keys().index("vc.potential")
    quotes = m.quotes[rows.index("Noord")][j]
    assert [(q.document, q.text) for q in quotes] == [
        ("N1", "leerde daar veel"), ("N1", "veel over subsidies"), ("N2", "de juiste mensen bij de douane")]
    assert quotes[2].role == "respondent" and quotes[2].pseudonym == "R2" and quotes[2].turn == 3
    as_json = m.as_json()
    assert as_json["values"][rows.index("Noord")][j][0]["start"] == N1.index("leerde daar veel")
    with read_session(study.engine) as s:
        segs = cell_segments(s, get_project(s, study.guid), m, rows.index("Noord"), j)
    assert [r.text for r in segs] == [q.text for q in quotes]
    assert segs[2].context == "Ik ken nu de juiste mensen bij de douane."
    with read_session(study.engine) as s:  # the guids, read as text, are the stored ones as str(uuid) prints them
        from sqlalchemy import select

        from store.models import Document, Segment
        stored = {str(guid): (title, str(doc_guid)) for guid, title, doc_guid in s.execute(
            select(Segment.guid, Document.title, Document.guid).join(Document, Document.id == Segment.document_id))}
    assert all(stored[q.segment] == (q.document, q.document_guid) for q in quotes) and len(quotes) == 3


def test_json_and_csv_shapes(study):
    m = matrix(study, rows="cases", codebook="vc", depth=1, measure="presence")
    out = m.as_json()
    assert out["rows"] == ["Leeg", "Noord", "Zuid"]
    assert out["columns"][:3] == ["vc.expected", "vc.immediate", "vc.potential"]
    assert out["values"][1][:3] == [1, 1, 1] and out["values"][0] == [0] * 6
    header, *lines = table_csv(matrix_table(m)).splitlines()
    assert header.split(",")[:2] == ["cases", "vc.expected"]
    assert lines[1].startswith("Noord,1,1,1,1,0,0")


def test_refusals_name_what_was_wrong(study):
    with read_session(study.engine) as s:
        project = get_project(s, study.guid)
        with pytest.raises(Refused, match="unknown rows 'regions'"):
            build_matrix(s, project, MatrixSpec(rows="regions"))
        with pytest.raises(Refused, match="no codebook 'xx'"):
            build_matrix(s, project, MatrixSpec(codebook="xx"))
        with pytest.raises(Refused, match="no attribute 'sector'"):
            build_matrix(s, project, MatrixSpec(rows="attribute:sector"))
        with pytest.raises(Refused, match="unknown cell measure"):
            build_matrix(s, project, MatrixSpec(measure="mean"))
        with pytest.raises(Refused, match="depth must be 1 or more"):
            build_matrix(s, project, MatrixSpec(depth=0))
        with pytest.raises(Refused, match="no coder 'Piet'"):
            build_matrix(s, project, MatrixSpec(scope=Scope(coders=("Piet",))))


def test_filters_by_role_and_document_kind(study):
    got = cells(matrix(study, rows="cases", codebook="vc", depth=1, scope=Scope(roles=("interviewer",))))
    assert got[("Noord", "vc.expected")] == 1 and got[("Noord", "vc.potential")] == 0
    got = cells(matrix(study, rows="cases", codebook="vc", depth=1, scope=Scope(kinds=("observation",))))
    assert all(v == 0 for v in got.values())


def test_typed_attribute_rows_count_and_quote(study):
    """Rows by a date or yes/no attribute (read from the tables, keyed by typed values): counts and quotes land in
    the rows, not lost to a key read as the driver's text."""
    from cases.attributes import set_attribute
    from cases.projects import get_case

    with write_session(study.engine) as s:
        project = get_project(s, study.guid)
        for name, raw, kind in (("started", "2021-03-01", "date"), ("pilot", "yes", "boolean")):
            set_attribute(s, project, get_case(s, project, "Noord"), name, raw, type_=kind)
    for rows in ("attribute:started", "attribute:pilot"):
        counts = matrix(study, rows=rows, codebook="vc", depth=1)
        quotes = matrix(study, rows=rows, codebook="vc", depth=1, measure="quotes")
        i = next(k for k, r in enumerate(counts.rows) if r.sql_key is not None)
        j = [c.key for c in counts.columns].index("vc.potential")
        assert counts.counts[i][j] == 3 and len(quotes.quotes[i][j]) == 3, rows
        assert sum(map(sum, counts.counts)) == sum(len(cell) for row in quotes.quotes for cell in row), rows
