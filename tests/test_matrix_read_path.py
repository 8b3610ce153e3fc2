"""Issue 18: the matrices read from matrix_coding (the read path) give every cell the normalised tables give, on
SQLite and PostgreSQL, before and after the writes that change what a matrix shows; and the read path is rebuilt in
the transaction of each write, whichever way the write went."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text, update

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import assert_matrix_facts_fresh  # noqa: E402

from analysis.matrix import MatrixSpec, build_matrix  # noqa: E402
from analysis.matrix_source import matrix_source  # noqa: E402
from analysis.matrix_rows import row_dimension  # noqa: E402
from analysis.matrix_scope import Scope  # noqa: E402
from analysis.tidy import tidy_codings  # noqa: E402
from cases.projects import get_project  # noqa: E402
from store.db import read_session, write_session  # noqa: E402
from store.errors import Refused  # noqa: E402
from store.matrix_facts import facts_ready, rebuild_all, refresh_marked  # noqa: E402
from store.models import CaseDocument, Coding, Document, MatrixCoding, MatrixDirty, Segment  # noqa: E402

PROJECT = "Read Path"
SPECS = [  # rows, depth, scope
    ("cases", None, Scope()), ("cases", 1, Scope()), ("cases", None, Scope(coders="all")),
    ("cases", None, Scope(coders=("Anna", "Bram"))), ("cases", 1, Scope(kinds=("interview",))),
    ("documents", None, Scope()), ("documents", 1, Scope(coders="all")), ("coders", None, Scope()),
]


def _build(engine) -> None:  # type: ignore[no-untyped-def]
    from bench.matrix_project import CODERS, build_project

    assert {"Anna", "Bram"} <= set(CODERS)
    build_project(engine, {"name": PROJECT, "cases": 5, "documents": 14, "codings": 1500,
                           "codebooks": [("rp", 3, 3)], "framework": False}, seed=5)


def _both(engine, rows: str, depth: int | None, scope: Scope, measure: str,  # type: ignore[no-untyped-def]
          persons: bool = True) -> tuple[dict, dict]:
    found = {}
    with read_session(engine) as s:
        project = get_project(s, PROJECT)
        for path in ("facts", "tables"):
            m = build_matrix(s, project, MatrixSpec(rows=rows, codebook="rp", depth=depth, measure=measure,
                                                    scope=scope), with_persons=persons, read_path=path)
            found[path] = {"rows": [r.key for r in m.rows], "counts": m.counts, "documents": m.documents,
                           "persons": m.persons, "pooled": m.pooled, "coverage": m.coverage,
                           "quotes": m.as_json("quotes")["values"] if m.quotes is not None else None}
    return found["facts"], found["tables"]


def _assert_same(engine) -> int:  # type: ignore[no-untyped-def]
    """Every spec and measure equal on both paths; returns the coded segments seen (so a test cannot pass empty)."""
    seen = 0
    for rows, depth, scope in SPECS:
        for measure, persons in (("count", False), ("count", True), ("coverage", True), ("quotes", True)):
            facts, tables = _both(engine, rows, depth, scope, measure, persons)
            assert facts == tables, (rows, depth, scope, measure, persons)
            seen += sum(map(sum, facts["counts"]))
        # A quotes matrix with counts alone takes its counts from its quotes: the count matrix's, on both paths.
        counted, quoted = (_both(engine, rows, depth, scope, measure, persons=False) for measure in ("count", "quotes"))
        assert [quoted[0]["counts"], quoted[1]["counts"]] == [counted[0]["counts"]] * 2, (rows, depth, scope)
    with read_session(engine) as s:  # the Excel export's tidy rows, one per coding (a document in two cases once)
        project = get_project(s, PROJECT)
        for scope in (None, Scope(), Scope(coders=("Anna", "Bram")), Scope(kinds=("interview",))):
            facts_rows, table_rows = (tidy_codings(s, project, scope=scope, read_path=path)
                                      for path in ("facts", "tables"))
            assert facts_rows == table_rows and len(facts_rows) > 300, scope
    return seen


def test_every_cell_equals_the_tables_before_and_after_writes(engine):  # type: ignore[no-untyped-def]
    _build(engine)
    assert _assert_same(engine) > 1000
    with write_session(engine) as s:
        project = get_project(s, PROJECT)
        docs = s.scalars(select(Document).where(Document.project_id == project.id).order_by(Document.id)).all()
        # A document leaves its case, another joins a second case, a third gets its other coder as primary.
        s.execute(delete(CaseDocument).where(CaseDocument.document_id == docs[0].id))
        other_case = s.scalar(select(CaseDocument.case_id).where(CaseDocument.document_id == docs[2].id))
        s.add(CaseDocument(case_id=other_case, document_id=docs[1].id))
        coders = s.execute(select(Segment.document_id, Segment.coder_id).distinct()).all()
        double = next(d for d, c in coders if sum(1 for d2, _ in coders if d2 == d) > 1)
        chosen = max(c for d, c in coders if d == double)
        s.execute(update(Document).where(Document.id == double).values(primary_coder_id=chosen))
        # A code changed on some codings, some codings and segments removed (the first segment of a document too).
        first = s.scalar(select(Segment.id).where(Segment.document_id == docs[3].id).order_by(Segment.id))
        s.execute(delete(Segment).where(Segment.id == first))
        some = s.scalars(select(Coding.id).order_by(Coding.id).limit(40)).all()
        s.execute(delete(Coding).where(Coding.id.in_(some[:20])))
        for coding in s.scalars(select(Coding).where(Coding.id.in_(some[20:]))):
            moved = s.scalar(select(Coding.code_id).where(Coding.code_id != coding.code_id,
                                                          Coding.segment_id != coding.segment_id).limit(1))
            taken = s.scalar(select(Coding.id).where(Coding.segment_id == coding.segment_id,
                                                     Coding.code_id == moved))
            if taken is None:
                coding.code_id = moved
        # A segment moved and shortened.
        segment = s.scalar(select(Segment).where(Segment.document_id == docs[4].id).order_by(Segment.id.desc()))
        segment.end = segment.start + max(1, (segment.end - segment.start) // 2)
    assert_matrix_facts_fresh(engine.url.render_as_string(hide_password=False))
    assert _assert_same(engine) > 1000


def test_a_write_outside_a_session_falls_back_until_rebuilt(engine):  # type: ignore[no-untyped-def]
    """Marks left by a plain connection (no Session commit rebuilt them): readers use the tables, and say so when
    asked for the read path; `refresh_marked` brings it back."""
    _build(engine)
    spec = MatrixSpec(rows="cases", codebook="rp")
    with read_session(engine) as s:
        before = build_matrix(s, get_project(s, PROJECT), spec).counts
    with engine.begin() as conn:
        conn.execute(delete(Coding).where(Coding.id.in_(select(Coding.id).order_by(Coding.id).limit(30))))
        conn.execute(update(Document).values(primary_coder_id=None))
        assert conn.execute(select(MatrixDirty.document_id)).first() is not None
    with read_session(engine) as s:
        project = get_project(s, PROJECT)
        assert not facts_ready(s, project.id)
        dim = row_dimension(s, project, "cases", spec.scope)
        assert not matrix_source(s, project, spec, dim, 0).facts
        with pytest.raises(Refused, match="waiting to be rebuilt"):
            build_matrix(s, project, spec, read_path="facts")
        auto = build_matrix(s, project, spec)
        tables = build_matrix(s, project, spec, read_path="tables")
        assert auto.counts == tables.counts != before  # the fallback sees the 30 codings gone
    with engine.begin() as conn:
        assert refresh_marked(conn) > 0
    assert _assert_same(engine) > 1000


def test_rebuilt_from_nothing_and_cascades(engine):  # type: ignore[no-untyped-def]
    """The rows are derived: emptied and rebuilt they come back the same; deleting a document or a coding takes
    their rows with them."""
    _build(engine)
    with engine.begin() as conn:
        before = conn.execute(select(MatrixCoding.coding_id, MatrixCoding.case_id, MatrixCoding.text)
                              .order_by(MatrixCoding.coding_id, MatrixCoding.case_id)).all()
        conn.execute(delete(MatrixCoding))
        assert rebuild_all(conn) == 14
        after = conn.execute(select(MatrixCoding.coding_id, MatrixCoding.case_id, MatrixCoding.text)
                             .order_by(MatrixCoding.coding_id, MatrixCoding.case_id)).all()
    assert before == after and len(before) >= 1500
    with write_session(engine) as s:
        doc = s.scalar(select(Document).where(Document.title.is_not(None)).order_by(Document.id))
        s.delete(doc)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM matrix_coding WHERE document_id NOT IN "
                                 "(SELECT id FROM document)")).scalar() == 0
    assert _assert_same(engine) > 900


def test_cli_checks_and_rebuilds_the_read_path(engine, capsys):  # type: ignore[no-untyped-def]
    import cli

    _build(engine)
    url = engine.url.render_as_string(hide_password=False)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.main(["--db", url, *args])
        out, err = capsys.readouterr()
        return code, out, err

    assert run("read-path", "--check") == (0, "the matrices' read path equals the codings\n", "")
    with engine.begin() as conn:  # damaged by hand: a quote changed, a row gone
        conn.execute(update(MatrixCoding).where(MatrixCoding.id == select(MatrixCoding.id).order_by(
            MatrixCoding.id).limit(1).scalar_subquery()).values(text="changed"))
        conn.execute(delete(MatrixCoding).where(MatrixCoding.id == select(MatrixCoding.id).order_by(
            MatrixCoding.id.desc()).limit(1).scalar_subquery()))
    code, out, err = run("read-path", "--check")
    assert (code, out) == (1, "")
    assert err == ("error: the matrices' read path differs from the codings: 2 rows missing, 1 rows too many; "
                   "run `read-path` without --check to rebuild it\n")
    code, out, err = run("read-path")
    assert code == 0 and out.startswith("rebuilt the matrices' read path: ") and " for 14 documents in " in out
    assert run("read-path", "--check")[0] == 0


def test_the_coding_pages_apply_leaves_the_read_path_current(engine):  # type: ignore[no-untyped-def]
    """The Apply button writes on the driver's connection, without a Session: it derives its segment's rows itself
    and clears its marks, so the matrices keep reading the read path."""
    from coding.codings import code_span
    from store.models import Code, Codebook, Project

    _build(engine)
    with read_session(engine) as s:
        project = s.scalar(select(Project).where(Project.name == PROJECT))
        doc = s.scalar(select(Document).where(Document.project_id == project.id).order_by(Document.id))
        key = s.scalar(select(Code.key).join(Codebook).where(Codebook.project_id == project.id,
                                                             Code.codable.is_(True)).order_by(Code.id))
        before = build_matrix(s, project, MatrixSpec(rows="cases", codebook="rp", scope=Scope(coders="all")))
        project_guid, doc_guid = project.guid, doc.guid
    segment = code_span(engine, project_guid, doc_guid, "Anna", 0, 7, [key])
    with read_session(engine) as s:
        project = s.scalar(select(Project).where(Project.guid == project_guid))
        assert facts_ready(s, project.id)
        rows = s.execute(select(MatrixCoding.segment_guid, MatrixCoding.start, MatrixCoding.end, MatrixCoding.text)
                         .where(MatrixCoding.segment_guid == str(segment))).all()
        after = build_matrix(s, project, MatrixSpec(rows="cases", codebook="rp", scope=Scope(coders="all")),
                             read_path="facts")
    assert rows and {(r.start, r.end, len(r.text)) for r in rows} == {(0, 7, 7)}
    assert sum(map(sum, after.counts)) == sum(map(sum, before.counts)) + len(rows)
    assert _assert_same(engine) > 1000
