"""Working on one document: its segments, editing and deleting codings, undo from the event log.

Undo reads the event log, not session state, so it survives a rerun, a reload
and a restart: each undoable event is reversed once, and the reversal is logged
as an "undo" event that names the event it reverses.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from cases.documents import current_text_version, document_sentences, document_turns, turn_label
from codebooks.service import code_label, find_code
from store.errors import Refused
from store.events import record_event
from store.models import Code, Coder, Coding, Document, Event, Memo, Project, Segment, TextVersion

UNDOABLE = {("segment", "create"), ("segment", "update"), ("segment", "delete"), ("coding", "create"),
            ("coding", "update"), ("coding", "delete")}


@dataclass
class CodingView:
    guid: uuid.UUID
    key: str
    label: str
    colour: str
    origin: str


@dataclass
class SegmentView:
    guid: uuid.UUID
    start: int
    end: int
    coder: str
    text: str
    codings: list[CodingView] = field(default_factory=list)


def document_segments(
    session: Session, document: Document, *, coder: Coder | None = None, language: str = "en"
) -> list[SegmentView]:
    """The open document's segments with their codes (one query), in text order."""
    version = current_text_version(session, document)
    stmt = (
        select(Segment.guid, Segment.start, Segment.end, Coder.name, Coding.guid, Code, Coding.origin)
        .join(Coder, Segment.coder_id == Coder.id)
        .join(Coding, Coding.segment_id == Segment.id)
        .join(Code, Coding.code_id == Code.id)
        .where(Segment.document_id == document.id, Segment.text_version_id == version.id)
    )
    if coder is not None:
        stmt = stmt.where(Segment.coder_id == coder.id)
    segments: dict[uuid.UUID, SegmentView] = {}
    text = version.text
    for seg_guid, start, end, coder_name, coding_guid, code, origin in session.execute(stmt):
        view = segments.get(seg_guid)
        if view is None:
            view = segments[seg_guid] = SegmentView(seg_guid, start, end, coder_name, text[start:end])
        view.codings.append(CodingView(coding_guid, code.key, code_label(code, language), code.colour, origin))
    for view in segments.values():
        view.codings.sort(key=lambda c: c.key)
    return sorted(segments.values(), key=lambda v: (v.start, v.end, v.coder, str(v.guid)))


_REVISION_SQL = "SELECT (SELECT max(id) FROM event WHERE project_guid = ?), {version}"
_VERSION_SQL = ("(SELECT document.current_version FROM document JOIN project ON project.id = document.project_id "
                "WHERE project.guid = ? AND document.guid = ?)")


def project_revision(engine: Engine, project_guid: uuid.UUID,
                     document_guid: uuid.UUID | None = None) -> tuple[int, int | None]:
    """The project's latest event id (0 without events; every change logs one, so it keys caches of what the page
    shows) and, when asked, the document's current text version (None when the project has no such document).

    One statement on the pool's connection: it runs on every rerun of the Coding page, where a session, its
    transaction and a compiled select cost ten times the query.
    """
    pooled = engine.raw_connection()
    try:
        cursor = pooled.cursor()
        sql = _REVISION_SQL.format(version=_VERSION_SQL if document_guid is not None else "NULL")
        params = (project_guid.hex,) + ((project_guid.hex, document_guid.hex) if document_guid is not None else ())
        if engine.dialect.paramstyle != "qmark":
            sql = sql.replace("?", "%s")
        cursor.execute(sql, params)
        revision, version = cursor.fetchone()
        cursor.close()
    finally:
        pooled.close()  # ends the read transaction (the pool rolls back on return)
    return revision or 0, version


def recent_code_keys(session: Session, project: Project, coder: Coder | None, limit: int = 8) -> list[str]:
    """The codes this coder applied most recently, newest first (for the picker)."""
    if coder is None:
        return []
    stmt = (
        select(Code.key, func.max(Coding.id).label("last"))
        .join(Coding, Coding.code_id == Code.id)
        .join(Segment, Coding.segment_id == Segment.id)
        .where(Segment.coder_id == coder.id)
        .group_by(Code.key)
        .order_by(func.max(Coding.id).desc())
        .limit(limit)
    )
    return [key for key, _ in session.execute(stmt)]


def turn_span(session: Session, document: Document, ordinal: int) -> tuple[int, int]:
    """A whole turn without its speaker label."""
    for turn in document_turns(session, document):
        if turn.ordinal == ordinal:
            if turn.content_start >= turn.end:
                raise Refused(f"{turn_label(ordinal)} has no words after its speaker label")
            return turn.content_start, turn.end
    raise Refused(f"document '{document.title}' has no {turn_label(ordinal)}")


