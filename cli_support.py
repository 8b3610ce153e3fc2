"""What every command-line module shares: opening the database, printing, writing an output file.

Kept apart from cli.py so that command modules can import it: `python cli.py` runs cli.py as __main__, and
importing `cli` from a command module would load it a second time.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy import Engine

from store.db import database_url
from store.errors import Refused
from store.migrate import upgrade


def open_database(args: argparse.Namespace) -> Engine:
    """The database of --db (or the default), migrated to the current schema."""
    return upgrade(database_url(args.db))


def emit(text: str) -> None:
    sys.stdout.write(text + ("\n" if not text.endswith("\n") else ""))


def write_out(path: str, data: bytes) -> None:
    try:
        Path(path).write_bytes(data)
    except OSError as exc:
        raise Refused(f"{path}: cannot write ({exc.strerror or exc})") from exc
