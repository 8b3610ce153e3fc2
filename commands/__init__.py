"""The command line as a package of command modules, one per area of the research flow.

Each module holds its handlers and a `register(command)` that adds its sub-commands to the parser; `cli.py` is
the entry point people and tests call. Handlers call the same package functions the app calls, inside one read
or write session, and print. Exit codes: 0 success, 1 refused input (one line on stderr saying why), 2 usage.
"""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.exc import SQLAlchemyError

from commands import (
    agreement,
    analysis,
    codebooks,
    coding,
    corrections,
    documents,
    exchange,
    focusgroups,
    members,
    projects,
    reports,
    stories,
    text,
)
from commands.support import CliRefused
from exports.listing import FORMATS

# The order of `cli.py --help`: the research flow, from projects to reports.
MODULES = (projects, members, exchange, documents, text, corrections, codebooks, coding, stories, analysis, agreement,
           focusgroups, reports)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cli.py", description="Kruispunt: qualitative coding and cross-case analysis")
    parser.add_argument("--db", help="SQLAlchemy database URL (default: KRUISPUNT_DB_URL or the embedded SQLite file)")
    parser.add_argument("--as", dest="as_name", metavar="NAME",
                        help="who you are: in a project with members, a member's e-mail or coder name (required to "
                             "change it); in a local project, the name your changes are recorded under")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler, help_: str, *, listing: bool = False):  # type: ignore[no-untyped-def]
        p = sub.add_parser(name, help=help_)
        p.set_defaults(handler=handler)
        if listing:
            p.add_argument("--format", choices=FORMATS, default="table")
        return p

    for module in MODULES:
        module.register(command)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result = args.handler(args)
    except ValueError as exc:  # Refused, ImportRefused and parse_role_map's ValueError
        sys.stderr.write(f"error: {_one_line(exc)}\n")
        return 1
    except CliRefused as exc:
        sys.stderr.write(f"error: {_one_line(exc)}\n")
        return 1
    except SQLAlchemyError as exc:  # e.g. a value longer than PostgreSQL's column allows; nothing was written
        sys.stderr.write(f"error: the database refused the change: {_one_line(getattr(exc, 'orig', None) or exc)}\n")
        return 1
    return result if isinstance(result, int) else 0


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
