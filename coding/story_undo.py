"""Undo and redo of a person's changes to their stories (the Stories page, `cli.py undo --stories`).

Every story change logged its steps before and after (coding.stories.story_state), so taking it back sets the
steps before, and doing it again the steps after, each only while the story is as the change left it: a change
someone made since is never overwritten.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from codebooks.service import find_code
from coding.stories import VALUE_CREATION, story_state
from store.errors import Refused
from store.history import Undoable
from store.models import Event, Person, Project, Segment, Story, StoryStep
from store.snapshot import parents_present, put_back, take_out

STORY_ACTIONS = frozenset({"create", "update"})
_KEPT = ("title", "person", "steps")  # what story_state holds, beside an event's own words


def story_undoable() -> Undoable:
    """Undo and redo for a person's story changes anywhere in the project."""
    return Undoable("story", STORY_ACTIONS, lambda session, changes: {e.id for e in changes}, _describe,
                    _undo_blocker, _redo_blocker, _reverse, _replay)


def _story(session: Session, change: Event) -> Story | None:
    return session.scalar(select(Story).where(Story.guid == change.entity_guid))


def _state(data: dict | None) -> dict:
    return {k: (data or {}).get(k) for k in _KEPT}


def _describe(session: Session, project: Project, change: Event) -> str:
    return (change.after or {}).get("what") or "a change to a story"


def _is(session: Session, change: Event, expected: dict, target: dict | None) -> str | None:
    """None when the story is there as `expected` and `target` (the steps it goes back or forward to; None: it goes
    away) can be put in place; else why not."""
    story = _story(session, change)
    if story is None:
        return "the story is gone (deleted to the bin?)"
    if story_state(session, story) != _state(expected):
        return "the story was changed since"
    return _missing(session, project_id=story.project_id, state=target) if target is not None else None


def _missing(session: Session, *, project_id: int, state: dict) -> str | None:
    """Why the steps of `state` cannot be put back (a segment or person gone), or None."""
    segments = {s["segment"] for s in state.get("steps") or []}
    found = set(map(str, session.scalars(select(Segment.guid).where(
        Segment.guid.in_([uuid.UUID(g) for g in segments]))))) if segments else set()
    if segments - found:
        return "a segment of one of its steps is gone"
    if state.get("person") and session.scalar(select(Person.id).where(
            Person.guid == uuid.UUID(state["person"]), Person.project_id == project_id)) is None:
        return "its person is gone"
    return None


def _undo_blocker(session: Session, project: Project, change: Event) -> str | None:
    return _is(session, change, change.after or {}, change.before if change.action == "update" else None)


def _redo_blocker(session: Session, project: Project, change: Event, undo_event: Event) -> str | None:
    if change.action == "create":
        if _story(session, change) is not None:
            return "the story exists again"
        removed = undo_event.before or {}
        return None if removed and parents_present(session, removed) else "its case is gone"
    return _is(session, change, change.before or {}, change.after or {})


def _reverse(session: Session, project: Project, change: Event) -> dict | None:
    story = _story(session, change)
    if change.action == "create":
        return take_out(session, "story", story.id)
    _set_state(session, project, story, change.before or {})
    return None


def _replay(session: Session, project: Project, change: Event, undo_event: Event) -> None:
    if change.action == "create":
        put_back(session, undo_event.before or {})
    else:
        _set_state(session, project, _story(session, change), change.after or {})


def _set_state(session: Session, project: Project, story: Story, state: dict) -> None:
    """Make the story's title, person and steps those of `state`, keeping each step's guid."""
    blocked = _missing(session, project_id=project.id, state=state)
    if blocked:
        raise Refused(blocked)
    story.title = state["title"]
    story.person_id = session.scalar(select(Person.id).where(Person.guid == uuid.UUID(state["person"]))) \
        if state.get("person") else None
    wanted = state.get("steps") or []
    existing = {str(s.guid): s for s in session.scalars(select(StoryStep).where(StoryStep.story_id == story.id))}
    keep = {s["guid"] for s in wanted}
    for guid, step in existing.items():
        if guid not in keep:
            session.delete(step)
    session.flush()  # a step removed and put back on the same segment must be gone before it returns
    segments = {str(g): i for g, i in session.execute(select(Segment.guid, Segment.id).where(
        Segment.guid.in_([uuid.UUID(s["segment"]) for s in wanted])))} if wanted else {}
    for position, item in enumerate(wanted):
        step = existing.get(item["guid"])
        if step is None:
            step = StoryStep(story_id=story.id, guid=uuid.UUID(item["guid"]))
            session.add(step)
        step.segment_id = segments[item["segment"]]
        step.cycle_code_id = find_code(session, project, item["cycle"], VALUE_CREATION).id
        step.note, step.position = item["note"], position
    session.flush()
    session.expire(story, ["steps"])
