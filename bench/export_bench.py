"""Export benchmark (issue 18): the Excel export and the Word cross-case report at 10,000 to 100,000 codings.

Setup (untimed): one synthetic project per size (``bench.matrix_project.build_project``, the shape of the matrix
benchmark's main project: 60 cases, 300 documents, 150 codes in 3 codebooks, 4 coders, framework cells for every
case and code, focus-group feedback), in a scratch database.

Kinds, each timed in a fresh worker process (imports, engine, mappers and the project row loaded before the clock;
its memory is the process's peak resident set, VmHWM, and that peak minus the resident set before the call):

  xlsx         ``build_xlsx`` as ``cli.py matrix --format xlsx`` calls it, for all three codebooks: their count
               matrices (60 x 50 each) and the tidy coded-segments sheet, one row per coding of each document's
               primary coder (~90% of all codings)
  xlsx_floor   the same rows (read back from that file, untimed) written alone by the export's writer
               (exports.xlsx_book: XlsxWriter, the largest sheet streamed)
  report       ``build_cross_case_report(codebook="bench-r", depth=None, images=False)``: 60 x 50 cells
  report_floor the same paragraphs (style and text) and tables read back from that report (untimed), written alone
               into a new document with ``exports.docx_appender`` and saved

Reported per size: medians of time and memory, the ratio to the floor, the number of non-empty cells of the
report's case x code count matrix (what its length follows), and the exponent of time against codings (and
against those cells for the report) between the smallest and the largest size. Targets (issue 18, at 100,000
codings): Excel <= 5 s and < 300 MB; the Word report <= 10 s and linear. Results go to stdout and
bench/results/export_bench[_postgresql].json.

    .venv/bin/python bench/export_bench.py [--sizes 10000,30000,100000] [--repeats 3] [--seed 7]
        [--db sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import io
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.matrix_project import MAIN, REPORT_CODEBOOK, build_project  # noqa: E402
from bench.measure import RESULTS, describe_machine, load, machine, scratch_database, versions, write_json  # noqa: E402

KINDS = ("xlsx", "xlsx_floor", "report", "report_floor")
CODEBOOKS = (REPORT_CODEBOOK, "bench-b", "bench-c")
TARGETS = {"xlsx": (5.0, 300), "report": (10.0, None)}  # seconds, MB (peak) at TARGET_CODINGS
TARGET_CODINGS = 100_000


def _shape(codings: int) -> dict:
    return {**MAIN, "name": f"Export Bench {codings}", "codings": codings,
            "codebooks": [(key, 5, 9) for key in CODEBOOKS], "framework": True}


def _rss_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


# --- the worker: one kind, one call ------------------------------------------------------------

def _xlsx(s, project) -> bytes:  # noqa: ANN001
    from analysis.matrix import MatrixSpec, build_matrix
    from analysis.tidy import iter_tidy_codings
    from exports.matrix_tables import build_xlsx, matrix_table

    matrices = [build_matrix(s, project, MatrixSpec(codebook=key, depth=None)) for key in CODEBOOKS]
    tidy = iter_tidy_codings(s, project, codebooks=list(CODEBOOKS), scope=matrices[0].spec.scope)
    return build_xlsx([matrix_table(m) for m in matrices], tidy, project=project.name)


def _xlsx_floor(path: Path):  # noqa: ANN202
    """The export's sheets as rows of values, untimed; returns the timed writer (the export's own: the first row
    of each sheet bold, the largest sheet streamed), so the ratio is what reading and building the rows cost."""
    from openpyxl import load_workbook

    from exports.xlsx_book import XlsxBook

    book = load_workbook(path, read_only=True)
    sheets = [(ws.title, [list(r) for r in ws.iter_rows(values_only=True)]) for ws in book.worksheets]
    book.close()
    largest = max(range(len(sheets)), key=lambda k: len(sheets[k][1]))

    def write() -> bytes:
        with XlsxBook() as out:
            for k, (title, rows) in enumerate(sheets):
                if k == largest:
                    out.stream_sheet(title, rows[0], rows[1:])
                    continue
                ws = out.sheet(title)
                out.append(ws, rows[0], "bold")
                for row in rows[1:]:
                    out.append(ws, row)
            return out.close()
    return write


def _report_floor(path: Path):  # noqa: ANN202
    """The report's paragraphs (style, text) and tables in body order, untimed; returns the timed writer."""
    import docx
    from docx.text.paragraph import Paragraph

    source = docx.Document(str(path))
    blocks = [(p.style.name, p.text) if isinstance(p, Paragraph) else [[c.text for c in row.cells] for row in p.rows]
              for p in source.iter_inner_content()]

    def write() -> bytes:
        from exports.docx_appender import add_text_table, new_document

        doc = new_document()
        for block in blocks:
            if isinstance(block, list):
                add_text_table(doc, block)
            else:
                doc.add_paragraph(block[1], block[0])
        buffer = io.BytesIO()
        doc.save(buffer)
        return buffer.getvalue()
    return write


