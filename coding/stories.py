"""Value-creation stories (Wenger, Trayner & de Laat 2011; DOMAIN 2.1): one case's (and optionally one person's)
chain of coded segments through the cycles, immediate to transformative, each step with a note on how it follows
from the one before.

A story is what a researcher writes, so it is stored and logged: every change is one "update" event holding the
story's steps before and after (coding.story_undo takes it back), and only its author or a project owner changes
it. Its checks (coding.story_views) are derived and shown, never enforced: the framework expects loops.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cases.projects import find_by_name_or_guid
from codebooks.levels import rolled_up_codes
from codebooks.service import code_label, get_codebook
from store.errors import Refused
from store.events import changed_by, record_event
from store.models import Case, CaseDocument, Code, Coding, Document, Person, Project, Segment, Story, StoryStep, utcnow

VALUE_CREATION = "value-creation"
NOTE_CHARS = 2000
TITLE_CHARS = 200


@dataclass(frozen=True)
class Cycle:
    """A value-creation cycle a step can stand for: a top code of the codebook, with every code under it."""

    key: str
    label: str
    code_id: int
    rank: float | None  # the ladder's order (immediate 1 ... transformative 5); None: off the ladder (2020 cycles)
    members: frozenset[int]
    colour: str = "#999999"


def story_cycles(session: Session, project: Project, language: str = "en") -> list[Cycle]:
    """The project's value-creation cycles in codebook order (switched-off cycles left out)."""
    try:
        codebook = get_codebook(session, project, VALUE_CREATION)
    except Refused:
        raise Refused(f"stories follow the value-creation cycles: add the '{VALUE_CREATION}' codebook to project "
                      f"'{project.name}' first (Codebooks page, or cli.py codebook-adopt)") from None
    return [Cycle(r.code.key, code_label(r.code, language), r.code.id, r.code.rank, r.members, r.code.colour)
            for r in rolled_up_codes(codebook, 1)]


def find_cycle(cycles: list[Cycle], ref: str) -> Cycle:
    """A cycle by key ("vc.applied"), last key part ("applied") or label ("Applied value"), any case."""
    wanted = " ".join(ref.split()).casefold()
    for cycle in cycles:
        if wanted in (cycle.key.casefold(), cycle.key.rsplit(".", 1)[-1].casefold(), cycle.label.casefold()):
            return cycle
    raise Refused(f"unknown cycle '{ref}' (use one of: {', '.join(c.key for c in cycles)})")


def cycles_of_segment(session: Session, project: Project, segment: int | str | uuid.UUID,
                      cycles: list[Cycle]) -> list[Cycle]:
    """The cycles the segment (its id, or its guid in this project) is coded with, through any code under them, in
    codebook order."""
    if isinstance(segment, int):
        where = Coding.segment_id == segment
    else:
        where = Coding.segment_id == select(Segment.id).join(Document, Segment.document_id == Document.id).where(
            Segment.guid == uuid.UUID(str(segment)), Document.project_id == project.id).scalar_subquery()
    codes = set(session.scalars(select(Coding.code_id).where(where)))
    return [c for c in cycles if c.members & codes]


# --- finding and guarding ------------------------------------------------------------------------------------

def get_story(session: Session, project: Project, ref: str) -> Story:
    """One of the project's stories by title or guid."""
    story = find_by_name_or_guid(session, project, Story, Story.title, ref)
    if story is None:
        raise Refused(f"project '{project.name}' has no story '{ref}'")
    return story


def _editable(session: Session, story: Story, actor: str, as_owner: bool) -> None:
    """Lock the story for this change (read afresh), refused unless `actor` wrote it or may change anyone's."""
    session.refresh(story, with_for_update=True)
    if story.created_by != actor and not as_owner:
        raise Refused(f"story '{story.title}' is {story.created_by}'s: only they (or an owner) can change it")


def story_state(session: Session, story: Story) -> dict:
    """What an event keeps of a story: title, person and steps (segment and cycle by guid and key), no text."""
    person = session.scalar(select(Person.guid).where(Person.id == story.person_id)) if story.person_id else None
    rows = session.execute(
        select(StoryStep.guid, Segment.guid, Code.key, StoryStep.note)
        .join(Segment, StoryStep.segment_id == Segment.id).join(Code, StoryStep.cycle_code_id == Code.id)
        .where(StoryStep.story_id == story.id).order_by(StoryStep.position)).all()
    return {"title": story.title, "person": str(person) if person else None,
            "steps": [{"guid": str(g), "segment": str(s), "cycle": k, "note": n} for g, s, k, n in rows]}


def _log(session: Session, project: Project, story: Story, actor: str, before: dict, what: str) -> None:
    story.updated_at = utcnow()
    session.flush()
    session.expire(story, ["steps"])
    record_event(session, project_guid=project.guid, actor=actor, action="update", entity="story",
                 entity_guid=story.guid, before=before, after={**story_state(session, story), "what": what})


