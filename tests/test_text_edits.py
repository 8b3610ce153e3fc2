"""Editing a turn after coding (issue 14), on both databases: a new text version, every segment carried by the
diff, turns and sentences rebuilt, a wholly deleted segment kept for review, other coders' segments changed only
when confirmed, the log true (replay) and free of the text, and undo putting everything back exactly."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from apptest_support import shown  # noqa: E402
from study_support import interview_study, open_page, span_of  # noqa: E402

import cli
from cases.documents import current_text_version, document_text
from cases.projects import get_document, get_or_create_coder, get_project
from coding.codings import apply_coding
from coding.text_edits import edit_turn, join_turns, review_list, split_turn, undo_edit
from store.db import get_engine, read_session, write_session
from store.errors import Refused
from store.models import Event, Segment, Sentence, TextVersion, Turn
from store.replay import log_disagreements

P = "Bewerken"
TEXT = ("I: Wat leverde het netwerk op?\n"
        "R: Nieuwe contacten in Enschde. We hebben daarna samen een subsidie aangevraagd. Dat was spannend.\n"
        "I: En verder?\n"
        "R: Ik kijk nu anders naar wat succes is.\n")
OLD_TURN = "Nieuwe contacten in Enschde. We hebben daarna samen een subsidie aangevraagd. Dat was spannend."
NEW_TURN = "Nieuwe contacten in Enschede. We hebben samen een Europese subsidie aangevraagd."


def span(text: str) -> tuple[int, int]:
    return span_of(TEXT, text)


def build(engine) -> None:  # type: ignore[no-untyped-def]
    with write_session(engine) as s:
        project, _, document = interview_study(s, P, TEXT, {"I": "interviewer", "R": "respondent"})
        anna, _ = get_or_create_coder(s, project, "Anna")
        bram, _ = get_or_create_coder(s, project, "Bram")
        for coder, text, code in ((anna, "Nieuwe contacten in Enschde", "vc.immediate"),
                                  (anna, "daarna samen een subsidie aangevraagd", "vc.applied"),
                                  (anna, "Dat was spannend", "vc.potential"),
                                  (anna, "Ik kijk nu anders naar wat succes is.", "vc.transformative"),
                                  (bram, "een subsidie", "vc.applied")):
            apply_coding(s, project, document, coder, *span(text), [code], actor=coder.name)


def segments(engine) -> dict[tuple[str, str], tuple[int, int, int, bool, str]]:  # type: ignore[no-untyped-def]
    """(coder, code) -> (version, start, end, needs review, text)."""
    from store.models import Code, Coder, Coding

    with read_session(engine) as s:
        rows = s.execute(select(Coder.name, Code.key, TextVersion.version, Segment.start, Segment.end,
                                Segment.needs_review, TextVersion.text)
                         .join(Segment, Segment.coder_id == Coder.id).join(Coding, Coding.segment_id == Segment.id)
                         .join(Code, Code.id == Coding.code_id)
                         .join(TextVersion, TextVersion.id == Segment.text_version_id)).all()
    return {(c, k): (v, a, b, r, text[a:b]) for c, k, v, a, b, r, text in rows}


def test_an_edited_turn_carries_every_segment_and_undo_puts_them_back(engine):
    build(engine)
    before = segments(engine)
    with write_session(engine) as s:
        preview = edit_turn(s, get_project(s, P), "gesprek", 2, NEW_TURN, actor="Anna", dry_run=True)
    assert not preview.written
    assert {(t.coder, t.before_text, t.after_text) for t in preview.touched} == {
        ("Anna", "Nieuwe contacten in Enschde", "Nieuwe contacten in Enschede"),
        ("Anna", "daarna samen een subsidie aangevraagd", "samen een Europese subsidie aangevraagd"),
        ("Anna", "Dat was spannend", None),
        ("Bram", "een subsidie", "een Europese subsidie")}  # a word inserted inside a segment grows it
    assert segments(engine) == before  # a preview writes nothing
    with write_session(engine) as s:
        edited = edit_turn(s, get_project(s, P), "gesprek", 2, NEW_TURN, actor="Anna", confirm_others=True)
    assert edited.written and edited.version == 2 and edited.carried == 4
    after = segments(engine)
    assert after[("Anna", "vc.immediate")][1:] == (TEXT.index("Nieuwe"), TEXT.index("Nieuwe") + 28, False,
                                                   "Nieuwe contacten in Enschede")
    assert after[("Anna", "vc.applied")][4] == "samen een Europese subsidie aangevraagd"
    assert after[("Bram", "vc.applied")][0::4] == (2, "een Europese subsidie")
    assert after[("Anna", "vc.transformative")][0::4] == (2, "Ik kijk nu anders naar wat succes is.")
    assert after[("Anna", "vc.potential")] == (1, *before[("Anna", "vc.potential")][1:3], True, "Dat was spannend")
    with read_session(engine) as s:
        project = get_project(s, P)
        document = get_document(s, project, "gesprek")
        text = document_text(s, document)
        assert text == TEXT.replace(OLD_TURN, NEW_TURN)
        version = current_text_version(s, document)
        turns = s.execute(select(Turn.start, Turn.content_start, Turn.end).where(Turn.text_version_id == version.id)
                          .order_by(Turn.ordinal)).all()
        assert [text[c:e] for _, c, e in turns] == ["Wat leverde het netwerk op?", NEW_TURN, "En verder?",
                                                    "Ik kijk nu anders naar wat succes is."]
        sentences = [text[a:b] for a, b in s.execute(select(Sentence.start, Sentence.end).where(
            Sentence.text_version_id == version.id).order_by(Sentence.ordinal))]
        assert sentences == ["Wat leverde het netwerk op?", "Nieuwe contacten in Enschede.",
                             "We hebben samen een Europese subsidie aangevraagd.", "En verder?",
                             "Ik kijk nu anders naar wat succes is."]
        assert [(r.document, r.coder, r.codes, r.text) for r in review_list(s, project)] == [
            ("gesprek", "Anna", ["vc.potential"], "Dat was spannend")]
        edit = s.scalars(select(Event).where(Event.action == "edit")).one()
        assert "spannend" not in json.dumps(edit.before) + json.dumps(edit.after)  # the log holds no text
        assert all(not v for v in log_disagreements(s, project).values())
    with write_session(engine) as s, pytest.raises(Refused, match="only they can undo it"):
        undo_edit(s, get_project(s, P), "gesprek", actor="Bram")
    with write_session(engine) as s:
        undo_edit(s, get_project(s, P), "gesprek", actor="Anna")
    assert segments(engine) == before
    with read_session(engine) as s:
        project = get_project(s, P)
        assert document_text(s, get_document(s, project, "gesprek")) == TEXT
        assert s.scalar(select(func.count()).select_from(TextVersion)) == 1
        assert review_list(s, project) == []
        assert all(not v for v in log_disagreements(s, project).values())


def test_another_coders_segments_change_only_when_confirmed(engine):
    build(engine)
    with write_session(engine) as s, pytest.raises(Refused, match="changes 1 segment\\(s\\) of Bram"):
        edit_turn(s, get_project(s, P), "gesprek", 2, NEW_TURN.replace("een Europese subsidie", "een beurs"),
                  actor="Anna")
    with write_session(engine) as s:
        edited = edit_turn(s, get_project(s, P), "gesprek", 2,
                           NEW_TURN.replace("een Europese subsidie", "een beurs"), actor="Anna", confirm_others=True)
    assert [t.after_text for t in edited.others("Anna")] == ["een beurs"]  # the word replaced inside his segment


def test_undo_is_refused_once_the_new_text_is_coded(engine):
    build(engine)
    with write_session(engine) as s:
        edit_turn(s, get_project(s, P), "gesprek", 4, "Ik kijk nu heel anders naar wat succes is.", actor="Anna")
    with write_session(engine) as s:
        project = get_project(s, P)
        document = get_document(s, project, "gesprek")
        bram, _ = get_or_create_coder(s, project, "Bram")
        text = document_text(s, document)
        apply_coding(s, project, document, bram, text.index("heel"), text.index("heel") + 4, ["vc.realised"],
                     actor="Bram")
    with write_session(engine) as s, pytest.raises(Refused, match="coded since \\(changed by Bram a moment ago\\)"):
        undo_edit(s, get_project(s, P), "gesprek", actor="Anna")


@pytest.mark.parametrize(("turn", "text", "message"), [
    (9, "x", "'gesprek' has turns 1 to 4, not 9"),
    (2, "   ", "a turn needs some text"),
    (3, "En verder?", "turn 3 already reads like that; nothing changed"),
])
def test_wrong_edits_are_refused_in_one_line(engine, turn, text, message):
    build(engine)
    with write_session(engine) as s, pytest.raises(Refused, match=message.replace("?", "\\?")):
        edit_turn(s, get_project(s, P), "gesprek", turn, text, actor="Anna")


def test_text_edit_on_the_command_line(capsys, db_url, engine, tmp_path):
    build(engine)
    base = ["--db", db_url, "--as", "Anna", "text-edit", "--project", P, "--document", "gesprek", "--turn", "2"]
    capsys.readouterr()
    assert cli.main([*base, "--text", NEW_TURN, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "Dat was spannend" in out and "(all of it deleted: needs review)" in out and "nothing was changed" in out
    (tmp_path / "turn.txt").write_text(NEW_TURN.replace("een Europese subsidie", "een beurs"), encoding="utf-8")
    assert cli.main([*base, "--from-file", str(tmp_path / "turn.txt")]) == 1
    assert "changes 1 segment(s) of Bram" in capsys.readouterr().err
    assert cli.main([*base, "--from-file", str(tmp_path / "turn.txt"), "--confirm-others"]) == 0
    assert "text version 2" in capsys.readouterr().out
    assert cli.main(["--db", db_url, "--as", "Anna", "text-edit", "--project", P, "--document", "gesprek",
                     "--undo"]) == 0
    with read_session(engine) as s:
        assert document_text(s, get_document(s, get_project(s, P), "gesprek")) == TEXT


def test_the_documents_page_previews_saves_and_undoes_an_edit(monkeypatch, sqlite_url):
    engine = get_engine(sqlite_url)
    build(engine)
    at, document = open_page(monkeypatch, sqlite_url, P, "pages/documents.py", coder="Anna", document="gesprek")
    at.number_input(key=f"edit_turn_{document}").set_value(2).run()
    at.text_area(key=f"edit_text_{document}_2").input(NEW_TURN).run()
    assert not at.exception, at.exception
    texts = [t.value for t in at.text]
    assert "daarna samen een subsidie aangevraagd" in texts and "samen een Europese subsidie aangevraagd" in texts
    assert any("all of its text is deleted" in c for c in shown(at.caption))
    save = at.button(key=f"edit_save_{document}")
    assert save.disabled  # Bram's segment changes too: not before the tick
    at.checkbox(key=f"edit_sure_{document}").check().run()
    at.button(key=f"edit_save_{document}").click().run()
    assert not at.exception, at.exception
    assert shown(at.success) == ["Saved turn 2: 4 segment(s) carried, 4 changed, 1 kept for review (their text "
                                 "was deleted)."]
    assert any(e.label == "1 segment(s) need review after an edit" for e in at.expander)
    assert "Dat was spannend" in [t.value for t in at.text]
    at.button(key=f"edit_undo_{document}").click().run()
    assert shown(at.success) == ["Undid the edit of turn 2: the previous text and every segment are back."]
    with read_session(engine) as s:
        assert document_text(s, get_document(s, get_project(s, P), "gesprek")) == TEXT


def test_the_matrices_say_when_segments_wait_for_review(monkeypatch, sqlite_url):
    engine = get_engine(sqlite_url)
    build(engine)
    with write_session(engine) as s:
        edit_turn(s, get_project(s, P), "gesprek", 2, NEW_TURN, actor="Anna", confirm_others=True)
    at, _ = open_page(monkeypatch, sqlite_url, P, "pages/matrices.py", coder="Anna")
    assert shown(at.warning)[0].startswith("1 segment(s) lost all their text in a transcript edit")


def test_correcting_a_speaker_after_coding(capsys, db_url, engine):
    from coding.speaker_edits import set_speaker
    from store.models import Speaker

    build(engine)
    with write_session(engine) as s:
        project = get_project(s, P)
        from cases.projects import create_person

        create_person(s, project, "Anja Hoekstra", pseudonym="R1")
    with write_session(engine) as s:
        change = set_speaker(s, get_project(s, P), "gesprek", "R", role="participant", person="Anja Hoekstra",
                             new_label="Anja", actor="Anna")
    assert change.changes["role"] == "participant" and change.edit is not None and change.edit.turns == [2, 4]
    before = segments(engine)
    with read_session(engine) as s:
        project = get_project(s, P)
        text = document_text(s, get_document(s, project, "gesprek"))
        assert text == TEXT.replace("R: ", "Anja: ")
        speaker = s.scalars(select(Speaker).where(Speaker.label == "Anja")).one()
        assert speaker.role == "participant" and speaker.person_id is not None
    assert all(v[4] in TEXT for v in before.values())  # every coded text is still the same text
    capsys.readouterr()
    assert cli.main(["--db", db_url, "--as", "Anna", "speaker-set", "--project", P, "--document", "gesprek",
                     "--label", "Anja", "--role", "cook"]) == 1
    assert "a speaker's role is one of interviewer" in capsys.readouterr().err
    assert cli.main(["--db", db_url, "--as", "Anna", "speaker-set", "--project", P, "--document", "gesprek",
                     "--label", "I", "--new-label", "Anja"]) == 1
    assert "already has a speaker labelled 'Anja'" in capsys.readouterr().err
    assert cli.main(["--db", db_url, "--as", "Anna", "speaker-set", "--project", P, "--document", "gesprek",
                     "--label", "I", "--new-label", "Interviewer"]) == 0
    assert "the label was rewritten in turns 1, 3" in capsys.readouterr().out


def test_the_documents_page_corrects_a_speaker(monkeypatch, sqlite_url):
    engine = get_engine(sqlite_url)
    build(engine)
    at, document = open_page(monkeypatch, sqlite_url, P, "pages/documents.py", coder="Anna", document="gesprek")
    at.selectbox(key=f"speaker_label_{document}").set_value("R")
    at.selectbox(key=f"speaker_role_{document}").set_value("participant")
    at.text_input(key=f"speaker_new_{document}").input("Deelnemer")
    next(b for b in at.button if b.label == "Save speaker").click()
    at.run()
    assert not at.exception, at.exception
    assert shown(at.success) == ["Speaker 'Deelnemer': role participant, label Deelnemer."]
    with read_session(engine) as s:
        assert document_text(s, get_document(s, get_project(s, P), "gesprek")) == TEXT.replace("R: ", "Deelnemer: ")


def test_splitting_and_joining_turns(capsys, db_url, engine):
    build(engine)
    at = OLD_TURN.index("We hebben")
    with write_session(engine) as s:
        split = split_turn(s, get_project(s, P), "gesprek", 2, at, actor="Anna", confirm_others=True)
    assert split.turns == [2]
    expected = TEXT.replace("Enschde. We hebben", "Enschde. \nR: We hebben")
    with read_session(engine) as s:
        document = get_document(s, get_project(s, P), "gesprek")
        text = document_text(s, document)
        version = current_text_version(s, document)
        turns = [text[c:e] for c, e in s.execute(select(Turn.content_start, Turn.end).where(
            Turn.text_version_id == version.id).order_by(Turn.ordinal))]
    assert text == expected
    assert turns == ["Wat leverde het netwerk op?", "Nieuwe contacten in Enschde. ",
                     "We hebben daarna samen een subsidie aangevraagd. Dat was spannend.", "En verder?",
                     "Ik kijk nu anders naar wat succes is."]
    assert segments(engine)[("Anna", "vc.applied")][4] == "daarna samen een subsidie aangevraagd"
    with write_session(engine) as s:
        joined = join_turns(s, get_project(s, P), "gesprek", 2, actor="Anna")
    assert joined.turns == [2]
    with read_session(engine) as s:
        assert document_text(s, get_document(s, get_project(s, P), "gesprek")) == TEXT.replace(
            "Enschde. We", "Enschde.  We")
        assert all(not v for v in log_disagreements(s, get_project(s, P)).values())
    capsys.readouterr()
    assert cli.main(["--db", db_url, "--as", "Anna", "text-edit", "--project", P, "--document", "gesprek",
                     "--turn", "4", "--join"]) == 1
    assert "join one of 1 to 3 with the next" in capsys.readouterr().err
    assert cli.main(["--db", db_url, "--as", "Anna", "text-edit", "--project", P, "--document", "gesprek",
                     "--turn", "3", "--split-at", "3"]) == 0
    assert "turn 3 edited" in capsys.readouterr().out


def test_editing_a_range_of_turns_in_one_version(capsys, db_url, engine, tmp_path):
    build(engine)
    (tmp_path / "turns.txt").write_text(f"{NEW_TURN}\nEn wat nog meer?\n", encoding="utf-8")
    base = ["--db", db_url, "--as", "Anna", "text-edit", "--project", P, "--document", "gesprek", "--turn", "2"]
    capsys.readouterr()
    assert cli.main([*base, "--to", "4", "--from-file", str(tmp_path / "turns.txt")]) == 1
    assert "turns 2 to 4 are 3 turns: give one text for each (one line each), not 2" in capsys.readouterr().err
    assert cli.main([*base, "--to", "3", "--from-file", str(tmp_path / "turns.txt"), "--confirm-others"]) == 0
    assert "turns 2, 3 edited" in capsys.readouterr().out
    with read_session(engine) as s:
        assert document_text(s, get_document(s, get_project(s, P), "gesprek")) == TEXT.replace(
            OLD_TURN, NEW_TURN).replace("En verder?", "En wat nog meer?")


def test_the_command_line_matrix_says_when_segments_wait_for_review(capsys, db_url, engine):
    build(engine)
    with write_session(engine) as s:
        edit_turn(s, get_project(s, P), "gesprek", 2, NEW_TURN, actor="Anna", confirm_others=True)
    capsys.readouterr()
    assert cli.main(["--db", db_url, "--as", "Anna", "matrix", "--project", P, "--rows", "cases", "--cols",
                     "codebook:vc", "--format", "json"]) == 0
    assert "1 segment(s) lost all their text in a transcript edit" in capsys.readouterr().err


def test_an_edit_at_a_turns_end_stays_in_the_turn_and_its_last_sentence(engine):
    build(engine)
    new = "Ik kijk nu anders naar wat geluk betekent"
    with write_session(engine) as s:
        edit_turn(s, get_project(s, P), "gesprek", 4, new, actor="Anna")
    with read_session(engine) as s:
        document = get_document(s, get_project(s, P), "gesprek")
        text = document_text(s, document)
        version = current_text_version(s, document)
        last_turn = s.execute(select(Turn.content_start, Turn.end).where(Turn.text_version_id == version.id)
                              .order_by(Turn.ordinal.desc())).first()
        last_sentence = s.execute(select(Sentence.start, Sentence.end).where(
            Sentence.text_version_id == version.id).order_by(Sentence.ordinal.desc())).first()
    assert text[last_turn[0]:last_turn[1]] == new
    assert text[last_sentence[0]:last_sentence[1]] == new
