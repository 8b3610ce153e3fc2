"""Memos: plain views with their targets' display names, deletion, the Word export and the CLI, on both databases."""

from __future__ import annotations

import json
import uuid
from io import BytesIO
from pathlib import Path

import pytest
from docx import Document as open_docx
from sqlalchemy import event, select

import cli
from cases.documents import document_text
from cases.importer import SpeakerDecision, preview_import, store_import
from cases.projects import create_case, create_project, get_case, get_or_create_coder, get_project
from codebooks.service import adopt_codebook, find_code
from coding.codings import apply_coding
from coding.memos import EXCERPT_CHARS, add_memo, delete_memo, get_memo, memo_views, update_memo
from exports.memos_docx import build_memos_docx
from store.db import get_engine, read_session, write_session
from store.errors import Refused
from store.events import list_events
from store.models import Memo

LONG_TURN = ("Het netwerk heeft ons echt veel gebracht, vooral omdat we elkaar nu kennen en weten wie we moeten "
             "bellen als er iets speelt in de regio, en dat scheelt maanden werk bij elke nieuwe aanvraag die we "
             "samen met de gemeente en de provincie indienen.")
INTERVIEW = f"I: Wat heeft het netwerk opgeleverd?\nR: {LONG_TURN}\nI: Dank u.\nR: Graag <b>gedaan</b> & tot ziens.\n"

TEXTS = {
    "project": "Afspraak: memo's in het Nederlands.",
    "case": "Grenzeloos: contacten staan centraal.",
    "document": "Kort interview; respondent <b>gehaast</b> & moe.",
    "code": "vc.applied alleen bij veranderde praktijk.",
    "segment": "Potential social capital, of al applied?",
    "other": "Stedenband: nog niet gecodeerd.",
}


def build(engine) -> None:  # type: ignore[no-untyped-def]
    """Project 'Studie': cases Grenzeloos and Stedenband share one interview; one memo on every kind of target."""
    with write_session(engine) as s:
        project = create_project(s, "Studie")
        adopt_codebook(s, project, "value-creation")
        a = create_case(s, project, "Grenzeloos")
        b = create_case(s, project, "Stedenband")
        preview = preview_import("interview_a.txt", INTERVIEW.encode("utf-8"), language="nl")
        doc = store_import(s, project, preview, cases=[b, a],
                           speakers={"I": SpeakerDecision("interviewer"), "R": SpeakerDecision("respondent")})
        thomas, _ = get_or_create_coder(s, project, "Thomas")
        sanne, _ = get_or_create_coder(s, project, "Sanne")
        start = document_text(s, doc).index(LONG_TURN)
        segment = apply_coding(s, project, doc, thomas, start, start + len(LONG_TURN), ["vc.potential.social"])
        add_memo(s, project, TEXTS["project"], author=thomas)
        add_memo(s, project, TEXTS["case"], target=a, author=thomas)
        add_memo(s, project, TEXTS["document"], target=doc, author=sanne)
        add_memo(s, project, TEXTS["code"], target=find_code(s, project, "vc.applied"), author=thomas)
        add_memo(s, project, TEXTS["segment"], target=segment, author=sanne)
        add_memo(s, project, TEXTS["other"], target=b)


