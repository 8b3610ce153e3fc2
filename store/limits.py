"""The same limits on both databases, checked before anything is written, and the database's own refusals in words.

SQLite stores a 5,001-character code key or a NUL in a file name without a word; PostgreSQL refuses both with a
driver error in the middle of a batch. So every flush checks each text value against its column's length and for
NUL characters first, and refuses with what was too long, by how much; nothing is written. What the database
still refuses (a name someone took a moment earlier, a write waiting on a long one past the busy timeout) is
turned into one line by `explain`, never a traceback.
"""

from __future__ import annotations

import re

from sqlalchemy import String, UniqueConstraint, event, inspect
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from store.errors import Busy, Refused


def _what(table: str, column: str) -> str:
    """"a code key", "an event actor": the column as people would name it."""
    words = f"{table.replace('_', ' ')} {column.replace('_', ' ')}"
    return f"{'an' if words[0] in 'aeiou' else 'a'} {words}"


def check_values(obj: object) -> None:
    """Refuse a text value longer than its column allows, or holding a NUL character (one line, naming it)."""
    mapper = inspect(obj).mapper
    for attribute in mapper.column_attrs:
        column = attribute.columns[0]
        value = getattr(obj, attribute.key, None)
        if not isinstance(value, str):
            continue
        if "\x00" in value:
            raise Refused(f"{_what(column.table.name, column.name)} cannot hold a NUL character")
        length = column.type.length if isinstance(column.type, String) else None
        if length is not None and len(value) > length:
            raise Refused(f"{_what(column.table.name, column.name)} is at most {length:,} characters; "
                          f"this one has {len(value):,}")


@event.listens_for(Session, "before_flush")
def _check_before_flush(session: Session, _context, _instances) -> None:  # type: ignore[no-untyped-def]
    for obj in (*session.new, *session.dirty):
        check_values(obj)


def explain(exc: SQLAlchemyError) -> Refused:
    """A database refusal as one line a person can act on (nothing was written: the transaction rolled back)."""
    detail = " ".join(str(getattr(exc, "orig", None) or exc).split())[:160]
    if isinstance(exc, OperationalError) and "locked" in detail:
        return Busy("the database is busy with another change that is taking long; nothing was written — "
                       "try again in a moment")
    if isinstance(exc, IntegrityError):
        clash = _clash(detail)
        if clash:
            return Refused(f"someone changed the same thing a moment ago: {clash}; nothing was written — look again "
                           "and retry")
        return Refused(f"someone changed the same thing a moment ago, so this change no longer fits; nothing was "
                       f"written — look again and retry ({detail})")
    if isinstance(exc, DataError):
        return Refused(f"the database refused a value; nothing was written ({detail})")
    return Refused(f"the database refused the change; nothing was written ({detail})")


_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: ((?:\w+\.\w+(?:, )?)+)")


def _clash(detail: str) -> str | None:
    """"there is already another case with this name": the unique rule a driver's message names, in words (SQLite
    names the columns, PostgreSQL the constraint); None when it names none of ours."""
    from store.models import Base  # the schema is only needed when a write was refused

    found = _SQLITE_UNIQUE.search(detail)
    for table in Base.metadata.tables.values():
        for rule in table.constraints:
            if not isinstance(rule, UniqueConstraint):
                continue
            columns = [c.name for c in rule.columns]
            named = rule.name in detail if isinstance(rule.name, str) and rule.name else False
            if named or (found and found.group(1).split(", ") == [f"{table.name}.{c}" for c in columns]):
                words = [c for c in columns if not c.endswith("_id")] or [c.removesuffix("_id") for c in columns]
                return f"there is already another {table.name.replace('_', ' ')} with this {' and '.join(words)}"
    return None