def sentence_span(session: Session, document: Document, offset: int) -> tuple[int, int]:
    """The stored sentence that contains `offset` (or starts right after it)."""
    for start, end in document_sentences(session, document):
        if start <= offset < end or (offset < start):
            return start, end
    raise Refused(f"no sentence at position {offset} of '{document.title}'")


# --- edits ---------------------------------------------------------------------------------------

def segment_by_guid(session: Session, project: Project, guid: uuid.UUID | str) -> Segment:
    """A segment of this project by guid (refused when it belongs to another project)."""
    guid = guid if isinstance(guid, uuid.UUID) else uuid.UUID(str(guid))
    segment = session.scalar(
        select(Segment).join(Document).where(Segment.guid == guid, Document.project_id == project.id)
    )
    if segment is None:
        raise Refused(f"no segment {guid} in project '{project.name}'")
    return segment


def _coding(session: Session, project: Project, guid: uuid.UUID | str) -> Coding:
    guid = guid if isinstance(guid, uuid.UUID) else uuid.UUID(str(guid))
    coding = session.scalar(
        select(Coding).join(Segment).join(Document).where(Coding.guid == guid, Document.project_id == project.id)
    )
    if coding is None:
        raise Refused(f"no coding {guid} in project '{project.name}'")
    return coding


def _segment_record(session: Session, segment: Segment) -> dict:
    codings = session.execute(
        select(Coding.guid, Code.key, Coding.origin, Coding.matched_term).join(Code).where(Coding.segment_id == segment.id)
    ).all()
    return {"document_id": segment.document_id, "text_version_id": segment.text_version_id,
            "coder_id": segment.coder_id, "start": segment.start, "end": segment.end,
            "codings": [{"guid": str(g), "code": k, "origin": o, "matched_term": t} for g, k, o, t in codings]}


def resize_segment(session: Session, project: Project, guid: uuid.UUID | str, start: int, end: int, *,
                   actor: str) -> Segment:
    """Widen or narrow a segment on its own text version."""
    segment = segment_by_guid(session, project, guid)
    length = session.scalar(select(TextVersion.length).where(TextVersion.id == segment.text_version_id))
    if not (0 <= start < end <= length):
        raise Refused(f"span {start}–{end} is outside the text (0–{length}, start before end)")
    before = {"start": segment.start, "end": segment.end}
    segment.start, segment.end = start, end
    session.flush()
    record_event(session, project_guid=project.guid, actor=actor, action="update", entity="segment",
                 entity_guid=segment.guid, before=before, after={"start": start, "end": end})
    return segment


def delete_segment(session: Session, project: Project, guid: uuid.UUID | str, *, actor: str) -> None:
    """Delete a segment with its codings (memos on it must be moved or deleted first: nothing is lost silently)."""
    segment = segment_by_guid(session, project, guid)
    memos = session.scalar(select(func.count()).select_from(Memo).where(Memo.segment_id == segment.id))
    if memos:
        raise Refused(f"this segment has {memos} memo(s); delete them on the Memos page first")
    before = _segment_record(session, segment)
    record_event(session, project_guid=project.guid, actor=actor, action="delete", entity="segment",
                 entity_guid=segment.guid, before=before)
    session.delete(segment)
    session.flush()


def add_code_to_segment(session: Session, project: Project, guid: uuid.UUID | str, code_key: str, *,
                        actor: str) -> Coding:
    segment = segment_by_guid(session, project, guid)
    code = _codable(session, project, code_key)
    if session.scalar(select(Coding.id).where(Coding.segment_id == segment.id, Coding.code_id == code.id)):
        raise Refused(f"this segment already has code '{code.key}'")
    coding = Coding(segment_id=segment.id, code_id=code.id)
    session.add(coding)
    session.flush()
    record_event(session, project_guid=project.guid, actor=actor, action="create", entity="coding",
                 entity_guid=coding.guid, after={"segment": str(segment.guid), "code": code.key})
    return coding


def recode(session: Session, project: Project, coding_guid: uuid.UUID | str, code_key: str, *, actor: str) -> Coding:
    """Give a coding another code (same segment, same guid)."""
    coding = _coding(session, project, coding_guid)
    code = _codable(session, project, code_key)
    old = session.get(Code, coding.code_id)
    if old.id == code.id:
        return coding
    if session.scalar(select(Coding.id).where(Coding.segment_id == coding.segment_id, Coding.code_id == code.id)):
        raise Refused(f"this segment already has code '{code.key}'")
    coding.code_id = code.id
    session.flush()
    record_event(session, project_guid=project.guid, actor=actor, action="update", entity="coding",
                 entity_guid=coding.guid, before={"code": old.key}, after={"code": code.key})
    return coding