def test_memo_views_name_their_targets_in_two_queries(engine):
    build(engine)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    with read_session(engine) as s:
        project = get_project(s, "Studie")
        event.listen(engine, "before_cursor_execute", count)
        try:
            views = memo_views(s, project)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert len(statements) <= 2, statements
    by_text = {v.text: v for v in views}
    assert [v.text for v in views] == list(TEXTS.values())  # oldest first
    assert by_text[TEXTS["project"]].target_name == "Studie"
    assert by_text[TEXTS["case"]].target_name == "Grenzeloos"
    assert by_text[TEXTS["case"]].cases == ["Grenzeloos"]
    document = by_text[TEXTS["document"]]
    assert (document.target, document.target_name, document.cases, document.author) == (
        "document", "interview_a", ["Grenzeloos", "Stedenband"], "Sanne")
    code = by_text[TEXTS["code"]]
    assert (code.code_key, code.code_label, code.target_name) == ("vc.applied", "Applied value",
                                                                  "vc.applied — Applied value")
    segment = by_text[TEXTS["segment"]]
    assert segment.document == "interview_a"
    assert segment.excerpt == LONG_TURN[:EXCERPT_CHARS].rstrip() + "…"
    assert segment.segment_end - segment.segment_start == len(LONG_TURN)
    assert segment.target_name == (f"interview_a, {segment.segment_start}–{segment.segment_end}: “{segment.excerpt}”")
    assert by_text[TEXTS["other"]].author is None
    record = segment.as_dict()
    assert record["target"] == "segment" and record["text"] == TEXTS["segment"]
    json.dumps(record)  # plain data


def test_memo_view_filters(engine):
    build(engine)
    with read_session(engine) as s:
        project = get_project(s, "Studie")
        grenzeloos = get_case(s, project, "Grenzeloos")
        texts = lambda **kw: [v.text for v in memo_views(s, project, **kw)]  # noqa: E731
        assert texts(target="case") == [TEXTS["case"], TEXTS["other"]]
        assert texts(case=grenzeloos) == [TEXTS["case"], TEXTS["document"], TEXTS["segment"]]
        assert texts(case=grenzeloos, target="segment") == [TEXTS["segment"]]
        assert texts(author="Sanne") == [TEXTS["document"], TEXTS["segment"]]
        thomas, _ = get_or_create_coder(s, project, "Thomas")
        assert texts(author=thomas, target="code") == [TEXTS["code"]]
        assert texts(author="Niemand") == []
        assert memo_views(s, project, target="code", language="nl")[0].target_name == "vc.applied — Toegepaste waarde"
        with pytest.raises(Refused, match="unknown memo target 'person'"):
            memo_views(s, project, target="person")


def test_update_and_delete_memo_are_logged(engine):
    build(engine)
    with write_session(engine) as s:
        project = get_project(s, "Studie")
        memo = s.scalar(select(Memo).where(Memo.target == "case", Memo.text == TEXTS["case"]))
        memo_id, guid = memo.id, memo.guid
        update_memo(s, project, get_memo(s, project, memo_id), "  Herzien.  ", actor="Sanne")
    with read_session(engine) as s:
        assert get_memo(s, get_project(s, "Studie"), memo_id).text == "Herzien."
    with write_session(engine) as s:
        project = get_project(s, "Studie")
        delete_memo(s, project, get_memo(s, project, memo_id), actor="Sanne")
    with read_session(engine) as s:
        project = get_project(s, "Studie")
        assert s.get(Memo, memo_id) is None
        assert len(memo_views(s, project)) == len(TEXTS) - 1
        with pytest.raises(Refused, match=f"has no memo {memo_id}"):
            get_memo(s, project, memo_id)
        deleted = [e for e in list_events(s, project.guid) if e.entity == "memo" and e.action == "delete"]
        assert len(deleted) == 1
        assert (deleted[0].entity_guid, deleted[0].actor, deleted[0].before["text"]) == (guid, "Sanne", "Herzien.")


def test_a_memo_of_another_project_is_refused(engine):
    build(engine)
    with write_session(engine) as s:
        other = create_project(s, "Ander")
        memo = add_memo(s, other, "Elders.")
        memo_id = memo.id
    with write_session(engine) as s:
        project = get_project(s, "Studie")
        with pytest.raises(Refused):
            get_memo(s, project, memo_id)
        with pytest.raises(Refused, match="another project"):
            delete_memo(s, project, s.get(Memo, memo_id), actor="x")
    with read_session(engine) as s:
        assert s.get(Memo, memo_id) is not None


