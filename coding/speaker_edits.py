"""Correcting a speaker after coding: the role, the person behind the label, or the label itself.

A role or person changes only the speaker's row (matrices by role or person follow at once). A new label is also
written into the transcript wherever a turn of that speaker begins with the old one, as a text edit (a new text
version, every segment carried; undo like any edit). Each change is a logged event.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.documents import current_text_version
from cases.projects import get_document, get_person
from coding.text_edits import TextEdit, replace_spans
from store.errors import Refused
from store.events import record_event
from store.models import SPEAKER_ROLES, Person, Project, Speaker, Turn


@dataclass
class SpeakerChange:
    label: str
    changes: dict[str, str]
    edit: TextEdit | None = None


def set_speaker(session: Session, project: Project, document_ref: str, label: str, *, role: str | None = None,
                person: str | None = None, new_label: str | None = None, actor: str) -> SpeakerChange:
    """Change a speaker of a document; `person` "none" unlinks the person."""
    document = get_document(session, project, document_ref)
    speaker = session.scalar(select(Speaker).where(Speaker.document_id == document.id,
                                                   Speaker.label == " ".join(label.split())).with_for_update())
    if speaker is None:
        raise Refused(f"'{document.title}' has no speaker labelled '{label}'")
    before: dict[str, str | None] = {}
    after: dict[str, str | None] = {}
    if role is not None and role != speaker.role:
        if role not in SPEAKER_ROLES:
            raise Refused(f"a speaker's role is one of {', '.join(SPEAKER_ROLES)}, not '{role}'")
        before["role"], after["role"] = speaker.role, role
        speaker.role = role
    if person is not None:
        found: Person | None = None if person.strip().lower() == "none" else get_person(session, project, person)
        if (found.id if found else None) != speaker.person_id:
            before["person"] = str(session.get(Person, speaker.person_id).guid) if speaker.person_id else None
            after["person"] = str(found.guid) if found else None
            speaker.person_id = found.id if found else None
    edit = None
    if new_label is not None and " ".join(new_label.split()) != speaker.label:
        new_label = " ".join(new_label.split())
        if not new_label or ":" in new_label:
            raise Refused("a speaker label needs some text and no colon")
        if session.scalar(select(Speaker.id).where(Speaker.document_id == document.id, Speaker.label == new_label)):
            raise Refused(f"'{document.title}' already has a speaker labelled '{new_label}'")
        version = current_text_version(session, document)
        text = version.text
        starts = session.scalars(select(Turn.start).where(Turn.text_version_id == version.id,
                                                          Turn.speaker_id == speaker.id)).all()
        spans = [(start, start + len(speaker.label), new_label) for start in starts
                 if text.startswith(speaker.label, start)]
        if spans:
            edit = replace_spans(session, project, str(document.guid), spans, actor=actor, why="speaker label",
                                 confirm_others=True)
        after["label"] = new_label  # the old label is not logged: it may be a name being removed
        speaker.label = new_label
    if not after:
        raise Refused(f"speaker '{label}' of '{document.title}' is already like that; nothing changed")
    session.flush()
    record_event(session, project_guid=project.guid, actor=actor, action="update", entity="speaker",
                 entity_guid=speaker.guid, before=before, after=after)
    return SpeakerChange(speaker.label, {k: str(v) for k, v in after.items()}, edit)
