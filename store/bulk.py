"""Bulk inserts straight to the driver, for the thousands of turns and sentences of one transcript.

SQLAlchemy's per-row parameter processing costs more than SQLite itself at
this volume (measured in bench/import_bench.py); these rows are plain integers
plus a guid, so they are handed to the driver's executemany as tuples.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from sqlalchemy import Table
from sqlalchemy.orm import Session


def new_guids(count: int) -> list[str]:
    """`count` random version-4 guids as 32-digit hex, which both databases take for a Uuid column.

    One urandom call for all of them: a transcript needs tens of thousands.
    """
    raw = bytearray(os.urandom(16 * count))
    raw[6::16] = bytes((b & 0x0F) | 0x40 for b in raw[6::16])  # version 4
    raw[8::16] = bytes((b & 0x3F) | 0x80 for b in raw[8::16])  # RFC 4122 variant
    digits = raw.hex()
    return [digits[i:i + 32] for i in range(0, 32 * count, 32)]


def insert_rows(session: Session, table: Table, columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """INSERT every row (values in `columns` order, already in driver form) in one executemany."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    statement = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
                 f"VALUES ({', '.join([mark] * len(columns))})")
    connection.exec_driver_sql(statement, list(rows))
