"""Alembic environment: batch mode for SQLite, the models' metadata as the target."""

from alembic import context

from store.db import get_engine
from store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = get_engine(config.get_main_option("sqlalchemy.url"))
        with engine.connect() as connection:
            _run(connection)
            connection.commit()
    else:
        _run(connection)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode recreates tables; with foreign keys on, recreating a parent table would cascade-delete
        # its children. Off for the migration (outside any transaction, as SQLite requires), checked after.
        _driver(connection).execute("PRAGMA foreign_keys=OFF")
    try:
        _migrate(connection)
    finally:
        if sqlite:
            problems = _driver(connection).execute("PRAGMA foreign_key_check").fetchall()
            _driver(connection).execute("PRAGMA foreign_keys=ON")
            if problems:
                raise RuntimeError(f"migration left rows with broken foreign keys: {problems[:5]}")


def _driver(connection):  # type: ignore[no-untyped-def]
    """The sqlite3 connection itself: a PRAGMA sent through SQLAlchemy would open a transaction first."""
    return connection.connection.driver_connection


def _migrate(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported")
run_migrations_online()
