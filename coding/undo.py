"""Undo and redo of coding changes that are safe with several people: only your own change, only where you see it.

History comes from the event log, so it survives a rerun, a reload and a restart. A person's changes replay as
two stacks: a change is pushed on the undo stack (and empties the redo stack), an "undo" event moves its change
onto the redo stack and a "redo" event moves it back. On the Coding page the stacks hold only the changes in
the open document; the command line can name a document or take the whole project.

A change is offered only when running it touches nothing of anyone else's: no code another person added to the
segment, no later change by someone else to that segment, no memo and no pinned framework quote on a segment or
code it would take away. Otherwise the offer says why instead, and undo refuses with that reason. Every undo and
redo is one event naming the change it takes back, with the state it removed, so that redo is exact.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.documents import turn_label
from codebooks.service import code_label, find_code
from coding.coding_flags import flags_text
from coding.ownership import pins_on, removal_blocker
from store.errors import Refused
from store.events import record_event
from store.history import History, Offer, latest, person_events, replay_stacks
from store.locks import lock_person
from store.models import Code, Coding, Document, Event, Project, Segment, TextVersion, Turn

UNDOABLE = {("segment", "create"), ("segment", "update"), ("segment", "delete"), ("coding", "create"),
            ("coding", "update"), ("coding", "delete"), ("coding", "mark")}
SNIPPET_WORDS = 5


# --- the two stacks ------------------------------------------------------------------------------------------

def _history(session: Session, project: Project, actor: str, document: Document | None) -> History:
    events = person_events(session, project, actor, ("segment", "coding"))
    changes = {e.id: e for e in events if (e.entity, e.action) in UNDOABLE}
    in_scope = set(changes)
    if document is not None:
        documents = _documents_of(session, list(changes.values()))
        in_scope = {i for i in changes if documents.get(i) == document.guid}
    return replay_stacks(events, changes, in_scope)


def _documents_of(session: Session, changes: list[Event]) -> dict[int, uuid.UUID]:
    """The document each change was made in: named in the event since this module, else found by its segment."""
    found: dict[int, uuid.UUID] = {}
    by_segment: dict[int, uuid.UUID] = {}
    by_coding: dict[int, uuid.UUID] = {}
    by_document_id: dict[int, int] = {}
    for event in changes:
        data = {**(event.before or {}), **(event.after or {})}
        if data.get("document"):
            found[event.id] = uuid.UUID(str(data["document"]))
        elif event.entity == "segment" and data.get("document_id"):
            by_document_id[event.id] = data["document_id"]
        elif event.entity == "segment":
            by_segment[event.id] = event.entity_guid
        elif data.get("segment"):
            by_segment[event.id] = uuid.UUID(str(data["segment"]))
        else:
            by_coding[event.id] = event.entity_guid
    if by_segment:
        rows = dict(session.execute(select(Segment.guid, Document.guid)
                                    .join(Document, Segment.document_id == Document.id)
                                    .where(Segment.guid.in_(set(by_segment.values())))).all())
        found.update({i: rows[g] for i, g in by_segment.items() if g in rows})
    if by_coding:
        rows = dict(session.execute(select(Coding.guid, Document.guid).join(Segment, Coding.segment_id == Segment.id)
                                    .join(Document, Segment.document_id == Document.id)
                                    .where(Coding.guid.in_(set(by_coding.values())))).all())
        found.update({i: rows[g] for i, g in by_coding.items() if g in rows})
    if by_document_id:
        rows = dict(session.execute(select(Document.id, Document.guid)
                                    .where(Document.id.in_(set(by_document_id.values())))).all())
        found.update({i: rows[d] for i, d in by_document_id.items() if d in rows})
    return found


# --- offers --------------------------------------------------------------------------------------------------

def undo_offer(session: Session, project: Project, actor: str, *, document: Document | None = None,
               language: str = "en") -> Offer | None:
    """This person's latest change (in this document) that can be taken back, or why it cannot; None: none left."""
    history = _history(session, project, actor, document)
    if not history.done:
        return None
    change = history.done[-1]
    return Offer("undo", change.id, describe_change(session, project, change, language=language),
                 _undo_blocker(session, project, actor, change))


