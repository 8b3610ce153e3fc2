"""Correcting and pseudonymising transcripts after coding on the command line: `text-edit` (and its undo),
`damage` and `damage-repair` (the review of PDF-extraction damage: repairs accepted or rejected), `pseudonyms` (the
replacement list and suggestions) and `pseudonymise`."""

from __future__ import annotations

import argparse
from pathlib import Path

from commands.support import CliRefused, acting, emit, open_database, read_file, reading
from store.db import read_session, write_session
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
    from coding.text_edits import edit_turn, edit_turns, join_turns, split_turn, undo_edit

    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        me = acting(args, s, project, Permission.BUILD)
        if args.undo:
            undone = undo_edit(s, project, args.document, actor=me)
            emit(f"undid the edit of {undone.where} of '{undone.document}': text version {undone.version} "
                 f"again, {undone.carried} segment(s) back where they were")
            return
        if args.turn is None:
            raise CliRefused("say which turn: --turn N")
        options = {"actor": me, "dry_run": args.dry_run, "confirm_others": args.confirm_others}
        if args.split_at is not None:
            result = split_turn(s, project, args.document, args.turn, args.split_at, **options)
        elif args.join:
            result = join_turns(s, project, args.document, args.turn, **options)
        else:
            if (args.text is None) == (args.from_file is None):
                raise CliRefused("give the new text with --text T or --from-file F (or --split-at, --join, --undo)")
            text = args.text if args.text is not None else read_file(Path(args.from_file)).decode("utf-8-sig")
            if args.to is not None:  # a range of turns: one line of text each
                result = edit_turns(s, project, args.document, args.turn, args.to, text.strip("\n").split("\n"),
                                    **options)
            else:
                result = edit_turn(s, project, args.document, args.turn, text, **options)
    head = (f"would make text version {result.version}" if not result.written
            else f"text version {result.version} of '{result.document}'")
    emit(f"{head}: {result.where} edited, {result.carried} segment(s) carried, {len(result.touched)} "
         "changed:\n" + "\n".join(_touched_lines(result) or ["  (none)"])
         + ("\nnothing was changed (--dry-run)" if not result.written else ""))


def cmd_damage(args: argparse.Namespace) -> None:
    from cases.projects import get_project
    from coding.damage_repair import review_damage
    from exports.listing import render_records

    with read_session(open_database(args)) as s:
        project = get_project(s, args.project)
        reading(args, s, project)  # the context is the transcript's text
        review = review_damage(s, project, args.document)
    shown = sorted([(w, "open") for w in review.open]
                   + ([(w, "rejected") for w in review.rejected] if args.rejected else []),
                   key=lambda pair: (pair[0].start, pair[0].kind))
    records = [{"id": w.id, "kind": w.kind, "status": status, "context": w.excerpt, "repair": w.preview,
                "message": w.message, "start": w.start, "end": w.end, "version": review.version,
                "replacement": None if w.repair is None else {"start": w.repair.start, "end": w.repair.end,
                                                              "text": w.repair.replacement}}
               for w, status in shown]
    emit(render_records(records, args.format, ["id", "kind", *(["status"] if args.rejected else []), "context",
                                               "repair"]))


def cmd_damage_repair(args: argparse.Namespace) -> None:
    from cases.projects import get_project
    from coding.damage_repair import apply_repairs, reconsider_warnings, reject_warnings, review_damage

    accept, reject, reconsider = args.accept or [], args.reject or [], args.reconsider or []
    if not (accept or args.all or reject or reconsider):
        raise CliRefused("say what to do: --accept ID ..., --all, --reject ID ... or --reconsider ID ...")
    both = sorted(set(accept) & set(reject))
    if both:
        raise CliRefused(f"{both[0]} is both accepted and rejected")
    lines = []
    with (read_session if args.dry_run else write_session)(open_database(args)) as s:
        project = get_project(s, args.project)
        me = acting(args, s, project, Permission.BUILD)
        if reject or reconsider:
            if args.dry_run:
                review_damage(s, project, args.document).find([*reject, *reconsider])  # an unknown id is said
            else:
                for ids, decide in ((reject, reject_warnings), (reconsider, reconsider_warnings)):
                    if ids:
                        decide(s, project, args.document, ids, actor=me, version=args.version)
        if reject:
            lines.append(f"{'would keep' if args.dry_run else 'kept'} {len(reject)} place(s) as they are "
                         "(rejected: no longer listed)")
        if reconsider:
            lines.append(f"{'would list' if args.dry_run else 'listed'} {len(reconsider)} rejected warning(s) again")
        if args.all:
            accept = [*accept, *(w.id for w in review_damage(s, project, args.document).repairable
                                 if w.id not in reject)]
        if accept:
            done = apply_repairs(s, project, args.document, accept, actor=me, dry_run=args.dry_run,
                                 confirm_others=args.confirm_others, version=args.version)
            edit = done.edit
            head = (f"would make text version {edit.version}" if not edit.written
                    else f"text version {edit.version} of '{edit.document}'")
            lines.append(f"{head}: {len(done.applied)} repair(s)"
                         + (f" ({len(done.taken_in)} more taken in by them)" if done.taken_in else "")
                         + f", {edit.carried} segment(s) carried, {len(edit.touched)} changed:")
            lines += _touched_lines(edit) or ["  (none)"]
        elif args.all:
            lines.append("no open warning has a repair to accept")
    emit("\n".join(lines) + ("\nnothing was changed (--dry-run)" if args.dry_run else ""))


