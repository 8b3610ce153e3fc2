"""Inter-coder agreement on the command line: `cli.py agreement`."""

from __future__ import annotations

import argparse
import json

from commands.support import emit, open_database, reading, write_out
from store.db import read_session
from store.errors import Refused

AGREEMENT_FORMATS = ("table", "json", "csv", "xlsx", "docx")


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def cmd_agreement(args: argparse.Namespace) -> None:
    from analysis.agreement import compute_agreement
    from cases.projects import get_project
    from exports.agreement_report import (
        ROW_COLUMNS,
        agreement_record,
        build_agreement_docx,
        build_agreement_xlsx,
        coefficient_rows,
        facts,
    )
    from exports.listing import render_records

    if args.format in ("xlsx", "docx") and not args.out:
        raise Refused(f"--format {args.format} needs --out FILE.{args.format}")
    with read_session(open_database(args)) as s:
        project = get_project(s, args.project)
        reading(args, s, project)  # disagreements quote the transcripts
        report = compute_agreement(s, project, _split(args.coders), unit=args.unit, codebook=args.codebook,
                                   code_keys=_split(args.codes), document_refs=_split(args.documents),
                                   categorical=args.categorical)
        name = project.name
    if args.format == "xlsx":
        write_out(args.out, build_agreement_xlsx(report, project=name))
    elif args.format == "docx":
        write_out(args.out, build_agreement_docx(report, project=name))
    elif args.format == "json":
        text = json.dumps(agreement_record(report), ensure_ascii=False, indent=2)
        write_out(args.out, text.encode()) if args.out else emit(text)
    else:
        text = render_records(coefficient_rows(report), args.format, ROW_COLUMNS)
        if args.format == "table":
            text = "\n".join(f"{k}: {v}" for k, v in facts(report) if not k.startswith("Formula")) + "\n\n" + text
            text += f"\n\n{len(report.disagreements)} disagreement(s); --format json lists them with their text"
        write_out(args.out, text.encode()) if args.out else emit(text)
    if args.out:
        emit(f"wrote {args.out}")


def register(command) -> None:  # type: ignore[no-untyped-def]
    p = command("agreement", cmd_agreement, "inter-coder agreement of two or more coders (kappa, alpha, percent)")
    p.add_argument("--project", required=True)
    p.add_argument("--coders", required=True, help="two or more coder names, comma-separated")
    p.add_argument("--codebook", help="compare every codable code of this codebook (key or prefix)")
    p.add_argument("--codes", help="compare these code keys (comma-separated) instead")
    p.add_argument("--documents", help="titles or guids, comma-separated (default: every document all coded)")
    p.add_argument("--unit", default="characters",
                   help="characters | sentence | turn | overlap:90 (percent) | document (default: characters)")
    p.add_argument("--categorical", action="store_true",
                   help="also treat the codes as mutually exclusive categories of each unit")
    p.add_argument("--format", choices=AGREEMENT_FORMATS, default="table")
    p.add_argument("--out", help="write to this file (needed for xlsx and docx)")