def _ordered(session: Session, story: Story) -> list[StoryStep]:
    return list(session.scalars(select(StoryStep).where(StoryStep.story_id == story.id)
                                .order_by(StoryStep.position, StoryStep.id)))


def _renumber(steps: list[StoryStep]) -> None:
    for position, step in enumerate(steps):
        step.position = position


def _step(session: Session, story: Story, ref: str | uuid.UUID | int) -> StoryStep:
    """A step of the story by its guid, its segment's guid, or its position (1 = first)."""
    steps = _ordered(session, story)
    if isinstance(ref, int):
        if not 1 <= ref <= len(steps):
            raise Refused(f"story '{story.title}' has no step {ref} (it has {len(steps)})")
        return steps[ref - 1]
    text = str(ref).strip()
    segments = dict(session.execute(select(Segment.id, Segment.guid).where(
        Segment.id.in_([s.segment_id for s in steps]))).all()) if steps else {}
    for step in steps:
        if text in (str(step.guid), str(segments.get(step.segment_id))):
            return step
    raise Refused(f"story '{story.title}' has no step '{ref}'")


def _position(count: int, position: int | None) -> int:
    """Where a step goes (1 = first; None = last) as a 0-based index, refused outside 1 .. count + 1."""
    if position is None:
        return count
    if not 1 <= position <= count + 1:
        raise Refused(f"position {position} is outside the story (use 1 to {count + 1})")
    return position - 1


def story_persons(session: Session, project: Project, case: Case) -> list[Person]:
    """Whom a story of `case` can follow: the case's persons and those in no case, by name."""
    return sorted(session.scalars(select(Person).where(Person.project_id == project.id,
                                                       or_(Person.case_id == case.id, Person.case_id.is_(None)))),
                  key=lambda p: (p.name.casefold(), p.name))


def _check_person(person: Person | None, case: Case) -> None:
    if person is not None and person.case_id not in (None, case.id):
        raise Refused(f"{person.name} belongs to another case than '{case.name}'")


def _title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise Refused("a story needs a title")
    if len(title) > TITLE_CHARS:
        raise Refused(f"a story's title is at most {TITLE_CHARS} characters (this one has {len(title)})")
    return title


def _note(note: str) -> str:
    note = note.strip()
    if len(note) > NOTE_CHARS:
        raise Refused(f"a step's note is at most {NOTE_CHARS} characters (this one has {len(note)})")
    return note


# --- writing -------------------------------------------------------------------------------------------------

def create_story(session: Session, project: Project, case: Case, title: str, *, person: Person | None = None,
                 actor: str, author: str | None = None, guid: uuid.UUID | None = None) -> Story:
    """A new, empty story of `case` (and `person`), written by `author` (default: `actor`, who is logged as making
    it; they differ when a story comes from the demo or a project file); titles are unique in the project."""
    story_cycles(session, project)  # refused now, not at the first step, when the project has no cycles
    title = _title(title)
    if case.project_id != project.id or (person is not None and person.project_id != project.id):
        raise Refused("the story's case and person must be of this project")
    _check_person(person, case)
    if session.scalar(select(Story.id).where(Story.project_id == project.id, Story.title == title)):
        raise Refused(f"project '{project.name}' already has a story '{title}'")
    story = Story(project_id=project.id, case_id=case.id, person_id=person.id if person else None, title=title,
                  created_by=author or actor)
    if guid is not None:
        story.guid = guid
    session.add(story)
    session.flush()
    record_event(session, project_guid=project.guid, actor=actor, action="create", entity="story",
                 entity_guid=story.guid, after={**story_state(session, story), "case": str(case.guid),
                                                "what": f"creating the story '{title}'"})
    return story


def edit_story(session: Session, project: Project, story: Story, *, actor: str, as_owner: bool = False,
               title: str | None = None, person: Person | None | bool = False) -> Story:
    """A new title and/or person (False: keep the person; None: no person)."""
    _editable(session, story, actor, as_owner)
    before = story_state(session, story)
    if title is not None:
        title = _title(title)
        if title != story.title and session.scalar(select(Story.id).where(
                Story.project_id == project.id, Story.title == title)):
            raise Refused(f"project '{project.name}' already has a story '{title}'")
        story.title = title
    if person is not False:
        _check_person(person if isinstance(person, Person) else None, session.get(Case, story.case_id))
        story.person_id = person.id if isinstance(person, Person) else None
    if story_state(session, story) != before:
        _log(session, project, story, actor, before, f"renaming the story '{before['title']}'"
             if title is not None and title != before["title"] else f"changing the person of '{story.title}'")
    return story


