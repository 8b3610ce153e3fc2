"""REFI-QDA projects in and out: `qdpx-export` and `qdpx-import` (codebooks: `qdc-export`, `qdc-import`)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cases.projects import get_project
from commands.support import CliRefused, acting, emit, open_database, read_file, reading_pooled, who
from exports.qdpx import export_project_qdpx
from exports.qdpx_import import read_qdpx, store_qdpx
from store.db import read_session, write_session
from store.privileges import Permission


def _progress(done: int, total: int, label: str) -> None:
    filled = int(20 * done / total) if total else 20
    sys.stderr.write(f"[{'#' * filled}{'.' * (20 - filled)}] {label}\n")


def _write_report(path: str | None, report: dict) -> None:
    """The report as JSON where --report asks for it."""
    if path:
        Path(path).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def cmd_qdpx_export(args: argparse.Namespace) -> None:
    out = Path(args.out)
    if out.suffix.lower() != ".qdpx":
        raise CliRefused(f"{out.name}: a REFI-QDA project file ends in .qdpx")
    with read_session(open_database(args)) as s:
        project = get_project(s, args.project)
        reading_pooled(args, s, project, "exporting the project")
        data, report = export_project_qdpx(s, project, on_step=_progress if args.progress else None)
    out.write_bytes(data)
    counts = ", ".join(f"{n:,} {k}" for k, n in report.counts.items() if n)
    emit(f"wrote {out} ({counts})")
    for line in report.not_carried:
        emit(f"not carried: {line}")
    _write_report(args.report, report.as_json())


def cmd_qdpx_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if path.suffix.lower() not in (".qdpx", ".qde"):
        raise CliRefused(f"{path.name}: a REFI-QDA project file ends in .qdpx (or is a bare .qde)")
    if args.project and args.new:
        raise CliRefused("give --project (import into it) or --new (a new project), not both")
    data = read_file(path)
    engine = open_database(args)
    with read_session(engine) as s:  # who may import, said before the file is read
        project = get_project(s, args.project) if args.project else None
        actor = acting(args, s, project, Permission.BUILD) if project is not None else who(args)
    step = _progress if args.progress else None
    project_file = read_qdpx(path.name, data, folder=path.parent if path.suffix.lower() == ".qde" else None,
                             on_step=step)
    with write_session(engine) as s:  # the database is held only while the rows are written
        project = get_project(s, args.project) if args.project else None
        if project is not None:
            actor = acting(args, s, project, Permission.BUILD)
        project, report = store_qdpx(s, project_file, project=project, new_name=args.new, actor=actor,
                                     on_step=step)
    emit(f"{report.summary()}, into project '{project.name}' ({project.guid})")
    for item in report.skipped:
        emit(f"left out: {item['element']} {item['name'] or item['guid']}: {item['reason']}")
    for item in report.adjusted:
        emit(f"adjusted: {item['element']} {item['name'] or item['guid']}: {item['reason']}")
    for note in report.notes:
        emit(f"note: {note}")
    _write_report(args.report, report.as_json())
    return 0


def register(command) -> None:  # type: ignore[no-untyped-def]
    p = command("qdpx-export", cmd_qdpx_export, "export a project as REFI-QDA (.qdpx) for NVivo, ATLAS.ti, "
                "MAXQDA, QualCoder")
    p.add_argument("--project", required=True)
    p.add_argument("--out", required=True, metavar="FILE.qdpx")
    p.add_argument("--report", metavar="FILE.json", help="also write what was exported and what was not, as JSON")
    p.add_argument("--progress", action="store_true", help="show progress on stderr")

    p = command("qdpx-import", cmd_qdpx_import, "import a REFI-QDA project (.qdpx, or a .qde beside its sources "
                "folder) as a new project or into one")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--project", help="import into this project (what it already holds is matched by guid)")
    p.add_argument("--new", metavar="NAME", help="the new project's name (default: the name the file gives)")
    p.add_argument("--report", metavar="FILE.json", help="write the import report as JSON")
    p.add_argument("--progress", action="store_true", help="show progress on stderr")
