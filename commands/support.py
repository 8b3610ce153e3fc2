"""What every command module shares: who the command line is in the event log, opening the database, printing,
reading an input file and writing an output file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy import Engine

from store.db import database_url
from store.errors import Refused
from store.migrate import upgrade

ACTOR = "cli"


class CliRefused(Exception):
    """A refusal raised by the CLI itself (usage that parses but cannot be carried out)."""


def who(args: argparse.Namespace) -> str:
    """Who a write is recorded as: --coder NAME (so that `undo --coder NAME` finds it), else "cli"."""
    name = " ".join((getattr(args, "coder", None) or "").split())
    return name or ACTOR


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
