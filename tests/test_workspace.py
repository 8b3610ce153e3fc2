"""Editing codings on one document and undoing from the event log, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from cases.importer import SpeakerDecision, preview_import, store_import
from cases.projects import create_project, get_or_create_coder
from codebooks.service import adopt_codebook
from coding.codings import apply_coding
from coding.memos import add_memo
from coding.undo import undo, undo_offer
from coding.workspace import (
    add_code_to_segment,
    delete_segment,
    document_segments,
    recent_code_keys,
    recode,
    remove_coding,
    resize_segment,
    sentence_span,
    turn_span,
)
from store.db import read_session, write_session
from store.errors import Refused
from store.models import Coding, Segment

TEXT = "I: Wat leverde het op?\nR: Ik kreeg een tip. Die heb ik meteen gebruikt.\n"


@pytest.fixture
def doc(engine):  # type: ignore[no-untyped-def]
    with write_session(engine) as s:
        project = create_project(s, "Werkplaats")
        adopt_codebook(s, project, "value-creation")
        document = store_import(s, project, preview_import("w.txt", TEXT.encode()), cases=[], speakers={
            "I": SpeakerDecision("interviewer"), "R": SpeakerDecision("respondent")})
        sanne, _ = get_or_create_coder(s, project, "Sanne")
        lieke, _ = get_or_create_coder(s, project, "Lieke")
    return project, document, sanne, lieke


def _codings(engine) -> int:  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        return s.scalar(select(func.count()).select_from(Coding))


def test_quick_spans_exclude_the_label_and_follow_sentences(engine, doc) -> None:  # type: ignore[no-untyped-def]
    project, document, *_ = doc
    with read_session(engine) as s:
        start, end = turn_span(s, document, 1)
        assert TEXT[start:end] == "Ik kreeg een tip. Die heb ik meteen gebruikt."
        s1 = sentence_span(s, document, TEXT.index("meteen"))
        assert TEXT[s1[0]:s1[1]] == "Die heb ik meteen gebruikt."
        with pytest.raises(Refused, match="no turn 8"):
            turn_span(s, document, 7)


def test_segments_resize_recode_add_remove_and_filter_by_coder(engine, doc) -> None:  # type: ignore[no-untyped-def]
    project, document, sanne, lieke = doc
    tip = TEXT.index("een tip")
    with write_session(engine) as s:
        seg = apply_coding(s, project, document, sanne, tip, tip + 7, ["vc.immediate"])
        apply_coding(s, project, document, lieke, tip, tip + 7, ["vc.potential.human"])
    with write_session(engine) as s:
        resize_segment(s, project, seg.guid, tip - 6, tip + 7, actor="Sanne")
        added = add_code_to_segment(s, project, seg.guid, "vc.applied", actor="Sanne")
        recode(s, project, added.guid, "vc.realised", actor="Sanne")
    with read_session(engine) as s:
        mine = document_segments(s, document, coder=sanne)
        everyone = document_segments(s, document)
        assert recent_code_keys(s, project, sanne) == ["vc.realised", "vc.immediate"]
    assert [(v.text, [c.key for c in v.codings]) for v in mine] == [("kreeg een tip", ["vc.immediate", "vc.realised"])]
    assert len(everyone) == 2
    with write_session(engine) as s:
        remove_coding(s, project, added.guid, actor="Sanne")
        with pytest.raises(Refused, match="already has code"):
            add_code_to_segment(s, project, seg.guid, "vc.immediate", actor="Sanne")
    with write_session(engine) as s:
        only = next(c for c in document_segments(s, document, coder=sanne)[0].codings)
        remove_coding(s, project, only.guid, actor="Sanne")  # the last code takes the segment with it
    with read_session(engine) as s:
        assert document_segments(s, document, coder=sanne) == []


def test_undo_reverses_each_change_once_and_survives_new_sessions(engine, doc) -> None:  # type: ignore[no-untyped-def]
    project, document, sanne, _ = doc
    tip = TEXT.index("een tip")
    with write_session(engine) as s:
        seg = apply_coding(s, project, document, sanne, tip, tip + 7, ["vc.immediate", "vc.applied"], actor="Sanne")
    with write_session(engine) as s:
        resize_segment(s, project, seg.guid, tip, tip + 3, actor="Sanne")
    with write_session(engine) as s:
        delete_segment(s, project, seg.guid, actor="Sanne")
    assert _codings(engine) == 0
    with write_session(engine) as s:
        assert undo(s, project, actor="Sanne") == "deleting Immediate value, Applied value on “een” in w, turn 2"
    with read_session(engine) as s:
        [view] = document_segments(s, document)
    assert view.guid == seg.guid and (view.start, view.end) == (tip, tip + 3)
    assert [c.key for c in view.codings] == ["vc.applied", "vc.immediate"]
    with write_session(engine) as s:
        assert undo(s, project, actor="Sanne") == "resizing “een” in w, turn 2"
    with read_session(engine) as s:
        assert document_segments(s, document)[0].text == "een tip"
    with write_session(engine) as s:
        assert undo(s, project, actor="Sanne") == "Immediate value, Applied value on “een tip” in w, turn 2"
    assert _codings(engine) == 0
    with write_session(engine) as s, pytest.raises(Refused, match="nothing to undo"):
        undo(s, project, actor="Sanne")
    with read_session(engine) as s:
        assert undo_offer(s, project, "Sanne") is None


def test_deleting_a_segment_with_a_memo_is_refused(engine, doc) -> None:  # type: ignore[no-untyped-def]
    project, document, sanne, _ = doc
    with write_session(engine) as s:
        seg = apply_coding(s, project, document, sanne, 3, 10, ["vc.immediate"])
        add_memo(s, project, "Belangrijk", target=seg, author=sanne)
    with pytest.raises(Refused, match="memo"), write_session(engine) as s:
        delete_segment(s, project, seg.guid, actor="Sanne")
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Segment)) == 1


def test_the_same_coder_cannot_code_the_same_span_with_the_same_codes_twice(engine, doc) -> None:  # type: ignore[no-untyped-def]
    project, document, sanne, lieke = doc
    with write_session(engine) as s:
        apply_coding(s, project, document, sanne, 3, 10, ["vc.immediate"])
    with pytest.raises(Refused, match="already coded 3–10"), write_session(engine) as s:
        apply_coding(s, project, document, sanne, 3, 10, ["vc.immediate"])
    with write_session(engine) as s:  # another code on the same span, or another coder, is a new segment
        apply_coding(s, project, document, sanne, 3, 10, ["vc.applied"])
        apply_coding(s, project, document, lieke, 3, 10, ["vc.immediate"])
    assert _codings(engine) == 3


def test_codebook_slash_key_names_a_code_that_two_codebooks_share(engine) -> None:  # type: ignore[no-untyped-def]
    from codebooks.service import add_code, find_code

    with write_session(engine) as s:
        project = create_project(s, "Twee boeken")
        adopt_codebook(s, project, "value-creation")
        adopt_codebook(s, project, "learning-layers")
        add_code(s, project, "learning-layers", "vc.immediate", "Layer twin")
    with read_session(engine) as s:
        with pytest.raises(Refused, match="learning-layers|codebook/"):
            find_code(s, project, "vc.immediate")
        assert find_code(s, project, "learning-layers/vc.immediate").label_en == "Layer twin"
        assert find_code(s, project, "value-creation/vc.immediate").label_en == "Immediate value"
