"""Rejected suggestions: a person's "no" to a code suggested for a sentence.

A rejection is something a person decided, so it is stored and logged like a coding: the suggestion is not
offered to that person again, and the learned suggestions take it as a negative example (the sentence is not that
code, and counts more than a sentence nobody looked at). The sentence is identified by a hash of its text within
the document, never by its text (a purge must be able to remove every copy of the originals), so a rejection
still holds after edits elsewhere in the document, and stops holding when the sentence itself is edited.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.documents import current_text_version
from codebooks.service import find_code
from store.errors import Refused
from store.events import record_event
from store.models import Code, Codebook, Coder, Document, Project, SuggestionRejection

SUGGESTION_METHODS = ("learned", "terms")


def sentence_hash(text: str) -> str:
    """The key a rejection holds for its sentence: SHA-256 of the sentence text, surrounding spaces ignored."""
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Rejected:
    """Who said no to which code on which sentence of a document."""

    document_id: int
    code_key: str
    codebook: str
    coder_id: int
    sentence_hash: str


def reject_suggestion(session: Session, project: Project, document: Document, coder: Coder, code_key: str,
                      start: int, end: int, *, method: str, actor: str, codebook: str | None = None,
                      expected: str | None = None, version: int | None = None) -> bool:
    """Record that `coder` rejects `code_key` for the sentence at [start, end) of the document's current text.

    `expected` (the sentence as the suggestion showed it) or `version` (the text version it was made on) refuse a
    suggestion made before the text changed, so a "no" never lands on another sentence. Returns False (and writes
    nothing) when this coder had already rejected it, so a rerun rejects nothing twice.
    """
    if method not in SUGGESTION_METHODS:
        raise Refused(f"suggestion method '{method}' is not one of {', '.join(SUGGESTION_METHODS)}")
    current = current_text_version(session, document)
    text = current.text
    if version is not None and version != current.version:
        raise Refused(f"the suggestion was made on text version {version} of '{document.title}', which is now at "
                      f"version {current.version}; suggest again")
    if not (0 <= start < end <= len(text)) or not text[start:end].strip():
        raise Refused(f"[{start}, {end}) is not a stretch of text in '{document.title}' "
                      f"(it has {len(text)} characters)")
    if expected is not None and text[start:end] != expected:
        raise Refused(f"the suggested sentence is no longer at {start}–{end} of '{document.title}' (its text "
                      "changed); suggest again")
    code = find_code(session, project, code_key, codebook)
    key = sentence_hash(text[start:end])
    exists = session.scalar(select(SuggestionRejection.id).where(
        SuggestionRejection.document_id == document.id, SuggestionRejection.code_id == code.id,
        SuggestionRejection.coder_id == coder.id, SuggestionRejection.sentence_hash == key))
    if exists is not None:
        return False
    row = SuggestionRejection(project_id=project.id, document_id=document.id, code_id=code.id, coder_id=coder.id,
                              sentence_hash=key, method=method, rejected_by=actor)
    session.add(row)
    session.flush()
    record_event(session, project_guid=project.guid, actor=actor, action="reject", entity="suggestion",
                 entity_guid=row.guid, after={"document": str(document.guid), "code": code.key,
                                              "coder": coder.name, "start": start, "end": end, "method": method})
    return True


def rejections(session: Session, project: Project, *, document_ids: list[int] | None = None,
               codebook: str | None = None, coder_id: int | None = None) -> list[Rejected]:
    """The project's rejections, narrowed to some documents, one codebook, or one coder's."""
    query = (select(SuggestionRejection.document_id, Code.key, Codebook.key, SuggestionRejection.coder_id,
                    SuggestionRejection.sentence_hash)
             .join(Code, Code.id == SuggestionRejection.code_id).join(Codebook, Codebook.id == Code.codebook_id)
             .where(SuggestionRejection.project_id == project.id))
    if document_ids is not None:
        query = query.where(SuggestionRejection.document_id.in_(document_ids))
    if codebook is not None:
        query = query.where(Codebook.key == codebook)
    if coder_id is not None:
        query = query.where(SuggestionRejection.coder_id == coder_id)
    return [Rejected(*row) for row in session.execute(query.order_by(SuggestionRejection.id))]
