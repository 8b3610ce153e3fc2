"""The team server's backup as the README gives it: `pg_dump -Fc` of the database, `pg_restore` into a new one,
and the app and the CLI find everything again (members, codings, the event log), on the current schema."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

import cli
from conftest import PG_ADMIN_URL
from conftest import _truncate_pg as truncate_pg
from store.db import get_engine, read_session
from store.migrate import current_revision, head_revision, upgrade
from store.models import Account, Coding, Event, Member, Project

TABLES = (Project, Account, Member, Coding, Event)


def cli_out(url: str, *args: str) -> str:
    from contextlib import redirect_stdout
    from io import StringIO

    out = StringIO()
    with redirect_stdout(out):
        assert cli.main(["--db", url, *args]) == 0, args
    return out.getvalue()


def counts(url: str) -> dict[str, int]:
    with read_session(get_engine(url)) as s:
        return {t.__tablename__: s.scalar(select(func.count()).select_from(t)) for t in TABLES}


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def test_pg_dump_and_restore_bring_back_the_whole_team_project(pg_database: str, tmp_path: Path) -> None:
    url = pg_database
    truncate_pg(url)
    (tmp_path / "gesprek.txt").write_text("I: Wat leverde het op?\nR: We leerden elkaar kennen.\n", encoding="utf-8")
    cli_out(url, "project-create", "Back-up", "--codebooks", "value-creation")
    cli_out(url, "case-create", "--project", "Back-up", "Alfa")
    cli_out(url, "import", "--project", "Back-up", "--case", "Alfa", str(tmp_path / "gesprek.txt"))
    cli_out(url, "member-add", "--project", "Back-up", "olga@uni.nl", "--role", "owner", "--coder", "Olga")
    listed = cli_out(url, "--as", "Olga", "documents", "--project", "Back-up", "--format", "json")
    document = json.loads(listed)[0]["guid"]
    cli_out(url, "--as", "Olga", "code", "--project", "Back-up", "--document", document, "--code", "vc.immediate",
            "--start", "3", "--end", "20", "--coder", "Olga")
    before = counts(url)
    codings_before = cli_out(url, "--as", "Olga", "codings", "--project", "Back-up", "--format", "json")

    dump = tmp_path / "kruispunt.dump"
    subprocess.run(["pg_dump", "-Fc", "-f", str(dump), libpq(url)], check=True, timeout=300)
    name = f"kruispunt_restore_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    restored = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        subprocess.run(["pg_restore", "--no-owner", "-d", libpq(restored), str(dump)], check=True, timeout=300)
        assert current_revision(upgrade(restored)) == head_revision()
        assert counts(restored) == before
        assert cli_out(restored, "--as", "Olga", "codings", "--project", "Back-up", "--format", "json") \
            == codings_before
        members = json.loads(cli_out(restored, "--as", "Olga", "members", "--project", "Back-up", "--format", "json"))
        assert [(m["email"], m["coder"], m["role"]) for m in members] == [("olga@uni.nl", "Olga", "owner")]
        # and it is a working database: the owner writes to it, under her name
        cli_out(restored, "--as", "Olga", "case-create", "--project", "Back-up", "Beta")
        assert counts(restored)["event"] == before["event"] + 1
    finally:
        get_engine(restored).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