def remove_coding(session: Session, project: Project, coding_guid: uuid.UUID | str, *, actor: str) -> None:
    """Remove one code from a segment; the segment goes too when it was its last code and has no memos."""
    coding = _coding(session, project, coding_guid)
    segment = session.get(Segment, coding.segment_id)
    others = session.scalar(select(func.count()).select_from(Coding).where(
        Coding.segment_id == segment.id, Coding.id != coding.id))
    if not others:
        delete_segment(session, project, segment.guid, actor=actor)
        return
    code = session.get(Code, coding.code_id)
    record_event(session, project_guid=project.guid, actor=actor, action="delete", entity="coding",
                 entity_guid=coding.guid, before={"segment": str(segment.guid), "code": code.key,
                                                  "origin": coding.origin, "matched_term": coding.matched_term})
    session.delete(coding)
    session.flush()


def _codable(session: Session, project: Project, key: str) -> Code:
    code = find_code(session, project, key)
    if not code.codable or not code.enabled:
        raise Refused(f"code '{key}' cannot be applied ({'a folder' if not code.codable else 'switched off'})")
    return code


# --- undo --------------------------------------------------------------------------------------------

def last_undoable(session: Session, project: Project, actor: str) -> Event | None:
    """This person's latest coding change that has not been undone yet."""
    events = session.scalars(
        select(Event).where(Event.project_guid == project.guid, Event.actor == actor).order_by(Event.id.desc()).limit(200)
    ).all()
    undone = {e.after.get("undoes") for e in events if e.action == "undo" and e.after}
    for event in events:
        if event.action == "undo":
            continue
        if (event.entity, event.action) in UNDOABLE and event.id not in undone:
            return event
    return None


def describe(event: Event) -> str:
    after, before = event.after or {}, event.before or {}
    if event.entity == "segment" and event.action == "create":
        return f"coding {after.get('start')}–{after.get('end')} with {', '.join(after.get('codes', []))}"
    if event.entity == "segment" and event.action == "update":
        return f"resizing a segment to {after.get('start')}–{after.get('end')}"
    if event.entity == "segment" and event.action == "delete":
        return f"deleting the segment {before.get('start')}–{before.get('end')}"
    if event.entity == "coding" and event.action == "update":
        return f"recoding {before.get('code')} → {after.get('code')}"
    if event.entity == "coding" and event.action == "create":
        return f"adding {after.get('code')} to a segment"
    return f"removing {before.get('code')} from a segment"


def undo_last(session: Session, project: Project, *, actor: str) -> str:
    """Reverse this person's latest coding change; returns what was undone."""
    event = last_undoable(session, project, actor)
    if event is None:
        raise Refused("nothing to undo")
    before, after = event.before or {}, event.after or {}
    if event.entity == "segment" and event.action == "create":
        segment = session.scalar(select(Segment).where(Segment.guid == event.entity_guid))
        if segment is not None:
            if session.scalar(select(func.count()).select_from(Memo).where(Memo.segment_id == segment.id)):
                raise Refused("cannot undo: the segment has a memo now; delete the memo first")
            session.delete(segment)
    elif event.entity == "segment" and event.action == "update":
        segment = segment_by_guid(session, project, event.entity_guid)
        segment.start, segment.end = before["start"], before["end"]
    elif event.entity == "segment" and event.action == "delete":
        _restore_segment(session, project, event.entity_guid, before)
    elif event.entity == "coding" and event.action == "create":
        session.execute(delete(Coding).where(Coding.guid == event.entity_guid))
    elif event.entity == "coding" and event.action == "update":
        coding = _coding(session, project, event.entity_guid)
        coding.code_id = find_code(session, project, before["code"]).id
    elif event.entity == "coding" and event.action == "delete":
        segment = segment_by_guid(session, project, before["segment"])
        coding = Coding(segment_id=segment.id, code_id=find_code(session, project, before["code"]).id,
                        origin=before.get("origin") or "manual", matched_term=before.get("matched_term"))
        coding.guid = event.entity_guid
        session.add(coding)
    session.flush()
    what = describe(event)
    record_event(session, project_guid=project.guid, actor=actor, action="undo", entity=event.entity,
                 entity_guid=event.entity_guid, after={"undoes": event.id, "what": what})
    return what


def _restore_segment(session: Session, project: Project, guid: uuid.UUID, record: dict) -> None:
    """Recreate a deleted segment and its codings with their own guids (guids are never re-minted)."""
    segment = Segment(document_id=record["document_id"], text_version_id=record["text_version_id"],
                      coder_id=record["coder_id"], start=record["start"], end=record["end"])
    segment.guid = guid
    session.add(segment)
    session.flush()
    for item in record["codings"]:
        coding = Coding(segment_id=segment.id, code_id=find_code(session, project, item["code"]).id,
                        origin=item.get("origin") or "manual", matched_term=item.get("matched_term"))
        coding.guid = uuid.UUID(item["guid"])
        session.add(coding)

