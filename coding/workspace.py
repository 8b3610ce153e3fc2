"""Working on one document: its segments, and editing and deleting codings.

An edit touches only what the acting person owns: their own codes, on segments nobody else has put a code on.
Taking away a segment or code that carries a memo, or that a framework cell pins as a quote, is refused with
what is in the way, so nothing goes without a trace. Every edit is one event that names the document, which is
what undo and redo (`coding.undo`) read.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from cases.documents import current_text_version, document_sentences, document_turns, turn_label
from codebooks.service import code_label, find_code
from coding.assignments import NOT_BLIND, BlindScope
from coding.codings import lock_coder_document
from coding.ownership import coding_authors, others_codes_on, pins_on, removal_blocker
from coding.undo import segment_record
from store.bulk import insert_unless_present
from store.errors import Refused
from store.events import changed_by, record_event
from store.models import Code, Coder, Coding, Document, Project, Segment, TextVersion


@dataclass
class CodingView:
    guid: uuid.UUID
    key: str
    label: str
    colour: str
    origin: str
    aspirational: bool = False
    beneficiary: str | None = None
    code_id: int = 0


@dataclass
class SegmentView:
    guid: uuid.UUID
    start: int
    end: int
    coder: str
    text: str
    codings: list[CodingView] = field(default_factory=list)


def document_segments(
    session: Session, document: Document, *, coder: Coder | None = None, language: str = "en",
    blind: BlindScope = NOT_BLIND,
) -> list[SegmentView]:
    """The open document's segments with their codes (one query), in text order; on a document the viewer codes
    blind, only their own (`blind`)."""
    version = current_text_version(session, document)
    stmt = (
        select(Segment.guid, Segment.start, Segment.end, Coder.name, Coding.guid, Code, Coding.origin,
               Coding.aspirational, Coding.beneficiary)
        .join(Coder, Segment.coder_id == Coder.id)
        .join(Coding, Coding.segment_id == Segment.id)
        .join(Code, Coding.code_id == Code.id)
        .where(Segment.document_id == document.id, Segment.text_version_id == version.id)
    )
    if coder is not None:
        stmt = stmt.where(Segment.coder_id == coder.id)
    if blind.active:
        stmt = stmt.where(blind.visible())
    segments: dict[uuid.UUID, SegmentView] = {}
    text = version.text
    for seg_guid, start, end, coder_name, coding_guid, code, origin, aspirational, beneficiary in session.execute(stmt):
        view = segments.get(seg_guid)
        if view is None:
            view = segments[seg_guid] = SegmentView(seg_guid, start, end, coder_name, text[start:end])
        view.codings.append(CodingView(coding_guid, code.key, code_label(code, language), code.colour, origin,
                                       aspirational, beneficiary, code.id))
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
    """A segment of this project by guid (refused when it belongs to another project), locked for this write.

    Every change starts here or in `_coding`: the row is read under its lock (PostgreSQL: FOR UPDATE; SQLite lets
    one writer in at a time anyway), so a change's "before" is what the change replaced, and two changes of one
    segment at the same moment happen one after the other, the later one seeing the earlier's result.
    """
    guid = guid if isinstance(guid, uuid.UUID) else uuid.UUID(str(guid))
    segment = session.scalar(
        select(Segment).join(Document).where(Segment.guid == guid, Document.project_id == project.id)
        .with_for_update(of=Segment).execution_options(populate_existing=True)
    )
    if segment is None:
        raise Refused(f"no segment {guid} in project '{project.name}'")
    return segment


def _coding(session: Session, project: Project, guid: uuid.UUID | str) -> Coding:
    guid = guid if isinstance(guid, uuid.UUID) else uuid.UUID(str(guid))
    # Its segment first, then the coding: every change to a segment or its codes (and undo) locks in that order,
    # so a removal and an undo of the segment happen one after the other instead of both deleting the same row.
    session.execute(select(Segment.id).join(Coding, Coding.segment_id == Segment.id).where(Coding.guid == guid)
                    .with_for_update(of=Segment))
    coding = session.scalar(  # locked, as in segment_by_guid
        select(Coding).join(Segment).join(Document).where(Coding.guid == guid, Document.project_id == project.id)
        .with_for_update(of=Coding).execution_options(populate_existing=True)
    )
    if coding is None:
        raise Refused(f"no coding {guid} in project '{project.name}'")
    return coding


def _document_guid(session: Session, segment: Segment) -> str:
    return str(session.scalar(select(Document.guid).where(Document.id == segment.document_id)))


def _refuse_duplicate(session: Session, segment: Segment, start: int, end: int, code_ids: list[int]) -> None:
    """Refuse a change that would give this coder a second coding of one code on exactly [start, end): what
    Apply refuses ("already coded") must not come about through a recode, a resize or an added code either."""
    lock_coder_document(session, segment.document_id, segment.coder_id)  # and no Apply of theirs meanwhile
    key = session.scalar(
        select(Code.key).join(Coding, Coding.code_id == Code.id).join(Segment, Coding.segment_id == Segment.id)
        .where(Segment.text_version_id == segment.text_version_id, Segment.coder_id == segment.coder_id,
               Segment.start == start, Segment.end == end, Segment.id != segment.id, Coding.code_id.in_(code_ids))
        .limit(1))
    if key is not None:
        coder = session.get_one(Coder, segment.coder_id)
        raise Refused(f"{coder.name} already coded {start}–{end} with {key} (in another segment)")


def resize_segment(session: Session, project: Project, guid: uuid.UUID | str, start: int, end: int, *,
                   actor: str, shown: tuple[int, int] | None = None) -> Segment:
    """Widen or narrow a segment on its own text version (not while someone else's code is on it). `shown`: the
    span the person saw; when it is another by now, nothing is done and they are told who changed it."""
    segment = segment_by_guid(session, project, guid)
    if shown is not None and (segment.start, segment.end) != tuple(shown):
        raise Refused(f"this segment was {changed_by(session, segment.guid, actor)}: it is "
                      f"{segment.start}–{segment.end} now, not {shown[0]}–{shown[1]}; look again")
    others = others_codes_on(session, segment, actor)
    if others:
        raise Refused("cannot resize this segment: " + "; ".join(f"{who} put {key} on it" for who, key in others))
    length = session.scalar(select(TextVersion.length).where(TextVersion.id == segment.text_version_id))
    if not (0 <= start < end <= length):
        raise Refused(f"span {start}–{end} is outside the text (0–{length}, start before end)")
    _refuse_duplicate(session, segment, start, end,
                      list(session.scalars(select(Coding.code_id).where(Coding.segment_id == segment.id))))
    before = {"start": segment.start, "end": segment.end}
    segment.start, segment.end = start, end
    session.flush()
    record_event(session, project_guid=project.guid, actor=actor, action="update", entity="segment",
                 entity_guid=segment.guid, before=before,
                 after={"start": start, "end": end, "document": _document_guid(session, segment)})
    return segment


def delete_segment(session: Session, project: Project, guid: uuid.UUID | str, *, actor: str,
                   owner: str | None = None) -> None:
    """Delete a segment with its codings: only your own codes (or, for an adjudicator, the consensus coder's:
    `owner`), and no memo or pinned quote goes silently."""
    segment = segment_by_guid(session, project, guid)
    blocked = removal_blocker(session, segment, owner or actor)
    if blocked:
        raise Refused(f"cannot delete this segment: {blocked}")
    before = segment_record(session, segment)
    record_event(session, project_guid=project.guid, actor=actor, action="delete", entity="segment",
                 entity_guid=segment.guid, before=before)
    session.delete(segment)
    session.flush()


def add_code_to_segment(session: Session, project: Project, guid: uuid.UUID | str, code_key: str, *,
                        actor: str, coding_guid: uuid.UUID | None = None) -> Coding:
    segment = segment_by_guid(session, project, guid)
    code = _codable(session, project, code_key)
    _refuse_duplicate(session, segment, segment.start, segment.end, [code.id])
    # Checked by the insert itself: two people adding the code at the same moment get one coding, and the later
    # one the same answer as if they had clicked a second later.
    made = insert_unless_present(session, Coding, ("segment_id", "code_id"), segment_id=segment.id, code_id=code.id,
                                 **({"guid": coding_guid} if coding_guid is not None else {}))
    if made is None:
        raise Refused(f"this segment already has code '{code.key}'")
    coding = session.get_one(Coding, made)
    record_event(session, project_guid=project.guid, actor=actor, action="create", entity="coding",
                 entity_guid=coding.guid, after={"segment": str(segment.guid), "code": code.key,
                                                 "document": _document_guid(session, segment)})
    return coding


def recode(session: Session, project: Project, coding_guid: uuid.UUID | str, code_key: str, *, actor: str,
           shown: str | None = None) -> Coding:
    """Give your coding another code (same segment, same guid). `shown`: the code the person saw on it; when it
    has another one by now (changed in another tab a moment ago), nothing is done and they are told so."""
    coding = _coding(session, project, coding_guid)
    code = _codable(session, project, code_key)
    old = session.get(Code, coding.code_id)
    if shown is not None and old.key != shown:
        raise Refused(f"this coding was {changed_by(session, coding.guid, actor)}: it is {old.key} now, not "
                      f"{shown}; look again")
    if old.id == code.id:
        return coding
    segment = session.get(Segment, coding.segment_id)
    _own_coding(session, segment, coding, actor, "recode")
    pins = pins_on(session, segment, code_id=old.id)
    if pins:
        raise Refused(f"cannot recode: the segment is pinned as a {old.key} quote on {', '.join(pins)}; "
                      "unpin it on the Framework page first")
    if session.scalar(select(Coding.id).where(Coding.segment_id == coding.segment_id, Coding.code_id == code.id)):
        raise Refused(f"this segment already has code '{code.key}'")
    _refuse_duplicate(session, segment, segment.start, segment.end, [code.id])
    coding.code_id = code.id
    session.flush()
    record_event(session, project_guid=project.guid, actor=actor, action="update", entity="coding",
                 entity_guid=coding.guid, before={"code": old.key},
                 after={"code": code.key, "segment": str(segment.guid), "document": _document_guid(session, segment)})
    return coding


def remove_coding(session: Session, project: Project, coding_guid: uuid.UUID | str, *, actor: str,
                  owner: str | None = None) -> None:
    """Remove one of your codes from a segment (or one of `owner`'s, such as the consensus coder's, when the
    caller has the right to); the segment goes too when it was its last code. The event names `actor`."""
    coding = _coding(session, project, coding_guid)
    segment = session.get(Segment, coding.segment_id)
    _own_coding(session, segment, coding, owner or actor, "remove")
    others = session.scalar(select(func.count()).select_from(Coding).where(
        Coding.segment_id == segment.id, Coding.id != coding.id))
    if not others:
        delete_segment(session, project, segment.guid, actor=actor, owner=owner)
        return
    code = session.get(Code, coding.code_id)
    pins = pins_on(session, segment, code_id=code.id)
    if pins:
        raise Refused(f"cannot remove {code.key}: the segment is pinned as a quote on {', '.join(pins)}; "
                      "unpin it on the Framework page first")
    record_event(session, project_guid=project.guid, actor=actor, action="delete", entity="coding",
                 entity_guid=coding.guid, before={"segment": str(segment.guid), "code": code.key,
                                                  "origin": coding.origin, "matched_term": coding.matched_term,
                                                  "aspirational": coding.aspirational,
                                                  "beneficiary": coding.beneficiary,
                                                  "document": _document_guid(session, segment)})
    session.delete(coding)
    session.flush()


def _own_coding(session: Session, segment: Segment, coding: Coding, actor: str, verb: str) -> None:
    author = coding_authors(session, segment).get(coding.guid)
    if author != actor:
        key = session.scalar(select(Code.key).where(Code.id == coding.code_id))
        raise Refused(f"cannot {verb} {key}: {author} put it on this segment, and only they can change it")


def _codable(session: Session, project: Project, key: str) -> Code:
    code = find_code(session, project, key)
    if not code.codable or not code.enabled:
        raise Refused(f"code '{key}' cannot be applied ({'a folder' if not code.codable else 'switched off'})")
    return code