def worker(args: argparse.Namespace) -> None:
    from sqlalchemy.orm import configure_mappers

    from cases.projects import get_project
    from exports.cross_case_report import build_cross_case_report
    from store.db import get_engine, read_session

    configure_mappers()
    engine = get_engine(args.db_url)
    out = Path(args.out)
    with read_session(engine) as s:
        project = get_project(s, args.project)
        if args.kind == "xlsx":
            call = lambda: _xlsx(s, project)  # noqa: E731
        elif args.kind == "report":
            call = lambda: build_cross_case_report(s, project, codebook=REPORT_CODEBOOK, depth=None,  # noqa: E731
                                                   images=False)
        else:  # a floor: the output of its kind, read back before the clock
            call = (_xlsx_floor if args.kind == "xlsx_floor" else _report_floor)(
                out.with_suffix(".xlsx" if args.kind == "xlsx_floor" else ".docx"))
        before = _rss_mb("VmRSS")
        t0, c0 = time.perf_counter(), time.process_time()
        data = call()
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = _rss_mb("VmHWM")
    if args.kind in ("xlsx", "report"):
        out.with_suffix(".xlsx" if args.kind == "xlsx" else ".docx").write_bytes(data)
    print(json.dumps({"result": {"s": seconds, "cpu_s": cpu, "bytes": len(data), "rss_before_mb": before,
                                 "peak_mb": peak, "peak_over_mb": peak - before}}))


# --- the driver ----------------------------------------------------------------------------------

def _run(args: argparse.Namespace, url: str, project: str, kind: str, out: Path) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, "--db-url", url, "--project", project,
           "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith('{"result"'):
            return json.loads(line)["result"]
    raise SystemExit(f"{kind} worker failed (exit {proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")


def _filled_cells(url: str, name: str) -> int:
    """Cells of the report's case x code count matrix with at least one coding: what its length follows."""
    from analysis.matrix import MatrixSpec, build_matrix
    from cases.projects import get_project
    from store.db import get_engine, read_session

    with read_session(get_engine(url)) as s:
        matrix = build_matrix(s, get_project(s, name), MatrixSpec(codebook=REPORT_CODEBOOK, depth=None))
    return sum(1 for line in matrix.counts for n in line if n)


