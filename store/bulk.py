"""Bulk inserts straight to the driver, for the thousands of turns and sentences of one transcript.

SQLAlchemy's per-row parameter processing costs more than SQLite itself at
this volume (measured in bench/import_bench.py); these rows are plain integers
plus a guid, so they are handed to the driver's executemany as tuples. Beside them, what
other bulk work shares: ids in chunks a statement can take, and the garbage collector held off
while tens of thousands of rows are read into plain objects.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def new_guids(count: int) -> list[str]:
    """`count` new guids as 32-digit hex (both databases take it for a Uuid column), in ascending order.

    Time-ordered UUIDs (version 7, RFC 9562: 48-bit milliseconds, then an 18-bit
    counter, then random bits): a transcript's tens of thousands of rows then land
    at the end of the guid index instead of on random pages, which made every
    commit write megabytes of index pages (measured in bench/import_bench.py).
    One urandom call serves the whole batch.
    """
    if count > _MAX_BATCH:
        return new_guids(_MAX_BATCH) + new_guids(count - _MAX_BATCH)
    raw = bytearray(os.urandom(16 * count))
    for k, byte in enumerate((time.time_ns() // 1_000_000).to_bytes(6, "big")):
        raw[k::16] = bytes([byte]) * count
    raw[6::16] = bytes(0x70 | (c >> 14) for c in range(count))  # version 7 + counter bits 17..14
    raw[7::16] = bytes((c >> 6) & 0xFF for c in range(count))  # counter bits 13..6
    raw[8::16] = bytes(0x80 | (c & 0x3F) for c in range(count))  # RFC variant + counter bits 5..0
    digits = raw.hex()
    return [digits[i:i + 32] for i in range(0, 32 * count, 32)]


_MAX_BATCH = 1 << 18


def insert_rows(session: Session | Connection, table: Table, columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """INSERT every row (values in `columns` order, already in driver form) in one executemany."""
    if not rows:
        return
    connection = session if isinstance(session, Connection) else session.connection()
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    statement = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
                 f"VALUES ({', '.join([mark] * len(columns))})")
    connection.exec_driver_sql(statement, list(rows))


def insert_unless_present(session: Session, model: type, unique: Sequence[str], **values: object) -> int | None:
    """Insert one row unless a row with the same `unique` columns exists; returns the new id, or None.

    Two transactions doing this at once leave one row and no error on either database (INSERT … ON CONFLICT DO
    NOTHING): on PostgreSQL the second waits for the first to commit, and then reads its row. Column defaults
    (guid, times) are filled in as for any insert.
    """
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (insert(model).values(**values)  # type: ignore[arg-type]
                 .on_conflict_do_nothing(index_elements=list(unique)).returning(model.id))  # type: ignore[attr-defined]
    return session.scalar(statement)


def in_chunks(ids: Iterable[int], size: int = 500) -> Iterator[list[int]]:
    """Ids in sorted lists of at most `size`, one per `IN (...)`: well under the bound parameters a statement may
    carry on SQLite and PostgreSQL."""
    ordered = sorted(set(ids))
    for k in range(0, len(ordered), size):
        yield ordered[k:k + size]


_PAUSES = {"depth": 0, "was_on": False}  # pauses now running in any thread, and whether the collector ran before
_PAUSES_LOCK = threading.Lock()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector held off while tens of thousands of rows and quotes are built: they hold no
    cycles (reference counting frees them), but each full pass of the collector walks the whole heap of the app
    (a third of the quotes matrix's time at 100,000 codings, bench/matrix_bench.py).

    The switch is the process's, shared by every session's thread: the first pause to begin turns it off, the last
    to end turns it back on (if it was on), also after an error."""
    with _PAUSES_LOCK:
        if _PAUSES["depth"] == 0:
            _PAUSES["was_on"] = gc.isenabled()
            gc.disable()
        _PAUSES["depth"] += 1
    try:
        yield
    finally:
        with _PAUSES_LOCK:
            _PAUSES["depth"] -= 1
            if _PAUSES["depth"] == 0 and _PAUSES["was_on"]:
                gc.enable()


def driver_rows(session: Session, stmt: Any) -> list[tuple]:
    """The driver's own tuples, for columns that need no conversion (integers and strings): at 25,000 quotes
    SQLAlchemy's Row objects cost as much again as the query, and reading fields from them more."""
    result = session.connection().execute(stmt)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()
