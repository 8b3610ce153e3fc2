"""Bounded import benchmark (issue 11): peak memory and time of importing the largest files the import accepts.

    .venv/bin/python bench/large_import_bench.py [--kinds text,vtt,docx,docx-small] [--repeats 1]

Each kind of file (bench/large_files.py) is generated once into a temporary directory; then, for every
repetition, a fresh worker process imports it the way the CLI does (read the file, `preview_import`, then
`store_import` in one `write_session` into a freshly migrated SQLite database) and reports its own peak
memory (ru_maxrss) after the import. In the same worker, after the import, the floor is measured: the bare
spaCy sentencizer over the same stored text in the same pieces, the work no import can skip.

Targets (issue 11): peak memory at most 1 GB and at most 15x the text size + 300 MB (text size: the stored
text's UTF-8 bytes), and a 50 MB text in at most 60 s. Results go to stdout and
bench/results/large_import_bench.json.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.large_files import KINDS, make
from bench.measure import RESULTS, describe_machine, load, machine, versions, write_json

MIB = 1024 * 1024
CEILING_BYTES = 1_000_000_000      # "at most 1 GB", read strictly as 10^9 bytes
PER_TEXT_BYTE = 15                 # "at most 15x its text size + 300 MB"
ALLOWANCE_BYTES = 300_000_000
TEXT_SECONDS = 60                  # "a 50 MB text imports in at most 60 s"


def _maxrss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def worker(path: str) -> dict:
    """Import one file into a fresh database; returns the figures (run in its own process)."""
    from sqlalchemy import func, select

    from cases.importer import preview_import, store_import
    from cases.nlp import PIECE_CHARS, sentence_pipeline
    from cases.projects import create_case, create_project, find_case, get_project
    from store.db import write_session
    from store.migrate import upgrade
    from store.models import TextVersion, Turn

    with tempfile.TemporaryDirectory(prefix="kruispunt-large-") as tmp:
        engine = upgrade(f"sqlite:///{tmp}/bench.sqlite")
        with write_session(engine) as session:
            create_case(session, create_project(session, "Bench"), "Bench")
        data = Path(path).read_bytes()
        ready = _maxrss()
        t0 = time.perf_counter()
        preview = preview_import(Path(path).name, data)
        t1 = time.perf_counter()
        with write_session(engine) as session:
            project = get_project(session, "Bench")
            document = store_import(session, project, preview, cases=[find_case(session, project, "Bench")])
            turns = session.scalar(select(func.count()).select_from(Turn).join(TextVersion)
                                   .where(TextVersion.document_id == document.id))
        t2 = time.perf_counter()
        peak = _maxrss()
        text, language = preview.source.text, preview.language
        del preview, document
        nlp = sentence_pipeline(language)
        t3 = time.perf_counter()
        sentences = 0
        for lo in range(0, len(text), PIECE_CHARS):
            sentences += sum(1 for _ in nlp(text[lo:lo + PIECE_CHARS]).sents)
        floor = time.perf_counter() - t3
        engine.dispose()
    return {"file_bytes": len(data), "text_chars": len(text), "text_bytes": len(text.encode("utf-8")),
            "turns": turns, "language": language, "preview_s": t1 - t0, "store_s": t2 - t1, "import_s": t2 - t0,
            "floor_s": floor, "floor_sentences": sentences, "rss_ready": ready, "rss_peak": peak}


def _subprocess(*args: str) -> str:
    """Run this script in a child process; the parent stays small, since Linux carries the parent's peak into
    a child's ru_maxrss across fork and exec."""
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), *args], check=False, capture_output=True, text=True,
                          cwd=str(ROOT))
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout.strip().splitlines()[-1]


