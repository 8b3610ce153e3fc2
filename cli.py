"""Kruispunt on the command line: the same functions the app calls.

Exit codes: 0 success, 1 refused input (one line on stderr saying why), 2 usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from cases.attributes import attribute_values, import_attribute_sheet, set_attribute
from cases.documents import (
    document_case_names,
    document_record,
    document_text,
    link_document_to_case,
    list_documents,
    set_document_date,
    unlink_document_from_case,
)
from cases.importer import ImportOutcome, import_files
from cases.projects import (
    case_document_counts,
    create_case,
    create_person,
    get_case,
    get_document,
    get_or_create_coder,
    get_person,
    get_project,
    list_cases,
    list_coders,
    list_persons,
    list_projects,
)
from cases.readers import ImportRefused
from cases.speakers import parse_role_map
from codebooks.service import (
    DEFAULT_CODEBOOKS,
    add_code,
    adopt_codebook,
    codebook_as_template,
    start_project,
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
from coding.codings import apply_coding, list_codings
from coding.suggest import suggest_codings
from coding.memos import memo_views
from exports.listing import FORMATS, render_records
from cli_support import emit as _emit
from cli_support import open_database as _open
from cli_support import write_out as _write_out
from store.db import read_session, write_session
from store.errors import Refused

ACTOR = "cli"


class CliRefused(Exception):
    """A refusal raised by the CLI itself (usage that parses but cannot be carried out)."""


def _notice(text: str) -> None:
    sys.stderr.write(f"notice: {text}\n")


# --- commands ------------------------------------------------------------------------------------

def cmd_demo(args: argparse.Namespace) -> None:
    from demo.load import DEMO_PROJECT, load_demo

    engine = _open(args)
    summary = load_demo(engine, project_name=args.name or DEMO_PROJECT, actor=ACTOR)
    _emit(f"demo project '{summary['project']}' loaded: {summary['cases']} cases, {summary['documents']} documents, "
          f"{summary['persons']} persons, {summary['codings']} codings, {summary['memos']} memos")


def cmd_projects(args: argparse.Namespace) -> None:
    with read_session(_open(args)) as s:
        records = [{"guid": str(p.guid), "name": p.name, "created_at": p.created_at.isoformat()} for p in list_projects(s)]
    _emit(render_records(records, args.format, ["name", "guid", "created_at"]))


def cmd_project_create(args: argparse.Namespace) -> None:
    keys = [k.strip() for k in args.codebooks.split(",") if k.strip()] if args.codebooks else list(DEFAULT_CODEBOOKS)
    with write_session(_open(args)) as s:
        project = start_project(s, args.name, keys, actor=ACTOR)
        _emit(f"created project '{project.name}' ({project.guid}) with codebooks: {', '.join(keys) or 'none'}")


def cmd_case_create(args: argparse.Namespace) -> None:
    with write_session(_open(args)) as s:
        case = create_case(s, get_project(s, args.project), args.name, description=args.description or "", actor=ACTOR)
        _emit(f"created case '{case.name}' ({case.guid})")


def cmd_person_create(args: argparse.Namespace) -> None:
    with write_session(_open(args)) as s:
        project = get_project(s, args.project)
        case = get_case(s, project, args.case) if args.case else None
        person = create_person(s, project, args.name, pseudonym=args.pseudonym or "", role=args.role or "",
                               case=case, actor=ACTOR)
        _emit(f"created person '{person.name}' ({person.guid})")


def cmd_attribute_set(args: argparse.Namespace) -> None:
    with write_session(_open(args)) as s:
        project = get_project(s, args.project)
        if args.case:
            entity = get_case(s, project, args.case)
        elif args.document:
            entity = get_document(s, project, args.document)
        else:
            entity = get_person(s, project, args.person)
        row = set_attribute(s, project, entity, args.attribute, args.value, type_=args.type, actor=ACTOR)
        _emit(f"set {args.attribute} on {getattr(entity, 'name', None) or entity.title} ({row.guid})")


def cmd_attribute_import(args: argparse.Namespace) -> None:
    path = Path(args.file)
    data = _read_file(path)
    with write_session(_open(args)) as s:
        result = import_attribute_sheet(s, get_project(s, args.project), args.target, path.name, data, actor=ACTOR)
    types = ", ".join(f"{k} ({v})" for k, v in result.types.items())
    _emit(f"{result.values} values on {result.rows} {args.target}s: {types}")


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CliRefused(f"{path}: cannot read ({exc.strerror or exc})") from exc


def cmd_import(args: argparse.Namespace) -> int:
    role_map = parse_role_map(args.role_map) if args.role_map else None
    engine = _open(args)
    with read_session(engine) as s:
        get_project(s, args.project)
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
        language=args.language, role_map=role_map, actor=ACTOR, on_progress=progress, document_date=args.date,
        max_bytes=int(args.max_mb * 1024 * 1024),
        on_case_created=lambda name: _notice(f"created case '{name}' in project '{args.project}'"),
    )
    refused = [o for o in outcomes if o.error]
    for o in outcomes:
        if o.error:
            sys.stderr.write(f"refused: {o.error}\n")
        else:
            extra = f", {len(o.warnings)} damage warning(s)" if o.warnings else ""
            _emit(f"imported {o.filename} as '{o.document_title}' ({o.turns} turns{extra})")
            for notice in o.notices:
                _notice(f"{o.filename}: {notice}")
            for warning in o.warnings:
                sys.stderr.write(f"warning: {o.filename}: {warning}\n")
    _emit(f"{len(outcomes) - len(refused)} imported, {len(refused)} refused")
    return 1 if refused else 0


def cmd_document_link(args: argparse.Namespace) -> None:
    with write_session(_open(args)) as s:
        project = get_project(s, args.project)
        document, case = get_document(s, project, args.document), get_case(s, project, args.case)
        if args.remove:
            unlink_document_from_case(s, project, document, case, actor=ACTOR)
            _emit(f"'{document.title}' no longer belongs to case '{case.name}'")
        elif link_document_to_case(s, project, document, case, actor=ACTOR):
            _emit(f"'{document.title}' now also belongs to case '{case.name}'")
        else:
            _emit(f"'{document.title}' already belongs to case '{case.name}'")


def cmd_document_date(args: argparse.Namespace) -> None:
    try:
        when = None if args.date.strip().lower() == "none" else date.fromisoformat(args.date.strip())
    except ValueError as exc:
        raise CliRefused(f"'{args.date}' is not a date (YYYY-MM-DD or none)") from exc
    with write_session(_open(args)) as s:
        project = get_project(s, args.project)
        document = get_document(s, project, args.document)
        set_document_date(s, project, document, when, actor=ACTOR)
        _emit(f"date of '{document.title}': {when.isoformat() if when else 'none'}")


def cmd_cases(args: argparse.Namespace) -> None:
    with read_session(_open(args)) as s:
        project = get_project(s, args.project)
        counts = case_document_counts(s, project)
        attrs = attribute_values(s, project, "case")
        records = [{"guid": str(c.guid), "name": c.name, "description": c.description,
                    "documents": counts.get(c.id, 0), "attributes": _plain(attrs.get(c.id, {}))}
                   for c in list_cases(s, project)]
    _emit(render_records(records, args.format, ["name", "documents", "attributes", "guid"]))


def _plain(values: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()}


def cmd_documents(args: argparse.Namespace) -> None:
    with read_session(_open(args)) as s:
        project = get_project(s, args.project)
        names = document_case_names(s, project)
        records = [
            document_record(d, names.get(d.id, []), document_text(s, d) if args.format == "json" else None)
            for d in list_documents(s, project)
        ]
    _emit(render_records(records, args.format, ["title", "cases", "kind", "language", "guid"]))


def cmd_persons(args: argparse.Namespace) -> None:
    with read_session(_open(args)) as s:
        project = get_project(s, args.project)
        case_names = {c.id: c.name for c in list_cases(s, project)}
        attrs = attribute_values(s, project, "person")
        records = [{"guid": str(p.guid), "name": p.name, "pseudonym": p.pseudonym, "role": p.role,
                    "case": case_names.get(p.case_id), "attributes": _plain(attrs.get(p.id, {}))}
                   for p in list_persons(s, project)]
    _emit(render_records(records, args.format, ["name", "pseudonym", "role", "case", "guid"]))


def _code_records(rows) -> list[dict]:  # type: ignore[no-untyped-def]
    return [
        {"key": r.key, "guid": str(r.guid) if r.guid else None, "parent": r.parent,
         "labels": {"en": r.label_en, "nl": r.label_nl, "de": r.label_de}, "rank": r.rank,
         "horizon": r.horizon, "definition": r.definition, "include": r.include, "exclude": r.exclude,
         "colour": r.colour, "codable": r.codable, "enabled": r.enabled}
        for r in rows
    ]


def cmd_codebooks(args: argparse.Namespace) -> None:
    with read_session(_open(args)) as s:
        project = get_project(s, args.project) if args.project else None
        if args.action == "show":
            if not args.key:
                raise CliRefused("codebooks show needs a codebook KEY")
            template = codebook_as_template(get_codebook(s, project, args.key)) if project else get_template(s, args.key)
            record = {"key": template.key, "version": template.version, "name": template.name_en,
                      "source": template.source, "codes": _code_records(template.codes)}
            if args.format == "json":
                _emit(json.dumps(record, ensure_ascii=False, indent=2))
            else:
                flat = [{"key": c["key"], "parent": c["parent"], "label_en": c["labels"]["en"],
                         "label_nl": c["labels"]["nl"], "rank": c["rank"], "enabled": c["enabled"]}
                        for c in record["codes"]]
                _emit(render_records(flat, args.format))
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
    _emit(render_records(records, args.format, ["key", "name", "version", "origin", "codes"]))


def cmd_codebook_export(args: argparse.Namespace) -> None:
    with read_session(_open(args)) as s:
        project = get_project(s, args.project) if args.project else None
        text = export_codebook_csv(s, args.key, project)
    if args.out:
        Path(args.out).write_text("\ufeff" + text, encoding="utf-8")
        _emit(f"wrote {args.out}")
    else:
        sys.stdout.write(text)


def cmd_codebook_import(args: argparse.Namespace) -> None:
    path = Path(args.file)
    raw = _read_file(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CliRefused(f"{path.name}: not UTF-8 text") from exc
    with write_session(_open(args)) as s:
        project = get_project(s, args.project) if args.project else None
        book = import_codebook_csv(s, text, filename=path.name, project=project, actor=ACTOR)
        where = f"project '{project.name}'" if project else "the codebook templates"
        _emit(f"imported codebook '{book.key}' with {len(book.codes)} codes into {where}")


def cmd_codebook_adopt(args: argparse.Namespace) -> None:
    with write_session(_open(args)) as s:
        book = adopt_codebook(s, get_project(s, args.project), args.key, actor=ACTOR)
        _emit(f"adopted codebook '{book.key}' ({len(book.codes)} codes)")


def cmd_code_add(args: argparse.Namespace) -> None:
    with write_session(_open(args)) as s:
        code = add_code(s, get_project(s, args.project), args.codebook, args.key, args.label_en,
                        parent_key=args.parent, label_nl=args.label_nl or "", label_de=args.label_de or "",
                        definition=args.definition or "", actor=ACTOR)
        _emit(f"added code '{code.key}' ({code.guid})")


def cmd_code_rename(args: argparse.Namespace) -> None:
    changes = {f"label_{lang}": getattr(args, lang) for lang in ("en", "nl", "de") if getattr(args, lang) is not None}
    if args.definition is not None:
        changes["definition"] = args.definition
    if not changes:
        raise CliRefused("give at least one of --en, --nl, --de, --definition")
    with write_session(_open(args)) as s:
        update_code(s, get_project(s, args.project), args.codebook, args.key, actor=ACTOR, **changes)
        _emit(f"updated code '{args.key}'")


def cmd_code_move(args: argparse.Namespace) -> None:
    with write_session(_open(args)) as s:
        move_code(s, get_project(s, args.project), args.codebook, args.key, args.parent, actor=ACTOR)
        _emit(f"moved code '{args.key}' under '{args.parent or '(top level)'}'")


def cmd_code_merge(args: argparse.Namespace) -> None:
    with write_session(_open(args)) as s:
        moved = merge_codes(s, get_project(s, args.project), args.codebook, args.source, args.target, actor=ACTOR)
        _emit(f"merged '{args.source}' into '{args.target}' ({moved} coding(s) reassigned)")


def cmd_code_delete(args: argparse.Namespace) -> None:
    with write_session(_open(args)) as s:
        delete_code(s, get_project(s, args.project), args.codebook, args.key, actor=ACTOR)
        _emit(f"deleted code '{args.key}'")


def cmd_code(args: argparse.Namespace) -> None:
    with write_session(_open(args)) as s:
        project = get_project(s, args.project)
        document = get_document(s, project, args.document)
        coder, created = get_or_create_coder(s, project, args.coder, actor=ACTOR)
        segment = apply_coding(s, project, document, coder, args.start, args.end, args.code, actor=ACTOR)
    if created:  # only once the transaction has committed
        _notice(f"created coder '{coder.name}' in project '{project.name}'")
    _emit(f"coded {args.start}–{args.end} of '{document.title}' with {', '.join(args.code)} (segment {segment.guid})")


def cmd_codings(args: argparse.Namespace) -> None:
    with read_session(_open(args)) as s:
        project = get_project(s, args.project)
        document = get_document(s, project, args.document) if args.document else None
        coder = None
        if args.coder:
            coder = next((c for c in list_coders(s, project) if c.name == args.coder), None)
            if coder is None:
                raise Refused(f"project '{project.name}' has no coder '{args.coder}'")
        records = [r.as_dict() for r in list_codings(s, project, document=document, coder=coder)]
    _emit(render_records(records, args.format, ["document", "case", "code", "coder", "start", "end", "text"]))


def cmd_retrieve(args: argparse.Namespace) -> None:
    from coding.retrieval import retrieve_segments

    attribute = None
    if args.attribute:
        target, sep, rest = args.attribute.partition(":")
        name, sep2, value = rest.partition("=")
        if not (sep and sep2):
            raise CliRefused(f"--attribute '{args.attribute}': write TARGET:NAME=VALUE, e.g. case:country=NL")
        attribute = (target.strip(), name.strip(), value.strip())
    with read_session(_open(args)) as s:
        project = get_project(s, args.project)
        rows = retrieve_segments(s, project, code_keys=args.code or [], include_subtrees=not args.no_subcodes,
                                 case=args.case, document=args.document, attribute=attribute,
                                 speaker_role=args.role, person=args.person, coder=args.coder)
    _emit(render_records([r.as_dict() for r in rows], args.format,
                         ["case", "document", "turn", "role", "codes", "coder", "start", "end", "text"]))


def cmd_search(args: argparse.Namespace) -> None:
    from coding.search import search_text

    with read_session(_open(args)) as s:
        project = get_project(s, args.project)
        hits = search_text(s, project, args.query, lemma=not args.exact, case=args.case, document=args.document,
                           limit=args.limit)
    _emit(render_records([h.as_dict() for h in hits], args.format,
                         ["document", "turn", "start", "end", "left", "text", "right"]))


def cmd_case_report(args: argparse.Namespace) -> None:
    from exports.case_report import build_case_report

    keys = [k.strip() for k in args.codebooks.split(",") if k.strip()] if args.codebooks else None
    with read_session(_open(args)) as s:
        project = get_project(s, args.project)
        case = get_case(s, project, args.case)
        data = build_case_report(s, project, case, codebook_keys=keys, anonymise=args.anonymise,
                                 language=args.language)
    _write_out(args.out, data)
    _emit(f"wrote within-case report of '{case.name}' to {args.out}{' (anonymised)' if args.anonymise else ''}")


def cmd_memos(args: argparse.Namespace) -> None:
    if args.format == "docx" and not args.out:
        raise CliRefused("--format docx needs --out FILE.docx")
    with read_session(_open(args)) as s:
        project = get_project(s, args.project)
        case = get_case(s, project, args.case) if args.case else None
        views = memo_views(s, project, target=args.target, case=case, author=args.author)
        if args.format == "docx":
            from exports.memos_docx import build_memos_docx

            filters = [f"{name}: {value}" for name, value in
                       (("on", args.target), ("case", args.case), ("author", args.author)) if value]
            data = build_memos_docx(s, project, views, subtitle=", ".join(filters) or None)
    if args.format == "docx":
        _write_out(args.out, data)
        _emit(f"wrote {len(views)} memo(s) to {args.out}")
        return
    records = [v.as_dict() for v in views]
    text = render_records(records, args.format, ["target", "target_name", "author", "created_at", "text"])
    if args.out:
        _write_out(args.out, (text + "\n").encode("utf-8"))
        _emit(f"wrote {len(views)} memo(s) to {args.out}")
    else:
        _emit(text)


def cmd_suggest(args: argparse.Namespace) -> None:
    with read_session(_open(args)) as s:
        project = get_project(s, args.project)
        document = get_document(s, project, args.document)
        coder = None
        if args.coder:
            coder = next((c for c in list_coders(s, project) if c.name == args.coder), None)
            if coder is None:
                raise Refused(f"project '{project.name}' has no coder '{args.coder}'")
        suggestions = suggest_codings(s, project, document, coder=coder, skip_coded=not args.include_coded)
    records = [x.as_dict() for x in suggestions]
    _emit(render_records(records, args.format, ["code", "start", "end", "term", "text"]))


# --- parser --------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cli.py", description="Kruispunt: qualitative coding and cross-case analysis")
    parser.add_argument("--db", help="SQLAlchemy database URL (default: KRUISPUNT_DB_URL or the embedded SQLite file)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler, help_: str, *, listing: bool = False):  # type: ignore[no-untyped-def]
        p = sub.add_parser(name, help=help_)
        p.set_defaults(handler=handler)
        if listing:
            p.add_argument("--format", choices=FORMATS, default="table")
        return p

    p = command("demo", cmd_demo, "load the synthetic demo study")
    p.add_argument("--name", help="project name for the demo")
    command("projects", cmd_projects, "list projects", listing=True)
    p = command("project-create", cmd_project_create, "create a project")
    p.add_argument("name")
    p.add_argument("--codebooks", help=f"comma-separated codebook keys (default: {','.join(DEFAULT_CODEBOOKS)})")
    p = command("case-create", cmd_case_create, "create a case")
    p.add_argument("name")
    p.add_argument("--project", required=True)
    p.add_argument("--description")
    p = command("person-create", cmd_person_create, "create a person (interviewee or participant)")
    p.add_argument("name")
    p.add_argument("--project", required=True)
    p.add_argument("--pseudonym")
    p.add_argument("--role")
    p.add_argument("--case")
    p = command("attribute-set", cmd_attribute_set, "set an attribute on a case, document or person")
    p.add_argument("--project", required=True)
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--case")
    target.add_argument("--document")
    target.add_argument("--person")
    p.add_argument("attribute", metavar="NAME")
    p.add_argument("value", metavar="VALUE")
    p.add_argument("--type", choices=("text", "boolean", "integer", "float", "date", "category"))
    p = command("attribute-import", cmd_attribute_import, "import attributes from a CSV/XLSX sheet")
    p.add_argument("file")
    p.add_argument("--project", required=True)
    p.add_argument("--target", choices=("case", "document", "person"), default="case")
    p = command("import", cmd_import, "import transcripts into a case")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--project", required=True)
    p.add_argument("--case", required=True)
    p.add_argument("--language", choices=("nl", "de", "en"))
    p.add_argument("--kind", choices=("interview", "focus group", "observation", "document"), default="interview")
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
    for name, handler in (("cases", cmd_cases), ("documents", cmd_documents), ("persons", cmd_persons)):
        p = command(name, handler, f"list {name}", listing=True)
        p.add_argument("--project", required=True)
    p = command("codebooks", cmd_codebooks, "list codebooks, or `codebooks show KEY`", listing=True)
    p.add_argument("action", nargs="?", choices=("show",))
    p.add_argument("key", nargs="?")
    p.add_argument("--project")
    p = command("codebook-export", cmd_codebook_export, "export a codebook as CSV")
    p.add_argument("key")
    p.add_argument("--project")
    p.add_argument("--format", choices=("csv",), default="csv")
    p.add_argument("--out")
    p = command("codebook-import", cmd_codebook_import, "import a CSV codebook (as a template, or into --project)")
    p.add_argument("file")
    p.add_argument("--project")
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
    p = command("code", cmd_code, "code a span of a document")
    p.add_argument("--project", required=True)
    p.add_argument("--document", required=True, help="title or guid")
    p.add_argument("--code", required=True, action="append", help="code key (repeat for several codes on one span)")
    p.add_argument("--start", required=True, type=int)
    p.add_argument("--end", required=True, type=int)
    p.add_argument("--coder", required=True)
    p = command("suggest", cmd_suggest, "suggest codes for a document's sentences from indicator terms "
                "(writes nothing)", listing=True)
    p.add_argument("--project", required=True)
    p.add_argument("--document", required=True, help="title or guid")
    p.add_argument("--coder", help="drop only suggestions this coder has already coded (default: anyone)")
    p.add_argument("--include-coded", action="store_true", help="keep suggestions for sentences already coded")
    p = command("codings", cmd_codings, "list codings", listing=True)
    p.add_argument("--project", required=True)
    p.add_argument("--document")
    p.add_argument("--coder")
    p = command("retrieve", cmd_retrieve, "coded segments for codes (with sub-codes), with their turns",
                listing=True)
    p.add_argument("--project", required=True)
    p.add_argument("--code", action="append", help="code key (repeat; none = every coded segment)")
    p.add_argument("--no-subcodes", action="store_true", help="only the codes named, not their sub-codes")
    p.add_argument("--case")
    p.add_argument("--document", help="title or guid")
    p.add_argument("--attribute", help="TARGET:NAME=VALUE, e.g. case:country=NL or person:sector=zorg")
    p.add_argument("--role", help="speaker role, e.g. respondent")
    p.add_argument("--person", help="speaker's person: name, pseudonym or guid")
    p.add_argument("--coder")
    p = command("search", cmd_search, "keyword-in-context text search (lemma-aware for nl/de/en)", listing=True)
    p.add_argument("query")
    p.add_argument("--project", required=True)
    p.add_argument("--case")
    p.add_argument("--document", help="title or guid")
    p.add_argument("--exact", action="store_true", help="match word forms, not lemmas")
    p.add_argument("--limit", type=int)
    p = command("case-report", cmd_case_report, "write a within-case report (Word) for one case")
    p.add_argument("--project", required=True)
    p.add_argument("--case", required=True, help="case name or guid")
    p.add_argument("--out", required=True, metavar="FILE.docx")
    p.add_argument("--codebooks", help="comma-separated codebook keys (default: all, in the project's order)")
    p.add_argument("--anonymise", action="store_true", help="speakers by role and pseudonym only, never by name")
    p.add_argument("--language", choices=("en", "nl", "de"), default="en", help="code label language")
    p = command("memos", cmd_memos, "list memos, or write them to a Word file")
    p.add_argument("--project", required=True)
    p.add_argument("--target", choices=("project", "case", "document", "code", "segment"))
    p.add_argument("--case", help="memos on this case, its documents and their segments")
    p.add_argument("--author", help="coder name")
    p.add_argument("--format", choices=(*FORMATS, "docx"), default="table")
    p.add_argument("--out", help="write to this file (required for docx)")
    from cli_analysis import register  # matrix, report, framework cells, focus groups (cli_analysis.py)
    register(command)
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


if __name__ == "__main__":
    sys.exit(main())
