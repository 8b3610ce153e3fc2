"""Engines and sessions: one place decides how SQLite and PostgreSQL are opened.

SQLite gets foreign keys, WAL and a busy timeout on every connection, and write
transactions start with BEGIN IMMEDIATE so a read that later writes can never
fail with SQLITE_BUSY halfway. Every write goes through `write_session`: one
transaction that commits whole or leaves the database as it was.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from store.limits import explain
from store import matrix_facts  # noqa: F401  (registers the refresh of the matrices' read path before each commit)

DEFAULT_DB_PATH = Path(__file__).resolve().parent.parent / "data" / "kruispunt.sqlite"
SQLITE_BUSY_TIMEOUT_MS = 15_000
_WRITE_OPTION = "kruispunt_write"


def database_url(explicit: str | None = None) -> str:
    """`--db` beats `KRUISPUNT_DB_URL` beats the embedded default file."""
    if explicit:
        return explicit
    env = os.environ.get("KRUISPUNT_DB_URL")
    if env:
        return env
    return f"sqlite:///{DEFAULT_DB_PATH}"


def _prepare_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's "begin" event below decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        if conn.get_execution_options().get(_WRITE_OPTION):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


@lru_cache(maxsize=16)
def get_engine(url: str) -> Engine:
    """One engine per URL per process (connection pools are meant to be shared)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if not path or path == ":memory:":
            raise ValueError("in-memory SQLite is not supported: every connection would see another database")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        _prepare_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session for reading; closing it ends its transaction without committing anything.

    Objects loaded here stay readable after the block (closing detaches without expiring them).
    """
    with Session(engine, expire_on_commit=False) as session:
        yield session


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """One write transaction: commits on success, rolls back everything on any error.

    Text values are checked against the same limits on every database before they are written (store.limits);
    a refusal by the database itself (a busy SQLite, a unique name taken a moment earlier) becomes a Refused
    with one line that says so, after the rollback."""
    writer = engine.execution_options(**{_WRITE_OPTION: True})
    try:
        with Session(writer, expire_on_commit=False) as session, session.begin():
            yield session
    except (OperationalError, IntegrityError, DataError) as exc:
        raise explain(exc) from exc

