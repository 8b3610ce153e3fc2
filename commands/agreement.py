"""Double coding on the command line: assigning documents (blind) to a second coder, finishing, revealing, and
inter-coder agreement."""

from __future__ import annotations

import argparse
import json

from commands.support import acting, emit, listing, open_database, reading_pooled, write_out
from store.db import read_session, write_session
from store.errors import Refused
from store.privileges import Permission

AGREEMENT_FORMATS = ("table", "json", "csv", "xlsx", "docx")


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def cmd_agreement(args: argparse.Namespace) -> None:
    from analysis.adjudication import report_decisions
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
        reading_pooled(args, s, project, "agreement")  # compares everyone's codings
        report = compute_agreement(s, project, _split(args.coders), unit=args.unit, codebook=args.codebook,
                                   code_keys=_split(args.codes), document_refs=_split(args.documents),
                                   categorical=args.categorical)
        decided = report_decisions(s, project, report)
        name = project.name
    if args.format == "xlsx":
        write_out(args.out, build_agreement_xlsx(report, project=name, decided=decided))
    elif args.format == "docx":
        write_out(args.out, build_agreement_docx(report, project=name, decided=decided))
    elif args.format == "json":
        text = json.dumps(agreement_record(report, decided), ensure_ascii=False, indent=2)
        write_out(args.out, text.encode()) if args.out else emit(text)
    else:
        text = render_records(coefficient_rows(report), args.format, ROW_COLUMNS)
        if args.format == "table":
            text = "\n".join(f"{k}: {v}" for k, v in facts(report) if not k.startswith("Formula")) + "\n\n" + text
            text += f"\n\n{len(report.disagreements)} disagreement(s); --format json lists them with their text"
        write_out(args.out, text.encode()) if args.out else emit(text)
    if args.out:
        emit(f"wrote {args.out}")


def cmd_assign(args: argparse.Namespace) -> None:
    from cases.projects import get_project
    from coding.assignments import assign_documents

    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        titles = assign_documents(s, project, args.coder, _split(args.documents), sample=args.sample, seed=args.seed,
                                  blind=not args.open, actor=acting(args, s, project, Permission.MANAGE))
    how = "open" if args.open else "blind"
    emit(f"assigned {len(titles)} document(s) to {args.coder} ({how}): " + "; ".join(titles) if titles
         else f"nothing new to assign to {args.coder}")


def cmd_assignments(args: argparse.Namespace) -> None:
    from cases.projects import get_project
    from coding.assignments import list_assignments
    from exports.listing import render_records

    with read_session(open_database(args)) as s:
        project = get_project(s, args.project)
        listing(args, s, project)
        records = [{"document": a.document, "coder": a.coder, "state": a.state, "blind": a.blind,
                    "assigned_by": a.assigned_by, "guid": a.guid} for a in list_assignments(s, project)]
    emit(render_records(records, args.format, ["document", "coder", "state", "assigned_by"]))


def cmd_assignment_finish(args: argparse.Namespace) -> None:
    from cases.projects import get_project
    from coding.assignments import finish_assignment

    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        me = acting(args, s, project, Permission.CODE)
        title = finish_assignment(s, project, args.document, coder=args.coder or me, actor=me)
    emit(f"finished the double coding of '{title}'; an owner can reveal it now")


def cmd_assignment_reveal(args: argparse.Namespace) -> None:
    from cases.projects import get_project
    from coding.assignments import reveal_assignment

    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        title = reveal_assignment(s, project, args.document, coder=args.coder, force=args.early,
                                  actor=acting(args, s, project, Permission.MANAGE))
    emit(f"revealed '{title}' to {args.coder}: both coders' codings can now be compared and discussed")


def _adjudication_report(s, project, args):  # type: ignore[no-untyped-def]
    from analysis.adjudication import pair_report
    from analysis.agreement import coders_named
    from cases.projects import get_document

    a, b = coders_named(s, project, _split(args.coders))
    return pair_report(s, project, get_document(s, project, args.document), a, b, args.unit)


