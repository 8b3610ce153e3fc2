"""Undo and redo with two coders on one segment, on both databases: nobody's undo takes the other's work.

Sanne codes a segment; Lieke adds her own code to it, pins it as a framework quote, or resizes and recodes
what is hers. Each test counts what is stored before and after, so an undo that touched Lieke's work fails.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from analysis.framework_matrix import pin_quote
from cases.importer import SpeakerDecision, preview_import, store_import
from cases.projects import create_case, create_project, get_or_create_coder
from codebooks.service import adopt_codebook
from coding.codings import apply_coding, list_codings
from coding.undo import redo, redo_offer, undo, undo_offer
from coding.workspace import add_code_to_segment, delete_segment, recode, remove_coding, resize_segment
from store.db import read_session, write_session
from store.errors import Refused
from store.models import CellQuote, Code, Coding, Event, Segment

TEXT = ("I: Wat heeft het netwerk u gebracht?\n"
        "R: Wij werken nu anders met de gemeente samen. Dat begon bij een werksessie.\n"
        "I: En daarna?\n"
        "R: Daarna hebben we het zelf geprobeerd.\n")
SPAN = "Wij werken nu anders met de gemeente samen."


@pytest.fixture
def study(engine):  # type: ignore[no-untyped-def]
    with write_session(engine) as s:
        project = create_project(s, "Samen")
        adopt_codebook(s, project, "value-creation")
        case = create_case(s, project, "Oost")
        speakers = {"I": SpeakerDecision("interviewer"), "R": SpeakerDecision("respondent")}
        oost = store_import(s, project, preview_import("interview_oost.txt", TEXT.encode()), cases=[case],
                            speakers=speakers)
        west = store_import(s, project, preview_import("interview_west.txt", TEXT.encode() + b"R: Extra.\n"),
                            cases=[case], speakers=speakers)
        sanne, _ = get_or_create_coder(s, project, "Sanne")
        get_or_create_coder(s, project, "Lieke")
        start = TEXT.index(SPAN)
        segment = apply_coding(s, project, oost, sanne, start, start + len(SPAN), ["vc.applied"], actor="Sanne")
    return project, oost, west, segment


def _stored(engine, project) -> list[tuple]:  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        return sorted((c.document, c.code, c.coder, c.start, c.end, c.text) for c in list_codings(s, project))


def _coding_guid(engine, key: str):  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        return s.scalar(select(Coding.guid).join(Code, Coding.code_id == Code.id).where(Code.key == key))


def _count(engine, model) -> int:  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        return s.scalar(select(func.count()).select_from(model))


def test_undo_is_described_in_words_and_redo_restores_the_same_rows(engine, study) -> None:  # type: ignore[no-untyped-def]
    project, oost, _west, segment = study
    with read_session(engine) as s:
        offer = undo_offer(s, project, "Sanne", document=oost)
        guids = sorted(str(g) for g in s.scalars(select(Coding.guid)))
    assert offer.label == "↶ Undo: Applied value on “Wij werken nu anders met …” in interview_oost, turn 2"
    assert offer.blocked is None
    before = _stored(engine, project)
    with write_session(engine) as s:
        assert undo(s, project, actor="Sanne", document=oost).startswith("Applied value on “Wij werken")
    assert _stored(engine, project) == []
    with read_session(engine) as s:
        assert undo_offer(s, project, "Sanne", document=oost) is None
        assert redo_offer(s, project, "Sanne", document=oost).label == \
            "↷ Redo: Applied value on “Wij werken nu anders met …” in interview_oost, turn 2"
    with write_session(engine) as s:
        redo(s, project, actor="Sanne", document=oost)
    assert _stored(engine, project) == before
    with read_session(engine) as s:
        assert sorted(str(g) for g in s.scalars(select(Coding.guid))) == guids  # the same coding, not a copy
        assert s.scalar(select(Segment.guid)) == segment.guid
        assert redo_offer(s, project, "Sanne", document=oost) is None
        assert undo_offer(s, project, "Sanne", document=oost).change_id == offer.change_id
        actions = [e.action for e in s.scalars(select(Event).where(Event.actor == "Sanne").order_by(Event.id))]
    assert actions[-2:] == ["undo", "redo"]


def test_undo_never_takes_a_code_another_coder_added_to_the_segment(engine, study) -> None:  # type: ignore[no-untyped-def]
    project, oost, _west, segment = study
    with write_session(engine) as s:
        add_code_to_segment(s, project, segment.guid, "vc.potential.social", actor="Lieke")
    both = _stored(engine, project)
    assert len(both) == 2
    with read_session(engine) as s:
        offer = undo_offer(s, project, "Sanne", document=oost)
    assert offer.blocked == "Lieke changed this segment after you (added vc.potential.social)"
    with pytest.raises(Refused, match="cannot undo Applied value on .*: Lieke changed this segment"), \
            write_session(engine) as s:
        undo(s, project, actor="Sanne", document=oost)
    assert _stored(engine, project) == both
    # nor can Sanne delete the segment or Lieke's code directly, nor Lieke Sanne's
    with pytest.raises(Refused, match="Lieke added vc.potential.social to this segment"), write_session(engine) as s:
        delete_segment(s, project, segment.guid, actor="Sanne")
    lieke_coding, sanne_coding = _coding_guid(engine, "vc.potential.social"), _coding_guid(engine, "vc.applied")
    for guid, actor, owner in ((lieke_coding, "Sanne", "Lieke"), (sanne_coding, "Lieke", "Sanne")):
        with pytest.raises(Refused, match=f"{owner} put it on this segment"), write_session(engine) as s:
            remove_coding(s, project, guid, actor=actor)
        with pytest.raises(Refused, match=f"{owner} put it on this segment"), write_session(engine) as s:
            recode(s, project, guid, "vc.realised", actor=actor)
    with pytest.raises(Refused, match="cannot resize this segment: Lieke put vc.potential.social on it"), \
            write_session(engine) as s:
        resize_segment(s, project, segment.guid, 0, 10, actor="Sanne")
    assert _stored(engine, project) == both
    # Lieke's own undo takes back only her code; then Sanne's undo is offered and runs
    with write_session(engine) as s:
        assert undo(s, project, actor="Lieke") == "adding Social capital to “Wij werken nu anders met …” in " \
                                                  "interview_oost, turn 2"
    assert [row[1] for row in _stored(engine, project)] == ["vc.applied"]
    with write_session(engine) as s:
        undo(s, project, actor="Sanne", document=oost)
    assert _stored(engine, project) == []


def test_undo_never_takes_a_quote_someone_pinned(engine, study) -> None:  # type: ignore[no-untyped-def]
    project, oost, _west, segment = study
    with write_session(engine) as s:
        pin_quote(s, project, "Oost", "vc.applied", str(segment.guid), actor="Lieke")
    pins_logged = _count(engine, Event)
    with read_session(engine) as s:
        offer = undo_offer(s, project, "Sanne", document=oost)
    assert offer.blocked == \
        "the segment is pinned as a quote on Oost × vc.applied; unpin it on the Framework page first"
    with pytest.raises(Refused, match="pinned as a quote on Oost × vc.applied"), write_session(engine) as s:
        undo(s, project, actor="Sanne", document=oost)
    with pytest.raises(Refused, match="pinned as a quote"), write_session(engine) as s:
        delete_segment(s, project, segment.guid, actor="Sanne")
    with write_session(engine) as s:
        add_code_to_segment(s, project, segment.guid, "vc.realised", actor="Sanne")
    guid = _coding_guid(engine, "vc.applied")
    with pytest.raises(Refused, match="pinned as a quote on Oost × vc.applied"), write_session(engine) as s:
        remove_coding(s, project, guid, actor="Sanne")
    with pytest.raises(Refused, match="pinned as a vc.applied quote"), write_session(engine) as s:
        recode(s, project, guid, "vc.immediate", actor="Sanne")
    assert _count(engine, CellQuote) == 1
    assert _count(engine, Event) == pins_logged + 1  # only the added code; no silent unpin


def test_a_resize_is_undone_only_while_nobody_else_coded_the_segment(engine, study) -> None:  # type: ignore[no-untyped-def]
    project, oost, _west, segment = study
    start = TEXT.index(SPAN)
    with write_session(engine) as s:
        resize_segment(s, project, segment.guid, start, start + len("Wij werken nu anders"), actor="Sanne")
    with read_session(engine) as s:
        assert undo_offer(s, project, "Sanne", document=oost).description == \
            "resizing “Wij werken nu anders” in interview_oost, turn 2"
    with write_session(engine) as s:
        undo(s, project, actor="Sanne", document=oost)
    assert _stored(engine, project)[0][3:5] == (start, start + len(SPAN))
    with write_session(engine) as s:
        redo(s, project, actor="Sanne", document=oost)
        add_code_to_segment(s, project, segment.guid, "vc.potential.human", actor="Lieke")
    with write_session(engine) as s:
        undo(s, project, actor="Lieke")  # Lieke takes her code back: Sanne's redone resize is hers alone again
    with write_session(engine) as s:
        assert undo(s, project, actor="Sanne", document=oost).startswith("resizing")
    with write_session(engine) as s:
        resize_segment(s, project, segment.guid, start, start + 3, actor="Sanne")
        add_code_to_segment(s, project, segment.guid, "vc.potential.human", actor="Lieke")
    with read_session(engine) as s:
        assert undo_offer(s, project, "Sanne", document=oost).blocked == \
            "Lieke changed this segment after you (added vc.potential.human)"
        assert redo_offer(s, project, "Sanne", document=oost) is None  # a new change ends what could be redone


def test_undo_stays_in_the_open_document_and_with_the_person(engine, study) -> None:  # type: ignore[no-untyped-def]
    project, oost, west, _segment = study
    with write_session(engine) as s:
        sanne, _ = get_or_create_coder(s, project, "Sanne")
        apply_coding(s, project, west, sanne, 3, 8, ["vc.immediate"], actor="Sanne")
    with read_session(engine) as s:
        assert undo_offer(s, project, "Sanne", document=oost).description.endswith("in interview_oost, turn 2")
        assert undo_offer(s, project, "Sanne").description.endswith("in interview_west, turn 1")
        assert undo_offer(s, project, "Lieke") is None
        assert undo_offer(s, project, "app") is None
    with write_session(engine) as s:
        undo(s, project, actor="Sanne", document=oost)
    assert [row[0] for row in _stored(engine, project)] == ["interview_west"]


def test_undo_and_redo_on_the_command_line(capsys, db_url, engine, study) -> None:  # type: ignore[no-untyped-def]
    import cli

    project, oost, _west, _segment = study

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.main(["--db", db_url, *args])
        out, err = capsys.readouterr()
        return code, out.strip(), err.strip()

    start = TEXT.index("Daarna")
    assert run("code", "--project", "Samen", "--document", "interview_oost", "--code", "vc.realised",
               "--start", str(start), "--end", str(start + 6), "--coder", "Lieke")[0] == 0
    assert run("undo", "--project", "Samen", "--coder", "Bram") == (1, "", "error: nothing to undo")
    stored = _stored(engine, project)
    assert run("undo", "--project", "Samen", "--coder", "Sanne", "--document", "interview_oost", "--dry-run") == \
        (0, "would undo: Applied value on “Wij werken nu anders met …” in interview_oost, turn 2", "")
    assert _stored(engine, project) == stored
    assert run("undo", "--project", "Samen", "--coder", "Lieke") == \
        (0, "undid: Realised value on “Daarna” in interview_oost, turn 4", "")
    assert [row[2] for row in _stored(engine, project)] == ["Sanne"]
    assert run("redo", "--project", "Samen", "--coder", "Lieke", "--document", "interview_oost") == \
        (0, "redid: Realised value on “Daarna” in interview_oost, turn 4", "")
    assert _stored(engine, project) == stored
    assert run("redo", "--project", "Samen", "--coder", "Lieke")[:2] == (1, "")
