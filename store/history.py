"""Undo and redo stacks replayed from the event log, for any kind of object a page shows.

History lives in the log, so it survives a rerun, a reload and a restart. A person's changes replay as two
stacks: a change is pushed on the undo stack (and empties the redo stack), an "undo" event moves its change onto
the redo stack and a "redo" event moves it back. The stacks hold only the changes in the scope the person sees
them in (a document on the Coding page, a cell on the Framework page, a session in the presentation).

Each kind of object says, through an `Undoable`, how a change is described, taken back and done again, and what
would stop it. What is the same for every kind lives here: only the actor's own changes, never one that someone
else changed after, one event per undo and redo naming the change it takes back with what it removed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.errors import Refused
from store.events import record_event
from store.locks import lock_person
from store.models import Event, Project

HISTORY = 500  # the person's latest events that are replayed; older changes are no longer offered


@dataclass(frozen=True)
class Offer:
    """What the Undo (or Redo) button says, and why it cannot run when it cannot."""

    action: str  # "undo" or "redo"
    change_id: int  # the event of the change itself
    description: str  # "Applied value on “Wij werken nu anders …” in interview_oost, turn 6"
    blocked: str | None = None

    @property
    def label(self) -> str:
        return f"{'↶ Undo' if self.action == 'undo' else '↷ Redo'}: {self.description}"


@dataclass
class History:
    done: list[Event]
    undone: list[tuple[Event, Event]]  # (the change, the undo event that took it back)


def replay_stacks(events: list[Event], changes: dict[int, Event], in_scope: set[int]) -> History:
    """The undo and redo stacks after `events` (oldest first): `changes` are the undoable ones among them."""
    done: list[Event] = []
    undone: list[tuple[Event, Event]] = []
    for event in events:
        if event.id in changes:
            if event.id in in_scope:
                done.append(event)
                undone.clear()
        elif event.action == "undo":
            change = changes.get((event.after or {}).get("undoes"))
            if change is not None and change in done:
                done.remove(change)
                undone.append((change, event))
        elif event.action == "redo":
            undo_id = (event.after or {}).get("redoes")
            pair = next((p for p in undone if p[1].id == undo_id), None)
            if pair is not None:
                undone.remove(pair)
                done.append(pair[0])
    return History(done, undone)


def person_events(session: Session, project: Project, actor: str, entities: tuple[str, ...]) -> list[Event]:
    """This person's latest events on these kinds of entity, oldest first."""
    return list(reversed(session.scalars(
        select(Event).where(Event.project_guid == project.guid, Event.actor == actor, Event.entity.in_(entities))
        .order_by(Event.id.desc()).limit(HISTORY)).all()))


@dataclass(frozen=True)
class Undoable:
    """How the changes to one kind of object, seen on one page, are described, taken back and done again.

    `in_scope` picks the changes that belong to the object the page shows; `undo_blocker` / `redo_blocker` say
    why a change cannot run (None: it can); `reverse` takes a change back and returns what it removed (kept in the
    undo event); `replay` does it again from the change and that undo event.
    """

    entity: str
    actions: frozenset[str]
    in_scope: Callable[[Session, list[Event]], set[int]]
    describe: Callable[[Session, Project, Event], str]
    undo_blocker: Callable[[Session, Project, Event], str | None]
    redo_blocker: Callable[[Session, Project, Event, Event], str | None]
    reverse: Callable[[Session, Project, Event], dict[str, Any] | None]
    replay: Callable[[Session, Project, Event, Event], None]


def history(session: Session, project: Project, actor: str, kind: Undoable) -> History:
    events = person_events(session, project, actor, (kind.entity,))
    changes = {e.id: e for e in events if e.action in kind.actions}
    return replay_stacks(events, changes, kind.in_scope(session, list(changes.values())))


