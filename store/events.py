"""The append-only event log: every change, by guid, without transcript text."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from store.models import Event


def record_event(
    session: Session,
    *,
    project_guid: uuid.UUID | None,
    actor: str,
    action: str,
    entity: str,
    entity_guid: uuid.UUID,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> Event:
    """Add one event to the current transaction (it commits or rolls back with the change)."""
    ev = Event(
        project_guid=project_guid,
        actor=actor,
        action=action,
        entity=entity,
        entity_guid=entity_guid,
        before=_plain(before),
        after=_plain(after),
    )
    session.add(ev)
    return ev


def changed_by(session: Session, guid: uuid.UUID, actor: str) -> str:
    """Who changed this thing last, in words for a refused stale change ("changed by Sanne a moment ago")."""
    last = session.scalar(select(Event.actor).where(Event.entity_guid == guid).order_by(Event.id.desc()).limit(1))
    if last is None:
        return "changed a moment ago"
    return "changed in another tab of yours a moment ago" if last == actor else f"changed by {last} a moment ago"


def latest_event_id(session: Session, project_guid: uuid.UUID) -> int:
    """The project's revision: every change logs an event, so a cache keyed on this is never stale."""
    return session.scalar(select(func.max(Event.id)).where(Event.project_guid == project_guid)) or 0


def last_event(engine: Engine) -> tuple[int, object]:
    """The newest event's id and time in the whole database ((0, None) when none), straight from the driver.

    Every change logs an event and the log is append-only, so a value cached under this key (such as the sidebar's
    project list, read on every rerun of every page) cannot be stale; the time tells a database whose log was
    emptied and refilled (ids restarted) from the one it was.
    """
    pooled = engine.raw_connection()
    try:
        cursor = pooled.cursor()
        cursor.execute("SELECT id, at FROM event ORDER BY id DESC LIMIT 1")
        row = cursor.fetchone()
        cursor.close()
    finally:
        pooled.close()
    return (row[0], row[1]) if row is not None else (0, None)


def list_events(session: Session, project_guid: uuid.UUID, limit: int = 100) -> list[Event]:
    stmt = select(Event).where(Event.project_guid == project_guid).order_by(Event.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def _plain(payload: dict[str, Any] | None) -> dict[str, Any] | None:
    if payload is None:
        return None
    return {k: (str(v) if isinstance(v, (uuid.UUID, date)) else v) for k, v in payload.items()}
