"""Deleting into the bin and restoring, on the demo study and both databases: a restore gives back exactly what
was there, compared through every matrix of every codebook, the tidy coded-segments table, the framework cells,
the focus-group feedback and the cross-case Word report."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import func, select

import cli
from analysis.framework_matrix import build_framework_matrix
from analysis.matrix import MatrixSpec, build_matrix
from analysis.matrix_scope import ALL, Scope
from analysis.tidy import tidy_codings
from cases.bin import delete_project, delete_to_bin, empty_bin, list_bin, preview_deletion, restore_from_bin
from cases.projects import get_project, list_cases, list_persons
from codebooks.service import list_project_codebooks
from demo.load import DEMO_PROJECT, load_demo
from exports.cross_case_report import build_cross_case_report
from focusgroups.feedback import list_feedback
from store.db import read_session, write_session
from store.errors import Refused
from store.models import Base, BinItem, Event


def fingerprint(engine) -> dict:  # type: ignore[no-untyped-def]
    """Everything a researcher reads off the project, as plain data."""
    with read_session(engine) as s:
        project = get_project(s, DEMO_PROJECT)
        out: dict = {"cases": [c.name for c in list_cases(s, project)],
                     "persons": [(p.name, p.pseudonym, p.case_id is not None) for p in list_persons(s, project)]}
        for book in list_project_codebooks(s, project):
            for rows in ("cases", "documents", "persons", "coders", "attribute:country"):
                try:
                    spec = MatrixSpec(rows=rows, codebook=book.key, depth=1, measure="quotes", scope=Scope(coders=ALL))
                    matrix = build_matrix(s, project, spec)
                except Refused:
                    continue
                out[f"{book.key}/{rows}"] = json.dumps(matrix.as_json("count"), sort_keys=True, default=str) + \
                    json.dumps(matrix.as_json("quotes"), sort_keys=True, default=str)
        out["tidy"] = [tuple(str(v) for v in vars(t).values()) for t in tidy_codings(s, project)]
        framework = build_framework_matrix(s, project, "vc", depth=1)
        out["cells"] = [[(c.state, c.rating, c.summary, c.validation, [q.segment for q in c.quotes], c.feedback)
                         for c in row] for row in framework.cells]
        out["feedback"] = [(f.session, f.case, f.code, f.stance, f.note) for f in list_feedback(s, project)]
        report = build_cross_case_report(s, project, images=False)
    assert len([k for k in out if "/" in k]) >= 10  # the matrices really are compared
    out["report"] = zipfile.ZipFile(io.BytesIO(report)).read("word/document.xml").decode("utf-8")
    return out


@pytest.fixture
def demo(engine):  # type: ignore[no-untyped-def]
    """The demo study with a focus-group session whose remarks sit on a cell and a code."""
    from datetime import date

    from focusgroups.feedback import record_feedback
    from focusgroups.sessions import create_session

    load_demo(engine)
    with write_session(engine) as s:
        project = get_project(s, DEMO_PROJECT)
        fg = create_session(s, project, "FG2", date(2026, 11, 20), attendees={"network representative": 6})
        case = list_cases(s, project)[0].name
        record_feedback(s, project, fg, stance="agree", code="vc.immediate", case=case, participant_role="member")
        record_feedback(s, project, fg, stance="amend", code="vc.applied", note="Eerder toegepast dan gedacht.")
    return fingerprint(engine)


def _rows(engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        return {t.name: s.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables
                if t.name not in ("event", "bin_item")}


def _first(engine, kind: str) -> str:  # type: ignore[no-untyped-def]
    """A well-connected thing of each kind in the demo: coded, pinned, fed back on."""
    with read_session(engine) as s:
        project = get_project(s, DEMO_PROJECT)
        if kind == "document":
            from store.models import CellQuote, Document, Segment

            return s.scalar(select(Document.title).join(Segment).join(CellQuote).order_by(Document.title).limit(1))
        if kind == "case":
            return list_cases(s, project)[0].name
        if kind == "person":
            return next(p.name for p in list_persons(s, project) if p.case_id is not None)
        if kind == "attribute":
            return "case:country"
        if kind == "story":
            from store.models import Story

            return s.scalar(select(Story.title).order_by(Story.title).limit(1))
        return list_feedback(s, project)[0].session


def test_delete_into_the_bin_and_restore_exactly(engine, demo) -> None:  # type: ignore[no-untyped-def]
    """Each kind in turn on one demo load (a demo and its fingerprints are the expensive part)."""
    for kind in ("document", "case", "person", "attribute", "session", "story"):
        _delete_and_restore(engine, demo, kind)


def _delete_and_restore(engine, demo, kind: str) -> None:  # type: ignore[no-untyped-def]
    before_rows = _rows(engine)
    ref = _first(engine, kind)
    with read_session(engine) as s:
        preview = preview_deletion(s, get_project(s, DEMO_PROJECT), kind, ref)
    assert _rows(engine) == before_rows  # a preview changes nothing
    assert preview.goes or preview.unlinks
    events = _count_events(engine)
    with write_session(engine) as s:
        went = delete_to_bin(s, get_project(s, DEMO_PROJECT), kind, ref, actor="Sanne")
    assert went.goes == preview.goes and went.counts == preview.counts
    after_rows = _rows(engine)
    for table, n in preview.counts.items():
        assert after_rows[table] == before_rows[table] - n, table
    deleted_events = _events_since(engine, events)
    assert deleted_events[0][:2] == ("delete", {"document": "document", "case": "case", "person": "person",
                                                "attribute": "attribute_definition",
                                                "session": "focus_group_session", "story": "story"}[kind])
    # a document's segments leave the stories they are steps of: each an event on that story
    assert all(e[0] in ("unpin", "unlink", "unset", "unstep") for e in deleted_events[1:])
    assert fingerprint(engine) != demo
    with read_session(engine) as s:
        [item] = list_bin(s, get_project(s, DEMO_PROJECT))
        assert (item.kind, item.name, item.deleted_by) == (kind, ref, "Sanne")
    with write_session(engine) as s:
        _item, left = restore_from_bin(s, get_project(s, DEMO_PROJECT), str(item.guid), actor="Lieke")
    assert left == []
    assert _rows(engine) == before_rows
    assert fingerprint(engine) == demo
    with read_session(engine) as s:
        assert list_bin(s, get_project(s, DEMO_PROJECT)) == []


def _count_events(engine) -> int:  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        return s.scalar(select(func.max(Event.id)))


def _events_since(engine, last: int) -> list[tuple]:  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        return [(e.action, e.entity, e.before) for e in s.scalars(select(Event).where(Event.id > last)
                                                                  .order_by(Event.id))]


def test_a_restore_that_would_clash_is_refused_whole(engine, demo) -> None:  # type: ignore[no-untyped-def]
    ref = _first(engine, "case")
    with write_session(engine) as s:
        project = get_project(s, DEMO_PROJECT)
        delete_to_bin(s, project, "case", ref, actor="Sanne")
    with write_session(engine) as s:
        from cases.projects import create_case

        create_case(s, get_project(s, DEMO_PROJECT), ref)
    rows = _rows(engine)
    with pytest.raises(Refused, match=f"there is a case named '{ref}' again; rename it first"), \
            write_session(engine) as s:
        restore_from_bin(s, get_project(s, DEMO_PROJECT), ref, actor="Sanne")
    assert _rows(engine) == rows
    with pytest.raises(Refused, match="type the project's name"), write_session(engine) as s:
        empty_bin(s, get_project(s, DEMO_PROJECT), confirm="demo", actor="Sanne")
    with write_session(engine) as s:
        assert empty_bin(s, get_project(s, DEMO_PROJECT), confirm=DEMO_PROJECT, actor="Sanne") == 1
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(BinItem)) == 0


def test_deleting_a_project_needs_its_name(engine, demo) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Refused, match="type its name"), write_session(engine) as s:
        delete_project(s, get_project(s, DEMO_PROJECT), confirm="Demo", actor="Sanne")
    with write_session(engine) as s:
        counts = delete_project(s, get_project(s, DEMO_PROJECT), confirm=DEMO_PROJECT, actor="Sanne")
    assert counts["coding"] > 500 and counts["document"] == 19
    # only the codebook templates (no project's) remain
    assert {t: n for t, n in _rows(engine).items() if n and t not in ("codebook", "code", "code_indicator")} == {}


def test_bin_on_the_command_line(capsys, db_url, engine, demo) -> None:  # type: ignore[no-untyped-def]
    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.main(["--db", db_url, *args])
        out, err = capsys.readouterr()
        return code, out.strip(), err.strip()

    ref = _first(engine, "document")
    rows = _rows(engine)
    code, dry, _ = run("document-delete", "--project", DEMO_PROJECT, ref, "--dry-run")
    assert code == 0 and dry.startswith(f"would delete document '{ref}' with:") and "coding(s)" in dry
    assert _rows(engine) == rows
    code, done, _ = run("document-delete", "--project", DEMO_PROJECT, ref)
    assert code == 0 and done.splitlines()[:-1] == [dry.splitlines()[0].replace("would delete", "deleted", 1),
                                                    *dry.splitlines()[1:]]
    assert done.splitlines()[-1].startswith("in the bin: restore it with cli.py restore --project")
    listed = json.loads(run("bin", "--project", DEMO_PROJECT, "--format", "json")[1])
    assert [(i["kind"], i["name"]) for i in listed] == [("document", ref)]
    assert run("restore", "--project", DEMO_PROJECT, listed[0]["guid"])[:2] == (0, f"restored document '{ref}'")
    assert _rows(engine) == rows
    assert run("bin-empty", "--project", DEMO_PROJECT, "--confirm", "nope")[0] == 1
    assert run("project-delete", DEMO_PROJECT, "--confirm", DEMO_PROJECT)[0] == 0


def test_restore_after_new_rows_took_the_old_ids(engine, demo) -> None:  # type: ignore[no-untyped-def]
    """SQLite hands a deleted row's id to the next insert: the restore then maps every id inside the item."""
    from cases.importer import SpeakerDecision, preview_import, store_import
    from store.models import Document, Segment

    with read_session(engine) as s:
        last, last_id = s.execute(select(Document.title, Document.id).order_by(Document.id.desc()).limit(1)).one()
        had_segments = s.scalar(select(func.count()).select_from(Segment).join(Document)
                                .where(Document.title == last))
    with write_session(engine) as s:
        delete_to_bin(s, get_project(s, DEMO_PROJECT), "document", last, actor="Sanne")
    with write_session(engine) as s:
        project = get_project(s, DEMO_PROJECT)
        text = "I: Nog een vraag?\nR: Ja, een nieuw gesprek dat later kwam.\n" * 40
        later = store_import(s, project, preview_import("later.txt", text.encode()), cases=[],
                             speakers={"I": SpeakerDecision("interviewer"), "R": SpeakerDecision("respondent")})
        assert later.id == last_id or engine.dialect.name != "sqlite"  # SQLite reused the id: the restore must map
    with write_session(engine) as s:
        restore_from_bin(s, get_project(s, DEMO_PROJECT), last, actor="Sanne")
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Segment).join(Document)
                        .where(Document.title == last)) == had_segments
    with write_session(engine) as s:
        delete_to_bin(s, get_project(s, DEMO_PROJECT), "document", "later", actor="Sanne")
    assert fingerprint(engine) == demo
