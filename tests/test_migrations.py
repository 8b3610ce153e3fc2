"""Alembic migrations: they build exactly the models' schema, on SQLite and PostgreSQL, and upgrade old databases.

These tests need databases of their own (they drop every table), so they do not use the shared `db_url`.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timezone

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.exc import IntegrityError

from store.db import get_engine, read_session, write_session
from store.migrate import alembic_config, current_revision, head_revision, upgrade
from cases.attributes import set_attribute
from store.models import AttributeDefinition, AttributeValue, Base, Case, Project

PG_ADMIN_URL = os.environ.get("KRUISPUNT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("KRUISPUNT_REQUIRE_POSTGRES") == "1"
MODEL_TABLES = set(Base.metadata.tables)


def _pg_admin():  # type: ignore[no-untyped-def]
    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return engine, None
    except Exception as exc:  # unreachable server
        return None, f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}"


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path):  # type: ignore[no-untyped-def]
    """A brand-new, empty database (no tables at all) of each kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
        yield url
        get_engine(url).dispose()
        return
    admin, reason = _pg_admin()
    if admin is None:
        if REQUIRE_PG:
            pytest.fail(reason)
        pytest.skip(reason)
    name = f"kruispunt_migr_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    yield url
    get_engine(url).dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _tables(engine) -> set[str]:  # type: ignore[no-untyped-def]
    return set(inspect(engine).get_table_names())


def test_head_is_a_single_known_revision():
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    heads = script.get_heads()
    assert heads == [head_revision()]
    revisions = [r.revision for r in script.walk_revisions()]
    assert "0001" in revisions
    assert script.get_revision("0001").down_revision is None


def test_upgrade_creates_every_model_table_at_head(empty_url):
    engine = get_engine(empty_url)
    assert _tables(engine) == set()
    assert current_revision(engine) is None
    assert upgrade(empty_url) is engine
    assert _tables(engine) == MODEL_TABLES | {"alembic_version"}
    assert current_revision(engine) == head_revision()
    inspector = inspect(engine)
    for name, table in Base.metadata.tables.items():
        columns = {c["name"]: c for c in inspector.get_columns(name)}
        assert set(columns) == {c.name for c in table.columns}, name
        for column in table.columns:
            assert columns[column.name]["nullable"] == column.nullable, f"{name}.{column.name}"
        pk = inspector.get_pk_constraint(name)["constrained_columns"]
        assert pk == [c.name for c in table.primary_key.columns], name
        # foreign keys with their ON DELETE rule (autogenerate does not compare the rule on every backend)
        fks = {(tuple(fk["constrained_columns"]), fk["referred_table"],
                (fk.get("options", {}).get("ondelete") or "NO ACTION").upper())
               for fk in inspector.get_foreign_keys(name)}
        expected = {(tuple(c.parent.name for c in fk.elements), fk.elements[0].column.table.name,
                     (fk.ondelete or "NO ACTION").upper())
                    for fk in table.foreign_key_constraints}
        assert fks == expected, name
    # upgrading an up-to-date database is a no-op
    upgrade(empty_url)
    assert current_revision(engine) == head_revision()


def test_models_and_migrations_do_not_differ(empty_url):
    engine = upgrade(empty_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True, "target_metadata": Base.metadata}
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_downgrade_to_base_and_upgrade_again(empty_url):
    engine = upgrade(empty_url)
    with write_session(engine) as s:
        s.add(Project(name="Weg"))
    command.downgrade(alembic_config(empty_url), "base")
    assert _tables(engine) <= {"alembic_version"}
    assert current_revision(engine) is None
    upgrade(empty_url)
    assert _tables(engine) == MODEL_TABLES | {"alembic_version"}
    assert current_revision(engine) == head_revision()
    with read_session(engine) as s:
        assert list(s.scalars(select(Project))) == []
        # the rebuilt schema works
    with write_session(engine) as s:
        s.add(Project(name="Terug"))
    with read_session(engine) as s:
        assert [p.name for p in s.scalars(select(Project))] == ["Terug"]


