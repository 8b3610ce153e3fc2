"""Word reports on the command line: one case's within-case report, and the cross-case report."""

from __future__ import annotations

import argparse

from cases.projects import get_case, get_project
from commands.support import emit, open_database, reading_pooled, write_out
from store.db import read_session


def cmd_case_report(args: argparse.Namespace) -> None:
    from exports.case_report import build_case_report

    keys = [k.strip() for k in args.codebooks.split(",") if k.strip()] if args.codebooks else None
    with read_session(open_database(args)) as s:
        project = get_project(s, args.project)
        reading_pooled(args, s, project, "a report")
        case = get_case(s, project, args.case)
        data = build_case_report(s, project, case, codebook_keys=keys, anonymise=args.anonymise,
                                 language=args.language)
    write_out(args.out, data)
    emit(f"wrote within-case report of '{case.name}' to {args.out}{' (anonymised)' if args.anonymise else ''}")


def cmd_report(args: argparse.Namespace) -> None:
    from cases.projects import get_project
    from exports.cross_case_report import build_cross_case_report

    with read_session(open_database(args)) as s:
        project = get_project(s, args.project)
        reading_pooled(args, s, project, "a report")
        data = build_cross_case_report(s, project, codebook=args.codebook, depth=args.depth, case=args.case,
                                       anonymise=args.anonymise, images=not args.no_images,
                                       language=args.language)
    write_out(args.out, data)
    what = f"report for case '{args.case}'" if args.case else "cross-case report"
    emit(f"wrote {what} to {args.out}{' (anonymised)' if args.anonymise else ''}")


def register(command) -> None:  # type: ignore[no-untyped-def]
    """Add this module's commands through `commands.build_parser`'s `command(name, handler, help_, listing=)`."""
    p = command("case-report", cmd_case_report, "write a within-case report (Word) for one case")
    p.add_argument("--project", required=True)
    p.add_argument("--case", required=True, help="case name or guid")
    p.add_argument("--out", required=True, metavar="FILE.docx")
    p.add_argument("--codebooks", help="comma-separated codebook keys (default: all, in the project's order)")
    p.add_argument("--anonymise", action="store_true", help="speakers by role and pseudonym only, never by name")
    p.add_argument("--language", choices=("en", "nl", "de"), default="en", help="code label language")

    p = command("report", cmd_report, "write the cross-case report (Word), or with --case one network's own report")
    p.add_argument("--project", required=True)
    p.add_argument("--case", help="this case in full, the others as Case A, B, ... anonymised")
    p.add_argument("--anonymise", action="store_true", help="speakers as role + number, names masked")
    p.add_argument("--no-images", action="store_true", help="leave the charts out")
    p.add_argument("--codebook", default="vc", help="codebook key or prefix (default: vc)")
    p.add_argument("--depth", type=int, default=1, help="roll codes up to this depth (default 1)")
    p.add_argument("--language", choices=("en", "nl", "de"), default="en", help="code label language")
    p.add_argument("--out", required=True, metavar="FILE.docx")
