"""Projects, cases, persons and their attributes on the command line; the demo study."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from cases.attribute_sheets import import_attribute_sheet_in_steps
from cases.attributes import attribute_values, set_attribute
from cases.projects import (
    case_document_counts,
    create_case,
    create_person,
    get_case,
    get_document,
    get_person,
    get_project,
    list_cases,
    list_persons,
    list_projects,
)
from codebooks.service import DEFAULT_CODEBOOKS, start_project
from commands.support import acting, emit, listing, open_database, read_file, reading, who
from exports.listing import render_records
from store.db import read_session, write_session
from store.privileges import Permission


def cmd_demo(args: argparse.Namespace) -> None:
    from demo.load import DEMO_PROJECT, load_demo

    engine = open_database(args)
    summary = load_demo(engine, project_name=args.name or DEMO_PROJECT, actor=who(args))
    emit(f"demo project '{summary['project']}' loaded: {summary['cases']} cases, {summary['documents']} documents, "
          f"{summary['persons']} persons, {summary['codings']} codings, {summary['memos']} memos, "
          f"{summary['stories']} value-creation stories")


def cmd_projects(args: argparse.Namespace) -> None:
    with read_session(open_database(args)) as s:
        records = [{"guid": str(p.guid), "name": p.name, "created_at": p.created_at.isoformat()}
                   for p in list_projects(s)]
    emit(render_records(records, args.format, ["name", "guid", "created_at"]))


def cmd_project_create(args: argparse.Namespace) -> None:
    keys = [k.strip() for k in args.codebooks.split(",") if k.strip()] if args.codebooks else list(DEFAULT_CODEBOOKS)
    with write_session(open_database(args)) as s:
        project = start_project(s, args.name, keys, actor=who(args))
        emit(f"created project '{project.name}' ({project.guid}) with codebooks: {', '.join(keys) or 'none'}")


def cmd_case_create(args: argparse.Namespace) -> None:
    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        case = create_case(s, project, args.name, description=args.description or "",
                           actor=acting(args, s, project, Permission.BUILD))
        emit(f"created case '{case.name}' ({case.guid})")


def cmd_person_create(args: argparse.Namespace) -> None:
    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        case = get_case(s, project, args.case) if args.case else None
        person = create_person(s, project, args.name, pseudonym=args.pseudonym or "", role=args.role or "",
                               case=case, actor=acting(args, s, project, Permission.BUILD))
        emit(f"created person '{person.name}' ({person.guid})")


def cmd_attribute_set(args: argparse.Namespace) -> None:
    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        if args.case:
            entity = get_case(s, project, args.case)
        elif args.document:
            entity = get_document(s, project, args.document)
        else:
            entity = get_person(s, project, args.person)
        row = set_attribute(s, project, entity, args.attribute, args.value, type_=args.type,
                            actor=acting(args, s, project, Permission.BUILD))
        emit(f"set {args.attribute} on {getattr(entity, 'name', None) or entity.title} ({row.guid})")


def cmd_attribute_import(args: argparse.Namespace) -> None:
    path = Path(args.file)
    data = read_file(path)
    engine = open_database(args)
    with read_session(engine) as s:
        project = get_project(s, args.project)
        actor, project_guid = acting(args, s, project, Permission.BUILD), str(project.guid)
    result = import_attribute_sheet_in_steps(engine, project_guid, args.target, path.name, data, actor=actor)
    types = ", ".join(f"{k} ({v})" for k, v in result.types.items())
    emit(f"{result.values} values on {result.rows} {args.target}s: {types}")


def cmd_cases(args: argparse.Namespace) -> None:
    with read_session(open_database(args)) as s:
        project = get_project(s, args.project)
        listing(args, s, project)
        counts = case_document_counts(s, project)
        attrs = attribute_values(s, project, "case")
        records = [{"guid": str(c.guid), "name": c.name, "description": c.description,
                    "documents": counts.get(c.id, 0), "attributes": _plain(attrs.get(c.id, {}))}
                   for c in list_cases(s, project)]
    emit(render_records(records, args.format, ["name", "documents", "attributes", "guid"]))


def cmd_persons(args: argparse.Namespace) -> None:
    with read_session(open_database(args)) as s:
        project = get_project(s, args.project)
        reading(args, s, project)  # persons' real names
        case_names = {c.id: c.name for c in list_cases(s, project)}
        attrs = attribute_values(s, project, "person")
        records = [{"guid": str(p.guid), "name": p.name, "pseudonym": p.pseudonym, "role": p.role,
                    "case": case_names.get(p.case_id), "attributes": _plain(attrs.get(p.id, {}))}
                   for p in list_persons(s, project)]
    emit(render_records(records, args.format, ["name", "pseudonym", "role", "case", "guid"]))


def _plain(values: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()}


def register(command) -> None:  # type: ignore[no-untyped-def]
    """Add this module's commands through `commands.build_parser`'s `command(name, handler, help_, listing=)`."""
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

    p = command("cases", cmd_cases, "list cases", listing=True)
    p.add_argument("--project", required=True)

    p = command("persons", cmd_persons, "list persons", listing=True)
    p.add_argument("--project", required=True)
