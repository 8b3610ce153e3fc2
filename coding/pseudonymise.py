"""Pseudonymising transcripts: the replacement list applied to a document, a case or the whole project.

Each document gets a new text version with every name replaced (speaker labels included) and its segments
carried over like any edit (coding.text_edits), so a coding on "Jan de Vries zegt" now covers "R3 zegt". A
speaker label or a document title that holds a name is renamed too. The events say how many replacements were
made and which segments moved, never the names. Undo of a document's last edit takes a pseudonymisation back
like any edit, title and labels included (the replaced text version keeps them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cases.documents import current_text_version, list_documents
from cases.projects import get_case, get_document, get_project
from cases.pseudonyms import Found, Matcher, replacement_list
from coding.text_edits import TextEdit, replace_spans
from store.errors import Refused
from store.events import record_event
from store.models import Document, Project, Speaker, Turn


@dataclass(frozen=True)
class Preview:
    document: str
    found: list[Found]
    contexts: list[str]  # each replacement in its context, after the change


def _turn_spans(session: Session, document: Document) -> list[tuple[int, int]]:
    version = current_text_version(session, document)
    return list(session.execute(select(Turn.start, Turn.end).where(Turn.text_version_id == version.id)
                                .order_by(Turn.ordinal)).all())


def _matches(session: Session, document: Document, matcher: Matcher) -> tuple[str, list[Found]]:
    text = current_text_version(session, document).text
    found = [f for start, end in _turn_spans(session, document) for f in matcher.find(text, start, end)]
    return text, found


def preview_document(session: Session, project: Project, document_ref: str) -> Preview:
    """Every replacement the list would make in the document, in context (nothing is written)."""
    document = get_document(session, project, document_ref)
    text, found = _matches(session, document, Matcher(replacement_list(session, project)))
    contexts = [" ".join((text[max(0, f.start - 50):f.start] + "⟨" + f.pseudonym + "⟩" + text[f.end:f.end + 50])
                         .split()) for f in found]
    return Preview(document.title, found, contexts)


def documents_in(session: Session, project: Project, *, document: str | None = None,
                 case: str | None = None) -> list[Document]:
    if document:
        return [get_document(session, project, document)]
    return list_documents(session, project, get_case(session, project, case) if case else None)


def pseudonymise_document(session: Session, project: Project, document_ref: str, *, actor: str,
                          dry_run: bool = False) -> TextEdit | None:
    """Replace every listed name in the document (None when there is none); an owner's change: it changes every
    coder's segments that hold a name, which the preview showed."""
    document = get_document(session, project, document_ref)
    matcher = Matcher(replacement_list(session, project))
    _, found = _matches(session, document, matcher)
    labels = [(speaker, matcher.replace(speaker.label)) for speaker in
              session.scalars(select(Speaker).where(Speaker.document_id == document.id))]
    labels = [(speaker, masked) for speaker, masked in labels if masked != speaker.label]
    kept = {s.label for s in session.scalars(select(Speaker).where(Speaker.document_id == document.id))} - {
        speaker.label for speaker, _ in labels}
    new_labels = [masked for _, masked in labels]
    clash = sorted({m for m in new_labels if new_labels.count(m) > 1 or m in kept})
    if clash:
        raise Refused(f"'{document.title}': several speakers would be called {', '.join(clash)}; give them "
                      "different pseudonyms first")
    if not found and not labels and matcher.replace(document.title) == document.title:
        return None
    result = replace_spans(session, project, str(document.guid), [(f.start, f.end, f.pseudonym) for f in found],
                           actor=actor, why="pseudonymise", dry_run=dry_run, confirm_others=True) if found else None
    if not dry_run:
        title = matcher.replace(document.title)
        if title != document.title:  # titles are shown in every report: "interview Hoekstra" → "interview R1"
            document.title = title  # the event names only the new title (the old one is kept with the old text)
            record_event(session, project_guid=project.guid, actor=actor, action="pseudonymise", entity="document",
                         entity_guid=document.guid, after={"title": title})
        for speaker, masked in labels:
            session.execute(update(Speaker).where(Speaker.id == speaker.id).values(label=masked))
            record_event(session, project_guid=project.guid, actor=actor, action="pseudonymise", entity="speaker",
                         entity_guid=speaker.guid, after={"label": masked})
    return result


@dataclass(frozen=True)
class Outcome:
    """One document of a pseudonymisation run: its edit (None: nothing to replace), or why it was refused."""

    document: str
    result: TextEdit | None = None
    refused: str | None = None


def pseudonymise_each(write: Callable[[Callable[[Session], Any]], Any], project_guid: str,
                      documents: list[tuple[str, str]], *, actor: str) -> list[Outcome]:
    """Pseudonymise the documents ((guid, title) pairs), each in its own transaction run by `write` (so a long
    run holds no lock for long); a refused document is reported and the others go on."""
    outcomes = []
    for guid, title in documents:
        try:
            result = write(lambda s, g=guid: pseudonymise_document(s, get_project(s, project_guid), g, actor=actor))
        except Refused as exc:
            outcomes.append(Outcome(title, refused=str(exc)))
        else:
            outcomes.append(Outcome(title, result))
    return outcomes