def test_word_export_groups_memos_by_target_kind(engine):
    build(engine)
    with read_session(engine) as s:
        project = get_project(s, "Studie")
        data = build_memos_docx(s, project, memo_views(s, project), subtitle="all memos")
    paras = [(p.style.name, p.text) for p in open_docx(BytesIO(data)).paragraphs]
    assert paras[0] == ("Title", "Memos: Studie")
    assert paras[1] == ("Normal", "6 memos · all memos")
    kinds = [text for style, text in paras if style == "Heading 1"]
    assert kinds == ["Project memos", "Case memos", "Document memos", "Code memos", "Segment memos"]

    def after(heading: str) -> list[tuple[str, str]]:
        i = paras.index(("Heading 2", heading))
        return paras[i + 1:i + 4]

    project_memo = after("Studie")
    assert project_memo[0] == ("Normal", TEXTS["project"])
    assert project_memo[1][1].startswith("Thomas · 20")
    date = project_memo[1][1].split(" · ")[1]
    assert after("interview_a")[:2] == [("Normal", TEXTS["document"]), ("Normal", f"Sanne · {date}")]
    assert after("vc.applied — Applied value")[0] == ("Normal", TEXTS["code"])
    segment_heading = next(t for s, t in paras if s == "Heading 2" and t.startswith("interview_a, characters "))
    segment = after(segment_heading)
    assert segment[0] == ("Quote", LONG_TURN[:EXCERPT_CHARS].rstrip() + "…")
    assert segment[1] == ("Normal", TEXTS["segment"])
    assert ("Normal", "unknown author · " + date) in paras  # the memo without an author

    with read_session(engine) as s:
        empty = build_memos_docx(s, get_project(s, "Studie"), [])
    assert "No memos." in [p.text for p in open_docx(BytesIO(empty)).paragraphs]


def run(capsys, url: str, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    capsys.readouterr()
    code = cli.main(["--db", url, *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_memos(db_url, tmp_path: Path, capsys):
    build(get_engine(db_url))
    code, out, err = run(capsys, db_url, "memos", "--project", "Studie", "--format", "json")
    assert code == 0, err
    records = json.loads(out)
    assert [r["text"] for r in records] == list(TEXTS.values())
    assert records[1]["target_name"] == "Grenzeloos"
    uuid.UUID(records[0]["guid"])

    code, out, err = run(capsys, db_url, "memos", "--project", "Studie", "--target", "code")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["target", "target_name", "author", "created_at", "text"]
    assert len(lines) == 3 and lines[2].startswith("code") and "vc.applied — Applied value" in lines[2]

    code, out, err = run(capsys, db_url, "memos", "--project", "Studie", "--case", "Grenzeloos", "--format", "csv")
    assert code == 0, err
    assert len(out.strip().splitlines()) == 4  # header + case, document and segment memo

    target = tmp_path / "memos.docx"
    code, out, err = run(capsys, db_url, "memos", "--project", "Studie", "--author", "Sanne", "--format", "docx",
                         "--out", str(target))
    assert code == 0, err
    assert out.strip() == f"wrote 2 memo(s) to {target}"
    texts = [p.text for p in open_docx(str(target)).paragraphs]
    assert texts[1] == "2 memos · author: Sanne"
    assert TEXTS["document"] in texts and TEXTS["segment"] in texts and TEXTS["case"] not in texts

    code, _, err = run(capsys, db_url, "memos", "--project", "Studie", "--format", "docx")
    assert code == 1 and err.strip() == "error: --format docx needs --out FILE.docx"
    code, _, err = run(capsys, db_url, "memos", "--project", "Studie", "--case", "Onbekend")
    assert code == 1 and "has no case 'Onbekend'" in err
    with pytest.raises(SystemExit) as usage:  # argparse: not a memo target
        cli.main(["--db", db_url, "memos", "--project", "Studie", "--target", "person"])
    assert usage.value.code == 2