def redo_offer(session: Session, project: Project, actor: str, *, document: Document | None = None,
               language: str = "en") -> Offer | None:
    """The change this person took back last (in this document), while nothing new was done since."""
    history = _history(session, project, actor, document)
    if not history.undone:
        return None
    change, undo_event = history.undone[-1]
    return Offer("redo", change.id, describe_change(session, project, change, language=language),
                 _redo_blocker(session, project, actor, change, undo_event))


def undo(session: Session, project: Project, *, actor: str, document: Document | None = None,
         shown: int | None = None) -> str:
    """Take back this person's latest change (in this document); returns what was undone. `shown`: the change
    the person was offered (see store.history.take_back)."""
    lock_person(session, project.id, actor)
    history = _history(session, project, actor, document)
    change = latest(history.done, shown, "undo")
    _lock_segment(session, project, change)
    what = describe_change(session, project, change)
    blocked = _undo_blocker(session, project, actor, change)
    if blocked:
        raise Refused(f"cannot undo {what}: {blocked}")
    where = _document_field(session, change)
    removed = _reverse(session, project, change)
    session.flush()
    record_event(session, project_guid=project.guid, actor=actor, action="undo", entity=change.entity,
                 entity_guid=change.entity_guid, before=removed, after={"undoes": change.id, "what": what, **where})
    return what


def redo(session: Session, project: Project, *, actor: str, document: Document | None = None,
         shown: int | None = None) -> str:
    """Do again the change this person took back last (in this document); returns what was redone."""
    lock_person(session, project.id, actor)
    history = _history(session, project, actor, document)
    change, undo_event = latest(history.undone, shown, "redo")
    _lock_segment(session, project, change)
    what = describe_change(session, project, change)
    blocked = _redo_blocker(session, project, actor, change, undo_event)
    if blocked:
        raise Refused(f"cannot redo {what}: {blocked}")
    where = _document_field(session, change)
    _replay(session, project, change, undo_event)
    session.flush()
    record_event(session, project_guid=project.guid, actor=actor, action="redo", entity=change.entity,
                 entity_guid=change.entity_guid, after={"redoes": undo_event.id, "what": what, **where})
    return what


def _document_field(session: Session, change: Event) -> dict[str, str]:
    document = _documents_of(session, [change]).get(change.id)
    return {"document": str(document)} if document else {}


# --- what blocks -------------------------------------------------------------------------------------------

def _segment_guid(session: Session, change: Event) -> uuid.UUID | None:
    if change.entity == "segment":
        return change.entity_guid
    data = {**(change.before or {}), **(change.after or {})}
    if data.get("segment"):
        return uuid.UUID(str(data["segment"]))
    return session.scalar(select(Segment.guid).join(Coding, Coding.segment_id == Segment.id)
                          .where(Coding.guid == change.entity_guid))


def _lock_segment(session: Session, project: Project, change: Event) -> None:
    """Hold the change's segment for this transaction (as coding.workspace's changes do, segment first), and read
    it and its codes afresh from here on: what the undo checks and takes back is what is there now."""
    guid = _segment_guid(session, change)
    if guid is not None:
        session.execute(select(Segment.id).join(Document, Segment.document_id == Document.id)
                        .where(Segment.guid == guid, Document.project_id == project.id).with_for_update(of=Segment))
        session.expire_all()


def _segment(session: Session, project: Project, guid: uuid.UUID | None) -> Segment | None:
    if guid is None:
        return None
    return session.scalar(select(Segment).join(Document, Segment.document_id == Document.id)
                          .where(Segment.guid == guid, Document.project_id == project.id))


def _later_by_others(session: Session, project: Project, actor: str, after_id: int,
                     segment_guid: uuid.UUID | None) -> str | None:
    """Someone else changed this segment (or one of its codes) after event `after_id`: who, and what."""
    if segment_guid is None:
        return None
    touched = {segment_guid, *session.scalars(select(Coding.guid).join(Segment, Coding.segment_id == Segment.id)
                                              .where(Segment.guid == segment_guid))}
    event = session.scalar(select(Event).where(
        Event.project_guid == project.guid, Event.id > after_id, Event.actor != actor,
        Event.entity.in_(("segment", "coding")), Event.entity_guid.in_(touched)).order_by(Event.id.desc()).limit(1))
    return f"{event.actor} changed this segment after you ({_short(event)})" if event is not None else None