def test_database_of_an_older_version_upgrades_itself(empty_url, database_refuses):
    engine = upgrade(empty_url)
    command.downgrade(alembic_config(empty_url), "base")
    assert current_revision(engine) is None
    upgrade(empty_url, "0001")
    assert current_revision(engine) == "0001"
    created = datetime(2024, 11, 5, 9, 15, tzinfo=timezone.utc)
    sqlite = engine.dialect.name == "sqlite"
    guids = [uuid.uuid4() for _ in range(4)]
    g = [u.hex if sqlite else str(u) for u in guids]
    when = "2024-11-05 09:15:00.000000" if sqlite else created
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO project (guid, name, description, created_at) "
                          "VALUES (:g, 'Oud project', 'uit versie 0001', :c)"), {"g": g[0], "c": when})
        conn.execute(text('INSERT INTO "case" (guid, project_id, name, description, created_at) '
                          "SELECT :g, id, 'Grenzeloos', '', :c FROM project"), {"g": g[1], "c": when})
        conn.execute(text("INSERT INTO attribute_definition (guid, project_id, target, name, type, unit) "
                          "SELECT :g, id, 'case', 'members', 'integer', '' FROM project"), {"g": g[2]})
        conn.execute(text("INSERT INTO attribute_value (guid, definition_id, case_id, value_int) "
                          'SELECT :g, d.id, c.id, 1065000 FROM attribute_definition d, "case" c'), {"g": g[3]})
    upgrade(empty_url)
    assert current_revision(engine) == head_revision()
    assert _tables(engine) == MODEL_TABLES | {"alembic_version"}
    with read_session(engine) as s:
        project = s.scalar(select(Project))
        assert (project.guid, project.name, project.description) == (guids[0], "Oud project", "uit versie 0001")
        assert project.created_at == created and project.created_at.tzinfo is not None
        case = s.scalar(select(Case))
        assert (case.guid, case.project_id, case.name) == (guids[1], project.id, "Grenzeloos")
        value = s.scalar(select(AttributeValue))
        assert (value.guid, value.case_id, value.value_int) == (guids[3], case.id, 1065000)
        assert s.get(AttributeDefinition, value.definition_id).guid == guids[2]
    # the upgraded database takes values the old schema could not hold, and still enforces its foreign keys
    with write_session(engine) as s:
        project = s.scalar(select(Project))
        set_attribute(s, project, s.scalar(select(Case)), "turnover", "3.200.000.000")
    with read_session(engine) as s:
        assert 3_200_000_000 in set(s.scalars(select(AttributeValue.value_int)))
    with database_refuses(IntegrityError), write_session(engine) as s:
        s.add(AttributeValue(definition_id=value.definition_id, case_id=case.id + 999))


def test_sentences_of_an_older_database_get_guids(empty_url):
    """0003: sentences stored before sentences had guids get one each, unique and kept on later upgrades."""
    from store.models import Sentence

    engine = upgrade(empty_url, "0002")
    sqlite = engine.dialect.name == "sqlite"
    fresh = (lambda: uuid.uuid4().hex) if sqlite else (lambda: str(uuid.uuid4()))
    when = "2025-01-01 00:00:00.000000" if sqlite else datetime(2025, 1, 1, tzinfo=timezone.utc)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO project (guid, name, description, created_at) VALUES (:g, 'P', '', :c)"),
                     {"g": fresh(), "c": when})
        conn.execute(text(
            "INSERT INTO document (guid, project_id, title, kind, source_filename, source_format, sha256, file_size, "
            "original_bytes, current_version, imported_at) SELECT :g, id, 'oud', 'interview', 'oud.txt', 'txt', "
            "'abc', 3, :b, 1, :c FROM project"), {"g": fresh(), "b": b"abc", "c": when})
        conn.execute(text(
            "INSERT INTO text_version (guid, document_id, version, text, length, normalisation_version, created_at) "
            "SELECT :g, id, 1, 'Een. Twee. Drie.', 16, 1, :c FROM document"), {"g": fresh(), "c": when})
        for ordinal, (start, end) in enumerate([(0, 4), (5, 10), (11, 16)]):
            conn.execute(text('INSERT INTO sentence (text_version_id, ordinal, start, "end") '
                              "SELECT id, :o, :s, :e FROM text_version"), {"o": ordinal, "s": start, "e": end})
    upgrade(empty_url)
    assert current_revision(engine) == head_revision()
    with read_session(engine) as s:
        sentences = s.scalars(select(Sentence).order_by(Sentence.ordinal)).all()
    assert [(x.start, x.end) for x in sentences] == [(0, 4), (5, 10), (11, 16)]
    guids = [x.guid for x in sentences]
    assert all(isinstance(g, uuid.UUID) for g in guids) and len(set(guids)) == 3
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text('INSERT INTO sentence (guid, text_version_id, ordinal, start, "end") '
                          "SELECT :g, text_version_id, 9, 0, 1 FROM sentence WHERE ordinal = 0"),
                     {"g": guids[0].hex if sqlite else str(guids[0])})
