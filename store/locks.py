"""Locks that make one person's read-then-write steps atomic on PostgreSQL (SQLite lets one writer in at a time).

Undo and redo read a person's history from the event log and then write: two tabs of one person clicking Undo at
the same moment must not both take back the same change. A transaction-scoped advisory lock on (project, person)
makes the second wait for the first to commit, so it reads a history that already holds the first undo.
"""

from __future__ import annotations

import zlib

from sqlalchemy import text
from sqlalchemy.orm import Session


def lock_person(session: Session, project_id: int, person: str) -> None:
    """Hold this person's history in this project until the transaction ends (PostgreSQL; no-op on SQLite)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    key = zlib.crc32(person.encode("utf-8")) - (1 << 31)  # the lock takes two signed 32-bit numbers
    session.execute(text("SELECT pg_advisory_xact_lock(:project, :person)"), {"project": project_id, "person": key})
