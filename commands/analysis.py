"""Cross-case analysis on the command line: matrices and co-occurrence, framework cells, the rating scale, whose
codings count.

Every handler parses its arguments, calls one package function inside a read or write session and prints.
Machine-readable output (csv/json) goes to stdout; the note saying whose codings count goes to stderr, and into
the file for xlsx/docx.
"""

from __future__ import annotations

import argparse
import json

from commands.support import acting, emit, note, open_database, reading_pooled, write_out
from store.db import read_session, write_session
from store.errors import Refused
from store.privileges import Permission

ROW_CHOICES = "cases|documents|attribute:NAME|roles|coders|persons|stories"
MATRIX_FORMATS = ("csv", "json", "xlsx", "docx")


def _codebook_arg(value: str, option: str) -> str:
    """"codebook:KEY" or a bare KEY."""
    prefix, sep, key = value.partition(":")
    if sep and prefix != "codebook":
        raise Refused(f"{option} '{value}': write codebook:KEY, e.g. codebook:vc")
    key = (key if sep else value).strip()
    if not key:
        raise Refused(f"{option} '{value}': name a codebook, e.g. codebook:vc")
    return key


def _attribute_arg(value: str) -> tuple[str, str, str]:
    target, sep, rest = value.partition(":")
    name, sep2, wanted = rest.partition("=")
    if not (sep and sep2 and name.strip()):
        raise Refused(f"--attribute '{value}': write TARGET:NAME=VALUE, e.g. case:country=NL")
    return target.strip(), name.strip(), wanted.strip()