def later_by_others(session: Session, project: Project, actor: str, kind: Undoable, change: Event,
                    after_id: int) -> Event | None:
    """Someone else's latest event on the object `change` was about, after event `after_id`, that still stands: a
    change they took back themselves (and did not redo) leaves nothing of theirs behind, so it does not count."""
    events = list(session.scalars(select(Event).where(
        Event.project_guid == project.guid, Event.id > after_id, Event.actor != actor, Event.entity == kind.entity,
        Event.entity_guid == change.entity_guid).order_by(Event.id)))
    by_id = {e.id: e for e in events}
    redone_by = {(e.after or {}).get("redoes"): e.id for e in events if e.action == "redo"}
    dropped: set[int] = set()
    for event in events:
        if event.action != "undo":
            continue
        if event.id in redone_by:  # undone, then redone: the change itself (if after the point) is what counts
            dropped |= {event.id, redone_by[event.id]}
        elif (event.after or {}).get("undoes") in by_id:  # undone for good: nothing of the pair is left
            dropped |= {event.id, (event.after or {})["undoes"]}
    left = [e for e in events if e.id not in dropped]
    return left[-1] if left else None


def _blocker(session: Session, project: Project, actor: str, kind: Undoable, change: Event,
             undo_event: Event | None) -> str | None:
    later = later_by_others(session, project, actor, kind, change, (undo_event or change).id)
    if later is not None:
        what = (later.after or {}).get("what") if later.action in ("undo", "redo") else None
        return f"{later.actor} changed it after you ({later.action}{' of ' + what if what else ''})"
    if undo_event is None:
        return kind.undo_blocker(session, project, change)
    return kind.redo_blocker(session, project, change, undo_event)


GONE = ": the change you were shown was already taken back or done again (in another tab?); look again"


def latest(stack: list, shown: int | None, action: str):  # type: ignore[no-untyped-def,type-arg]
    """The top of an undo (or redo) stack, refused when the stack is empty or its top is not the change the
    person was shown (`shown`, an Offer's change_id; None: whatever is on top, as the CLI asks)."""
    if not stack:
        raise Refused(f"nothing to {action}" + (GONE if shown is not None else ""))
    top = stack[-1]
    change = top[0] if isinstance(top, tuple) else top
    if shown is not None and change.id != shown:
        raise Refused(f"nothing was {action}ne" + GONE)
    return top


def offer(session: Session, project: Project, actor: str, kind: Undoable, action: str) -> Offer | None:
    """The change this person would undo (or redo) here, and why it cannot run; None: nothing to offer."""
    stacks = history(session, project, actor, kind)
    if action == "undo":
        if not stacks.done:
            return None
        change, undo_event = stacks.done[-1], None
    else:
        if not stacks.undone:
            return None
        change, undo_event = stacks.undone[-1]
    return Offer(action, change.id, kind.describe(session, project, change),
                 _blocker(session, project, actor, kind, change, undo_event))


def take_back(session: Session, project: Project, actor: str, kind: Undoable, *, shown: int | None = None) -> str:
    """Undo this person's latest change here; one event naming it. Returns what was undone.

    `shown` is the change the person was offered (Offer.change_id): when their latest change is another one by
    now (another tab of theirs undid it a moment ago), nothing is done and they are told so.
    """
    lock_person(session, project.id, actor)
    stacks = history(session, project, actor, kind)
    change = latest(stacks.done, shown, "undo")
    what = kind.describe(session, project, change)
    blocked = _blocker(session, project, actor, kind, change, None)
    if blocked:
        raise Refused(f"cannot undo {what}: {blocked}")
    removed = kind.reverse(session, project, change)
    session.flush()
    record_event(session, project_guid=project.guid, actor=actor, action="undo", entity=change.entity,
                 entity_guid=change.entity_guid, before=removed, after={"undoes": change.id, "what": what})
    return what


def do_again(session: Session, project: Project, actor: str, kind: Undoable, *, shown: int | None = None) -> str:
    """Redo the change this person took back last here; one event naming the undo. Returns what was redone.
    `shown` as in take_back."""
    lock_person(session, project.id, actor)
    stacks = history(session, project, actor, kind)
    change, undo_event = latest(stacks.undone, shown, "redo")
    what = kind.describe(session, project, change)
    blocked = _blocker(session, project, actor, kind, change, undo_event)
    if blocked:
        raise Refused(f"cannot redo {what}: {blocked}")
    kind.replay(session, project, change, undo_event)
    session.flush()
    record_event(session, project_guid=project.guid, actor=actor, action="redo", entity=change.entity,
                 entity_guid=change.entity_guid, after={"redoes": undo_event.id, "what": what})
    return what
