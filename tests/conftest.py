"""Test databases: every store test runs on a real SQLite file and a real PostgreSQL database.

PostgreSQL comes from KRUISPUNT_TEST_PG_URL (default: the local server's `test`
database, used only to create and drop a private database for this run). When it
is unreachable the PostgreSQL variants skip with the reason, unless
KRUISPUNT_REQUIRE_POSTGRES=1 (CI), where they fail instead.
"""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from store.db import get_engine  # noqa: E402
from store.migrate import upgrade  # noqa: E402
from store.models import Base  # noqa: E402

PG_ADMIN_URL = os.environ.get("KRUISPUNT_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("KRUISPUNT_REQUIRE_POSTGRES") == "1"
SHARED = ROOT.parent / "shared"


def _pg_reason() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any driver/connection failure means "not reachable"
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}"


_PG_UNAVAILABLE = _pg_reason()


def _database_line() -> str:
    if _PG_UNAVAILABLE:
        return f"kruispunt: {_PG_UNAVAILABLE} — PostgreSQL tests {'FAIL' if REQUIRE_PG else 'were skipped'}"
    return f"kruispunt: store tests ran on SQLite and on PostgreSQL at {PG_ADMIN_URL.rsplit('@', 1)[-1]}"


def pytest_report_header(config: pytest.Config) -> str:
    return _database_line()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # type: ignore[no-untyped-def]
    """Said at the end too, since `-q` hides the header: which databases the suite really used."""
    terminalreporter.write_line(_database_line())


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (faster than migrating every time)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite"
    url = f"sqlite:///{path}"
    upgrade(url).dispose()
    get_engine.cache_clear()
    return path


@pytest.fixture(scope="session")
def pg_database() -> str:
    if _PG_UNAVAILABLE:
        if REQUIRE_PG:
            pytest.fail(_PG_UNAVAILABLE)
        pytest.skip(_PG_UNAVAILABLE)
    name = f"kruispunt_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    yield url
    get_engine(url).dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def assert_matrix_facts_fresh(url: str) -> None:
    """Issue 18: whatever the test wrote, the matrices' read path (matrix_coding) equals a derivation from the
    normalised tables, except for documents still marked by a write outside a Session (readers skip those)."""
    from sqlalchemy import inspect

    from store.matrix_facts import COLUMNS, stale_rows

    with get_engine(url).connect() as conn:
        if not inspect(conn).has_table("matrix_dirty"):
            return
        pending = set(conn.execute(text("SELECT document_id FROM matrix_dirty")).scalars())
        missing, extra = stale_rows(conn)
    document = COLUMNS.index("document_id")
    missing = [r for r in missing if r[document] not in pending]
    extra = [r for r in extra if r[document] not in pending]
    assert (missing, extra) == ([], []), f"matrix_coding is stale: lacks {missing[:3]}, should not have {extra[:3]}"


def _truncate_pg(url: str) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with get_engine(url).begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "kruispunt.sqlite"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    yield url
    if path.exists():
        assert_matrix_facts_fresh(url)
    get_engine(url).dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path) -> str:
    """A freshly migrated, empty database of each kind."""
    if request.param == "sqlite":
        path = tmp_path / "kruispunt.sqlite"
        shutil.copy(sqlite_template, path)
        url = f"sqlite:///{path}"
        yield url
        if path.exists():
            assert_matrix_facts_fresh(url)
        get_engine(url).dispose()
    else:
        url = request.getfixturevalue("pg_database")
        _truncate_pg(url)
        yield url
        assert_matrix_facts_fresh(url)


@pytest.fixture
def engine(db_url: str):  # type: ignore[no-untyped-def]
    return get_engine(db_url)


@pytest.fixture
def database_refuses():  # type: ignore[no-untyped-def]
    """`with database_refuses(IntegrityError): ...` — the write is refused in one line (store.limits.explain), and
    what refused it was the database itself with that error (not a check in Python)."""
    from contextlib import contextmanager

    from store.errors import Refused

    @contextmanager
    def refused(kind):  # type: ignore[no-untyped-def]
        with pytest.raises(Refused) as info:
            yield info
        assert isinstance(info.value.__cause__, kind), repr(info.value.__cause__)

    return refused


@pytest.fixture
def demo_server(sqlite_url: str):  # type: ignore[no-untyped-def]
    """The demo served by the app for a browser test: (base URL, (project guid, a1_interview_hoekstra's guid),
    db_url)."""
    from browser_support import demo_served

    with demo_served(sqlite_url, "a1_interview_hoekstra") as served:
        yield served