def cmd_pseudonyms(args: argparse.Namespace) -> None:
    from cases.projects import get_project
    from cases.pseudonyms import replacement_list, suggest_candidates
    from exports.listing import render_records
    from focusgroups.anonymise import add_mask_term, delete_mask_term

    engine = open_database(args)
    if args.add or args.remove:
        with write_session(engine) as s:
            project = get_project(s, args.project)
            me = acting(args, s, project, Permission.MANAGE)
            for entry in args.add or []:
                real, sep, pseudonym = entry.partition("=")
                if not sep:
                    raise CliRefused(f"--add '{entry}': write REAL=PSEUDONYM, e.g. \"Jan de Vries=R3\"")
                add_mask_term(s, project, real, args.kind, pseudonym, actor=me)
            for real in args.remove or []:
                delete_mask_term(s, project, real, actor=me)
    with read_session(engine) as s:
        project = get_project(s, args.project)
        reading(args, s, project)  # the real names
        if args.suggest:
            records = [{"text": c.text, "kind": c.kind, "count": c.count, "example": c.example}
                       for c in suggest_candidates(s, project)]
            columns = ["text", "kind", "count", "example"]
        else:
            records = [{"real": r.real, "pseudonym": r.pseudonym, "kind": r.kind, "from": r.source}
                       for r in replacement_list(s, project)]
            columns = ["real", "pseudonym", "kind", "from"]
    emit(render_records(records, args.format, columns))


def cmd_pseudonymise(args: argparse.Namespace) -> int:
    from cases.projects import get_project
    from coding.pseudonymise import documents_in, preview_document, pseudonymise_each

    engine = open_database(args)
    with read_session(engine) as s:
        project = get_project(s, args.project)
        me = acting(args, s, project, Permission.MANAGE)
        guid = str(project.guid)
        documents = [(str(d.guid), d.title) for d in documents_in(s, project, document=args.document, case=args.case)]
    lines = []
    if args.dry_run:
        with read_session(engine) as s:
            for document, title in documents:
                preview = preview_document(s, get_project(s, guid), document)
                lines.append(f"{title}: {len(preview.found)} replacement(s)")
                lines += [f"  {context}" for context in preview.contexts]
        emit("\n".join([*lines, "nothing was changed (--dry-run)"]))
        return

    def write(change):  # type: ignore[no-untyped-def]
        with write_session(engine) as s:
            return change(s)

    outcomes = pseudonymise_each(write, guid, documents, actor=me)
    for outcome in outcomes:
        result = outcome.result
        if outcome.refused:
            lines.append(f"{outcome.document}: refused: {outcome.refused}")
        elif result is None:
            lines.append(f"{outcome.document}: nothing to replace")
        else:
            lines.append(f"{outcome.document}: {result.replacements} replacement(s) in {result.where}, text "
                         f"version {result.version}, {len(result.touched)} segment(s) changed")
            lines += _touched_lines(result)
    emit("\n".join(lines))
    return 1 if any(o.refused for o in outcomes) else 0  # the others are done: each is its own transaction


def cmd_purge_originals(args: argparse.Namespace) -> None:
    from cases.projects import get_project
    from cases.purge import clear_free_pages, purge_originals

    engine = open_database(args)
    with write_session(engine) as s:
        project = get_project(s, args.project)
        purged = purge_originals(s, project, confirm=args.confirm or "", document_ref=args.document,
                                 actor=acting(args, s, project, Permission.DELETE))
    clear_free_pages(engine)
    emit(f"purged {purged.documents} document(s): {purged.versions} earlier text version(s) and "
         f"{purged.bytes_dropped:,} bytes of original files removed"
         + ("" if args.document else f"; {purged.rewritten} row(s) elsewhere rewritten, {purged.persons} "
            f"person(s) now known by their pseudonym only, {purged.list_entries} list entries removed"))


