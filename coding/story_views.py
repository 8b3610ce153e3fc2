"""Stories as people read them: each step with its quote, document and turn, and the checks the framework asks
for, derived on every read and never enforced (a story may loop; it is shown what to look at again).

Checks: a story reaching fewer than two cycles; a step that goes back down the ladder ("loop back", allowed);
an aspirational statement used as applied or realised evidence; a step whose segment is not coded with the cycle
it stands for; a step whose document has left the case, or whose text was deleted in an edit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from cases.documents import turn_number
from coding.assignments import NOT_BLIND, BlindScope
from coding.retrieval import SPEAKER_KEY
from coding.stories import Cycle, story_cycles
from store.matrix_facts import TURN_OF_SEGMENT
from store.models import (
    Case,
    CaseDocument,
    Coder,
    Coding,
    Document,
    Person,
    Project,
    Segment,
    Speaker,
    Story,
    StoryStep,
    TextVersion,
    Turn,
    dashed_guid,
    guid_text,
)

DEEDS = ("applied", "realised")  # cycles whose evidence must be something done, not hoped for


@dataclass
class StepView:
    guid: str
    position: int  # 1 = first
    segment: str
    cycle: str  # the cycle's code key
    cycle_label: str
    rank: float | None
    document: str
    document_guid: str
    turn: int | None  # as people number turns (from 1); None outside turns
    speaker: str | None
    start: int
    end: int
    text: str
    note: str
    coder: str
    warnings: list[str] = field(default_factory=list)
    speaker_key: int | None = None  # who said it (a person, or -speaker id): for anonymising
    role: str | None = None  # the speaker's role

    def as_dict(self) -> dict:
        return {"position": self.position, "segment": self.segment, "cycle": self.cycle, "document": self.document,
                "turn": self.turn, "text": self.text, "note": self.note, "warnings": self.warnings,
                "guid": self.guid, "cycle_label": self.cycle_label, "start": self.start, "end": self.end,
                "coder": self.coder}


@dataclass
class StoryView:
    guid: str
    title: str
    case: str
    case_guid: str
    person: str | None
    author: str
    steps: list[StepView]
    warnings: list[str] = field(default_factory=list)

    def cycles_reached(self) -> list[str]:
        """The cycle keys the story has a step in, each once, in step order."""
        return list(dict.fromkeys(s.cycle for s in self.steps))

    def as_dict(self) -> dict:
        return {"guid": self.guid, "title": self.title, "case": self.case, "person": self.person,
                "steps": [s.as_dict() for s in self.steps], "warnings": self.warnings, "author": self.author}


def story_views(session: Session, project: Project, *, case: Case | None = None, story: Story | None = None,
                language: str = "en", cycles: list[Cycle] | None = None) -> list[StoryView]:
    """The project's stories (of one case, or one story) by case and title, each step checked; three queries
    and the cycles (`cycles`: the project's, when the caller has them already)."""
    stmt = (select(Story.id, Story.guid, Story.title, Case.name, Case.guid, Person.name, Story.created_by,
                   Story.case_id)
            .join(Case, Story.case_id == Case.id).outerjoin(Person, Story.person_id == Person.id)
            .where(Story.project_id == project.id))
    if case is not None:
        stmt = stmt.where(Story.case_id == case.id)
    if story is not None:
        stmt = stmt.where(Story.id == story.id)
    stories = sorted(session.execute(stmt).all(), key=lambda r: (r[3].casefold(), r[2].casefold(), r[2]))
    if not stories:
        return []
    by_code = {c.code_id: c for c in cycles or story_cycles(session, project, language)}
    steps = session.execute(
        select(StoryStep.story_id, guid_text(StoryStep.guid).label("step_guid"), StoryStep.position, StoryStep.note,
               StoryStep.cycle_code_id, Segment.id, guid_text(Segment.guid).label("segment_guid"), Segment.start,
               Segment.end, Segment.needs_review, Document.id, Document.title,
               guid_text(Document.guid).label("document_guid"), Coder.name, Turn.ordinal,
               Speaker.label,
               func.substr(TextVersion.text, Segment.start + 1, Segment.end - Segment.start), SPEAKER_KEY,
               Speaker.role)
        .join(Segment, StoryStep.segment_id == Segment.id).join(Document, Segment.document_id == Document.id)
        .join(Coder, Segment.coder_id == Coder.id).join(TextVersion, Segment.text_version_id == TextVersion.id)
        .outerjoin(Turn, TURN_OF_SEGMENT).outerjoin(Speaker, Turn.speaker_id == Speaker.id)
        .where(StoryStep.story_id.in_([r[0] for r in stories]))
        .order_by(StoryStep.story_id, StoryStep.position)).all()
    segment_ids = {r[5] for r in steps}
    codes: dict[int, set[int]] = {}
    aspirational: set[int] = set()
    links: set[tuple[int, int]] = set()
    if segment_ids:
        for segment_id, code_id, flagged in session.execute(select(
                Coding.segment_id, Coding.code_id, Coding.aspirational).where(Coding.segment_id.in_(segment_ids))):
            codes.setdefault(segment_id, set()).add(code_id)
            if flagged:
                aspirational.add(segment_id)
        links = {(c, d) for c, d in session.execute(select(CaseDocument.case_id, CaseDocument.document_id).where(
            CaseDocument.document_id.in_({r[10] for r in steps})))}
    case_ids = {r[0]: r[7] for r in stories}
    by_story: dict[int, list[StepView]] = {}
    for (story_id, guid, position, note, cycle_id, segment_id, segment_guid, start, end, review, doc_id, title,
         doc_guid, coder, ordinal, speaker, text, speaker_key, role) in steps:
        cycle = by_code.get(cycle_id)
        view = StepView(dashed_guid(guid), position + 1, dashed_guid(segment_guid), cycle.key if cycle else "?",
                        cycle.label if cycle else "a cycle switched off", cycle.rank if cycle else None, title,
                        dashed_guid(doc_guid), turn_number(ordinal), speaker, start, end, text or "", note, coder,
                        speaker_key=speaker_key if speaker is not None else None, role=role)
        view.warnings = _step_warnings(cycle, codes.get(segment_id, set()), segment_id in aspirational,
                                       (case_ids[story_id], doc_id) in links, review)
        by_story.setdefault(story_id, []).append(view)
    views = []
    for story_id, guid, title, case_name, case_guid, person, author, _ in stories:
        story_steps = by_story.get(story_id, [])
        _mark_loops(story_steps)
        views.append(StoryView(str(guid), title, case_name, str(case_guid), person, author, story_steps,
                               _story_warnings(story_steps)))
    return views


def _step_warnings(cycle: Cycle | None, codes: set[int], aspirational: bool, in_case: bool,
                   needs_review: bool) -> list[str]:
    out = []
    if cycle is None:
        out.append("its cycle is switched off in the codebook")
    else:
        if not cycle.members & codes:
            out.append(f"the segment is not coded as {cycle.label}")
        if aspirational and cycle.key.rsplit(".", 1)[-1] in DEEDS:
            out.append(f"an aspirational statement used as evidence of {cycle.label.casefold()}")
    if not in_case:
        out.append("its document is no longer in the story's case")
    if needs_review:
        out.append("its text was deleted in a transcript edit; it waits for review")
    return out


def _mark_loops(steps: list[StepView]) -> None:
    """A step below the last step on the ladder before it loops back (cycles off the ladder are skipped)."""
    previous: StepView | None = None
    for step in steps:
        if step.rank is None:
            continue
        if previous is not None and step.rank < previous.rank:  # type: ignore[operator]
            step.warnings.insert(0, f"loop back: {previous.cycle_label} → {step.cycle_label}")
        previous = step


def _story_warnings(steps: list[StepView]) -> list[str]:
    if not steps:
        return ["no steps yet"]
    reached = {s.cycle for s in steps}
    if len(reached) < 2:
        return ["fewer than two cycles: a story follows value from one cycle to another"]
    return []


@dataclass
class Candidate:
    """A coded segment of the case that could be a step: the cycles it is coded with, where it is, what it says."""

    segment: str
    cycles: list[str]  # cycle keys, codebook order
    document: str
    turn: int | None
    speaker: str | None
    start: int
    text: str
    coder: str
    in_story: list[str] = field(default_factory=list)  # titles of the case's stories that have it as a step


def story_candidates(session: Session, project: Project, case: Case, *, language: str = "en",
                     blind: BlindScope = NOT_BLIND) -> list[Candidate]:
    """The case's segments coded with a value-creation cycle, by document title and position (on documents the
    viewer codes blind, only their own)."""
    cycles = story_cycles(session, project, language)
    members = {code_id: c.key for c in cycles for code_id in c.members}
    if not members:
        return []
    stmt = (select(Segment.id, Segment.guid, Segment.start, Document.title, Coder.name, Turn.ordinal, Speaker.label,
                   func.substr(TextVersion.text, Segment.start + 1, Segment.end - Segment.start), Coding.code_id)
            .join(Document, Segment.document_id == Document.id)
            .join(CaseDocument, and_(CaseDocument.document_id == Document.id, CaseDocument.case_id == case.id))
            .join(Coder, Segment.coder_id == Coder.id).join(TextVersion, Segment.text_version_id == TextVersion.id)
            .join(Coding, Coding.segment_id == Segment.id)
            .outerjoin(Turn, TURN_OF_SEGMENT).outerjoin(Speaker, Turn.speaker_id == Speaker.id)
            .where(Coding.code_id.in_(members)))
    if blind.active:
        stmt = stmt.where(blind.visible())
    found: dict[int, Candidate] = {}
    order = [c.key for c in cycles]
    for segment_id, guid, start, title, coder, ordinal, speaker, text, code_id in session.execute(stmt):
        candidate = found.setdefault(segment_id, Candidate(str(guid), [], title, turn_number(ordinal), speaker,
                                                           start, text or "", coder))
        if members[code_id] not in candidate.cycles:
            candidate.cycles.append(members[code_id])
            candidate.cycles.sort(key=order.index)
    if found:
        for segment_id, title in session.execute(
                select(StoryStep.segment_id, Story.title).join(Story, StoryStep.story_id == Story.id)
                .where(Story.case_id == case.id, StoryStep.segment_id.in_(found))):
            found[segment_id].in_story.append(title)
    return sorted(found.values(), key=lambda c: (c.document.casefold(), c.document, c.start, c.segment))


@dataclass
class StoryChoice:
    """A story a segment could join: one of the stories of the cases its document is in."""

    guid: str
    title: str
    case: str
    author: str
    has_segment: bool


def stories_for_segment(session: Session, project: Project, segment_guid: str) -> list[StoryChoice]:
    """The stories of the cases the segment's document is in, by case and title."""
    import uuid

    segment = session.scalar(select(Segment).join(Document, Segment.document_id == Document.id).where(
        Segment.guid == uuid.UUID(str(segment_guid)), Document.project_id == project.id))
    if segment is None:
        return []
    rows = session.execute(
        select(Story.guid, Story.title, Case.name, Story.created_by, StoryStep.id)
        .join(Case, Story.case_id == Case.id)
        .join(CaseDocument, and_(CaseDocument.case_id == Case.id, CaseDocument.document_id == segment.document_id))
        .outerjoin(StoryStep, and_(StoryStep.story_id == Story.id, StoryStep.segment_id == segment.id))).all()
    return sorted((StoryChoice(str(g), t, c, a, step is not None) for g, t, c, a, step in rows),
                  key=lambda x: (x.case.casefold(), x.title.casefold(), x.title))
