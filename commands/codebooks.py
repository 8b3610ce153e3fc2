"""Codebooks and codes on the command line: templates, adoption, CSV exchange, editing."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cases.projects import get_project
from codebooks.service import (
    add_code,
    adopt_codebook,
    codebook_as_template,
    delete_code,
    export_codebook_csv,
    get_codebook,
    get_template,
    import_codebook_csv,
    list_project_codebooks,
    list_templates,
    merge_codes,
    move_code,
    update_code,
)
from commands.support import ACTOR, CliRefused, acting, emit, listing, open_database, read_file
from exports.listing import render_records
from store.db import read_session, write_session
from store.privileges import Permission


def _code_records(rows) -> list[dict]:  # type: ignore[no-untyped-def]
    return [
        {"key": r.key, "guid": str(r.guid) if r.guid else None, "parent": r.parent,
         "labels": {"en": r.label_en, "nl": r.label_nl, "de": r.label_de}, "rank": r.rank,
         "horizon": r.horizon, "definition": r.definition, "include": r.include, "exclude": r.exclude,
         "colour": r.colour, "codable": r.codable, "enabled": r.enabled}
        for r in rows
    ]


def cmd_codebooks(args: argparse.Namespace) -> None:
    with read_session(open_database(args)) as s:
        project = get_project(s, args.project) if args.project else None
        if project:
            listing(args, s, project)
        if args.action == "show":
            if not args.key:
                raise CliRefused("codebooks show needs a codebook KEY")
            template = (codebook_as_template(get_codebook(s, project, args.key)) if project
                        else get_template(s, args.key))
            record = {"key": template.key, "version": template.version, "name": template.name_en,
                      "source": template.source, "codes": _code_records(template.codes)}
            if args.format == "json":
                emit(json.dumps(record, ensure_ascii=False, indent=2))
            else:
                flat = [{"key": c["key"], "parent": c["parent"], "label_en": c["labels"]["en"],
                         "label_nl": c["labels"]["nl"], "rank": c["rank"], "enabled": c["enabled"]}
                        for c in record["codes"]]
                emit(render_records(flat, args.format))
            return
        if args.action:
            raise CliRefused(f"unknown codebooks action '{args.action}' (use: show KEY)")
        if project:
            books = list_project_codebooks(s, project)
            records = [{"key": b.key, "name": b.name_en, "version": b.version, "origin": b.origin,
                        "codes": len(b.codes), "guid": str(b.guid)} for b in books]
        else:
            records = [{"key": t.key, "name": t.name_en, "version": t.version, "origin": t.origin,
                        "codes": len(t.codes)} for t in list_templates(s)]
    emit(render_records(records, args.format, ["key", "name", "version", "origin", "codes"]))


def cmd_codebook_export(args: argparse.Namespace) -> None:
    with read_session(open_database(args)) as s:
        project = get_project(s, args.project) if args.project else None
        if project:
            listing(args, s, project)
        if args.format == "qdc":
            from codebooks.qdc import export_codebook_qdc

            data = export_codebook_qdc(s, args.key, project)
        else:
            data = ("\ufeff" + export_codebook_csv(s, args.key, project)).encode("utf-8")
    if args.out:
        Path(args.out).write_bytes(data)
        emit(f"wrote {args.out}")
    else:
        sys.stdout.write(data.decode("utf-8").lstrip("\ufeff"))


def cmd_codebook_import(args: argparse.Namespace) -> None:
    path = Path(args.file)
    raw = read_file(path)
    if path.suffix.lower() == ".qdc":  # a REFI-QDA codebook (NVivo, ATLAS.ti, MAXQDA, QualCoder)
        from codebooks.qdc import import_codebook_qdc

        with write_session(open_database(args)) as s:
            project = get_project(s, args.project) if args.project else None
            book, notes = import_codebook_qdc(s, raw, filename=path.name, project=project, key=args.key,
                                              actor=acting(args, s, project, Permission.BUILD) if project else ACTOR)
            where = f"project '{project.name}'" if project else "the codebook templates"
            emit(f"imported codebook '{book.key}' with {len(book.codes)} codes into {where}"
                 + "".join(f"\nnote: {n}" for n in notes))
        return
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CliRefused(f"{path.name}: not UTF-8 text") from exc
    with write_session(open_database(args)) as s:
        project = get_project(s, args.project) if args.project else None
        book = import_codebook_csv(s, text, filename=path.name, project=project,
                                   actor=acting(args, s, project, Permission.BUILD) if project else ACTOR)
        where = f"project '{project.name}'" if project else "the codebook templates"
        emit(f"imported codebook '{book.key}' with {len(book.codes)} codes into {where}")


def cmd_qdc_export(args: argparse.Namespace) -> None:
    """`qdc-export KEY --project P --out F`: the REFI-QDA codebook (as codebook-export --format qdc)."""
    args.format = "qdc"
    cmd_codebook_export(args)


def cmd_qdc_import(args: argparse.Namespace) -> None:
    """`qdc-import FILE --project P`: a REFI-QDA codebook into the project (as codebook-import of a .qdc)."""
    if not args.file.lower().endswith(".qdc"):
        raise CliRefused(f"{args.file}: a REFI-QDA codebook ends in .qdc")
    cmd_codebook_import(args)


def cmd_codebook_adopt(args: argparse.Namespace) -> None:
    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        book = adopt_codebook(s, project, args.key, actor=acting(args, s, project, Permission.BUILD))
        emit(f"adopted codebook '{book.key}' ({len(book.codes)} codes)")


def cmd_code_add(args: argparse.Namespace) -> None:
    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        me = acting(args, s, project, Permission.BUILD)
        code = add_code(s, project, args.codebook, args.key, args.label_en,
                        parent_key=args.parent, label_nl=args.label_nl or "", label_de=args.label_de or "",
                        definition=args.definition or "", actor=me)
        emit(f"added code '{code.key}' ({code.guid})")


def cmd_code_rename(args: argparse.Namespace) -> None:
    changes = {f"label_{lang}": getattr(args, lang) for lang in ("en", "nl", "de") if getattr(args, lang) is not None}
    if args.definition is not None:
        changes["definition"] = args.definition
    if not changes:
        raise CliRefused("give at least one of --en, --nl, --de, --definition")
    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        me = acting(args, s, project, Permission.BUILD)
        update_code(s, project, args.codebook, args.key, actor=me, **changes)
        emit(f"updated code '{args.key}'")


def cmd_code_move(args: argparse.Namespace) -> None:
    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        me = acting(args, s, project, Permission.BUILD)
        move_code(s, project, args.codebook, args.key, args.parent, actor=me)
        emit(f"moved code '{args.key}' under '{args.parent or '(top level)'}'")


def cmd_code_merge(args: argparse.Namespace) -> None:
    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        me = acting(args, s, project, Permission.DELETE)
        moved = merge_codes(s, project, args.codebook, args.source, args.target, actor=me)
        emit(f"merged '{args.source}' into '{args.target}' ({moved} coding(s) reassigned)")


def cmd_code_delete(args: argparse.Namespace) -> None:
    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        me = acting(args, s, project, Permission.DELETE)
        delete_code(s, project, args.codebook, args.key, actor=me)
        emit(f"deleted code '{args.key}'")


def register(command) -> None:  # type: ignore[no-untyped-def]
    """Add this module's commands through `commands.build_parser`'s `command(name, handler, help_, listing=)`."""
    p = command("codebooks", cmd_codebooks, "list codebooks, or `codebooks show KEY`", listing=True)
    p.add_argument("action", nargs="?", choices=("show",))
    p.add_argument("key", nargs="?")
    p.add_argument("--project")

    p = command("codebook-export", cmd_codebook_export, "export a codebook as CSV")
    p.add_argument("key")
    p.add_argument("--project")
    p.add_argument("--format", choices=("csv", "qdc"), default="csv", help="qdc: a REFI-QDA codebook")
    p.add_argument("--out")

    p = command("codebook-import", cmd_codebook_import,
                "import a CSV or REFI-QDA (.qdc) codebook (as a template, or into --project)")
    p.add_argument("file")
    p.add_argument("--project")
    p.add_argument("--key", help=".qdc: the codebook's key (default: from the file name)")

    p = command("qdc-export", cmd_qdc_export, "export a codebook as REFI-QDA (.qdc)")
    p.add_argument("key")
    p.add_argument("--project")
    p.add_argument("--out")
    p = command("qdc-import", cmd_qdc_import, "import a REFI-QDA codebook (.qdc) into a project")
    p.add_argument("file")
    p.add_argument("--project", required=True)
    p.add_argument("--key", help="the codebook's key (default: from the file name)")

    p = command("codebook-adopt", cmd_codebook_adopt, "copy a codebook template into a project")
    p.add_argument("key")
    p.add_argument("--project", required=True)

    p = command("code-add", cmd_code_add, "add a code to a project's codebook")
    p.add_argument("key")
    p.add_argument("--project", required=True)
    p.add_argument("--codebook", required=True)
    p.add_argument("--label-en", required=True)
    p.add_argument("--label-nl")
    p.add_argument("--label-de")
    p.add_argument("--parent")
    p.add_argument("--definition")

    p = command("code-rename", cmd_code_rename, "change a code's labels or definition (its key stays)")
    p.add_argument("key")
    p.add_argument("--project", required=True)
    p.add_argument("--codebook", required=True)
    p.add_argument("--en")
    p.add_argument("--nl")
    p.add_argument("--de")
    p.add_argument("--definition")

    p = command("code-move", cmd_code_move, "move a code under another parent")
    p.add_argument("key")
    p.add_argument("--project", required=True)
    p.add_argument("--codebook", required=True)
    p.add_argument("--parent", help="new parent key (omit for top level)")

    p = command("code-merge", cmd_code_merge, "merge a code into another, reassigning its codings")
    p.add_argument("source")
    p.add_argument("target")
    p.add_argument("--project", required=True)
    p.add_argument("--codebook", required=True)

    p = command("code-delete", cmd_code_delete, "delete an unused code")
    p.add_argument("key")
    p.add_argument("--project", required=True)
    p.add_argument("--codebook", required=True)