def cmd_speaker_set(args: argparse.Namespace) -> None:
    from cases.projects import get_project
    from coding.speaker_edits import set_speaker

    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        change = set_speaker(s, project, args.document, args.label, role=args.role, person=args.person,
                             new_label=args.new_label, actor=acting(args, s, project, Permission.BUILD))
    lines = [f"speaker '{change.label}': " + ", ".join(f"{k} {v}" for k, v in change.changes.items())]
    if change.edit is not None:
        lines.append(f"the label was rewritten in {change.edit.where} (text version {change.edit.version})")
        lines += _touched_lines(change.edit)
    emit("\n".join(lines))


def register(command) -> None:  # type: ignore[no-untyped-def]
    p = command("speaker-set", cmd_speaker_set, "correct a speaker's role, person or label after coding")
    p.add_argument("--project", required=True)
    p.add_argument("--document", required=True)
    p.add_argument("--label", required=True, help="the speaker's label as it is now")
    p.add_argument("--role")
    p.add_argument("--person", help="a registered person's name, or none")
    p.add_argument("--new-label", help="a new label, written into the transcript as well")
    p = command("pseudonyms", cmd_pseudonyms, "the replacement list (names → pseudonyms); --suggest candidates",
                listing=True)
    p.add_argument("--project", required=True)
    p.add_argument("--add", action="append", metavar="REAL=PSEUDONYM")
    p.add_argument("--kind", choices=["person", "organisation", "place", "other"], default="person")
    p.add_argument("--remove", action="append", metavar="REAL")
    p.add_argument("--suggest", action="store_true", help="list what in the texts looks like personal data")
    p = command("pseudonymise", cmd_pseudonymise, "replace the listed names in the transcripts (new text versions)")
    p.add_argument("--project", required=True)
    p.add_argument("--document")
    p.add_argument("--case")
    p.add_argument("--dry-run", action="store_true", help="show every replacement in context; change nothing")
    p = command("purge-originals", cmd_purge_originals,
                "remove original files and earlier texts for good (the whole project: every listed name too)")
    p.add_argument("--project", required=True)
    p.add_argument("--document", help="only this document's original file and earlier texts")
    p.add_argument("--confirm", metavar="PROJECT", help="the project's name, typed: this cannot be undone")
    p = command("damage", cmd_damage, "a document's PDF-extraction damage warnings with their proposed repairs",
                listing=True)
    p.add_argument("--project", required=True)
    p.add_argument("--document", required=True)
    p.add_argument("--rejected", action="store_true", help="list the rejected warnings too")
    p = command("damage-repair", cmd_damage_repair,
                "accept repairs of damage warnings (a new text version; segments follow) or reject warnings")
    p.add_argument("--project", required=True)
    p.add_argument("--document", required=True)
    p.add_argument("--accept", nargs="+", metavar="ID", help="the warnings whose repairs to make (ids from damage)")
    p.add_argument("--all", action="store_true", help="every open warning that has a repair")
    p.add_argument("--reject", nargs="+", metavar="ID", help="keep these places as they are; no longer listed")
    p.add_argument("--reconsider", nargs="+", metavar="ID", help="list these rejected warnings again")
    p.add_argument("--version", type=int, help="the text version the ids were listed on (as `damage` prints): "
                   "refused if the text changed since, so an id never names another place")
    p.add_argument("--dry-run", action="store_true", help="list the segments the repairs would change; change nothing")
    p.add_argument("--confirm-others", action="store_true",
                   help="the repairs may change other coders' segments (look at them with --dry-run first)")
    p = command("text-edit", cmd_text_edit, "correct a turn's text after coding; every segment follows the text")
    p.add_argument("--project", required=True)
    p.add_argument("--document", required=True)
    p.add_argument("--turn", type=int, help="the turn's number, from 1")
    p.add_argument("--to", type=int, metavar="M", help="edit turns N to M: the text holds one line per turn")
    p.add_argument("--text", help="the turn's new text")
    p.add_argument("--from-file", help="or read it from this UTF-8 file")
    p.add_argument("--dry-run", action="store_true", help="list the segments it would change; change nothing")
    p.add_argument("--confirm-others", action="store_true",
                   help="it may change other coders' segments (look at them with --dry-run first)")
    p.add_argument("--split-at", type=int, metavar="K", help="split the turn K characters into its text")
    p.add_argument("--join", action="store_true", help="join the turn with the next one")
    p.add_argument("--undo", action="store_true", help="take back your last edit of this document")
