"""Focus groups on the command line: sessions, feedback on cells and codes, promoting a remark, the mask list."""

from __future__ import annotations

import argparse
from datetime import date

from commands.support import acting, emit, listing, open_database, reading
from store.db import read_session, write_session
from store.errors import Refused
from store.privileges import Permission


def cmd_fg_session_create(args: argparse.Namespace) -> None:
    from cases.projects import get_project
    from focusgroups.sessions import create_session, parse_attendees

    try:
        held_on = date.fromisoformat(args.date.strip())
    except ValueError:
        raise Refused(f"--date '{args.date}' is not a date (YYYY-MM-DD)") from None
    attendees = parse_attendees(args.attendees) if args.attendees else {}
    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        fg = create_session(s, project, args.name, held_on, purpose=args.purpose,
                            attendees=attendees, notes=args.notes or "",
                            actor=acting(args, s, project, Permission.PRESENT))
        emit(f"created focus-group session '{fg.name}' on {fg.held_on.isoformat()} ({fg.purpose}; "
              f"{sum(fg.attendees.values())} attendees) ({fg.guid})")


def cmd_fg_sessions(args: argparse.Namespace) -> None:
    from cases.projects import get_project
    from exports.listing import render_records
    from focusgroups.sessions import list_sessions

    with read_session(open_database(args)) as s:
        project = get_project(s, args.project)
        listing(args, s, project)
        records = [{"name": fg.name, "held_on": fg.held_on.isoformat(), "purpose": fg.purpose,
                    "attendees": fg.attendees, "notes": fg.notes, "guid": str(fg.guid)}
                   for fg in list_sessions(s, project)]
    emit(render_records(records, args.format, ["name", "held_on", "purpose", "attendees", "guid"]))


def cmd_feedback_add(args: argparse.Namespace) -> None:
    from cases.projects import get_project
    from focusgroups.feedback import record_feedback
    from focusgroups.sessions import get_session

    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        row = record_feedback(s, project, get_session(s, project, args.session), stance=args.stance, code=args.code,
                              case=args.case, participant_role=args.role or "", note=args.note or "",
                              actor=acting(args, s, project, Permission.PRESENT, claimed=args.coder))
        where = " x ".join(x for x in (args.case, args.code) if x) or "the codebook"
        emit(f"recorded '{args.stance}' on {where} ({row.guid})")


def cmd_feedback(args: argparse.Namespace) -> None:
    from cases.projects import get_project
    from exports.listing import render_records
    from focusgroups.feedback import list_feedback
    from focusgroups.sessions import get_session

    with read_session(open_database(args)) as s:
        project = get_project(s, args.project)
        listing(args, s, project)
        fg = get_session(s, project, args.session) if args.session else None
        records = [r.as_dict() for r in list_feedback(s, project, fg=fg, case=args.case, code=args.code)]
    emit(render_records(records, args.format,
                         ["session", "held_on", "case", "code", "stance", "participant_role", "note", "guid"]))


def cmd_feedback_promote(args: argparse.Namespace) -> None:
    from cases.projects import get_project
    from focusgroups.feedback import promote_to_code

    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        code = promote_to_code(s, project, args.feedback, codebook=args.codebook, key=args.key,
                               label=args.label, parent=args.parent,
                               actor=acting(args, s, project, Permission.BUILD))
        emit(f"promoted the remark to code '{code.key}' ({code.guid})")


def cmd_mask_add(args: argparse.Namespace) -> None:
    from cases.projects import get_project
    from focusgroups.anonymise import add_mask_term, delete_mask_term

    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        if args.remove:
            delete_mask_term(s, project, args.term, actor=acting(args, s, project, Permission.MANAGE))
            emit(f"'{args.term}' is no longer masked")
        else:
            row = add_mask_term(s, project, args.term, args.kind, args.replacement or "",
                                actor=acting(args, s, project, Permission.MANAGE))
            emit(f"masking '{row.term}' as {row.replacement or f'[{row.kind}]'}")


def cmd_masks(args: argparse.Namespace) -> None:
    from cases.projects import get_project
    from exports.listing import render_records
    from focusgroups.anonymise import list_mask_terms

    with read_session(open_database(args)) as s:
        project = get_project(s, args.project)
        reading(args, s, project)  # the real names behind the masks
        records = [{"term": t.term, "kind": t.kind, "replacement": t.replacement or f"[{t.kind}]"}
                   for t in list_mask_terms(s, project)]
    emit(render_records(records, args.format, ["term", "kind", "replacement"]))


def register(command) -> None:  # type: ignore[no-untyped-def]
    """Add this module's commands through `commands.build_parser`'s `command(name, handler, help_, listing=)`."""
    p = command("fg-session-create", cmd_fg_session_create, "create a focus-group session")
    p.add_argument("name")
    p.add_argument("--project", required=True)
    p.add_argument("--date", required=True, help="YYYY-MM-DD")
    p.add_argument("--purpose", choices=("validation", "codebook"), default="validation")
    p.add_argument("--attendees", help='e.g. "6 network representative, 4 researcher"')
    p.add_argument("--notes")

    p = command("fg-sessions", cmd_fg_sessions, "list focus-group sessions", listing=True)
    p.add_argument("--project", required=True)

    p = command("feedback-add", cmd_feedback_add, "record a focus-group remark on a cell (case + code) or a code")
    p.add_argument("--project", required=True)
    p.add_argument("--session", required=True, help="session name or guid")
    p.add_argument("--code")
    p.add_argument("--case")
    p.add_argument("--stance", required=True,
                   help="agree, disagree, amend, add (validation); recognised, not_recognised, missing (codebook)")
    p.add_argument("--role", help="participant role, e.g. network representative")
    p.add_argument("--note")
    p.add_argument("--coder", help="who records it (recorded, and what undo --coder takes back); default: cli")

    p = command("feedback", cmd_feedback, "list focus-group feedback", listing=True)
    p.add_argument("--project", required=True)
    p.add_argument("--session")
    p.add_argument("--case")
    p.add_argument("--code")

    p = command("feedback-promote", cmd_feedback_promote, "turn a remark into a new code")
    p.add_argument("feedback", metavar="FEEDBACK_GUID")
    p.add_argument("--project", required=True)
    p.add_argument("--codebook", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--label", required=True)
    p.add_argument("--parent")

    p = command("mask-add", cmd_mask_add, "mask a person, organisation or place name in anonymised quotes "
                "(or --remove)")
    p.add_argument("term")
    p.add_argument("--project", required=True)
    p.add_argument("--kind", choices=("person", "organisation", "place", "other"), default="other")
    p.add_argument("--replacement", help="shown instead (default: [kind])")
    p.add_argument("--remove", action="store_true")

    p = command("masks", cmd_masks, "list the mask list", listing=True)
    p.add_argument("--project", required=True)
