"""The damage review (issue 16), on both databases: a PDF built in the test run (running header, page-number footer,
line-end hyphenation) imported, its warnings listed with repairs fitted to its turns, accepted repairs made its text
through the text-editing path (segments follow, pages still map, other coders' segments only when confirmed, the log
true and undo complete), rejections kept across text versions and taken back; the command line and the Documents
page."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from apptest_support import shown
from pdf_fixtures import BODY, CHAPTERS, HEADER, network_plan
from study_support import interview_study, open_page

import cli
from cases.documents import current_text_version, page_at
from cases.importer import preview_import, store_import
from cases.projects import create_project, get_document, get_or_create_coder, get_project
from codebooks.service import adopt_codebook
from coding.codings import apply_coding
from coding.damage_repair import apply_repairs, reconsider_warnings, reject_warnings, review_damage
from coding.text_edits import edit_turn, undo_edit
from store.db import get_engine, read_session, write_session
from store.errors import Refused
from store.models import Code, Coder, Coding, Event, Segment, Sentence, TextVersion, Turn
from store.replay import log_disagreements

P = "Netwerkplannen"
ORIGINAL = preview_import("plan.pdf", network_plan()).source.text
PAGES = [f"{n}. {chapter}\n{BODY[0][:-1]}{BODY[1]}\n\n{BODY[3][:-1]}{BODY[4]}"
         for n, chapter in enumerate(CHAPTERS, start=1)]
REPAIRED = "\n\n".join(PAGES)  # no header, no footer, every word whole


def nth(text: str, part: str, n: int) -> tuple[int, int]:
    """Where the n-th (from 1) `part` stands in `text`."""
    at = -1
    for _ in range(n):
        at = text.index(part, at + 1)
    return at, at + len(part)


def build(engine) -> None:  # type: ignore[no-untyped-def]
    """The plan, coded by Anna (a hyphenated word on page 2, a chapter on page 3, the first running header) and by
    Bram (a hyphenated word on page 4)."""
    with write_session(engine) as s:
        project = create_project(s, P)
        adopt_codebook(s, project, "value-creation")
        document = store_import(s, project, preview_import("plan.pdf", network_plan()), cases=[], kind="document")
        anna, _ = get_or_create_coder(s, project, "Anna")
        bram, _ = get_or_create_coder(s, project, "Bram")
        for coder, part, n, code in ((anna, "kennisuitwisse-\nling", 2, "vc.immediate"),
                                     (anna, f"3. {CHAPTERS[2]}", 1, "vc.applied"),
                                     (anna, HEADER, 1, "vc.potential"),
                                     (bram, "experimen-\nteren", 4, "vc.realised")):
            apply_coding(s, project, document, coder, *nth(ORIGINAL, part, n), [code], actor=coder.name)


def codings(engine) -> dict[str, tuple[int, str, int | None, bool]]:  # type: ignore[no-untyped-def]
    """code -> (text version, its text, its page, needs review)."""
    with read_session(engine) as s:
        rows = s.execute(select(Code.key, TextVersion.version, TextVersion.text, TextVersion.pages, Segment.start,
                                Segment.end, Segment.needs_review)
                         .join(Coding, Coding.code_id == Code.id).join(Segment, Segment.id == Coding.segment_id)
                         .join(TextVersion, TextVersion.id == Segment.text_version_id)).all()
    return {key: (version, text[a:b], page_at(pages, a), review) for key, version, text, pages, a, b, review in rows}


def test_accepted_repairs_become_the_text_and_codings_and_pages_follow(engine):
    build(engine)
    with read_session(engine) as s:
        review = review_damage(s, get_project(s, P), "plan")
    assert review.version == 1 and review.rejected == []
    assert sorted((w.kind, w.repair is not None) for w in review.open).count(("page_furniture", True)) == 8
    assert [w.kind for w in review.open if w.repair is None] == ["truncation"]
    header = review.open[0]
    assert (header.id, header.repair.start, header.repair.end) == ("page_furniture:0", 0, len(HEADER) + 2)
    hyphen = next(w for w in review.open if w.kind == "hyphenation")
    assert hyphen.preview == "en versterken en de kennisuitwisseling tussen bedrijven en"
    ids = [w.id for w in review.repairable]
    with write_session(engine) as s, pytest.raises(Refused, match=r"changes 1 segment\(s\) of Bram"):
        apply_repairs(s, get_project(s, P), "plan", ids, actor="Anna", version=1)
    with read_session(engine) as s:
        preview = apply_repairs(s, get_project(s, P), "plan", ids, actor="Anna", version=1, dry_run=True)
    assert not preview.edit.written and preview.taken_in == []
    assert {(t.coder, t.before_text, t.after_text) for t in preview.edit.touched} == {
        ("Anna", "kennisuitwisse-\nling", "kennisuitwisseling"), ("Anna", HEADER, None),
        ("Bram", "experimen-\nteren", "experimenteren")}
    before = codings(engine)
    with write_session(engine) as s:
        done = apply_repairs(s, get_project(s, P), "plan", ids, actor="Anna", version=1, confirm_others=True)
    assert done.edit.written and done.edit.version == 2 and len(done.applied) == 16
    assert codings(engine) == {"vc.immediate": (2, "kennisuitwisseling", 2, False),
                               "vc.applied": (2, f"3. {CHAPTERS[2]}", 3, False),
                               "vc.potential": (1, HEADER, 1, True),  # its text went: kept for review
                               "vc.realised": (2, "experimenteren", 4, False)}
    with read_session(engine) as s:
        project = get_project(s, P)
        document = get_document(s, project, "plan")
        version = current_text_version(s, document)
        assert version.text == REPAIRED
        assert version.pages[:4] == [REPAIRED.index(page) for page in PAGES]  # each page starts at its chapter
        turns = s.execute(select(Turn.start, Turn.end).where(Turn.text_version_id == version.id)
                          .order_by(Turn.ordinal)).all()
        assert [REPAIRED[a:b] for a, b in turns] == [p for page in PAGES for p in page.split("\n\n")]
        assert s.scalar(select(func.count()).select_from(Sentence).where(Sentence.text_version_id == version.id)) >= 8
        edit = s.scalars(select(Event).where(Event.action == "edit")).one()
        assert edit.after["why"] == "repair" and "kennisuitwisseling" not in json.dumps(edit.after)
        assert review_damage(s, project, "plan").open == []
        assert all(not v for v in log_disagreements(s, project).values())
    with write_session(engine) as s:
        undo_edit(s, get_project(s, P), "plan", actor="Anna")
    assert codings(engine) == before
    with read_session(engine) as s:
        assert current_text_version(s, get_document(s, get_project(s, P), "plan")).text == ORIGINAL


def test_stale_unknown_and_unrepairable_ids_are_refused_in_one_line(engine):
    build(engine)
    with read_session(engine) as s:
        truncation = next(w.id for w in review_damage(s, get_project(s, P), "plan").open if w.kind == "truncation")
    stale = r"changed since its warnings were listed \(text version 2, now 1\): look at them again"
    unknown = r"'plan' \(text version 1\) has no warning hyphenation:140; list them again"
    for ids, version, message in ((["hyphenation:139"], 2, stale), (["hyphenation:140"], None, unknown),
                                  ([truncation], 1, f"{truncation} has no proposed repair \\(truncation\\)"),
                                  ([], 1, "no repair chosen")):
        with write_session(engine) as s, pytest.raises(Refused, match=message):
            apply_repairs(s, get_project(s, P), "plan", ids, actor="Anna", version=version)
    with read_session(engine) as s:
        assert current_text_version(s, get_document(s, get_project(s, P), "plan")).version == 1


def test_rejected_warnings_stay_hidden_on_later_text_versions_until_reconsidered(engine):
    build(engine)
    kept = ["hyphenation:139", "page_furniture:331"]  # page 1's first hyphen and its page number
    with write_session(engine) as s:
        assert reject_warnings(s, get_project(s, P), "plan", kept, actor="Anna", version=1) == 2
    with read_session(engine) as s:
        review = review_damage(s, get_project(s, P), "plan")
        assert [w.id for w in review.rejected] == kept and not set(kept) & {w.id for w in review.open}
        logged = json.dumps(s.scalars(select(Event).where(Event.action == "reject repair")).one().after)
        assert "hyphenation" in logged and "kennisuitwisse" not in logged  # kinds and places, never the text
    with write_session(engine) as s:
        apply_repairs(s, get_project(s, P), "plan", [w.id for w in review.repairable], actor="Anna",
                      confirm_others=True)
    with read_session(engine) as s:
        review = review_damage(s, get_project(s, P), "plan")
        text = current_text_version(s, get_document(s, get_project(s, P), "plan")).text
    assert review.version == 2 and review.open == []
    assert [text[w.start:w.end] for w in review.rejected] == ["kennisuitwisse-\nling", "Pagina 1 van 5"]
    with write_session(engine) as s:
        assert reconsider_warnings(s, get_project(s, P), "plan", [review.rejected[1].id], actor="Anna") == 1
    with read_session(engine) as s:
        review = review_damage(s, get_project(s, P), "plan")
    assert [text[w.start:w.end] for w in review.open] == ["Pagina 1 van 5"]
    assert [text[w.start:w.end] for w in review.rejected] == ["kennisuitwisse-\nling"]
    with write_session(engine) as s:  # the repairs undone: the first text's rejections count again
        undo_edit(s, get_project(s, P), "plan", actor="Anna")
    with read_session(engine) as s:
        assert [w.id for w in review_damage(s, get_project(s, P), "plan").rejected] == kept
    with write_session(engine) as s:  # another kind of edit: found by the lines it left unchanged
        edit_turn(s, get_project(s, P), "plan", 14, "Het netwerk wil meer.", actor="Anna")
    with read_session(engine) as s:
        review = review_damage(s, get_project(s, P), "plan")
    assert review.version == 2 and [w.id for w in review.rejected] == kept


def test_furniture_in_a_speakers_turn_goes_without_leaving_the_turn(engine):
    text = ("I: Hoe begon het?\nR: We begonnen klein en\nKOP\ngroeiden snel en\nKOP\nbleven groeien.\nKOP\n"
            "I: En toen?\nR: Toen ging het goed.\n")
    with write_session(engine) as s:
        interview_study(s, P, text, {"I": "interviewer", "R": "respondent"})
    with read_session(engine) as s:
        review = review_damage(s, get_project(s, P), "gesprek")
    last = review.open[-1]
    assert last.repair.end == last.end  # the line break before it goes, not the one into the next turn
    with write_session(engine) as s:
        done = apply_repairs(s, get_project(s, P), "gesprek", [w.id for w in review.open], actor="Anna")
    assert done.edit.turns == [2]
    with read_session(engine) as s:
        version = current_text_version(s, get_document(s, get_project(s, P), "gesprek"))
        turns = s.execute(select(Turn.start, Turn.end).where(Turn.text_version_id == version.id)
                          .order_by(Turn.ordinal)).all()
        text = version.text
    assert text == ("I: Hoe begon het?\nR: We begonnen klein en\ngroeiden snel en\nbleven groeien.\n"
                            "I: En toen?\nR: Toen ging het goed.\n")
    assert [text[a:b] for a, b in turns][1:3] == [
        "R: We begonnen klein en\ngroeiden snel en\nbleven groeien.", "I: En toen?"]


def test_damage_review_on_the_command_line(capsys, db_url, tmp_path):
    (tmp_path / "plan.pdf").write_bytes(network_plan())
    base = ["--db", db_url, "--as", "Anna"]
    assert cli.main([*base, "project-create", P]) == 0
    assert cli.main([*base, "import", "--project", P, "--case", "Oost", str(tmp_path / "plan.pdf")]) == 0
    doc = ["--project", P, "--document", "plan"]
    capsys.readouterr()
    assert cli.main([*base, "damage", *doc, "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed) == 17 and listed[1]["id"] == "hyphenation:139"
    assert listed[1]["replacement"] == {"start": 153, "end": 155, "text": ""}
    assert listed[1]["repair"] == "en versterken en de kennisuitwisseling tussen bedrijven en"
    assert cli.main([*base, "damage", *doc]) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0].split() == ["id", "kind", "context", "repair"] and "truncation:1349" in table
    assert cli.main([*base, "damage-repair", *doc, "--accept", "hyphenation:139", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would make text version 2: 1 repair(s)" in out and "nothing was changed (--dry-run)" in out
    assert cli.main([*base, "damage-repair", *doc, "--accept", "hyphenation:1"]) == 1
    assert "has no warning hyphenation:1; list them again" in capsys.readouterr().err
    assert cli.main([*base, "damage-repair", *doc, "--reject", "truncation:1349", "hyphenation:139", "--all",
                     "--version", "1"]) == 0
    out = capsys.readouterr().out
    assert "kept 2 place(s) as they are" in out and "text version 2 of 'plan': 15 repair(s)" in out
    assert cli.main([*base, "damage", *doc, "--rejected", "--format", "json"]) == 0
    assert [(w["kind"], w["status"]) for w in json.loads(capsys.readouterr().out)] == [("hyphenation", "rejected")]
    assert cli.main([*base, "damage-repair", *doc, "--accept", "hyphenation:139", "--version", "1"]) == 1  # stale
    assert "version" in capsys.readouterr().err
    with read_session(get_engine(db_url)) as s:
        text = current_text_version(s, get_document(s, get_project(s, P), "plan")).text
    assert text == REPAIRED.replace("kennisuitwisseling", "kennisuitwisse-\nling", 1)


def test_the_documents_page_reviews_the_damage(monkeypatch, sqlite_url):
    engine = get_engine(sqlite_url)
    build(engine)
    at, document = open_page(monkeypatch, sqlite_url, P, "pages/documents.py", coder="Anna", document="plan")
    assert "17 possible extraction damage place(s) to review" in [e.label for e in at.expander]
    assert [m.value for m in at.markdown if m.value.startswith("¶1")]  # a paragraph is named ¶N, as it is cited
    assert not [m.value for m in at.markdown if "· unknown" in m.value]
    texts = [t.value for t in at.text]  # before and after, as text
    assert "en versterken en de kennisuitwisse-⏎ling tussen bedrijven en" in texts
    assert "en versterken en de kennisuitwisseling tussen bedrijven en" in texts
    at.checkbox(key=f"damage_pick_{document}_1_truncation:1349").check()
    at.button(key=f"damage_reject_{document}").click().run()
    assert not at.exception, at.exception
    assert shown(at.success) == ["Kept 1 place(s) as they are; they are no longer listed."]
    at.checkbox(key=f"damage_pick_{document}_1_hyphenation:139").check()
    at.button(key=f"damage_apply_{document}").click().run()
    assert not at.exception, at.exception
    assert shown(at.success) == ["Repaired 1 place(s): text version 2, 4 segment(s) carried, 0 changed."]
    at.button(key=f"damage_all_{document}").click().run()  # Bram's segment changes too: first a confirmation
    assert shown(at.warning) == ["These 15 repair(s) change 1 segment(s) of Bram: look at them before applying."]
    assert "experimen-\nteren" in [t.value for t in at.text]
    assert at.button(key=f"damage_confirm_{document}").disabled
    at.checkbox(key=f"damage_sure_{document}").check().run()
    at.button(key=f"damage_confirm_{document}").click().run()
    assert not at.exception, at.exception
    assert shown(at.success) == [("Repaired 15 place(s): text version 3, 3 segment(s) carried, 3 changed, 1 kept "
                                  "for review (their text was deleted).")]
    assert not any("extraction damage" in e.label for e in at.expander)
    with read_session(engine) as s:
        assert current_text_version(s, get_document(s, get_project(s, P), "plan")).text == REPAIRED


def test_a_refused_repair_on_the_page_is_one_line(monkeypatch, sqlite_url):
    engine = get_engine(sqlite_url)
    build(engine)
    at, document = open_page(monkeypatch, sqlite_url, P, "pages/documents.py", coder="Anna", document="plan")
    at.checkbox(key=f"damage_pick_{document}_1_truncation:1349").check()
    at.button(key=f"damage_apply_{document}").click().run()
    assert not at.exception
    assert shown(at.error) == [("Choose warnings that have a proposed repair (the others can be rejected or "
                                "corrected by hand).")]
    with write_session(engine) as s:  # someone else repairs meanwhile
        apply_repairs(s, get_project(s, P), "plan", ["hyphenation:139"], actor="Bram")
    at.checkbox(key=f"damage_pick_{document}_1_truncation:1349").uncheck()
    at.checkbox(key=f"damage_pick_{document}_1_hyphenation:292").check()
    at.button(key=f"damage_apply_{document}").click().run()
    assert not at.exception
    assert shown(at.error) == ["The text changed since you chose (text version 1, now 2): look at the warnings again."]
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Coder)) == 2


def test_taking_whole_turns_away_is_checked(engine):
    build(engine)
    from coding.text_edits import replace_spans

    header_turn = (0, len(HEADER) + 2, "")  # turn 1 with the blank line after it
    for replacements, dropping, message in (
            ([], [1], "turn 1 would go, but no change takes it away"),
            ([(0, 5, "")], [2], "turn 2 would go, but no change takes it away"),
            ([header_turn], [2], "a change at 0–29 is not inside one turn"),  # turn 1 is not said to go
            ([header_turn], [17], "'plan' has turns 1 to 16, not 17"),
            ([(0, len(ORIGINAL), "")], range(1, 17), "would take away every turn of 'plan'"),
            ([header_turn, (len(HEADER) + 2, 250, "")], [1], "a change at 29–250 is not inside one turn")):
        with write_session(engine) as s, pytest.raises(Refused, match=message):
            replace_spans(s, get_project(s, P), "plan", replacements, actor="Anna", why="test", dropping=dropping)
    with write_session(engine) as s:
        edit = replace_spans(s, get_project(s, P), "plan", [header_turn], actor="Anna", why="test", dropping=[1],
                             confirm_others=True)
    assert edit.written and edit.turns == [1]
    with read_session(engine) as s:
        version = current_text_version(s, get_document(s, get_project(s, P), "plan"))
        assert version.text == ORIGINAL[len(HEADER) + 2:]
        assert s.scalar(select(func.count()).select_from(Turn).where(Turn.text_version_id == version.id)) == 15
        last = s.execute(select(Turn.start, Turn.end).where(Turn.text_version_id == version.id)
                         .order_by(Turn.ordinal.desc())).first()
        before = s.execute(select(Turn.end).where(Turn.text_version_id == version.id, Turn.ordinal == 13)).scalar()
    with write_session(engine) as s:  # the last turn goes with the break before it: the edit names turn 15
        edit = replace_spans(s, get_project(s, P), "plan", [(before, last.end, "")], actor="Anna", why="test",
                             dropping=[15], confirm_others=True)
    assert edit.written and edit.turns == [15]
