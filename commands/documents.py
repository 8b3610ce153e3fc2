"""Importing transcripts and documents, their cases and dates, and listing them."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from cases.documents import (
    document_case_names,
    document_record,
    document_text,
    link_document_to_case,
    list_documents,
    set_document_date,
    unlink_document_from_case,
)
from cases.projects import get_case, get_document, get_project
from cases.speakers import parse_role_map
from cases.staged_import import ImportOutcome, import_files
from commands.support import CliRefused, acting, emit, listing, notice, open_database, reading
from exports.listing import render_records
from store.db import read_session, write_session
from store.privileges import Permission


def cmd_import(args: argparse.Namespace) -> int:
    role_map = parse_role_map(args.role_map) if args.role_map else None
    engine = open_database(args)
    with read_session(engine) as s:
        me = acting(args, s, get_project(s, args.project), Permission.BUILD)
    paths = [Path(p) for p in args.paths]
    unreadable = [ImportOutcome(filename=str(p), error=f"{p}: cannot read the file") for p in paths if not p.is_file()]
    readable = [p for p in paths if p.is_file()]
    total = len(readable)

    def progress(index: int, outcome: ImportOutcome) -> None:
        done = int(20 * index / total)
        status = "refused" if outcome.error else "ok"
        sys.stderr.write(f"[{'#' * done}{'.' * (20 - done)}] {index}/{total} {outcome.filename}: {status}\n")

    outcomes = unreadable + import_files(
        engine, args.project, ((p.name, p.read_bytes()) for p in readable), case_name=args.case, kind=args.kind,
        language=args.language, role_map=role_map, actor=me, on_progress=progress, document_date=args.date,
        max_bytes=int(args.max_mb * 1024 * 1024),
        on_case_created=lambda name: notice(f"created case '{name}' in project '{args.project}'"),
    )
    refused = [o for o in outcomes if o.error]
    for o in outcomes:
        if o.error:
            sys.stderr.write(f"refused: {o.error}\n")
        else:
            extra = f", {len(o.warnings)} damage warning(s)" if o.warnings else ""
            emit(f"imported {o.filename} as '{o.document_title}' ({o.turns} turns{extra})")
            for remark in o.notices:
                notice(f"{o.filename}: {remark}")
            for warning in o.warnings:
                sys.stderr.write(f"warning: {o.filename}: {warning}\n")
    emit(f"{len(outcomes) - len(refused)} imported, {len(refused)} refused")
    return 1 if refused else 0


def cmd_document_link(args: argparse.Namespace) -> None:
    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        document, case = get_document(s, project, args.document), get_case(s, project, args.case)
        if args.remove:
            unlink_document_from_case(s, project, document, case, actor=acting(args, s, project, Permission.BUILD))
            emit(f"'{document.title}' no longer belongs to case '{case.name}'")
        elif link_document_to_case(s, project, document, case, actor=acting(args, s, project, Permission.BUILD)):
            emit(f"'{document.title}' now also belongs to case '{case.name}'")
        else:
            emit(f"'{document.title}' already belongs to case '{case.name}'")


def cmd_document_date(args: argparse.Namespace) -> None:
    try:
        when = None if args.date.strip().lower() == "none" else date.fromisoformat(args.date.strip())
    except ValueError as exc:
        raise CliRefused(f"'{args.date}' is not a date (YYYY-MM-DD or none)") from exc
    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        document = get_document(s, project, args.document)
        set_document_date(s, project, document, when, actor=acting(args, s, project, Permission.BUILD))
        emit(f"date of '{document.title}': {when.isoformat() if when else 'none'}")


def cmd_documents(args: argparse.Namespace) -> None:
    with read_session(open_database(args)) as s:
        project = get_project(s, args.project)
        (reading if args.format == "json" else listing)(args, s, project)  # json carries the text
        names = document_case_names(s, project)
        records = [
            document_record(d, names.get(d.id, []), document_text(s, d) if args.format == "json" else None)
            for d in list_documents(s, project)
        ]
    emit(render_records(records, args.format, ["title", "cases", "kind", "language", "guid"]))


def register(command) -> None:  # type: ignore[no-untyped-def]
    """Add this module's commands through `commands.build_parser`'s `command(name, handler, help_, listing=)`."""
    p = command("import", cmd_import, "import transcripts into a case")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--project", required=True)
    p.add_argument("--case", required=True)
    p.add_argument("--language", choices=("nl", "de", "en"))
    p.add_argument("--kind", choices=("interview", "focus group", "observation", "document"),
                   help="default: document for a PDF, interview for anything else")
    p.add_argument("--role-map", help='e.g. "I=interviewer,R=respondent"')
    p.add_argument("--max-mb", type=float, default=50, help="refuse files larger than this (default 50 MB)")
    p.add_argument("--date", type=date.fromisoformat, help="date of the interview, YYYY-MM-DD")

    p = command("document-link", cmd_document_link, "let a document belong to another case as well (or --remove)")
    p.add_argument("--project", required=True)
    p.add_argument("--document", required=True)
    p.add_argument("--case", required=True)
    p.add_argument("--remove", action="store_true")

    p = command("document-date", cmd_document_date, "set (or with 'none' clear) a document's date")
    p.add_argument("--project", required=True)
    p.add_argument("--document", required=True)
    p.add_argument("date", metavar="DATE", help="YYYY-MM-DD or none")

    p = command("documents", cmd_documents, "list documents", listing=True)
    p.add_argument("--project", required=True)