def cmd_adjudication(args: argparse.Namespace) -> None:
    from analysis.adjudication import decisions, start_adjudication
    from cases.projects import get_project
    from exports.listing import render_records

    engine = open_database(args)
    if args.start:
        with write_session(engine) as s:
            project = get_project(s, args.project)
            copied = start_adjudication(s, project, args.document, _split(args.coders), unit=args.unit,
                                        actor=acting(args, s, project, Permission.MANAGE))
        emit(f"consensus coding of '{args.document}' started with {copied} agreed span(s); it is now the "
             "document's primary coding")
    with read_session(engine) as s:
        project = get_project(s, args.project)
        reading_pooled(args, s, project, "adjudication")
        report = _adjudication_report(s, project, args)
        decided = decisions(s, project, args.document, _split(args.coders), args.unit)
        records = []
        for d in report.disagreements:
            decision = decided.get((d.code, d.start, d.end))
            records.append({"number": d.number, "turn": d.turn, "code": d.code, "start": d.start, "end": d.end,
                            "coded_by": d.coded_by, "not_coded_by": d.not_coded_by, "text": d.text,
                            "decision": decision.words if decision else None,
                            "decided_by": decision.decided_by if decision else None})
    emit(render_records(records, args.format, ["number", "turn", "code", "coded_by", "decision", "text"]))


def cmd_adjudicate(args: argparse.Namespace) -> None:
    from analysis.adjudication import decide, reopen
    from cases.projects import get_project

    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        me = acting(args, s, project, Permission.MANAGE)
        report = _adjudication_report(s, project, args)
        found = next((d for d in report.disagreements if d.number == args.number), None)
        if found is None:
            raise Refused(f"there is no disagreement number {args.number} (there are {len(report.disagreements)})")
        where = {"code": found.code, "start": found.start, "end": found.end, "unit": args.unit, "actor": me}
        if args.reopen:
            reopen(s, project, args.document, _split(args.coders), **where)
            emit(f"reopened disagreement {args.number}")
            return
        span = None
        if args.consensus:
            first, _, last = args.consensus.partition("-")
            try:
                span = (int(first), int(last))
            except ValueError:
                raise Refused(f"--consensus '{args.consensus}': write START-END, e.g. 120-180") from None
        decision = "consensus" if span else args.keep
        if decision is None:
            raise Refused("say what to keep (--keep a|b|both) or give --consensus START-END")
        decide(s, project, args.document, _split(args.coders), decision=decision, span=span, **where)
    emit(f"settled disagreement {args.number}: {decision}")


def register(command) -> None:  # type: ignore[no-untyped-def]
    p = command("adjudication", cmd_adjudication, "list two coders' disagreements on a document with the decisions "
                                                   "taken; --start begins the consensus coding", listing=True)
    p.add_argument("--project", required=True)
    p.add_argument("--document", required=True)
    p.add_argument("--coders", required=True, help="the two coders, A,B")
    p.add_argument("--unit", default="characters")
    p.add_argument("--start", action="store_true",
                   help="copy what they agree on into the consensus coding and make it the primary coding")
    p = command("adjudicate", cmd_adjudicate, "settle one disagreement (by its number in `adjudication`)")
    p.add_argument("--project", required=True)
    p.add_argument("--document", required=True)
    p.add_argument("--coders", required=True, help="the two coders, A,B")
    p.add_argument("--unit", default="characters")
    p.add_argument("--number", type=int, required=True)
    p.add_argument("--keep", choices=["a", "b", "both"], help="keep A's spans, B's, or both")
    p.add_argument("--consensus", metavar="START-END", help="or code this span instead")
    p.add_argument("--reopen", action="store_true", help="take the decision back")
    p = command("assign", cmd_assign, "give documents to a second coder for double coding (blind by default)")
    p.add_argument("--project", required=True)
    p.add_argument("--coder", required=True, help="the second coder (in a team project: a member's coder name)")
    p.add_argument("--documents", help="titles or guids, comma-separated")
    p.add_argument("--sample", type=int, help="or: draw this many at random from those someone else coded")
    p.add_argument("--seed", type=int, help="the random draw's seed (logged), to draw the same sample again")
    p.add_argument("--open", action="store_true", help="not blind: the coder sees the others' codings")
    p = command("assignments", cmd_assignments, "list double-coding assignments and their state", listing=True)
    p.add_argument("--project", required=True)
    p = command("assignment-finish", cmd_assignment_finish, "say you finished a document given to you")
    p.add_argument("--project", required=True)
    p.add_argument("--document", required=True)
    p.add_argument("--coder", help="(default: you)")
    p = command("assignment-reveal", cmd_assignment_reveal, "end the blind: the second coder sees everyone's codings")
    p.add_argument("--project", required=True)
    p.add_argument("--document", required=True)
    p.add_argument("--coder", required=True)
    p.add_argument("--early", action="store_true", help="reveal before the coder said they finished")
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