def measure(kinds: list[str], repeats: int) -> dict:
    started = datetime.now(UTC)
    load_before = load()
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="kruispunt-large-files-") as tmp:
        for kind in kinds:
            path = Path(_subprocess("--generate", kind, tmp))
            runs = []
            for i in range(repeats):
                r = json.loads(_subprocess("--worker", str(path)))
                runs.append(r)
                print(f"  {kind:10} run {i + 1}/{repeats}: preview {r['preview_s']:6.1f} s, store {r['store_s']:6.1f} s, "
                      f"floor {r['floor_s']:5.1f} s, peak {r['rss_peak'] / MIB:6.0f} MiB", flush=True)
            results[kind] = _summary(kind, runs)
    return {"date": started.date().isoformat(), "started_utc": started.isoformat(timespec="seconds"),
            "machine": machine(), "versions": versions("spacy", "sqlalchemy"), "load_before": load_before,
            "load_after": load(), "repeats": repeats, "kinds": results}


def _summary(kind: str, runs: list[dict]) -> dict:
    first = runs[0]
    peak = max(r["rss_peak"] for r in runs)
    bound = min(CEILING_BYTES, PER_TEXT_BYTE * first["text_bytes"] + ALLOWANCE_BYTES)
    import_s = statistics.median(r["import_s"] for r in runs)
    floor_s = statistics.median(r["floor_s"] for r in runs)
    out = {k: first[k] for k in ("file_bytes", "text_chars", "text_bytes", "turns", "language", "floor_sentences")}
    out |= {"preview_s": statistics.median(r["preview_s"] for r in runs),
            "store_s": statistics.median(r["store_s"] for r in runs), "import_s": import_s, "floor_s": floor_s,
            "ratio_import_to_floor": import_s / floor_s, "rss_ready": min(r["rss_ready"] for r in runs),
            "rss_peak": peak, "memory_bound": bound, "memory_pass": peak <= bound, "runs": runs}
    if kind == "text":
        out["time_pass"] = import_s <= TEXT_SECONDS
    return out


def print_report(r: dict) -> None:
    print()
    print(f"Kruispunt bounded import benchmark  {r['started_utc']}  ({r['repeats']} run(s) per kind, medians)")
    print(describe_machine(r))
    print()
    print(f"  {'kind':10} {'file MB':>8} {'text MB':>8} {'turns':>9} {'import s':>9} {'floor s':>8} {'ratio':>6} "
          f"{'ready MiB':>9} {'peak MiB':>9} {'bound MiB':>9}  memory")
    for kind, s in r["kinds"].items():
        print(f"  {kind:10} {s['file_bytes'] / 1e6:8.1f} {s['text_bytes'] / 1e6:8.1f} {s['turns']:9,} "
              f"{s['import_s']:9.1f} {s['floor_s']:8.1f} {s['ratio_import_to_floor']:5.1f}x "
              f"{s['rss_ready'] / MIB:9.0f} {s['rss_peak'] / MIB:9.0f} {s['memory_bound'] / MIB:9.0f}  "
              f"{'PASS' if s['memory_pass'] else 'FAIL'}"
              + ("" if "time_pass" not in s else f"  time {'PASS' if s['time_pass'] else 'FAIL'} (<= {TEXT_SECONDS} s)"))
    print("  (floor: the bare spaCy sentencizer over the same text in the same pieces; bound: min(1 GB, "
          "15x text + 300 MB); ready: the worker's RSS with the file read, before the import)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--generate", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.generate:
        kind, folder = args.generate
        name, data = make(kind)
        (Path(folder) / name).write_bytes(data)
        print(Path(folder) / name)
        return 0
    if args.worker:
        print(json.dumps(worker(args.worker)))
        return 0
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        parser.error(f"unknown kind(s) {', '.join(unknown)} (use: {', '.join(KINDS)})")
    result = measure(kinds, args.repeats)
    print_report(result)
    path = write_json(RESULTS / "large_import_bench.json", result)
    print(f"\nwritten to {path.relative_to(ROOT)}")
    return 0 if all(s["memory_pass"] and s.get("time_pass", True) for s in result["kinds"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
