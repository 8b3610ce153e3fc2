"""Undo and redo beyond the Coding page, on both databases: a framework cell, the memos, a focus-group session.

Sanne and Lieke work on one project. Each test takes Sanne's own last change on the object a page shows back and
does it again, and checks that a change Lieke made after hers stops the undo, with Lieke's work left exactly as
it was.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from test_undo import SPAN, TEXT  # the same interview as the Coding page's undo tests

from analysis.framework_matrix import pin_quote, save_cell, unpin_quote
from analysis.framework_undo import cell_undoable
from cases.importer import SpeakerDecision, preview_import, store_import
from cases.projects import create_case, create_project, get_or_create_coder
from codebooks.service import adopt_codebook
from coding.codings import apply_coding
from coding.memos import add_memo, delete_memo, get_memo, memo_undoable, update_memo
from focusgroups.feedback import feedback_undoable, promote_to_code, record_feedback
from focusgroups.sessions import create_session, get_session
from store.db import read_session, write_session
from store.errors import Refused
from store.history import do_again, offer, take_back
from store.models import CellQuote, Event, Feedback, FrameworkCell, Memo


@pytest.fixture
def study(engine):  # type: ignore[no-untyped-def]
    with write_session(engine) as s:
        project = create_project(s, "Samen")
        adopt_codebook(s, project, "value-creation")
        oost = create_case(s, project, "Oost")
        create_case(s, project, "West")
        speakers = {"I": SpeakerDecision("interviewer"), "R": SpeakerDecision("respondent")}
        document = store_import(s, project, preview_import("interview_oost.txt", TEXT.encode()), cases=[oost],
                                speakers=speakers)
        sanne, _ = get_or_create_coder(s, project, "Sanne")
        get_or_create_coder(s, project, "Lieke")
        start = TEXT.index(SPAN)
        segment = apply_coding(s, project, document, sanne, start, start + len(SPAN), ["vc.applied"], actor="Sanne")
        later = TEXT.index("Daarna hebben")
        second = apply_coding(s, project, document, sanne, later, later + 20, ["vc.applied"], actor="Sanne")
        create_session(s, project, "Sessie 2", date(2026, 11, 20), actor="Sanne")
    return project, str(segment.guid), str(second.guid)


def _cell(engine) -> tuple | None:  # type: ignore[no-untyped-def]
    """Oost x vc.applied as stored: its guid, fields and pinned segments (None: not stored)."""
    with read_session(engine) as s:
        cell = s.scalar(select(FrameworkCell))
        if cell is None:
            return None
        quotes = [q.segment_id for q in sorted(cell.quotes, key=lambda q: q.position)]
        return cell.guid, cell.state, cell.rating, cell.summary, cell.validation, quotes


def _cell_offer(engine, project, who: str, action: str = "undo"):  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        return offer(s, project, who, cell_undoable(s, project, "Oost", "vc.applied"), action)


def _run_cell(engine, project, who: str, action: str = "undo") -> str:  # type: ignore[no-untyped-def]
    with write_session(engine) as s:
        run = take_back if action == "undo" else do_again
        return run(s, project, who, cell_undoable(s, project, "Oost", "vc.applied"))


def test_a_cell_change_is_undone_to_exactly_what_was_stored_and_redone(engine, study) -> None:  # type: ignore[no-untyped-def]
    project, _segment, _second = study
    assert _cell_offer(engine, project, "Sanne") is None
    with write_session(engine) as s:
        save_cell(s, project, "Oost", "vc.applied", rating=3, summary="Ze werken anders samen.", actor="Sanne")
    saved = _cell(engine)
    offered = _cell_offer(engine, project, "Sanne")
    assert offered.label == ("↶ Undo: saving state – → assessed, rating – → 3, the summary on Oost × "
                             "Applied value")
    assert offered.blocked is None
    assert _cell_offer(engine, project, "Lieke") is None  # only ever your own change
    _run_cell(engine, project, "Sanne")
    assert _cell(engine) is None  # a cell that was not stored is not stored again (not "not assessed")
    assert _cell_offer(engine, project, "Sanne") is None
    assert _cell_offer(engine, project, "Sanne", "redo").label.startswith("↷ Redo: saving state – → assessed")
    _run_cell(engine, project, "Sanne", "redo")
    assert _cell(engine) == saved  # the same guid, fields and pins

    with write_session(engine) as s:
        save_cell(s, project, "Oost", "vc.applied", rating=2, validation="discussed", actor="Sanne")
    assert _cell_offer(engine, project, "Sanne").description == \
        "saving rating 3 → 2, validation proposed → discussed on Oost × Applied value"
    _run_cell(engine, project, "Sanne")
    assert _cell(engine) == saved
    with read_session(engine) as s:
        undo_event = s.scalar(select(Event).where(Event.action == "undo").order_by(Event.id.desc()).limit(1))
        assert (undo_event.actor, undo_event.entity, undo_event.entity_guid) == ("Sanne", "framework_cell", saved[0])


def test_pins_come_back_in_order_and_only_while_their_segment_is_the_cells(engine, study) -> None:  # type: ignore[no-untyped-def]
    project, segment, second = study
    with write_session(engine) as s:
        pin_quote(s, project, "Oost", "vc.applied", segment, actor="Sanne")
        pin_quote(s, project, "Oost", "vc.applied", second, headline=True, actor="Sanne")
    both = _cell(engine)
    assert len(both[5]) == 2
    with write_session(engine) as s:
        unpin_quote(s, project, "Oost", "vc.applied", second, actor="Sanne")
    assert _cell_offer(engine, project, "Sanne").description.startswith("unpinning “Daarna hebben we het")
    _run_cell(engine, project, "Sanne")
    assert _cell(engine) == both  # the headline is back first
    _run_cell(engine, project, "Sanne", "redo")
    assert len(_cell(engine)[5]) == 1


def test_another_researchers_later_change_to_the_cell_stops_the_undo(engine, study) -> None:  # type: ignore[no-untyped-def]
    project, segment, _second = study
    with write_session(engine) as s:
        save_cell(s, project, "Oost", "vc.applied", summary="Ze werken anders samen.", actor="Sanne")
        pin_quote(s, project, "Oost", "vc.applied", segment, actor="Lieke")
    theirs = _cell(engine)
    offered = _cell_offer(engine, project, "Sanne")
    assert offered.blocked == "Lieke changed it after you (pin)"
    with pytest.raises(Refused, match="cannot undo saving .* Lieke changed it after you"):
        _run_cell(engine, project, "Sanne")
    assert _cell(engine) == theirs
    # Lieke's own undo takes back her pin and nothing of Sanne's summary
    _run_cell(engine, project, "Lieke")
    assert _cell(engine)[3:] == ("Ze werken anders samen.", "proposed", [])


def test_a_cell_offer_stays_on_its_own_cell(engine, study) -> None:  # type: ignore[no-untyped-def]
    project, _segment, _second = study
    with write_session(engine) as s:
        save_cell(s, project, "Oost", "vc.applied", summary="Oost past het toe.", actor="Sanne")
        save_cell(s, project, "West", "vc.applied", state="no_data", actor="Sanne")
    assert _cell_offer(engine, project, "Sanne").description == \
        "saving state – → assessed, the summary on Oost × Applied value"
    with read_session(engine) as s:
        west = offer(s, project, "Sanne", cell_undoable(s, project, "West", "vc.applied"), "undo")
    assert west.description == "saving state – → no data on West × Applied value"


def _memos(engine) -> list[tuple]:  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        return sorted((m.guid, m.text, m.target, m.created_at) for m in s.scalars(select(Memo)))


def _memo_run(engine, project, who: str, action: str = "undo") -> str:  # type: ignore[no-untyped-def]
    with write_session(engine) as s:
        return (take_back if action == "undo" else do_again)(s, project, who, memo_undoable())


def test_memo_writing_editing_and_deleting_are_undone_and_redone_exactly(engine, study) -> None:  # type: ignore[no-untyped-def]
    project, _segment, _second = study
    with write_session(engine) as s:
        memo = add_memo(s, project, "Eerste idee over samenwerking", actor="Sanne")
        memo_id = memo.id
    written = _memos(engine)
    with write_session(engine) as s:
        update_memo(s, project, get_memo(s, project, memo_id), "Beter idee", actor="Sanne")
    assert _memo_run(engine, project, "Sanne") == "editing the memo “Beter idee”"
    assert _memos(engine) == written
    assert _memo_run(engine, project, "Sanne") == "writing the memo “Eerste idee over samenwerking”"
    assert _memos(engine) == []
    assert _memo_run(engine, project, "Sanne", "redo") == "writing the memo “Eerste idee over samenwerking”"
    assert _memos(engine) == written  # same guid, text and time written
    with write_session(engine) as s:
        delete_memo(s, project, s.scalar(select(Memo)), actor="Sanne")
    assert _memos(engine) == []
    assert _memo_run(engine, project, "Sanne") == "deleting the memo “Eerste idee over samenwerking”"
    assert _memos(engine) == written


def test_a_memo_someone_else_edited_is_not_taken_back(engine, study) -> None:  # type: ignore[no-untyped-def]
    project, _segment, _second = study
    with write_session(engine) as s:
        memo_id = add_memo(s, project, "Sanne's idee", actor="Sanne").id
    with write_session(engine) as s:
        update_memo(s, project, get_memo(s, project, memo_id), "Lieke vult aan", actor="Lieke")
    theirs = _memos(engine)
    with read_session(engine) as s:
        assert offer(s, project, "Sanne", memo_undoable(), "undo").blocked == "Lieke changed it after you (update)"
    with pytest.raises(Refused, match="Lieke changed it after you"):
        _memo_run(engine, project, "Sanne")
    assert _memos(engine) == theirs
    _memo_run(engine, project, "Lieke")  # Lieke takes her edit back: nothing of hers is left on the memo
    with read_session(engine) as s:
        assert offer(s, project, "Sanne", memo_undoable(), "undo").blocked is None
    _memo_run(engine, project, "Lieke", "redo")  # and does it again: her edit stands, Sanne's undo is stopped
    assert _memos(engine) == theirs
    with read_session(engine) as s:
        assert offer(s, project, "Sanne", memo_undoable(), "undo").blocked == "Lieke changed it after you (update)"


def _remarks(engine) -> list[tuple]:  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        return sorted((f.guid, f.stance, f.note, f.created_at, f.promoted_code_id) for f in s.scalars(select(Feedback)))


def _remark_run(engine, project, who: str, action: str = "undo") -> str:  # type: ignore[no-untyped-def]
    with write_session(engine) as s:
        kind = feedback_undoable(s, get_session(s, project, "Sessie 2"))
        return (take_back if action == "undo" else do_again)(s, project, who, kind)


def test_a_remark_is_taken_back_in_its_session_and_recorded_again(engine, study) -> None:  # type: ignore[no-untyped-def]
    project, _segment, _second = study
    with write_session(engine) as s:
        other = create_session(s, project, "Sessie 3", date(2026, 11, 27), actor="Sanne")
        fg = get_session(s, project, "Sessie 2")
        record_feedback(s, project, fg, stance="agree", code="vc.applied", case="Oost", participant_role="wethouder",
                        actor="Sanne")
        record_feedback(s, project, other, stance="disagree", code="vc.applied", actor="Sanne")
    recorded = _remarks(engine)
    assert _remark_run(engine, project, "Sanne") == "recording “agree” (wethouder) on Oost × Applied value"
    assert [r[1] for r in _remarks(engine)] == ["disagree"]  # the other session's remark stays
    assert _remark_run(engine, project, "Sanne", "redo") == "recording “agree” (wethouder) on Oost × Applied value"
    assert _remarks(engine) == recorded


def test_a_remark_someone_promoted_to_a_code_stays(engine, study) -> None:  # type: ignore[no-untyped-def]
    project, _segment, _second = study
    with write_session(engine) as s:
        fg = get_session(s, project, "Sessie 2")
        remark = record_feedback(s, project, fg, stance="add", code="vc.applied", note="vertrouwen",
                                 actor="Sanne")
        promote_to_code(s, project, str(remark.guid), codebook="vc", key="vc.trust", label="Trust", actor="Lieke")
    kept = _remarks(engine)
    with pytest.raises(Refused, match="Lieke changed it after you"):
        _remark_run(engine, project, "Sanne")
    assert _remarks(engine) == kept
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(CellQuote)) == 0


def test_undo_on_a_cell_memos_and_a_session_from_the_command_line(capsys, db_url, engine, study) -> None:  # type: ignore[no-untyped-def]
    import cli

    project, _segment, _second = study

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.main(["--db", db_url, *args])
        out, err = capsys.readouterr()
        return code, out.strip(), err.strip()

    with write_session(engine) as s:
        save_cell(s, project, "Oost", "vc.applied", rating=4, actor="Sanne")
        add_memo(s, project, "Een memo", actor="Sanne")
        record_feedback(s, project, get_session(s, project, "Sessie 2"), stance="agree", code="vc.applied",
                        actor="Sanne")
    cell = _cell(engine)
    base = ("--project", "Samen", "--coder", "Sanne")
    assert run("undo", *base, "--cell", "Oost", "vc.applied", "--dry-run") == \
        (0, "would undo: saving state – → assessed, rating – → 4 on Oost × Applied value", "")
    assert _cell(engine) == cell
    assert run("undo", *base, "--cell", "Oost", "vc.applied") == \
        (0, "undid: saving state – → assessed, rating – → 4 on Oost × Applied value", "")
    assert _cell(engine) is None
    assert run("redo", *base, "--cell", "Oost", "vc.applied")[0] == 0
    assert _cell(engine) == cell
    assert run("undo", *base, "--memos") == (0, "undid: writing the memo “Een memo”", "")
    assert run("undo", *base, "--session", "Sessie 2") == (0, "undid: recording “agree” on Applied value", "")
    assert run("undo", *base, "--session", "Sessie 2") == (1, "", "error: nothing to undo")
    assert run("undo", *base, "--memos", "--cell", "Oost", "vc.applied") == \
        (1, "", "error: name one place to undo in, not --cell and --memos")