def measure(args: argparse.Namespace) -> dict:
    from store.migrate import upgrade

    sizes = [int(n) for n in args.sizes.split(",")]
    result: dict = {"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": machine(),
                    "versions": versions("openpyxl", "python-docx", "SQLAlchemy"), "load_before": load(),
                    "db": args.db, "repeats": args.repeats, "sizes": {}}
    with scratch_database(args.db, "export-bench") as url, tempfile.TemporaryDirectory() as tmp:
        engine = upgrade(url)
        for n in sizes:
            t0 = time.perf_counter()
            build_project(engine, _shape(n), args.seed)
            print(f"built {n:,} codings in {time.perf_counter() - t0:.1f} s", flush=True)
            runs: dict[str, list[dict]] = {k: [] for k in KINDS}
            out = Path(tmp) / f"export-{n}"
            for r in range(args.repeats):
                for kind in KINDS:
                    runs[kind].append(_run(args, url, _shape(n)["name"], kind, out))
                print(f"  {n:>9,} round {r + 1}: " + "  ".join(f"{k} {runs[k][-1]['s']:.2f} s "
                      f"{runs[k][-1]['peak_mb']:.0f} MB" for k in KINDS), flush=True)
            result["sizes"][n] = {"filled_cells": _filled_cells(url, _shape(n)["name"]), "runs": runs,
                                  **{k: {"s": statistics.median(x["s"] for x in v),
                                         "peak_mb": statistics.median(x["peak_mb"] for x in v),
                                         "peak_over_mb": statistics.median(x["peak_over_mb"] for x in v),
                                         "bytes": v[-1]["bytes"]} for k, v in runs.items()}}
        engine.dispose()
    result["load_after"] = load()
    return result


def _exponent(y0: float, y1: float, x0: float, x1: float) -> float:
    return math.log(y1 / y0) / math.log(x1 / x0) if min(y0, y1, x0, x1) > 0 and x0 != x1 else float("nan")


def print_report(r: dict) -> None:
    print(f"\nKruispunt exports (issue 18)  {r['when']}  database: {r['db']}  repeats: {r['repeats']}")
    print(describe_machine(r))
    print(f"{'codings':>9} {'kind':<13} {'median s':>9} {'x floor':>8} {'peak MB':>8} {'+MB':>6} {'bytes':>11}")
    for n, row in r["sizes"].items():
        for kind in KINDS:
            k = row[kind]
            floor = row.get(f"{kind}_floor")
            ratio = f"{k['s'] / floor['s']:.1f}x" if floor else ""
            print(f"{int(n):>9,} {kind:<13} {k['s']:>9.2f} {ratio:>8} {k['peak_mb']:>8.0f} {k['peak_over_mb']:>6.0f} "
                  f"{k['bytes']:>11,}")
        print(f"{'':>9} non-empty cells of the count matrix: {row['filled_cells']:,}")
    sizes = list(r["sizes"])
    if len(sizes) > 1:
        lo, hi = r["sizes"][sizes[0]], r["sizes"][sizes[-1]]
        for kind in KINDS:
            by_codings = _exponent(lo[kind]["s"], hi[kind]["s"], int(sizes[0]), int(sizes[-1]))
            by_cells = _exponent(lo[kind]["s"], hi[kind]["s"], lo["filled_cells"], hi["filled_cells"])
            print(f"exponent {kind}: {by_codings:.2f} in codings"
                  + (f", {by_cells:.2f} in non-empty cells" if kind.startswith("report") else ""))
    at = r["sizes"].get(TARGET_CODINGS) or r["sizes"].get(str(TARGET_CODINGS))
    for kind, (seconds, mb) in TARGETS.items() if at else ():
        ok = at[kind]["s"] <= seconds and (mb is None or at[kind]["peak_mb"] < mb)
        print(f"target {kind} at {TARGET_CODINGS:,}: <= {seconds} s" + (f" and < {mb} MB" if mb else "")
              + f": {'meets' if ok else 'MISSES'}")
    for n, row in r["sizes"].items():  # the memory bound for any export at 1,000,000 codings
        if int(n) >= 1_000_000:
            worst = max(row[k]["peak_mb"] for k in ("xlsx", "report"))
            print(f"peak memory of the exports at {int(n):,}: {worst:.0f} MB (< 1 GB: "
                  f"{'meets' if worst < 1024 else 'MISSES'})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,30000,100000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--worker", choices=KINDS)
    parser.add_argument("--db-url")
    parser.add_argument("--project")
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    if args.worker:
        args.kind = args.worker
        worker(args)
        return 0
    r = measure(args)
    print_report(r)
    path = write_json(RESULTS / f"export_bench{'_postgresql' if args.db == 'postgresql' else ''}.json", r)
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
