"""Reading documents back: text of a version, turns with speakers, sentences, listings."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from cases.projects import get_case
from store.bulk import in_chunks
from store.errors import Refused
from store.events import record_event
from store.matrix_facts import page_at  # noqa: F401  (read here by the pages and exports)
from store.models import (
    Case,
    CaseDocument,
    Coding,
    Document,
    Person,
    Project,
    Segment,
    Sentence,
    Speaker,
    TextVersion,
    Turn,
)


def current_text_version(session: Session, document: Document) -> TextVersion:
    version = session.scalar(
        select(TextVersion).where(TextVersion.document_id == document.id, TextVersion.version == document.current_version)
    )
    if version is None:
        raise Refused(f"document '{document.title}' has no text version {document.current_version}")
    return version


def document_text(session: Session, document: Document) -> str:
    return current_text_version(session, document).text


@dataclass
class TurnView:
    ordinal: int
    start: int
    end: int
    content_start: int
    label: str | None
    role: str
    person: str | None
    pseudonym: str | None
    start_ms: int | None
    end_ms: int | None
    language: str | None


def document_turns(session: Session, document: Document) -> list[TurnView]:
    version = current_text_version(session, document)
    stmt = (
        select(Turn, Speaker, Person)
        .outerjoin(Speaker, Turn.speaker_id == Speaker.id)
        .outerjoin(Person, Speaker.person_id == Person.id)
        .where(Turn.text_version_id == version.id)
        .order_by(Turn.ordinal)
    )
    return [
        TurnView(turn.ordinal, turn.start, turn.end, turn.content_start, speaker.label if speaker else None,
                 speaker.role if speaker else "unknown", person.name if person else None,
                 person.pseudonym if person else None, turn.start_ms, turn.end_ms, turn.language)
        for turn, speaker, person in session.execute(stmt)
    ]


def document_sentences(session: Session, document: Document) -> list[tuple[int, int]]:
    version = current_text_version(session, document)
    stmt = select(Sentence.start, Sentence.end).where(Sentence.text_version_id == version.id).order_by(Sentence.ordinal)
    return [(s, e) for s, e in session.execute(stmt)]


def document_speakers(session: Session, document: Document) -> list[tuple[Speaker, Person | None]]:
    stmt = (
        select(Speaker, Person)
        .outerjoin(Person, Speaker.person_id == Person.id)
        .where(Speaker.document_id == document.id)
        .order_by(Speaker.id)
    )
    return [(speaker, person) for speaker, person in session.execute(stmt)]


def list_documents(session: Session, project: Project, case: Case | None = None) -> list[Document]:
    stmt = select(Document).where(Document.project_id == project.id)
    if case is not None:
        stmt = stmt.join(CaseDocument).where(CaseDocument.case_id == case.id)
    return sorted(session.scalars(stmt), key=lambda d: (d.title.casefold(), d.title))


def document_titles(session: Session, project: Project) -> dict[int, tuple[str, str]]:
    """{document id: (title, guid as printed)} for a whole project in one query."""
    document = Document.__table__.c  # the table's columns: no ORM compile step (store.matrix_facts.FACT says why)
    return {doc_id: (title, str(guid)) for doc_id, title, guid in session.execute(
        select(document.id, document.title, document.guid).where(document.project_id == project.id))}


def document_case_names(session: Session, project: Project) -> dict[int, list[str]]:
    """{document id: case names sorted} for a whole project in one query."""
    stmt = (
        select(CaseDocument.document_id, Case.name)
        .join(Case, Case.id == CaseDocument.case_id)
        .where(Case.project_id == project.id)
    )
    out: dict[int, list[str]] = {}
    for doc_id, name in session.execute(stmt):
        out.setdefault(doc_id, []).append(name)
    for names in out.values():
        names.sort(key=lambda n: (n.casefold(), n))
    return out


def document_record(document: Document, case_names: list[str], text: str | None = None) -> dict:
    """The CLI/JSON shape of a document."""
    record = {
        "guid": str(document.guid), "title": document.title, "case": case_names[0] if case_names else None,
        "cases": case_names, "kind": document.kind, "language": document.language,
        "source_filename": document.source_filename, "sha256": document.sha256,
        "date": document.document_date.isoformat() if document.document_date else None,
    }
    if text is not None:
        record["text"] = text
    return record


def project_counts(session: Session, project: Project, visible: ColumnElement[bool] | None = None) -> dict[str, int]:
    """Cases, documents, persons and codings; `visible` keeps only the segments a viewer may see (blind coding)."""
    docs = select(Document.id).where(Document.project_id == project.id)
    return {
        "cases": session.scalar(select(func.count()).select_from(Case).where(Case.project_id == project.id)) or 0,
        "documents": session.scalar(select(func.count()).select_from(docs.subquery())) or 0,
        "persons": session.scalar(select(func.count()).select_from(Person).where(Person.project_id == project.id)) or 0,
        "codings": session.scalar(
            select(func.count()).select_from(Coding).join(Segment).where(Segment.document_id.in_(docs),
                                                                         *([visible] if visible is not None else []))
        ) or 0,
    }


def turns_with_sentences(session: Session, document: Document) -> list[tuple[TurnView, list[tuple[int, int]]]]:
    """Each turn with the sentence spans inside it, for reading a transcript unit by unit."""
    version = current_text_version(session, document)
    by_turn: dict[int, list[tuple[int, int]]] = {}
    stmt = (
        select(Turn.ordinal, Sentence.start, Sentence.end)
        .join(Turn, Sentence.turn_id == Turn.id)
        .where(Sentence.text_version_id == version.id)
        .order_by(Sentence.ordinal)
    )
    for ordinal, start, end in session.execute(stmt):
        by_turn.setdefault(ordinal, []).append((start, end))
    return [(turn, by_turn.get(turn.ordinal, [])) for turn in document_turns(session, document)]


def link_document_to_case(session: Session, project: Project, document: Document, case: Case, *,
                          actor: str = "system") -> bool:
    """Let a document belong to one more case (a focus group can span cases). False if it already did."""
    if case.project_id != project.id or document.project_id != project.id:
        raise Refused("the case and the document must belong to the same project")
    if session.get(CaseDocument, (case.id, document.id)) is not None:
        return False
    session.add(CaseDocument(case_id=case.id, document_id=document.id))
    session.flush()
    record_event(session, project_guid=project.guid, actor=actor, action="link", entity="document",
                 entity_guid=document.guid, after={"case": str(case.guid)})
    return True


def unlink_document_from_case(session: Session, project: Project, document: Document, case: Case, *,
                              actor: str = "system") -> None:
    link = session.get(CaseDocument, (case.id, document.id))
    if link is None:
        raise Refused(f"document '{document.title}' is not in case '{case.name}'")
    session.delete(link)
    session.flush()
    record_event(session, project_guid=project.guid, actor=actor, action="unlink", entity="document",
                 entity_guid=document.guid, before={"case": str(case.guid)})


def set_document_date(session: Session, project: Project, document: Document, when: date | None, *,
                      actor: str = "system") -> None:
    before = {"date": document.document_date.isoformat() if document.document_date else None}
    document.document_date = when
    session.flush()
    record_event(session, project_guid=project.guid, actor=actor, action="update", entity="document",
                 entity_guid=document.guid, before=before, after={"date": when.isoformat() if when else None})


def save_document_meta(session: Session, project: Project, document: Document, case_names: list[str],
                       when: date | None, *, actor: str = "system") -> None:
    """Set the cases a document belongs to (at least one) and its date, in one transaction."""
    if not case_names:
        raise Refused("a document belongs to at least one case")
    wanted = {case.id: case for case in (get_case(session, project, name) for name in case_names)}
    current = {link.case_id for link in session.scalars(select(CaseDocument).where(
        CaseDocument.document_id == document.id))}
    for case_id, case in wanted.items():
        if case_id not in current:
            link_document_to_case(session, project, document, case, actor=actor)
    for case_id in current - set(wanted):
        unlink_document_from_case(session, project, document, session.get(Case, case_id), actor=actor)
    if when != document.document_date:
        set_document_date(session, project, document, when, actor=actor)


def turn_number(ordinal: int | None) -> int | None:
    """The number people read for a turn: counted from 1, like the ¶ numbers beside the transcript.

    Turns are stored (and linked in URLs) by their 0-based ordinal; every output a person reads (screen, CSV,
    XLSX, DOCX, CLI tables, JSON's `turn`) goes through here, and JSON names the stored one `turn_ordinal`."""
    return None if ordinal is None else ordinal + 1


def turn_label(ordinal: int | None) -> str:
    """How a turn is named to people: "turn 4" for ordinal 3."""
    return "outside turns" if ordinal is None else f"turn {turn_number(ordinal)}"


def quote_citation(turn: int | None, speaker: str | None, *, page: int | None = None, document: str | None = None,
                   last_turn: int | None = None) -> str:
    """Where a quote comes from, as every quote is cited (Retrieve, matrices, the Framework and presentation pages,
    the reports and exports): "[document · ]turn 4" for a speaker's turn; "¶4" for a unit without a speaker (a
    paragraph of a PDF or another document); a PDF's page first: "plan · p. 12 · ¶10". `speaker` is the unit's
    speaker label (None: no speaker); `last_turn` names a quote over several units ("turns 3–5", "¶3–¶5"). The
    numbers are those beside the transcript (turn_number)."""
    parts = [document] if document is not None else []
    if page is not None:
        parts.append(f"p. {page}")
    if turn is None:
        parts.append(turn_label(None))
    else:
        lo = turn_number(turn)
        hi = turn_number(last_turn) if last_turn is not None else lo
        if speaker is None:
            parts.append(f"¶{lo}" if lo == hi else f"¶{lo}–¶{hi}")
        else:
            parts.append(turn_label(turn) if lo == hi else f"turns {lo}–{hi}")
    return " · ".join(parts)


def texts_and_pages(session: Session, version_ids: Iterable[int]) -> dict[int, tuple[str, list[int] | None]]:
    """{text version: (its text, its page starts)}, each read once, 500 versions a query: quotes are sliced from
    them in Python (a substr per quote makes PostgreSQL decompress the whole text each time)."""
    out: dict[int, tuple[str, list[int] | None]] = {}
    for ids in in_chunks(version_ids):
        for version_id, text, pages in session.execute(select(TextVersion.id, TextVersion.text, TextVersion.pages)
                                                       .where(TextVersion.id.in_(ids))):
            out[version_id] = (text, pages)
    return out


def page_starts(session: Session, version_ids: Iterable[int]) -> dict[int, list[int] | None]:
    """The page starts of these text versions (None for a transcript), read once, 500 versions a query."""
    out: dict[int, list[int] | None] = {}
    for ids in in_chunks(version_ids):
        out.update(session.execute(select(TextVersion.id, TextVersion.pages).where(TextVersion.id.in_(ids))).all())
    return out