def _short(event: Event) -> str:
    data = {**(event.before or {}), **(event.after or {})}
    if event.action in ("undo", "redo"):
        return f"{event.action} of {data.get('what') or 'a change to it'}"
    return {("segment", "update"): "resized it", ("segment", "delete"): "deleted it",
            ("coding", "create"): f"added {data.get('code')}",
            ("coding", "update"): f"recoded it to {data.get('code')}",
            ("coding", "delete"): f"removed {data.get('code')}",
            ("coding", "mark"): f"marked {data.get('code')}"}.get((event.entity, event.action), event.action)


def _undo_blocker(session: Session, project: Project, actor: str, change: Event) -> str | None:
    segment_guid = _segment_guid(session, change)
    later = _later_by_others(session, project, actor, change.id, segment_guid)
    if later:
        return later
    segment = _segment(session, project, segment_guid)
    before = change.before or {}
    kind = (change.entity, change.action)
    if kind == ("segment", "delete"):
        return None if segment is None else "the segment exists again"
    if segment is None:
        return "the segment is gone"
    if kind == ("segment", "create"):
        return removal_blocker(session, segment, actor)
    if kind == ("coding", "create"):
        return _code_removal_blocker(session, segment, change.entity_guid)
    if kind == ("coding", "update"):
        return _recode_blocker(session, project, segment, change.entity_guid, before.get("code"))
    if kind == ("coding", "delete"):
        return _readd_blocker(session, project, segment, before.get("code"))
    if kind == ("coding", "mark"):
        return _flags_blocker(session, change.entity_guid, change.after or {})
    return None  # a resize: nobody else touched the segment since


def _redo_blocker(session: Session, project: Project, actor: str, change: Event, undo_event: Event) -> str | None:
    segment_guid = _segment_guid(session, change)
    later = _later_by_others(session, project, actor, undo_event.id, segment_guid)
    if later:
        return later
    segment = _segment(session, project, segment_guid)
    kind = (change.entity, change.action)
    if kind == ("segment", "create"):
        return None if segment is None else "the segment exists again"
    if segment is None:
        return "the segment is gone"
    if kind == ("segment", "delete"):
        return removal_blocker(session, segment, actor)
    if kind == ("coding", "create"):
        return _readd_blocker(session, project, segment, (change.after or {}).get("code"))
    if kind == ("coding", "update"):
        return _recode_blocker(session, project, segment, change.entity_guid, (change.after or {}).get("code"))
    if kind == ("coding", "delete"):
        return _code_removal_blocker(session, segment, change.entity_guid)
    if kind == ("coding", "mark"):
        return _flags_blocker(session, change.entity_guid, change.before or {})
    return None


def _flags_blocker(session: Session, coding_guid: uuid.UUID, expected: dict) -> str | None:
    """None when the coding's aspirational flag and beneficiary are still what the change left (or found)."""
    coding = session.scalar(select(Coding).where(Coding.guid == coding_guid))
    if coding is None:
        return "the code is no longer on the segment"
    if (coding.aspirational, coding.beneficiary) != (expected.get("aspirational"), expected.get("beneficiary")):
        return "its marks were changed since"
    return None


def _set_flags(session: Session, coding_guid: uuid.UUID, values: dict) -> None:
    coding = session.scalar(select(Coding).where(Coding.guid == coding_guid))
    coding.aspirational, coding.beneficiary = bool(values.get("aspirational")), values.get("beneficiary")


def _code_removal_blocker(session: Session, segment: Segment, coding_guid: uuid.UUID) -> str | None:
    coding = session.scalar(select(Coding).where(Coding.guid == coding_guid))
    if coding is None:
        return "the code is no longer on the segment"
    pins = pins_on(session, segment, code_id=coding.code_id)
    return f"the segment is pinned as a quote on {', '.join(pins)}" if pins else None


