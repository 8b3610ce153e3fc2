"""Really removing personal data after pseudonymisation: the originals, the earlier texts, and the names.

For one document, purging drops its original file bytes (kept from now on as its current, pseudonymised text)
and every earlier text version. For the whole project it does that for every document and then also replaces
the listed names wherever else they stand: document titles and file names, speaker labels, cases, attribute
values, memos, framework summaries, focus-group notes and feedback, user codes, the event log; registered
persons keep only their pseudonym, and the replacement list itself goes (its left side is the names). Last, the
database's free pages are cleared (SQLite VACUUM, PostgreSQL VACUUM FULL), so nothing of it stays in the file.

It is refused while a segment waits for review on an earlier text (it would go with it) and, for the whole
project, while the bin holds anything (the bin keeps its rows whole, names and all). It cannot be undone: the
owner types the project's name.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, select, text, update
from sqlalchemy.orm import Session

from cases.projects import get_document
from cases.pseudonyms import Matcher, replacement_list
from store.errors import Refused
from store.events import record_event
from store.models import (
    AttributeDefinition,
    AttributeValue,
    BinItem,
    Case,
    Code,
    Codebook,
    Document,
    Event,
    Feedback,
    FocusGroupSession,
    FrameworkCell,
    MaskTerm,
    Memo,
    Person,
    Project,
    Segment,
    Speaker,
    TextVersion,
)


@dataclass
class Purged:
    documents: int = 0
    versions: int = 0
    bytes_dropped: int = 0
    rewritten: int = 0  # rows elsewhere whose text held a listed name
    persons: int = 0
    list_entries: int = 0


def purge_originals(session: Session, project: Project, *, confirm: str, document_ref: str | None = None,
                    actor: str) -> Purged:
    """Purge one document's originals, or (no document) the whole project's and every listed name."""
    if confirm != project.name:
        raise Refused(f"to purge the originals of project '{project.name}' for good, type its name")
    documents = ([get_document(session, project, document_ref)] if document_ref else
                 list(session.scalars(select(Document).where(Document.project_id == project.id))))
    ids = [d.id for d in documents]
    waiting = session.scalar(select(Segment.id).join(TextVersion, TextVersion.id == Segment.text_version_id)
                             .join(Document, Document.id == Segment.document_id)
                             .where(Segment.document_id.in_(ids), TextVersion.version != Document.current_version)
                             .limit(1))
    if waiting is not None:
        raise Refused("segments wait for review on an earlier text of these documents (Documents page): purging "
                      "would delete them; review them first")
    if document_ref is None and session.scalar(select(BinItem.id).where(BinItem.project_id == project.id)
                                               .limit(1)) is not None:  # a document's purge leaves the bin alone
        raise Refused("the bin keeps deleted things whole, names and all: empty the bin first")
    result = Purged()
    for document in documents:
        current = session.scalar(select(TextVersion).where(TextVersion.document_id == document.id,
                                                           TextVersion.version == document.current_version))
        data = current.text.encode("utf-8")
        result.bytes_dropped += document.file_size
        document.original_bytes, document.file_size = data, len(data)
        document.source_format, document.source_encoding = "txt", "utf-8"
        document.sha256 = hashlib.sha256(data).hexdigest()
        result.versions += session.execute(delete(TextVersion).where(
            TextVersion.document_id == document.id, TextVersion.id != current.id)).rowcount
        result.documents += 1
    if document_ref is None:
        _forget_names(session, project, result)
    session.flush()
    record_event(session, project_guid=project.guid, actor=actor, action="purge", entity="project",
                 entity_guid=project.guid,
                 after={"documents": result.documents, "versions": result.versions, "rewritten": result.rewritten,
                        "persons": result.persons, "list_entries": result.list_entries,
                        "document": str(documents[0].guid) if document_ref else None})
    return result


def _forget_names(session: Session, project: Project, result: Purged) -> None:
    matcher = Matcher(replacement_list(session, project))
    in_project = select(Document.id).where(Document.project_id == project.id)
    columns = [
        (Project, ("name", "description"), Project.id == project.id),
        (Case, ("name", "description"), Case.project_id == project.id),
        (Document, ("title", "source_filename"), Document.project_id == project.id),
        (Speaker, ("label",), Speaker.document_id.in_(in_project)),
        (AttributeValue, ("value_text",), AttributeValue.definition_id.in_(
            select(AttributeDefinition.id).where(AttributeDefinition.project_id == project.id))),
        (Memo, ("text",), Memo.project_id == project.id),
        (FrameworkCell, ("summary",), FrameworkCell.project_id == project.id),
        (FocusGroupSession, ("name", "notes"), FocusGroupSession.project_id == project.id),
        (Feedback, ("note",), Feedback.session_id.in_(select(FocusGroupSession.id).where(
            FocusGroupSession.project_id == project.id))),
        (Code, ("label_en", "label_nl", "label_de", "definition", "include_rule", "exclude_rule", "example"),
         Code.codebook_id.in_(select(Codebook.id).where(Codebook.project_id == project.id))),
        (Event, ("before", "after"), Event.project_guid == project.guid),
    ]
    for model, names, where in columns:
        table = model.__table__
        for row in session.execute(select(table.c.id, *(table.c[n] for n in names)).where(where)):
            changes = {n: _scrub(v, matcher) for n, v in zip(names, row[1:])}
            changes = {n: v for n, v in changes.items() if v != row[names.index(n) + 1]}
            if changes:
                session.execute(update(table).where(table.c.id == row[0]).values(**changes))
                result.rewritten += 1
    for number, person in enumerate(session.scalars(select(Person).where(Person.project_id == project.id)
                                                    .order_by(Person.id)), start=1):
        person.name, person.role = person.pseudonym or f"Person {number}", matcher.replace(person.role)
        result.persons += 1
    result.list_entries = session.execute(delete(MaskTerm).where(MaskTerm.project_id == project.id)).rowcount


def _scrub(value: Any, matcher: Matcher) -> Any:
    """The value with every listed name replaced, inside JSON structures too."""
    if isinstance(value, str):
        return matcher.replace(value)
    if isinstance(value, dict):
        return {_scrub(k, matcher): _scrub(v, matcher) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, matcher) for v in value]
    return value


def clear_free_pages(engine: Engine) -> None:
    """Rewrite the database so deleted rows leave nothing in its files: run after the purge's commit."""
    if engine.dialect.name == "sqlite":
        pooled = engine.raw_connection()  # VACUUM runs outside any transaction, on the driver itself
        try:
            driver = pooled.driver_connection
            driver.commit()
            for statement in ("PRAGMA wal_checkpoint(TRUNCATE)", "VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)"):
                driver.execute(statement)
        finally:
            pooled.close()
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("document", "text_version", "turn", "sentence", "speaker", "person", "event", "memo",
                      "mask_term", "case", "attribute_value", "framework_cell", "focus_group_session", "feedback",
                      "code", "project"):
            conn.execute(text(f'VACUUM FULL "{table}"'))
