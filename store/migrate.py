"""Bring any Kruispunt database to the current schema (run by `make run` and the CLI, never by pages)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from store.db import get_engine
from store.matrix_facts import refresh_marked

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest migration (read from the scripts once per process: they do not change while it runs)."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(url: str, revision: str = "head") -> Engine:
    """Upgrade the database at `url` (creating it if empty) and return its engine."""
    engine = get_engine(url)
    if revision == "head" and current_revision(engine) == head_revision():
        return engine
    command.upgrade(alembic_config(url), revision)
    with engine.begin() as connection:  # rows for what the upgrade marked (0013 marks every document)
        if inspect(connection).has_table("matrix_dirty"):
            refresh_marked(connection)
    return engine