def _recode_blocker(session: Session, project: Project, segment: Segment, coding_guid: uuid.UUID,
                    to_key: str | None) -> str | None:
    coding = session.scalar(select(Coding).where(Coding.guid == coding_guid))
    if coding is None:
        return "the code is no longer on the segment"
    target = _code_or_none(session, project, to_key)
    if target is None:
        return f"code '{to_key}' is no longer in the project"
    if target.id != coding.code_id and session.scalar(
            select(Coding.id).where(Coding.segment_id == segment.id, Coding.code_id == target.id)):
        return f"the segment already has {target.key} again"
    pins = pins_on(session, segment, code_id=coding.code_id)
    return f"the segment is pinned as a quote on {', '.join(pins)}" if pins else None


def _readd_blocker(session: Session, project: Project, segment: Segment, key: str | None) -> str | None:
    code = _code_or_none(session, project, key)
    if code is None:
        return f"code '{key}' is no longer in the project"
    if session.scalar(select(Coding.id).where(Coding.segment_id == segment.id, Coding.code_id == code.id)):
        return f"the segment already has {code.key} again"
    return None


def _code_or_none(session: Session, project: Project, key: str | None) -> Code | None:
    if not key:
        return None
    try:
        return find_code(session, project, key)
    except Refused:
        return None


# --- running it ----------------------------------------------------------------------------------------------

def _reverse(session: Session, project: Project, change: Event) -> dict[str, Any] | None:
    """Take the change back; returns what it removed (kept in the undo event, so that redo is exact)."""
    before = change.before or {}
    segment = _segment(session, project, _segment_guid(session, change))
    kind = (change.entity, change.action)
    if kind == ("segment", "create"):
        record = segment_record(session, segment)
        session.delete(segment)
        return record
    if kind == ("segment", "update"):
        segment.start, segment.end = before["start"], before["end"]
    elif kind == ("segment", "delete"):
        restore_segment(session, project, change.entity_guid, before)
    elif kind == ("coding", "create"):
        coding = session.scalar(select(Coding).where(Coding.guid == change.entity_guid))
        record = _coding_record(session, coding, segment)
        session.delete(coding)
        return record
    elif kind == ("coding", "update"):
        coding = session.scalar(select(Coding).where(Coding.guid == change.entity_guid))
        coding.code_id = find_code(session, project, before["code"]).id
    elif kind == ("coding", "delete"):
        _add_coding(session, project, segment, change.entity_guid, before)
    elif kind == ("coding", "mark"):
        _set_flags(session, change.entity_guid, before)
    return None


def _replay(session: Session, project: Project, change: Event, undo_event: Event) -> None:
    after = change.after or {}
    removed = undo_event.before or {}
    segment = _segment(session, project, _segment_guid(session, change))
    kind = (change.entity, change.action)
    if kind == ("segment", "create"):
        restore_segment(session, project, change.entity_guid, removed)
    elif kind == ("segment", "update"):
        segment.start, segment.end = after["start"], after["end"]
    elif kind == ("segment", "delete"):
        session.delete(segment)
    elif kind == ("coding", "create"):
        _add_coding(session, project, segment, change.entity_guid, removed or after)
    elif kind == ("coding", "update"):
        coding = session.scalar(select(Coding).where(Coding.guid == change.entity_guid))
        coding.code_id = find_code(session, project, after["code"]).id
    elif kind == ("coding", "delete"):
        session.delete(session.scalar(select(Coding).where(Coding.guid == change.entity_guid)))
    elif kind == ("coding", "mark"):
        _set_flags(session, change.entity_guid, after)


def segment_record(session: Session, segment: Segment) -> dict:
    """Everything needed to recreate the segment and its codings with their own guids."""
    document = session.get(Document, segment.document_id)
    codings = session.execute(
        select(Coding.guid, Code.key, Coding.origin, Coding.matched_term, Coding.aspirational, Coding.beneficiary)
        .join(Code).where(Coding.segment_id == segment.id)
    ).all()
    return {"document": str(document.guid), "document_id": segment.document_id,
            "text_version_id": segment.text_version_id, "coder_id": segment.coder_id, "start": segment.start,
            "end": segment.end,
            "codings": [{"guid": str(g), "code": k, "origin": o, "matched_term": t, "aspirational": a,
                         "beneficiary": b} for g, k, o, t, a, b in codings]}


