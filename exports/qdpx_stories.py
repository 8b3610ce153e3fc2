"""Value-creation stories in a REFI-QDA project: each story a Note (guid derived from the story's, stable) that
every step's selection refers to (NoteRef) and its case's Set holds, its text saying the case, person, author and
each step's cycle, selection and link note. Another program keeps the note on those selections; a Kruispunt
import of a Kruispunt export restores the story with its steps (`restore_story`), so nothing is lost either way.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from datetime import timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.errors import Refused
from store.models import Case, Code, Document, Person, Project, Segment, Story, StoryStep, TextVersion

NOTE_NAME = "Value-creation story: "
_STEP = re.compile(r"^(\d+)\. (\S+) \((.*)\), selection ([0-9a-f-]{36}): ")
_FIELD = re.compile(r"^(Case|Person|Written by|Story): (.*)$")


def note_guid(story_guid: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(story_guid, "refi-note")


def story_notes(session: Session, project: Project
                ) -> tuple[list[tuple[str, dict[str, Any], str, int | None]], dict[int, list[uuid.UUID]]]:
    """(notes as (guid, attributes, text, case id of its Set)), and the story note guids per segment id."""
    stories = list(session.execute(
        select(Story, Case.name, Person.name).join(Case, Story.case_id == Case.id)
        .outerjoin(Person, Story.person_id == Person.id).where(Story.project_id == project.id)))
    if not stories:
        return [], {}
    steps = session.execute(
        select(StoryStep.story_id, StoryStep.segment_id, StoryStep.note, Segment.guid, Code.key, Code.label_en,
               Segment.start, Segment.end, TextVersion.text)
        .join(Segment, StoryStep.segment_id == Segment.id).join(Code, StoryStep.cycle_code_id == Code.id)
        .join(TextVersion, Segment.text_version_id == TextVersion.id)
        .where(StoryStep.story_id.in_([s.id for s, _, _ in stories])).order_by(StoryStep.story_id,
                                                                               StoryStep.position)).all()
    by_story: dict[int, list] = defaultdict(list)
    for row in steps:
        by_story[row.story_id].append(row)
    notes, refs = [], defaultdict(list)
    for story, case, person in sorted(stories, key=lambda r: (r[1].casefold(), r[0].title.casefold(), r[0].title)):
        guid = note_guid(story.guid)
        lines = [f"Case: {case}"] + ([f"Person: {person}"] if person else []) + [
            f"Written by: {story.created_by}", f"Story: {story.guid}", "Steps:"]
        for number, row in enumerate(by_story[story.id], 1):
            quote = " ".join(row.text[row.start:row.end].split())
            lines.append(f"{number}. {row.key} ({row.label_en or row.key}), selection {row.guid}: “{quote}”")
            if row.note:
                lines.append(f"   Note: {' '.join(row.note.split())}")
            refs[row.segment_id].append(guid)
        created = story.created_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")  # as qdpx._when
        notes.append((str(guid), {"name": f"{NOTE_NAME}{story.title}", "creationDateTime": created},
                      "\n".join(lines), story.case_id))
    return notes, refs


def restore_story(store, name: str, text: str, note_guid_: uuid.UUID | None) -> bool:  # type: ignore[no-untyped-def]
    """Make the story a Kruispunt note describes (False, and nothing made, when it cannot be read back: the caller
    keeps the note as memos instead). A story the project holds already counts as unchanged."""
    from cases.projects import create_person
    from coding.stories import add_step, create_story

    session, project = store.session, store.project
    fields: dict[str, str] = {}
    steps: list[dict[str, str]] = []
    for line in text.splitlines():
        if (step := _STEP.match(line)) is not None:
            steps.append({"cycle": step.group(2), "selection": step.group(4), "note": ""})
        elif line.startswith("   Note: ") and steps:
            steps[-1]["note"] = line[len("   Note: "):]
        elif (field := _FIELD.match(line)) is not None:
            fields[field.group(1)] = field.group(2)
    try:
        story_guid = uuid.UUID(fields["Story"])
        case = session.scalar(select(Case).where(Case.project_id == project.id, Case.name == fields["Case"]))
    except (KeyError, ValueError):
        return False
    if case is None:
        return False
    if store.mine(Story, story_guid, Story.project_id == project.id) is not None:
        store.report.unchanged["stories"] += 1
        return True
    person = session.scalar(select(Person).where(Person.project_id == project.id,
                                                 Person.name == fields["Person"])) if "Person" in fields else None
    try:
        with session.begin_nested():  # all of the story or none of it
            if "Person" in fields and person is None:  # REFI-QDA carries no persons: the story's comes back
                person = create_person(session, project, fields["Person"], case=case, actor=store.actor)
                store.report.imported["persons followed by a story"] += 1
            story = create_story(session, project, case, name[len(NOTE_NAME):], person=person, actor=store.actor,
                                 author=fields.get("Written by"), guid=store.free(Story, story_guid, "Note"))
            for step in steps:
                segment = _segment(store, uuid.UUID(step["selection"]))
                if segment is None:
                    raise Refused(f"its selection {step['selection']} was not imported")
                add_step(session, project, story, segment.guid, cycle=step["cycle"], note=step["note"],
                         actor=store.actor, as_owner=True)  # the import writes what the author wrote
    except Refused as exc:
        store.report.adjust("Note", note_guid_, f"a value-creation story that could not be restored ({exc}); "
                            "kept as memos", name)
        return False
    store.report.imported["stories"] += 1
    return True


def _segment(store, guid: uuid.UUID) -> Segment | None:  # type: ignore[no-untyped-def]
    return store.session.scalars(select(Segment).join(Document, Segment.document_id == Document.id).where(
        Segment.guid.in_([guid, store.local(guid)]), Document.project_id == store.project.id)).first()
