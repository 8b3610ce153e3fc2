"""Who owns what on a segment, and what taking a segment or code away would touch.

The codes a segment was created with belong to its coder; a code added later belongs to whoever added it (the
actor of its "create coding" event). Edits, deletions and undo (`coding.workspace`, `coding.undo`) touch only
what the acting person owns, and never take away a memo, a pinned framework quote or a story's step without a trace.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.models import Case, CellQuote, Code, Coder, Coding, Event, FrameworkCell, Memo, Segment, Story, StoryStep


def coding_authors(session: Session, segment: Segment) -> dict[uuid.UUID, str]:
    """Who put each code on the segment: the segment's coder for the codes it was created with, else whoever
    added the code (the actor of its "create coding" event)."""
    codings = session.execute(select(Coding.guid).where(Coding.segment_id == segment.id)).scalars().all()
    owner = session.scalar(select(Coder.name).where(Coder.id == segment.coder_id))
    added = dict(session.execute(select(Event.entity_guid, Event.actor).where(
        Event.entity == "coding", Event.action == "create", Event.entity_guid.in_(codings))).all()) if codings else {}
    return {guid: added.get(guid, owner) for guid in codings}


def others_codes_on(session: Session, segment: Segment, actor: str, *, except_coding: uuid.UUID | None = None
                    ) -> list[tuple[str, str]]:
    """(person, code key) for the codes someone other than `actor` put on the segment."""
    authors = coding_authors(session, segment)
    keys = dict(session.execute(select(Coding.guid, Code.key).join(Code, Coding.code_id == Code.id)
                                .where(Coding.segment_id == segment.id)).all())
    return sorted((who, keys[guid]) for guid, who in authors.items() if who != actor and guid != except_coding)


def pins_on(session: Session, segment: Segment, *, code_id: int | None = None) -> list[str]:
    """The framework cells ("case × code") that pin this segment as a quote (only those of one code if given)."""
    stmt = (select(Case.name, Code.key).select_from(CellQuote)
            .join(FrameworkCell, CellQuote.cell_id == FrameworkCell.id)
            .join(Case, FrameworkCell.case_id == Case.id).join(Code, FrameworkCell.code_id == Code.id)
            .where(CellQuote.segment_id == segment.id))
    if code_id is not None:
        stmt = stmt.where(FrameworkCell.code_id == code_id)
    return sorted(f"{case} × {key}" for case, key in session.execute(stmt))


def stories_on(session: Session, segment: Segment) -> list[str]:
    """The titles of the value-creation stories that have this segment as a step."""
    return sorted(session.scalars(select(Story.title).join(StoryStep, StoryStep.story_id == Story.id)
                                  .where(StoryStep.segment_id == segment.id)))


def removal_blocker(session: Session, segment: Segment, actor: str) -> str | None:
    """Why taking the whole segment away would touch someone else's work (or a memo or pin), if it would."""
    others = others_codes_on(session, segment, actor)
    if others:
        return "; ".join(f"{who} added {key} to this segment" for who, key in others) + \
            " (remove only your own codes)"
    memos = session.scalar(select(func.count()).select_from(Memo).where(Memo.segment_id == segment.id))
    if memos:
        return f"the segment has {memos} memo(s); delete them on the Memos page first"
    pins = pins_on(session, segment)
    if pins:
        return f"the segment is pinned as a quote on {', '.join(pins)}; unpin it on the Framework page first"
    stories = stories_on(session, segment)
    if stories:
        return (f"the segment is a step of the stor{'ies' if len(stories) > 1 else 'y'} "
                f"{', '.join(repr(t) for t in stories)}; remove it there first")
    return None