def restore_segment(session: Session, project: Project, guid: uuid.UUID, record: dict) -> Segment:
    """Recreate a deleted segment and its codings with their own guids (guids are never re-minted)."""
    segment = Segment(document_id=record["document_id"], text_version_id=record["text_version_id"],
                      coder_id=record["coder_id"], start=record["start"], end=record["end"])
    segment.guid = guid
    session.add(segment)
    session.flush()
    for item in record["codings"]:
        _add_coding(session, project, segment, uuid.UUID(item["guid"]), item)
    return segment


def _coding_record(session: Session, coding: Coding, segment: Segment) -> dict:
    code = session.get(Code, coding.code_id)
    return {"segment": str(segment.guid), "code": code.key, "origin": coding.origin,
            "matched_term": coding.matched_term, "aspirational": coding.aspirational,
            "beneficiary": coding.beneficiary}


def _add_coding(session: Session, project: Project, segment: Segment, guid: uuid.UUID, item: dict) -> None:
    coding = Coding(segment_id=segment.id, code_id=find_code(session, project, item["code"]).id,
                    origin=item.get("origin") or "manual", matched_term=item.get("matched_term"),
                    aspirational=bool(item.get("aspirational")), beneficiary=item.get("beneficiary"))
    coding.guid = guid
    session.add(coding)


# --- in words ------------------------------------------------------------------------------------------------

def describe_change(session: Session, project: Project, change: Event, *, language: str = "en") -> str:
    """A change as people read it: the code, the first words of the coded text, the document and the turn."""
    before, after = change.before or {}, change.after or {}
    kind = (change.entity, change.action)
    place = _place(session, project, change)

    def label(key: str | None) -> str:
        code = _code_or_none(session, project, key)
        return code_label(code, language) if code is not None else (key or "a code")

    if kind == ("segment", "create"):
        return f"{', '.join(label(k) for k in after.get('codes', []))} on {place}"
    if kind == ("segment", "update"):
        return f"resizing {place}"
    if kind == ("segment", "delete"):
        return f"deleting {', '.join(label(c['code']) for c in before.get('codings', []))} on {place}"
    if kind == ("coding", "create"):
        return f"adding {label(after.get('code'))} to {place}"
    if kind == ("coding", "update"):
        return f"recoding {label(before.get('code'))} → {label(after.get('code'))} on {place}"
    if kind == ("coding", "mark"):
        return f"marking {label(after.get('code'))} ({flags_text(after)}) on {place}"
    return f"removing {label(before.get('code'))} from {place}"


def _place(session: Session, project: Project, change: Event) -> str:
    """“First words …” in title, turn N — from the segment as it is, or as the event recorded it."""
    segment = _segment(session, project, _segment_guid(session, change))
    before, after = change.before or {}, change.after or {}
    if segment is not None:
        version_id, start, end = segment.text_version_id, segment.start, segment.end
    elif before.get("text_version_id") is not None:
        version_id, start, end = before["text_version_id"], before["start"], before["end"]
    elif after.get("document") and after.get("text_version") is not None:  # a segment created, now undone
        version_id = session.scalar(select(TextVersion.id).join(Document, TextVersion.document_id == Document.id)
                                    .where(Document.guid == uuid.UUID(str(after["document"])),
                                           TextVersion.version == after["text_version"]))
        start, end = after["start"], after["end"]
    else:
        return "a segment that is gone"
    return _words_at(session, version_id, start, end)


def segment_place(session: Session, project: Project, guid: uuid.UUID) -> str:
    """“First words …” in title, turn N, for a segment that exists (or says it is gone)."""
    segment = _segment(session, project, guid)
    if segment is None:
        return "a segment that is gone"
    return _words_at(session, segment.text_version_id, segment.start, segment.end)


def _words_at(session: Session, version_id: int, start: int, end: int) -> str:
    row = session.execute(select(TextVersion.text, Document.title)
                          .join(Document, TextVersion.document_id == Document.id)
                          .where(TextVersion.id == version_id)).first()
    if row is None:
        return "a segment that is gone"
    text, title = row
    words = text[start:end].split()
    snippet = " ".join(words[:SNIPPET_WORDS]) + (" …" if len(words) > SNIPPET_WORDS else "")
    ordinal = session.scalar(select(Turn.ordinal).where(Turn.text_version_id == version_id, Turn.start <= start,
                                                        start < Turn.end))
    return f"“{snippet}” in {title}, {turn_label(ordinal)}"
