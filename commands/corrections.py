"""Correcting mistakes on the command line: renaming projects, cases, documents, persons, attributes and
focus-group sessions, moving a document to another case, merging two cases, deleting into the project's bin
(--dry-run says what would go), restoring from it, emptying it, and deleting a whole project. Each is one
transaction."""

from __future__ import annotations

import argparse

from cases.bin import (
    WHAT,
    DeletionPreview,
    delete_project,
    delete_to_bin,
    empty_bin,
    list_bin,
    preview_deletion,
    restore_from_bin,
)
from cases.merge import merge_cases, merge_plan
from cases.projects import get_case, get_document, get_person, get_project
from cases.renames import (
    move_document,
    rename_attribute,
    rename_case,
    rename_document,
    rename_person,
    rename_project,
)
from commands.support import CliRefused, acting, emit, listing, open_database
from exports.listing import render_records
from store.db import read_session, write_session
from store.privileges import Permission


def _said(changed: bool, what: str) -> str:
    return what if changed else f"{what} (it already was; nothing changed)"


def cmd_project_rename(args: argparse.Namespace) -> None:
    with write_session(open_database(args)) as s:
        project = get_project(s, args.old)
        changed = rename_project(s, project, args.new, actor=acting(args, s, project, Permission.MANAGE))
        emit(_said(changed, f"project '{args.old}' is now '{project.name}'"))


def cmd_case_rename(args: argparse.Namespace) -> None:
    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        case = get_case(s, project, args.old)
        old = case.name
        changed = rename_case(s, project, case, args.new, actor=acting(args, s, project, Permission.BUILD))
        emit(_said(changed, f"case '{old}' is now '{case.name}'"))


def cmd_document_rename(args: argparse.Namespace) -> None:
    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        document = get_document(s, project, args.document)
        old = document.title
        changed = rename_document(s, project, document, args.new,
                                  actor=acting(args, s, project, Permission.BUILD))
        emit(_said(changed, f"document '{old}' is now '{document.title}'"))


def cmd_document_move(args: argparse.Namespace) -> None:
    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        document, case = get_document(s, project, args.document), get_case(s, project, args.case)
        left = move_document(s, project, document, case, add=args.add, actor=acting(args, s, project, Permission.BUILD))
        emit(f"'{document.title}' is in case '{case.name}'" + (f", no longer in {', '.join(left)}" if left else ""))


def cmd_case_merge(args: argparse.Namespace) -> None:
    keep = {}
    for item in args.keep or ():
        key, sep, side = item.partition("=")
        if not sep:
            raise CliRefused(f"--keep '{item}': write KEY=from or KEY=into, e.g. cell:vc.immediate=into")
        keep[key.strip()] = side.strip()
    with (read_session if args.dry_run else write_session)(open_database(args)) as s:
        project = get_project(s, args.project)
        source, target = get_case(s, project, args.source), get_case(s, project, args.target)
        if args.dry_run:
            plan = merge_plan(s, project, source, target)
        else:
            plan = merge_cases(s, project, source, target, keep=keep, actor=acting(args, s, project, Permission.DELETE))
    lines = [f"{'would merge' if args.dry_run else 'merged'} case '{plan.source}' into '{plan.target}':"]
    lines += [f"  moves {line}" for line in plan.moves]
    lines += [f"  conflict {c.key}: from '{plan.source}': {c.source} | into '{plan.target}': {c.target}"
              + (f" -> kept {keep[c.key]}" if c.key in keep else "") for c in plan.conflicts]
    emit("\n".join(lines))


def cmd_person_rename(args: argparse.Namespace) -> None:
    if args.name is None and args.pseudonym is None:
        raise CliRefused("give --name NEW, --pseudonym NEW, or both")
    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        person = get_person(s, project, args.person)
        changed = rename_person(s, project, person, name=args.name, pseudonym=args.pseudonym,
                                actor=acting(args, s, project, Permission.BUILD))
        emit(_said(changed, f"person '{person.name}' (pseudonym '{person.pseudonym}')"))


def cmd_attribute_rename(args: argparse.Namespace) -> None:
    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        changed = rename_attribute(s, project, args.target, args.old, args.new,
                                   actor=acting(args, s, project, Permission.BUILD))
        emit(_said(changed, f"{args.target} attribute '{args.old}' is now '{' '.join(args.new.split())}'"))


def cmd_fg_session_rename(args: argparse.Namespace) -> None:
    from focusgroups.sessions import get_session, rename_session

    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        fg = get_session(s, project, args.old)
        old = fg.name
        changed = rename_session(s, project, fg, args.new, actor=acting(args, s, project, Permission.PRESENT))
        emit(_said(changed, f"focus-group session '{old}' is now '{fg.name}'"))


