"""What every command module shares: who the command line is in the event log, opening the database, printing,
reading an input file and writing an output file."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from cases.members import acting_as_named, is_team_project
from coding.assignments import BlindScope, blind_scope
from store.db import database_url
from store.errors import Refused
from store.migrate import upgrade
from store.models import Project
from store.privileges import Permission

ACTOR = "cli"


class CliRefused(Exception):
    """A refusal raised by the CLI itself (usage that parses but cannot be carried out)."""


def who(args: argparse.Namespace) -> str:
    """Who a write outside any project (a new project, the demo) is recorded as: --as NAME, else "cli"."""
    name = " ".join((getattr(args, "as_name", None) or "").split())
    return name or ACTOR


def reading(args: argparse.Namespace, session: Session, project: Project) -> BlindScope:
    """A command that shows transcript text (quotes, codings, memos, reports): in a project with members, only a
    member whose role reads transcripts may run it (a facilitator sees anonymised quotes in the app only).
    Returns what the reader codes blind: on those documents they see only their own codings."""
    if is_team_project(session, project):
        me = acting_as_named(session, project, getattr(args, "as_name", None))
        if not me.role.can_read_transcripts():
            raise Refused(f"{me.name} is a {me.role.value} in this project and may not read its transcripts; "
                          "ask an owner")
    else:
        me = acting_as_named(session, project, getattr(args, "as_name", None))
    return blind_scope(session, project, me.name)


def reading_pooled(args: argparse.Namespace, session: Session, project: Project, what: str) -> None:
    """A command whose output counts or quotes everyone's codings (matrices, cells, reports, agreement): closed to
    a reader who codes a document blind, until an owner reveals it."""
    scope = reading(args, session, project)
    if scope.active:
        raise Refused(scope.closed(what))


def listing(args: argparse.Namespace, session: Session, project: Project) -> None:
    """A command that lists a project's names (cases, documents, codes, members, the bin): in a project with
    members, only a member (named with --as) may run it."""
    if is_team_project(session, project):
        acting_as_named(session, project, getattr(args, "as_name", None))


def acting(args: argparse.Namespace, session: Session, project: Project, permission: Permission, *,
           claimed: str | None = None) -> str:
    """Who a write in `project` is recorded as, once their role allows `permission`.

    In a project with members that is the member `--as NAME` names (an e-mail address or coder name); a command's
    own `--coder` (`claimed`) may only name that same person. In a local project it is --as, else --coder, else
    local mode's researcher, else "cli".
    """
    given = getattr(args, "as_name", None) or claimed
    me = acting_as_named(session, project, given)
    if me.name is None:
        me = replace(me, name=ACTOR)
    name = me.require(permission)
    claimed = " ".join((claimed or "").split())
    if claimed and is_team_project(session, project) and claimed.casefold() != name.casefold():
        raise Refused(f"you are {name}: you cannot record work as '{claimed}'")
    return name


def open_database(args: argparse.Namespace) -> Engine:
    """The database of --db (or the default), migrated to the current schema."""
    return upgrade(database_url(args.db))


def emit(text: str) -> None:
    sys.stdout.write(text + ("\n" if not text.endswith("\n") else ""))


def notice(text: str) -> None:
    sys.stderr.write(f"notice: {text}\n")


def note(text: str) -> None:
    sys.stderr.write(f"note: {text}\n")


def read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CliRefused(f"{path}: cannot read ({exc.strerror or exc})") from exc


def write_out(path: str, data: bytes) -> None:
    try:
        Path(path).write_bytes(data)
    except OSError as exc:
        raise Refused(f"{path}: cannot write ({exc.strerror or exc})") from exc
