"""Correcting transcripts after coding on the command line: `text-edit` (and its undo)."""

from __future__ import annotations

import argparse
from pathlib import Path

from commands.support import CliRefused, acting, emit, open_database, read_file
from store.db import write_session
from store.privileges import Permission


def _touched_lines(result) -> list[str]:  # type: ignore[no-untyped-def]
    lines = []
    for t in result.touched:
        after = ("(all of it deleted: needs review)" if t.after is None
                 else f"{t.after[0]}–{t.after[1]} {t.after_text!r}")
        lines.append(f"  {t.coder}: {t.before[0]}–{t.before[1]} {t.before_text!r} -> {after}")
    return lines


def cmd_text_edit(args: argparse.Namespace) -> None:
    from cases.projects import get_project
    from coding.text_edits import edit_turn, undo_edit

    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        me = acting(args, s, project, Permission.BUILD)
        if args.undo:
            undone = undo_edit(s, project, args.document, actor=me)
            emit(f"undid the edit of {undone.where} of '{undone.document}': text version {undone.version} "
                 f"again, {undone.carried} segment(s) back where they were")
            return
        if args.turn is None or (args.text is None) == (args.from_file is None):
            raise CliRefused("give --turn N and the new text with --text T or --from-file F (or --undo)")
        text = args.text if args.text is not None else read_file(Path(args.from_file)).decode("utf-8-sig")
        result = edit_turn(s, project, args.document, args.turn, text, actor=me, dry_run=args.dry_run,
                           confirm_others=args.confirm_others)
    head = (f"would make text version {result.version}" if not result.written
            else f"text version {result.version} of '{result.document}'")
    emit(f"{head}: {result.where} edited, {result.carried} segment(s) carried, {len(result.touched)} "
         "changed:\n" + "\n".join(_touched_lines(result) or ["  (none)"])
         + ("\nnothing was changed (--dry-run)" if not result.written else ""))


def register(command) -> None:  # type: ignore[no-untyped-def]
    p = command("text-edit", cmd_text_edit, "correct a turn's text after coding; every segment follows the text")
    p.add_argument("--project", required=True)
    p.add_argument("--document", required=True)
    p.add_argument("--turn", type=int, help="the turn's number, from 1")
    p.add_argument("--text", help="the turn's new text")
    p.add_argument("--from-file", help="or read it from this UTF-8 file")
    p.add_argument("--dry-run", action="store_true", help="list the segments it would change; change nothing")
    p.add_argument("--confirm-others", action="store_true",
                   help="it may change other coders' segments (look at them with --dry-run first)")
    p.add_argument("--undo", action="store_true", help="take back your last edit of this document")