def register(command) -> None:  # type: ignore[no-untyped-def]
    """Add this module's commands through `commands.build_parser`'s `command(name, handler, help_, listing=)`."""
    p = command("project-rename", cmd_project_rename, "rename a project")
    p.add_argument("old", metavar="OLD")
    p.add_argument("new", metavar="NEW")

    for name, handler, what in (("case-rename", cmd_case_rename, "a case"),
                                ("fg-session-rename", cmd_fg_session_rename, "a focus-group session")):
        p = command(name, handler, f"rename {what}")
        p.add_argument("--project", required=True)
        p.add_argument("old", metavar="OLD")
        p.add_argument("new", metavar="NEW")

    p = command("case-merge", cmd_case_merge, "merge a case into another: documents, attributes, cells, feedback, "
                "memos and persons move; conflicts must be resolved with --keep")
    p.add_argument("--project", required=True)
    p.add_argument("source", metavar="FROM")
    p.add_argument("target", metavar="INTO")
    p.add_argument("--keep", action="append", metavar="KEY=from|into",
                   help="resolve one conflict, e.g. cell:vc.immediate=into or attribute:country=from (repeat)")
    p.add_argument("--dry-run", action="store_true", help="list what moves and the conflicts, change nothing")

    p = command("document-rename", cmd_document_rename, "change a document's title")
    p.add_argument("--project", required=True)
    p.add_argument("document", metavar="DOC", help="title or guid")
    p.add_argument("new", metavar="NEW")

    p = command("document-move", cmd_document_move, "move a document to another case (or --add it to one more)")
    p.add_argument("--project", required=True)
    p.add_argument("document", metavar="DOC", help="title or guid")
    p.add_argument("--case", required=True)
    p.add_argument("--add", action="store_true", help="keep it in its other cases as well")

    p = command("person-rename", cmd_person_rename, "change a person's name or pseudonym")
    p.add_argument("--project", required=True)
    p.add_argument("person", metavar="PERSON", help="name or guid")
    p.add_argument("--name")
    p.add_argument("--pseudonym", help="'' clears it")

    p = command("attribute-rename", cmd_attribute_rename, "rename an attribute of cases, documents or persons")
    p.add_argument("--project", required=True)
    p.add_argument("--target", choices=("case", "document", "person"), default="case")
    p.add_argument("old", metavar="OLD")
    p.add_argument("new", metavar="NEW")
    register_bin(command)


# --- deleting into the bin, restoring ------------------------------------------------------------------------

def _delete(kind: str):  # type: ignore[no-untyped-def]
    def handler(args: argparse.Namespace) -> None:
        with (read_session if args.dry_run else write_session)(open_database(args)) as s:
            project = get_project(s, args.project)
            if args.dry_run:
                preview = preview_deletion(s, project, kind, args.ref)
            else:
                preview = delete_to_bin(s, project, kind, args.ref, actor=acting(args, s, project, Permission.DELETE))
        emit(_deletion_text(preview, "would delete" if args.dry_run else "deleted"))
        if not args.dry_run:
            emit(f"in the bin: restore it with cli.py restore --project '{args.project}' {preview.guid}")
    return handler


def _deletion_text(preview: DeletionPreview, verb: str) -> str:
    lines = [f"{verb} {WHAT[preview.kind]} '{preview.name}'" + (" with:" if preview.goes else "")]
    lines += [f"  {line}" for line in preview.goes]
    if preview.unlinks:
        lines.append("and unlinks:")
        lines += [f"  {line}" for line in preview.unlinks]
    return "\n".join(lines)


def cmd_bin(args: argparse.Namespace) -> None:
    with read_session(open_database(args)) as s:
        project = get_project(s, args.project)
        listing(args, s, project)
        records = [{"kind": i.kind, "name": i.name, "deleted_by": i.deleted_by,
                    "deleted_at": i.deleted_at.isoformat(), "goes": i.summary.get("goes", []),
                    "guid": str(i.guid), "entity_guid": str(i.entity_guid)}
                   for i in list_bin(s, project)]
    emit(render_records(records, args.format, ["kind", "name", "deleted_by", "deleted_at", "guid"]))


def cmd_restore(args: argparse.Namespace) -> None:
    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        item, left = restore_from_bin(s, project, args.item, actor=acting(args, s, project, Permission.DELETE))
        emit(f"restored {WHAT[item.kind]} '{item.name}'" + "".join(f"\n  left out: {line}" for line in left))


def cmd_bin_empty(args: argparse.Namespace) -> None:
    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        n = empty_bin(s, project, confirm=args.confirm, actor=acting(args, s, project, Permission.DELETE))
    emit(f"emptied the bin: {n} item(s) deleted for good")


def cmd_project_delete(args: argparse.Namespace) -> None:
    with write_session(open_database(args)) as s:
        project = get_project(s, args.name)
        counts = delete_project(s, project, confirm=args.confirm, actor=acting(args, s, project, Permission.DELETE))
    emit(f"deleted project '{args.name}' for good: " + ", ".join(
        f"{n} {table.replace('_', ' ')}" for table, n in sorted(counts.items()) if n))


def register_bin(command) -> None:  # type: ignore[no-untyped-def]
    for kind, ref_help in (("case", "name or guid"), ("document", "title or guid"), ("person", "name or guid"),
                           ("attribute", "TARGET:NAME, e.g. case:land"), ("session", "name or guid")):
        name = "fg-session-delete" if kind == "session" else f"{kind}-delete"
        article = "an" if WHAT[kind][0] in "aeiou" else "a"
        p = command(name, _delete(kind), f"delete {article} {WHAT[kind]} into the project's bin, with what goes with it")
        p.add_argument("--project", required=True)
        p.add_argument("ref", metavar="REF", help=ref_help)
        p.add_argument("--dry-run", action="store_true", help="say what would go, change nothing")

    p = command("bin", cmd_bin, "list what is in a project's bin", listing=True)
    p.add_argument("--project", required=True)

    p = command("restore", cmd_restore, "put something back from the bin, whole")
    p.add_argument("--project", required=True)
    p.add_argument("item", metavar="GUID", help="the bin item's guid, the deleted thing's guid, or its name")

    p = command("bin-empty", cmd_bin_empty, "delete the bin's contents for good")
    p.add_argument("--project", required=True)
    p.add_argument("--confirm", required=True, metavar="PROJECT", help="the project's name, typed")

    p = command("project-delete", cmd_project_delete, "delete a whole project for good")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--confirm", required=True, metavar="NAME", help="the project's name, typed again")
