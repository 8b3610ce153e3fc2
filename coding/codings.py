"""Apply codes to spans and list codings: the one write path every coding goes through."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.documents import current_text_version
from codebooks.service import find_code
from store.errors import Refused
from store.events import record_event
from store.models import (
    CODING_ORIGINS, Case, CaseDocument, Code, Coder, Coding, Document, Project, Segment, TextVersion,
)


def apply_coding(
    session: Session,
    project: Project,
    document: Document,
    coder: Coder,
    start: int,
    end: int,
    code_keys: list[str],
    *,
    actor: str | None = None,
    origin: str = "manual",
    matched_term: str | None = None,
) -> Segment:
    """One segment over [start, end) of the current text with one coding per code.

    `origin` is "manual" or "suggestion" (accepted from an auto-code suggestion; `matched_term` says why).
    """
    if not code_keys:
        raise Refused("no code given")
    if origin not in CODING_ORIGINS:
        raise Refused(f"coding origin '{origin}' is not one of {', '.join(CODING_ORIGINS)}")
    if matched_term is not None:
        matched_term = matched_term.strip()[:200] or None
    version = current_text_version(session, document)
    if not (0 <= start < end <= version.length):
        raise Refused(
            f"span {start}–{end} is outside document '{document.title}' (0–{version.length}, start before end)"
        )
    codes = [find_code(session, project, key) for key in dict.fromkeys(code_keys)]
    for code in codes:
        if not code.codable:
            raise Refused(f"code '{code.key}' is a folder and cannot be applied; use one of its children")
        if not code.enabled:
            raise Refused(f"code '{code.key}' is switched off in this project")
    same_span = select(Segment.id).where(Segment.document_id == document.id, Segment.text_version_id == version.id,
                                         Segment.coder_id == coder.id, Segment.start == start, Segment.end == end)
    already = set(session.scalars(select(Code.key).join(Coding, Coding.code_id == Code.id)
                                  .where(Coding.segment_id.in_(same_span))))
    if already and {c.key for c in codes} <= already:
        raise Refused(f"{coder.name} already coded {start}–{end} of '{document.title}' with "
                      f"{', '.join(sorted(c.key for c in codes))}")
    segment = Segment(document_id=document.id, text_version_id=version.id, coder_id=coder.id, start=start, end=end)
    session.add(segment)
    session.flush()
    for code in codes:
        session.add(Coding(segment_id=segment.id, code_id=code.id, origin=origin, matched_term=matched_term))
    session.flush()
    record_event(session, project_guid=project.guid, actor=actor or coder.name, action="create", entity="segment",
                 entity_guid=segment.guid,
                 after={"document": str(document.guid), "text_version": version.version, "start": start, "end": end,
                        "coder": coder.name, "codes": [c.key for c in codes], "origin": origin,
                        **({"matched_term": matched_term} if matched_term else {})})
    return segment


@dataclass
class CodingRecord:
    guid: uuid.UUID
    segment: uuid.UUID
    document: str
    document_guid: uuid.UUID
    case: str | None
    code: str
    coder: str
    start: int
    end: int
    text: str

    def as_dict(self) -> dict:
        return {"guid": str(self.guid), "segment": str(self.segment), "document": self.document,
                "case": self.case, "code": self.code, "coder": self.coder, "start": self.start,
                "end": self.end, "text": self.text}


def list_codings(
    session: Session, project: Project, *, document: Document | None = None, coder: Coder | None = None
) -> list[CodingRecord]:
    """Codings in document, position and code order, each with its coded text."""
    stmt = (
        select(Coding.guid, Segment.guid, Document.title, Document.guid, Document.id, Code.key, Coder.name,
               Segment.start, Segment.end, Segment.text_version_id)
        .join(Segment, Coding.segment_id == Segment.id)
        .join(Document, Segment.document_id == Document.id)
        .join(Code, Coding.code_id == Code.id)
        .join(Coder, Segment.coder_id == Coder.id)
        .where(Document.project_id == project.id)
    )
    if document is not None:
        stmt = stmt.where(Document.id == document.id)
    if coder is not None:
        stmt = stmt.where(Coder.id == coder.id)
    rows = session.execute(stmt).all()
    version_ids = {r[9] for r in rows}
    texts = dict(session.execute(select(TextVersion.id, TextVersion.text).where(TextVersion.id.in_(version_ids))).all()) if version_ids else {}
    doc_ids = {r[4] for r in rows}
    first_case: dict[int, str] = {}
    if doc_ids:
        for doc_id, name in session.execute(
            select(CaseDocument.document_id, Case.name).join(Case).where(CaseDocument.document_id.in_(doc_ids))
        ):
            if doc_id not in first_case or (name.casefold(), name) < (first_case[doc_id].casefold(), first_case[doc_id]):
                first_case[doc_id] = name
    records = [
        CodingRecord(guid=r[0], segment=r[1], document=r[2], document_guid=r[3], case=first_case.get(r[4]),
                     code=r[5], coder=r[6], start=r[7], end=r[8], text=texts[r[9]][r[7]:r[8]])
        for r in rows
    ]
    records.sort(key=lambda c: (c.document.casefold(), c.document, c.start, c.end, c.code, c.coder))
    return records