def _scope(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from analysis.matrix_scope import Scope, parse_coders

    return Scope(coders=parse_coders(args.coder), kinds=tuple(args.kind or ()), roles=tuple(args.role or ()),
                 attributes=tuple(_attribute_arg(a) for a in args.attribute or ()))


def cmd_matrix(args: argparse.Namespace) -> None:
    from coding.text_edits import review_list
    from analysis.tidy import iter_tidy_codings
    from cases.projects import get_project
    from exports.matrix_tables import build_matrix_docx, build_xlsx, table_csv
    from focusgroups.anonymise import build_anonymiser

    if args.format in ("xlsx", "docx") and not args.out:
        raise Refused(f"--format {args.format} needs --out FILE.{args.format}")
    codebook = _codebook_arg(args.cols, "--cols")
    scope = _scope(args)
    with read_session(open_database(args)) as s:
        project = get_project(s, args.project)
        reading_pooled(args, s, project, "a matrix")
        if args.case and args.rows != "stories":
            raise Refused("--case picks the stories of one case: use it with --rows stories")
        if args.rows == "stories" or args.cell == "stories":
            result, tables, books = _story_matrix(s, project, args, codebook)
        elif args.cols2:
            result, tables, books = _cooccurrence(s, project, args, codebook, scope)
        else:
            result, tables, books = _matrix(s, project, args, codebook, scope)
        scope_note = tables[0].note
        waiting = review_list(s, project)
        if waiting:  # said on stderr (and in the note of xlsx/docx files through the scope note)
            scope_note += (f" {len(waiting)} segment(s) lost all their text in a transcript edit and wait for "
                           "review; they are counted with the text they had.")
        if args.format == "xlsx":
            anonymiser = build_anonymiser(s, project) if args.anonymise else None
            data = build_xlsx(tables, iter_tidy_codings(s, project, codebooks=books, scope=scope) if books else None,
                              anonymiser=anonymiser, project=project.name)
        elif args.format == "docx":
            data = build_matrix_docx(tables[0], project=project.name)
    if args.format in ("xlsx", "docx"):
        if waiting:
            note(scope_note)
        write_out(args.out, data)
        emit(f"wrote {tables[0].title} ({len(tables[0].row_labels)} x {len(tables[0].column_keys)}) to {args.out}")
        return
    text = json.dumps(result, ensure_ascii=False, indent=2) if args.format == "json" else table_csv(tables[0])
    note(scope_note)
    if args.out:
        write_out(args.out, (("\ufeff" if args.format == "csv" else "") + text).encode("utf-8"))
        emit(f"wrote {tables[0].title} to {args.out}")
    else:
        emit(text)


def _matrix(s, project, args: argparse.Namespace, codebook: str, scope):  # type: ignore[no-untyped-def]
    from analysis.matrix import MatrixSpec, build_matrix
    from exports.matrix_tables import matrix_table

    if args.unit or args.pool or args.depth2 is not None:
        raise Refused("--unit, --pool and --depth2 belong to a code x code co-occurrence (--cols2)")
    measure = args.cell or "count"
    matrix = build_matrix(s, project, MatrixSpec(rows=args.rows or "cases", codebook=codebook, depth=args.depth,
                                                 measure=measure, scope=scope))
    table = matrix_table(matrix, measure, title=f"{matrix.codebook} {measure} per {matrix.spec.rows}")
    return matrix.as_json(measure), [table], [matrix.codebook]


def _story_matrix(s, project, args: argparse.Namespace, codebook: str):  # type: ignore[no-untyped-def]
    """--rows stories: the value-creation matrix (stories x cycles, a cell the step's quote); --rows cases --cell
    stories: how many of each case's stories reach each cycle."""
    from analysis.story_matrix import build_story_matrix, build_story_reach_matrix
    from cases.projects import get_case
    from exports.matrix_tables import story_table

    if args.cols2 or args.unit or args.pool or args.depth2 is not None:
        raise Refused("a story matrix has no second codebook, unit or pooling")
    if args.coder or args.kind or args.role or args.attribute:
        raise Refused("a story's steps are the ones its author chose, whoever coded them: a story matrix takes no "
                      "--coder, --kind, --role or --attribute")
    if args.rows == "stories":
        if args.cell not in (None, "stories"):
            raise Refused("a story row's cells are its steps' quotes: leave out --cell")
        case = get_case(s, project, args.case) if args.case else None
        matrix = build_story_matrix(s, project, case=case, codebook=codebook, depth=args.depth)
    elif args.rows in (None, "cases"):
        matrix = build_story_reach_matrix(s, project, codebook=codebook, depth=args.depth)
    else:
        raise Refused("stories per cycle are counted per case: use --rows cases with --cell stories")
    table = story_table(matrix)
    return matrix.as_json(), [table], []


def _cooccurrence(s, project, args: argparse.Namespace, codebook: str, scope):  # type: ignore[no-untyped-def]
    from analysis.cooccurrence import CooccurrenceSpec, build_cooccurrence
    from exports.matrix_tables import cooccurrence_table

    if args.rows not in (None, "codes"):
        raise Refused("with --cols2 the rows are the codes of --cols; leave out --rows")
    if args.cell not in (None, "count"):
        raise Refused(f"with --cols2 the cells are co-occurrence counts (and c); --cell {args.cell} does not apply")
    codebook2 = _codebook_arg(args.cols2, "--cols2")
    co = build_cooccurrence(s, project, CooccurrenceSpec(
        codebook=codebook, codebook2=codebook2, depth=args.depth, depth2=args.depth2, unit=args.unit or "overlap",
        scope=scope, pool_coders=args.pool))
    tables = [cooccurrence_table(co, title=f"co-occurrence {codebook} x {codebook2}"),
              cooccurrence_table(co, coefficient=True, title=f"c {codebook} x {codebook2}")]
    return co.as_json(), tables, list(dict.fromkeys([codebook, codebook2]))


def cmd_cell(args: argparse.Namespace) -> None:
    from analysis.framework_matrix import pin_quote, save_cell, unpin_quote
    from cases.projects import get_project

    edits = (args.state, args.rating, args.summary, args.validation)
    if all(v is None for v in edits) and not (args.clear_rating or args.pin or args.unpin):
        raise Refused("give at least one of --state, --rating, --clear-rating, --summary, --validation, --pin, --unpin")
    if args.headline and not args.pin:
        raise Refused("--headline goes with --pin SEGMENT_GUID")
    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        me = acting(args, s, project, Permission.BUILD, claimed=args.coder)
        cell = None
        if any(v is not None for v in edits) or args.clear_rating:
            cell = save_cell(s, project, args.case, args.code, state=args.state, rating=args.rating,
                             summary=args.summary, validation=args.validation, clear_rating=args.clear_rating,
                             actor=me)
        if args.pin:
            cell = pin_quote(s, project, args.case, args.code, args.pin, headline=args.headline, actor=me)
        if args.unpin:
            unpin_quote(s, project, args.case, args.code, args.unpin, actor=me)
        if cell is not None:
            s.refresh(cell)
            emit(f"cell {args.case} x {args.code}: {cell.state}"
                  + (f", rating {cell.rating}" if cell.rating is not None else "")
                  + f", {cell.validation}, {len(cell.quotes)} pinned quote(s)")
        else:
            emit(f"cell {args.case} x {args.code}: unpinned {args.unpin}")


def cmd_cells(args: argparse.Namespace) -> None:
    from analysis.framework_matrix import build_framework_matrix
    from cases.projects import get_project
    from exports.matrix_tables import framework_table, table_csv

    with read_session(open_database(args)) as s:
        project = get_project(s, args.project)
        reading_pooled(args, s, project, "the framework cells")
        framework = build_framework_matrix(s, project, _codebook_arg(args.codebook, "--codebook"), depth=args.depth,
                                           scope=_scope(args), language=args.language)
    table = framework_table(framework)
    note(framework.matrix.scope_note)
    if args.format == "csv":
        emit(table_csv(table))
        return
    cells = [[{"state": c.state, "rating": c.rating, "rating_label": c.rating_label, "summary": c.summary,
               "validation": c.validation, "quotes": [q.segment for q in c.quotes], "count": c.count,
               "documents": c.documents, "k": c.k, "n": c.n, "feedback": c.feedback, "pooled": c.pooled,
               "assigned_not_evidenced": c.assigned_not_evidenced} for c in row] for row in framework.cells]
    emit(json.dumps({"rows": framework.rows, "columns": framework.columns, "values": table.cells, "cells": cells,
                      "scale": [{"level": r.level, "label": r.label, "rule": r.rule} for r in framework.scale],
                      "scope": framework.matrix.scope_note}, ensure_ascii=False, indent=2))


def cmd_rating_scale(args: argparse.Namespace) -> None:
    from analysis.framework_matrix import rating_scale, set_rating_level
    from cases.projects import get_project
    from exports.listing import render_records

    if args.level is not None:
        if args.label is None:
            raise Refused("setting a rating level needs --label (and usually --rule)")
        with write_session(open_database(args)) as s:
            project = get_project(s, args.project)
            set_rating_level(s, project, args.level, args.label, args.rule or "",
                             actor=acting(args, s, project, Permission.MANAGE))
    elif args.label is not None or args.rule is not None:
        raise Refused("--label and --rule need --level N (1-4)")
    with read_session(open_database(args)) as s:
        scale = rating_scale(s, get_project(s, args.project))
    emit(render_records([{"level": r.level, "label": r.label, "rule": r.rule} for r in scale], args.format,
                         ["level", "label", "rule"]))


def cmd_primary_coder(args: argparse.Namespace) -> None:
    from analysis.matrix_scope import set_primary_coder
    from cases.projects import get_document, get_project

    coder = None if args.coder.strip().lower() == "none" else args.coder
    with write_session(open_database(args)) as s:
        project = get_project(s, args.project)
        document = get_document(s, project, args.document)
        set_primary_coder(s, project, document, coder, actor=acting(args, s, project, Permission.MANAGE))
        emit(f"primary coder of '{document.title}': {coder or 'whoever coded it first'}")


def _scope_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--coder", help="whose codings: primary (default: each document's primary coder), all, "
                                   "or NAME[,NAME...]")
    p.add_argument("--kind", action="append", help="only documents of this kind (repeat)")
    p.add_argument("--role", action="append", help="only segments spoken by this speaker role (repeat)")
    p.add_argument("--attribute", action="append", help="TARGET:NAME=VALUE, e.g. case:country=NL (repeat)")


def cmd_read_path(args: argparse.Namespace) -> None:
    """Check the matrices' read path against the codings, or rebuild it: it is derived, so a rebuild loses nothing."""
    import time

    from sqlalchemy import func, select

    from store.matrix_facts import rebuild_all, stale_rows
    from store.models import MatrixCoding

    with (read_session if args.check else write_session)(open_database(args)) as s:  # a check writes nothing
        conn = s.connection()
        if args.check:
            missing, extra = stale_rows(conn)
            if missing or extra:
                raise Refused(f"the matrices' read path differs from the codings: {len(missing)} rows missing, "
                              f"{len(extra)} rows too many; run `read-path` without --check to rebuild it")
            emit("the matrices' read path equals the codings")
            return
        started = time.perf_counter()
        documents = rebuild_all(conn)
        rows = conn.execute(select(func.count()).select_from(MatrixCoding)).scalar_one()
    emit(f"rebuilt the matrices' read path: {rows:,} rows for {documents:,} documents in "
         f"{time.perf_counter() - started:.1f} s")


def register(command) -> None:  # type: ignore[no-untyped-def]
    """Add this module's commands through `commands.build_parser`'s `command(name, handler, help_, listing=)`."""
    from analysis.matrix import MEASURES

    p = command("matrix", cmd_matrix, "a cross-case matrix (rows x the codes of a codebook), or with --cols2 a "
                "code x code co-occurrence")
    p.add_argument("--project", required=True)
    p.add_argument("--rows", help=ROW_CHOICES + " (default: cases)")
    p.add_argument("--cols", required=True, metavar="codebook:KEY")
    p.add_argument("--depth", type=int, help="roll codes up to this depth (1 = the codebook's top codes)")
    p.add_argument("--case", help="with --rows stories: only this case's stories")
    p.add_argument("--cols2", metavar="codebook:KEY", help="co-occurrence with the codes of a second codebook")
    p.add_argument("--depth2", type=int, help="depth of the --cols2 codes")
    p.add_argument("--cell", choices=(*MEASURES, "stories"),
                   help="what a cell holds (default: count; stories: how many value-creation stories of the row's "
                        "case reach the cycle)")
    p.add_argument("--unit", choices=("overlap", "sentence", "turn", "document"),
                   help="co-occurrence unit (default: overlap)")
    p.add_argument("--pool", action="store_true", help="co-occurrence across coders (default: within each coder)")
    _scope_options(p)
    p.add_argument("--format", choices=MATRIX_FORMATS, default="csv")
    p.add_argument("--out", help="write to this file (required for xlsx and docx)")
    p.add_argument("--anonymise", action="store_true", help="xlsx: speakers as role + number, names masked")

    p = command("read-path", cmd_read_path, "rebuild the matrices' read path from the codings (it is kept up to "
                "date by every write; this repairs a database written by hand), or --check it")
    p.add_argument("--check", action="store_true", help="compare only; exit 1 when it differs")

    p = command("cell", cmd_cell, "write a framework cell (case x code): state, rating, summary, validation, "
                "pinned quotes")
    p.add_argument("--project", required=True)
    p.add_argument("--case", required=True)
    p.add_argument("--code", required=True)
    p.add_argument("--state", help="assessed, not_assessed, no_data, absent or not_applicable")
    p.add_argument("--rating", type=int, help="1-4 (makes the cell assessed)")
    p.add_argument("--clear-rating", action="store_true")
    p.add_argument("--summary", help="1-3 sentences")
    p.add_argument("--validation", help="proposed, discussed, confirmed, amended or disputed")
    p.add_argument("--pin", metavar="SEGMENT_GUID", help="pin one of the cell's segments as an exemplar quote")
    p.add_argument("--headline", action="store_true", help="with --pin: put it first")
    p.add_argument("--unpin", metavar="SEGMENT_GUID")
    p.add_argument("--coder", help="who writes it (recorded, and what undo --coder takes back); default: cli")

    p = command("cells", cmd_cells, "print the framework matrix (cases x codes) as json or csv")
    p.add_argument("--project", required=True)
    p.add_argument("--codebook", default="vc")
    p.add_argument("--depth", type=int)
    p.add_argument("--language", choices=("en", "nl", "de"), default="en")
    _scope_options(p)
    p.add_argument("--format", choices=("json", "csv"), default="json")

    p = command("rating-scale", cmd_rating_scale, "show the rating scale, or set a level's label and rule",
                listing=True)
    p.add_argument("--project", required=True)
    p.add_argument("--level", type=int)
    p.add_argument("--label")
    p.add_argument("--rule")

    p = command("primary-coder", cmd_primary_coder, "choose whose codings of a document count by default")
    p.add_argument("--project", required=True)
    p.add_argument("--document", required=True, help="title or guid")
    p.add_argument("--coder", required=True, help="coder name, or none (= whoever coded it first)")
