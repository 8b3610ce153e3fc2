"""REFI-QDA project export and import (.qdpx) against floors measured in the same run.

    .venv/bin/python bench/qdpx_bench.py [--db sqlite|postgresql] [--shape small|main] [--repeats 3] [--seed 1]

Set-up (untimed): the matrix benchmark's synthetic project (bench/matrix_project.py; `small`: 20 cases, 60
documents, 10,000 codings with framework cells; `main`: 60 cases, 300 documents, 100,000 codings) in a scratch
database.

  X   `exports.qdpx.export_project_qdpx`: the whole project as a .qdpx (XML built with ElementTree, zipped).
  FX  the export floor: the same rows read with one query per table (texts, segments with their coders' guids,
      codings with their codes' guids) and written as the same selection and coding elements with f-strings,
      zipped with the texts: what any exporter of these rows must at least do.
  V   `exports.qdpx.validate_qde` on the export (xmlschema; what the tests do, not part of an export).
  I   X's file imported as a new project in a fresh scratch database, committed: `read_qdpx` (the archive
      checked and parsed, every text decoded, previewed and split into turns and sentences; no database) then
      `store_qdpx` in one write transaction (positions verified, every document stored through the ordinary
      importer, every selection coded through the ordinary coding write with its event). W, the time the write
      transaction holds the database, is reported beside it.
  FI  the import floor, in another fresh database: the archive parsed (defusedxml), each text imported with the
      same importer (`store_import`), and every segment and coding inserted in one executemany each, no checks
      and no events: what any importer must at least do.

Median of --repeats after one warm-up for X and FX; I and FI once each per repeat into a new database (the
largest is the same work each time). Peak Python allocation of X and of I (tracemalloc, one untimed run each).
Results go to stdout and bench/results/qdpx_bench_<db>_<shape>.json.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
import tracemalloc
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.matrix_project import MAIN, SMALL, build_project  # noqa: E402
from bench.measure import RESULTS, describe_machine, load, machine, scratch_database, versions, write_json  # noqa: E402


def export_floor(session, project_id: int) -> bytes:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from store.models import Code, Coder, Coding, Document, Segment, TextVersion

    current = (TextVersion.document_id == Document.id) & (TextVersion.version == Document.current_version)
    texts = session.execute(select(Document.id, Document.guid, Document.title, TextVersion.text).join(
        TextVersion, current).where(Document.project_id == project_id)).all()
    segments = session.execute(select(Segment.id, Segment.guid, Segment.document_id, Segment.start, Segment.end,
                                      Coder.guid).join(Coder).join(Document).where(
        Document.project_id == project_id)).all()
    codings = session.execute(select(Coding.segment_id, Coding.guid, Code.guid).join(Code).join(
        Segment, Segment.id == Coding.segment_id).join(Document, Document.id == Segment.document_id).where(
        Document.project_id == project_id)).all()
    by_segment: dict[int, list] = {}
    for segment_id, guid, code in codings:
        by_segment.setdefault(segment_id, []).append((guid, code))
    by_document: dict[int, list] = {}
    for row in segments:
        by_document.setdefault(row[2], []).append(row)
    text_of = {d: t for d, _, _, t in texts}
    parts = ['<?xml version="1.0" encoding="utf-8"?><Project xmlns="urn:QDA-XML:project:1.0" name="x"><Sources>']
    for document_id, guid, title, _ in texts:
        parts.append(f'<TextSource guid="{guid}" name="{title}" plainTextPath="internal://{guid}.txt">')
        text = text_of[document_id]
        for _, seg_guid, _, start, end, coder in by_document.get(document_id, []):
            name = text[start:end][:200].replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
            parts.append(f'<PlainTextSelection guid="{seg_guid}" name="{name}" startPosition="{start}" '
                         f'endPosition="{end}" creatingUser="{coder}">')
            for coding, code in by_segment.get(_, []):
                parts.append(f'<Coding guid="{coding}" creatingUser="{coder}"><CodeRef targetGUID="{code}"/>'
                             '</Coding>')
            parts.append("</PlainTextSelection>")
        parts.append("</TextSource>")
    parts.append("</Sources></Project>")
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", "".join(parts).encode("utf-8"))
        for _, guid, _, text in texts:
            archive.writestr(f"sources/{guid}.txt", text.encode("utf-8"))
    return data.getvalue()


def import_floor(engine, data: bytes) -> int:  # type: ignore[no-untyped-def]
    """The archive parsed, each text imported with the ordinary importer, segments and codings inserted in bulk."""
    import uuid

    from defusedxml import ElementTree as SafeET
    from sqlalchemy import insert, select

    from cases.importer import preview_import, store_import
    from cases.projects import create_project, get_or_create_coder
    from codebooks.service import restore_codebook
    from codebooks.templates import CodebookTemplate, CodeTemplate
    from store.db import write_session
    from store.models import Code, Coding, Segment, TextVersion

    ns = "{urn:QDA-XML:project:1.0}"
    archive = zipfile.ZipFile(io.BytesIO(data))
    root = SafeET.fromstring(archive.read("project.qde"))
    with write_session(engine) as s:
        project = create_project(s, "floor")
        coders = {u.get("guid"): get_or_create_coder(s, project, u.get("name"))[0].id for u in root.iter(f"{ns}User")}
        template = CodebookTemplate(key="floor", prefix="floor", version="1", ordered=False, name_en="floor")
        template.codes = [CodeTemplate(key=f"c{i}", parent=None, label_en=c.get("name"), guid=uuid.UUID(c.get("guid")))
                          for i, c in enumerate(root.iter(f"{ns}Code"))]
        book = restore_codebook(s, template, project, guid=None)
        codes = {str(g): i for i, g in s.execute(select(Code.id, Code.guid).where(Code.codebook_id == book.id))}
        segments, codings = [], []
        for source in root.iter(f"{ns}TextSource"):
            guid = source.get("guid")
            text = archive.read(f"sources/{guid}.txt")
            document = store_import(s, project, preview_import(f"{source.get('name')}.txt", text), cases=[])
            version = s.scalar(select(TextVersion.id).where(TextVersion.document_id == document.id))
            for selection in source.iter(f"{ns}PlainTextSelection"):
                segments.append({"guid": uuid.UUID(selection.get("guid")), "document_id": document.id,
                                 "text_version_id": version, "coder_id": coders[selection.get("creatingUser")],
                                 "start": int(selection.get("startPosition")),
                                 "end": int(selection.get("endPosition"))})
                for coding in selection.iter(f"{ns}Coding"):
                    codings.append((selection.get("guid"), coding.get("guid"),
                                    codes[coding.find(f"{ns}CodeRef").get("targetGUID")]))
        s.execute(insert(Segment), segments)
        ids = {str(g): i for g, i in s.execute(select(Segment.guid, Segment.id))}
        seen = set()
        rows = []
        for segment, guid, code in codings:
            if (segment, code) not in seen:
                seen.add((segment, code))
                rows.append({"guid": uuid.UUID(guid), "segment_id": ids[segment], "code_id": code})
        s.execute(insert(Coding), rows)
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--shape", choices=("small", "main"), default="small")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    from exports.qdpx import export_project_qdpx, validate_qde
    from exports.qdpx_import import read_qdpx, store_qdpx
    from store.db import read_session, write_session
    from store.migrate import upgrade
    from store.models import Project

    shape = SMALL if args.shape == "small" else MAIN
    result = {"machine": machine(), "versions": versions("sqlalchemy", "xmlschema"), "load_before": load(),
              "db": args.db, "shape": args.shape, "repeats": args.repeats}
    with scratch_database(args.db, "qdpx") as url:
        engine = upgrade(url)
        built = build_project(engine, shape, args.seed)
        if args.db == "postgresql":
            with engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")

        def export() -> bytes:
            with read_session(engine) as s:
                return export_project_qdpx(s, s.get(Project, built["project_id"]))[0]

        def floor() -> bytes:
            with read_session(engine) as s:
                return export_floor(s, built["project_id"])

        data, _ = export(), floor()  # warm-up
        x_runs, fx_runs = [], []
        for _ in range(args.repeats):
            began = time.perf_counter()
            floor()
            fx_runs.append(time.perf_counter() - began)
            began = time.perf_counter()
            data = export()
            x_runs.append(time.perf_counter() - began)
        tracemalloc.start()
        export()
        x_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        began = time.perf_counter()
        errors = validate_qde(zipfile.ZipFile(io.BytesIO(data)).read("project.qde"))
        v_s = time.perf_counter() - began
        engine.dispose()
    result.update(codings=built["codings"], archive_mb=len(data) / 1e6, valid=not errors,
                  export_s=statistics.median(x_runs), export_floor_s=statistics.median(fx_runs), validate_s=v_s,
                  export_peak_mib=x_peak / 2**20)
    print(f"{args.db} {args.shape}: {built['codings']:,} codings, archive {len(data) / 1e6:.1f} MB, "
          f"valid {not errors}; "
          f"X {result['export_s']:.2f} s, FX {result['export_floor_s']:.2f} s, "
          f"X/FX {result['export_s'] / result['export_floor_s']:.2f}×, peak {x_peak / 2**20:.0f} MiB; "
          f"V {v_s:.1f} s", flush=True)
    i_runs, w_runs, fi_runs, i_peak, report = [], [], [], 0, None
    for repeat in range(args.repeats + 1):  # the first one traced for memory, untimed
        with scratch_database(args.db, "qdpxin") as url_in, scratch_database(args.db, "qdpxfl") as url_fl:
            into, bare = upgrade(url_in), upgrade(url_fl)
            if repeat == 0:
                tracemalloc.start()
            began = time.perf_counter()
            project_file = read_qdpx("bench.qdpx", data)
            writing = time.perf_counter()
            with write_session(into) as s:
                _, report = store_qdpx(s, project_file)
            took, held = time.perf_counter() - began, time.perf_counter() - writing
            if repeat == 0:
                i_peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
            else:
                i_runs.append(took)
                w_runs.append(held)
                began = time.perf_counter()
                import_floor(bare, data)
                fi_runs.append(time.perf_counter() - began)
            into.dispose(), bare.dispose()
    result.update(import_s=statistics.median(i_runs), write_s=statistics.median(w_runs),
                  import_floor_s=statistics.median(fi_runs),
                  import_peak_mib=i_peak / 2**20, imported=dict(report.imported), skipped=len(report.skipped),
                  adjusted=len(report.adjusted))
    print(f"  I {result['import_s']:.2f} s (W {result['write_s']:.2f} s), FI {result['import_floor_s']:.2f} s, "
          f"I/FI {result['import_s'] / result['import_floor_s']:.2f}×, peak {i_peak / 2**20:.0f} MiB; "
          f"imported {report.imported.get('PlainTextSelection', 0):,} selections and "
          f"{report.imported.get('Coding', 0):,} codings, {len(report.skipped)} left out (with reasons)", flush=True)
    result["load_after"] = load()
    print(describe_machine(result))
    path = write_json(RESULTS / f"qdpx_bench_{args.db}_{args.shape}.json", result)
    print(f"written to {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
