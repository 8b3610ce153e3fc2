"""The Apply button's driver-level write (`code_span`) against `apply_coding`, on SQLite and PostgreSQL.

Both must check the same things (span within the current text, every code present once in the project, codable,
enabled, no second coding of the same span with the same codes by the same coder), refuse with the same
messages, write the same rows and the same event, in one transaction.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from cases.importer import SpeakerDecision, preview_import, store_import
from cases.projects import create_project, get_or_create_coder
from codebooks.service import add_code, adopt_codebook, update_code
from coding.codings import apply_coding, code_span, list_codings
from coding.undo import undo, undo_offer
from store.db import read_session, write_session
from store.errors import Refused
from store.models import Code, Coder, Coding, Event, Segment

TEXT = "I: Wat leverde het op?\nR: Ik kreeg een tip van Jörg 😀. Die heb ik meteen gebruikt.\n"


@pytest.fixture
def doc(engine):  # type: ignore[no-untyped-def]
    with write_session(engine) as s:
        project = create_project(s, "Snelweg")
        adopt_codebook(s, project, "value-creation")
        document = store_import(s, project, preview_import("w.txt", TEXT.encode()), cases=[], speakers={
            "I": SpeakerDecision("interviewer"), "R": SpeakerDecision("respondent")})
        get_or_create_coder(s, project, "Sanne")
        get_or_create_coder(s, project, "Lieke")
    return project, document


def _counts(engine) -> tuple[int, int, int, int]:  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in (Segment, Coding, Event, Coder))


def _last_event(engine) -> Event:  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        return s.scalars(select(Event).order_by(Event.id.desc()).limit(1)).one()


def test_code_span_writes_what_apply_coding_writes(engine, doc) -> None:  # type: ignore[no-untyped-def]
    project, document = doc
    start = TEXT.index("tip van Jörg 😀")
    end = start + len("tip van Jörg 😀")
    with write_session(engine) as s:
        sanne = s.scalars(select(Coder).where(Coder.name == "Sanne")).one()
        orm_segment = apply_coding(s, project, document, sanne, start, end, ["vc.immediate", "vc.applied"],
                                   actor="Sanne")
        orm_guid = orm_segment.guid
        assert orm_segment.start == start and orm_segment.end == end and orm_segment.id
    orm_event = _last_event(engine)
    guid = code_span(engine, project.guid, str(document.guid), "Lieke", start, end, ["vc.immediate", "vc.applied"],
                     actor="Lieke")
    assert isinstance(guid, uuid.UUID)
    fast_event = _last_event(engine)
    with read_session(engine) as s:
        records = sorted((c.coder, c.code, c.text) for c in list_codings(s, project))
        segments = {g: (st, en, tv, cid) for g, st, en, tv, cid in s.execute(
            select(Segment.guid, Segment.start, Segment.end, Segment.text_version_id, Segment.coder_id))}
        origins = set(s.scalars(select(Coding.origin)))
        created = [c for c, in s.execute(select(Segment.created_at))]
    assert records == [("Lieke", "vc.applied", "tip van Jörg 😀"), ("Lieke", "vc.immediate", "tip van Jörg 😀"),
                       ("Sanne", "vc.applied", "tip van Jörg 😀"), ("Sanne", "vc.immediate", "tip van Jörg 😀")]
    assert set(segments) == {orm_guid, guid}
    assert segments[guid][:3] == segments[orm_guid][:3]
    assert origins == {"manual"}
    assert all(c.tzinfo is not None for c in created)
    for event, coder in ((orm_event, "Sanne"), (fast_event, "Lieke")):
        assert (event.action, event.entity, event.actor, event.project_guid) == ("create", "segment", coder,
                                                                                 project.guid)
        assert event.before is None and event.at.tzinfo is not None
    assert orm_event.entity_guid == orm_guid and fast_event.entity_guid == guid
    fast_codings, orm_codings = fast_event.after.pop("codings"), orm_event.after.pop("codings")
    assert fast_event.after == orm_event.after | {"coder": "Lieke"}
    assert fast_event.after == {"document": str(document.guid), "text_version": 1, "start": start, "end": end,
                                "coder": "Lieke", "codes": ["vc.immediate", "vc.applied"], "origin": "manual"}
    with read_session(engine) as s:  # the event names each coding's guid, in the order of its codes (for replay)
        for event, codings in ((fast_event, fast_codings), (orm_event, orm_codings)):
            stored = s.execute(select(Coding.guid, Code.key).join(Code).join(Segment)
                               .where(Segment.guid == event.entity_guid)).all()
            assert sorted(zip(codings, ["vc.immediate", "vc.applied"])) == sorted((str(g), k) for g, k in stored)
    # undo reads the event log: the fast path's event is undoable like any other
    with read_session(engine) as s:
        offer = undo_offer(s, project, "Lieke")
        assert offer.change_id == fast_event.id and offer.blocked is None
    with write_session(engine) as s:
        undo(s, project, actor="Lieke")
    assert _counts(engine)[:2] == (1, 2)


def test_suggestion_origin_and_matched_term(engine, doc) -> None:  # type: ignore[no-untyped-def]
    project, document = doc
    start = TEXT.index("meteen")
    code_span(engine, project.guid, document.guid, "Sanne", start, start + 6, ["vc.applied"], origin="suggestion",
              matched_term="  meteen  ")
    with read_session(engine) as s:
        assert s.execute(select(Coding.origin, Coding.matched_term)).all() == [("suggestion", "meteen")]
    after = _last_event(engine).after
    assert (after["origin"], after["matched_term"], after["coder"]) == ("suggestion", "meteen", "Sanne")


@pytest.mark.parametrize(("keys", "span", "message"), [
    (["vc.nothing"], (3, 10), "has no code 'vc.nothing'"),
    (["vc"], (3, 10), "'vc' is a folder"),
    (["vc.immediate"], (10, 3), "outside document"),
    (["vc.immediate"], (3, 10_000), "outside document"),
    ([], (3, 10), "no code given"),
])
def test_refusals_say_why_and_write_nothing(engine, doc, keys, span, message) -> None:  # type: ignore[no-untyped-def]
    project, document = doc
    before = _counts(engine)
    with pytest.raises(Refused, match=message):
        code_span(engine, project.guid, str(document.guid), "Sanne", *span, keys, actor="Sanne")
    assert _counts(engine) == before


def test_a_switched_off_code_and_a_duplicate_are_refused(engine, doc) -> None:  # type: ignore[no-untyped-def]
    project, document = doc
    code_span(engine, project.guid, document.guid, "Sanne", 3, 10, ["vc.immediate"], actor="Sanne")
    before = _counts(engine)
    with pytest.raises(Refused, match="Sanne already coded 3–10"):
        code_span(engine, project.guid, document.guid, "Sanne", 3, 10, ["vc.immediate"], actor="Sanne")
    with pytest.raises(Refused, match="Sanne already coded 3–10"):  # the same code twice is one code
        code_span(engine, project.guid, document.guid, "Sanne", 3, 10, ["vc.immediate", "vc.immediate"])
    assert _counts(engine) == before
    # another code on the same span, another coder, or another span: a new segment each
    code_span(engine, project.guid, document.guid, "Sanne", 3, 10, ["vc.applied"])
    code_span(engine, project.guid, document.guid, "Lieke", 3, 10, ["vc.immediate"])
    code_span(engine, project.guid, document.guid, "Sanne", 3, 11, ["vc.immediate"])
    assert _counts(engine)[:2] == (4, 4)
    with write_session(engine) as s:
        update_code(s, project, "value-creation", "vc.realised", enabled=False)
    before = _counts(engine)
    with pytest.raises(Refused, match="'vc.realised' is switched off"):
        code_span(engine, project.guid, document.guid, "Sanne", 20, 30, ["vc.applied", "vc.realised"])
    assert _counts(engine) == before


def test_a_new_coder_is_created_first_and_logged(engine, doc) -> None:  # type: ignore[no-untyped-def]
    project, document = doc
    code_span(engine, project.guid, document.guid, "  Nieuwe   Codeur ", 3, 10, ["vc.immediate"], actor="Nieuwe Codeur")
    with read_session(engine) as s:
        events = s.scalars(select(Event).order_by(Event.id.desc()).limit(2)).all()
        assert [c.coder for c in list_codings(s, project)] == ["Nieuwe Codeur"]
    assert [(e.entity, e.action) for e in events] == [("segment", "create"), ("coder", "create")]
    assert events[1].after == {"name": "Nieuwe Codeur"}
    # the second coding takes the fast path and finds the coder by the same cleaned name
    code_span(engine, project.guid, document.guid, "Nieuwe Codeur", 3, 11, ["vc.immediate"])
    assert _counts(engine)[3] == 3


def test_unknown_project_or_document_and_references_by_name(engine, doc) -> None:  # type: ignore[no-untyped-def]
    project, document = doc
    with pytest.raises(Refused, match="no project"):
        code_span(engine, uuid.uuid4(), document.guid, "Sanne", 3, 10, ["vc.immediate"])
    with pytest.raises(Refused, match="has no document"):
        code_span(engine, project.guid, uuid.uuid4(), "Sanne", 3, 10, ["vc.immediate"])
    # a title instead of a guid, and a codebook/key reference, go through apply_coding and work
    code_span(engine, project.guid, document.title, "Sanne", 3, 10, ["value-creation/vc.immediate"])
    assert _counts(engine)[:2] == (1, 1)


def test_a_key_two_codebooks_share_is_refused_until_named(engine, doc) -> None:  # type: ignore[no-untyped-def]
    project, document = doc
    with write_session(engine) as s:
        adopt_codebook(s, project, "learning-layers")
        add_code(s, project, "learning-layers", "vc.immediate", "Layer twin")
    with pytest.raises(Refused, match="several codebooks"):
        code_span(engine, project.guid, document.guid, "Sanne", 3, 10, ["vc.immediate"])
    code_span(engine, project.guid, document.guid, "Sanne", 3, 10, ["learning-layers/vc.immediate"])
    assert _counts(engine)[:2] == (1, 1)


def test_each_path_refuses_the_other_paths_duplicate(engine, doc) -> None:  # type: ignore[no-untyped-def]
    project, document = doc
    with write_session(engine) as s:
        sanne = s.scalars(select(Coder).where(Coder.name == "Sanne")).one()
        apply_coding(s, project, document, sanne, 3, 10, ["vc.immediate"])
    with pytest.raises(Refused, match="already coded"):
        code_span(engine, project.guid, document.guid, "Sanne", 3, 10, ["vc.immediate"])
    with write_session(engine) as s, pytest.raises(Refused, match="already coded"):
        apply_coding(s, project, document, sanne, 3, 10, ["vc.immediate"])
    code_span(engine, project.guid, document.guid, "Lieke", 12, 20, ["vc.applied"])
    with write_session(engine) as s, pytest.raises(Refused, match="Lieke already coded 12–20"):
        lieke = s.scalars(select(Coder).where(Coder.name == "Lieke")).one()
        apply_coding(s, project, document, lieke, 12, 20, ["vc.applied"])


def test_project_revision_follows_every_change(engine, doc) -> None:  # type: ignore[no-untyped-def]
    from coding.workspace import project_revision
    from store.events import latest_event_id

    project, document = doc
    with read_session(engine) as s:
        before = latest_event_id(s, project.guid)
    assert before > 0
    assert project_revision(engine, project.guid) == (before, None)
    assert project_revision(engine, project.guid, document.guid) == (before, 1)
    code_span(engine, project.guid, document.guid, "Sanne", 3, 10, ["vc.immediate"])
    with read_session(engine) as s:
        after = latest_event_id(s, project.guid)
    assert after > before and project_revision(engine, project.guid, document.guid) == (after, 1)
    assert project_revision(engine, project.guid, uuid.uuid4()) == (after, None)  # no such document here
    assert project_revision(engine, uuid.uuid4()) == (0, None)


def test_last_event_names_the_newest_event(engine, doc) -> None:  # type: ignore[no-untyped-def]
    from store.events import last_event

    project, document = doc
    before = last_event(engine)
    code_span(engine, project.guid, document.guid, "Sanne", 3, 10, ["vc.immediate"])
    after = last_event(engine)
    with read_session(engine) as s:
        newest = s.scalars(select(Event).order_by(Event.id.desc()).limit(1)).one()
    assert after[0] == newest.id > before[0] and after[1] is not None