def add_step(session: Session, project: Project, story: Story, segment_guid: uuid.UUID | str, *, actor: str,
             cycle: str | None = None, note: str = "", position: int | None = None, as_owner: bool = False
             ) -> StoryStep:
    """Add a coded segment of one of the case's documents as a step (at `position`, 1 = first; default last).

    Its cycle is the one it is coded with; when it is coded with several, or with none, `cycle` names it (a cycle
    it is not coded with is allowed and shown as a warning on the story)."""
    _editable(session, story, actor, as_owner)
    try:
        guid = segment_guid if isinstance(segment_guid, uuid.UUID) else uuid.UUID(str(segment_guid).strip())
    except ValueError:
        raise Refused(f"'{segment_guid}' is not a segment guid") from None
    segment = session.scalar(select(Segment).join(Document, Segment.document_id == Document.id)
                             .where(Segment.guid == guid, Document.project_id == project.id))
    if segment is None or not session.scalar(select(CaseDocument.document_id).where(
            CaseDocument.case_id == story.case_id, CaseDocument.document_id == segment.document_id)):
        case = session.get(Case, story.case_id)
        raise Refused(f"segment {guid} is not in a document of case '{case.name}'")
    if session.scalar(select(StoryStep.id).where(StoryStep.story_id == story.id,
                                                 StoryStep.segment_id == segment.id)):
        raise Refused(f"segment {guid} is a step of story '{story.title}' already")
    cycles = story_cycles(session, project)
    coded = cycles_of_segment(session, project, segment.id, cycles)
    if cycle is not None:
        chosen = find_cycle(cycles, cycle)
    elif len(coded) == 1:
        chosen = coded[0]
    elif coded:
        raise Refused(f"the segment is coded with several cycles ({', '.join(c.key for c in coded)}): "
                      "choose the one it stands for in this story")
    else:
        raise Refused("the segment is coded with no value-creation cycle: choose the one it stands for "
                      f"(one of: {', '.join(c.key for c in cycles)})")
    before = story_state(session, story)
    steps = _ordered(session, story)
    at = _position(len(steps), position)
    step = StoryStep(story_id=story.id, segment_id=segment.id, cycle_code_id=chosen.code_id, note=_note(note),
                     position=len(steps))
    session.add(step)
    steps.insert(at, step)
    _renumber(steps)
    _log(session, project, story, actor, before, f"adding step {at + 1} ({chosen.label}) to '{story.title}'")
    return step


def remove_step(session: Session, project: Project, story: Story, step_ref: str | uuid.UUID | int, *, actor: str,
                as_owner: bool = False) -> None:
    """Take a step out of the story (the segment and its codings stay)."""
    _editable(session, story, actor, as_owner)
    before = story_state(session, story)
    step = _step(session, story, step_ref)
    number = step.position + 1
    session.delete(step)
    session.flush()
    _renumber(_ordered(session, story))
    _log(session, project, story, actor, before, f"removing step {number} from '{story.title}'")


def move_step(session: Session, project: Project, story: Story, step_ref: str | uuid.UUID | int, position: int, *,
              actor: str, as_owner: bool = False) -> None:
    """Move a step to `position` (1 = first)."""
    _editable(session, story, actor, as_owner)
    before = story_state(session, story)
    step = _step(session, story, step_ref)
    steps = [s for s in _ordered(session, story) if s.id != step.id]
    at = _position(len(steps), position)
    number = step.position + 1
    steps.insert(at, step)
    _renumber(steps)
    if story_state(session, story) != before:
        _log(session, project, story, actor, before, f"moving step {number} of '{story.title}' to {at + 1}")


def edit_step(session: Session, project: Project, story: Story, step_ref: str | uuid.UUID | int, *, actor: str,
              note: str | None = None, cycle: str | None = None, as_owner: bool = False,
              shown_note: str | None = None) -> StoryStep:
    """A step's new link note and/or cycle. `shown_note`: the note the person edited; when it is another by now,
    nothing is saved and they are told who changed it."""
    _editable(session, story, actor, as_owner)
    before = story_state(session, story)
    step = _step(session, story, step_ref)
    if shown_note is not None and step.note != shown_note:
        raise Refused(f"this story was {changed_by(session, story.guid, actor)}; look at it again (nothing was "
                      "saved)")
    if note is not None:
        step.note = _note(note)
    if cycle is not None:
        step.cycle_code_id = find_cycle(story_cycles(session, project), cycle).code_id
    if story_state(session, story) != before:
        _log(session, project, story, actor, before, f"editing step {step.position + 1} of '{story.title}'")
    return step


def delete_story(session: Session, project: Project, story: Story, *, actor: str, as_owner: bool = False) -> None:
    """Move the story with its steps to the project's bin (restored whole from there)."""
    from cases.bin import delete_to_bin

    _editable(session, story, actor, as_owner)
    delete_to_bin(session, project, "story", str(story.guid), actor=actor)
