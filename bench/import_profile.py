"""The import benchmark's ``--profile`` mode (bench/import_bench.py --profile): where the import's time goes.

Unprofiled A/B medians, an unprofiled CPU-time breakdown of the import's stages and one cProfile'd import,
kept apart from the benchmark's worker protocol and report.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import datetime, timezone
from pathlib import Path

from bench.corpus import generate_corpus
from bench.import_runs import BaselineRun, ImportRun
from bench.measure import RESULTS, ROOT, load, machine, versions, write_json

# ---------------------------------------------------------------------------------------------
# Profile mode
# ---------------------------------------------------------------------------------------------

def _cython_name(filename: str, line: int, func: str) -> str:
    """'spacy/tokens/doc.pyx:724(__get__)' -> '... Doc.text' by reading the .pyx source, if installed."""
    if func not in ("__get__", "genexpr") or not filename.endswith(".pyx"):
        return ""
    try:
        import spacy

        src = Path(spacy.__file__).resolve().parent.parent / filename
        lines = src.read_text(encoding="utf-8").splitlines()
    except (ImportError, OSError):
        return ""
    if not 0 < line <= len(lines):
        return ""
    # Cython reports a property's __get__ at its decorator line; a genexpr inside the body.
    order = (range(line - 1, min(line + 3, len(lines))) if lines[line - 1].strip().startswith("@")
             else range(line - 1, max(line - 12, 0), -1))
    for k in order:
        stripped = lines[k].strip()
        if stripped.startswith("def "):
            name = stripped[4:].split("(")[0]
            return f" [{Path(filename).stem}.{name}{' genexpr' if func == 'genexpr' else ''}]"
    return ""


def _label(root: str, filename: str, line: int, func: str) -> str:
    shown = os.path.relpath(filename, ROOT) if filename.startswith(root) else filename
    return f"{shown}:{line}({func}){_cython_name(filename, line, func)}"


def stage_breakdown(files: list[tuple[str, bytes]], repeats: int = 5) -> dict:
    """Unprofiled CPU time of the import's stages, re-run here through the same public functions.

    Mirrors what import_files/store_import compute, outside the database: the rest of an
    import's time is SQLAlchemy + SQLite (inserts, flushes, commits) and Python glue.
    """
    from cases.importer import preview_import
    from cases.language import detect_language
    from cases.nlp import sentence_pipeline, split_sentences

    nlp = sentence_pipeline("nl")
    previews = [preview_import(name, data, language="nl") for name, data in files]

    def stages() -> dict[str, float]:
        out: dict[str, float] = {}
        t = time.process_time()
        pv = [preview_import(name, data, language="nl") for name, data in files]
        out["preview_import (read, detect language/labels/damage)"] = time.process_time() - t
        t = time.process_time()
        turns = [p.turns(p.default_speakers()) for p in pv]
        out["turns_for/build_turns (x1; import_files runs it twice)"] = time.process_time() - t
        t = time.process_time()
        for p, ts in zip(pv, turns):
            for tr in ts:
                detect_language(p.source.text[tr.content_start:tr.end])
        out["per-turn detect_language (_turn_language)"] = time.process_time() - t
        spans = [[(tr.content_start, tr.end, "nl") for tr in ts] for ts in turns]
        t = time.process_time()
        for p, sp in zip(pv, spans):
            split_sentences(p.source.text, sp)
        out["split_sentences (per-turn nlp.pipe + doc.text + trim)"] = time.process_time() - t
        t = time.process_time()
        for p, sp in zip(pv, spans):
            text = p.source.text
            for doc in nlp.pipe((text[s:e] for s, e, _ in sp), batch_size=256):
                for sent in doc.sents:
                    sent.start_char, sent.end_char
        out["  of which: nlp.pipe per turn + sents only"] = time.process_time() - t
        return out

    stages()  # warm
    runs = [stages() for _ in range(repeats)]
    del previews
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def profile(args: argparse.Namespace) -> dict:
    import cProfile
    import pstats

    files = max(1, round(args.files * args.profile_words / args.words))
    corpus = generate_corpus(args.profile_words, files, args.seed)
    print(f"profile corpus: {corpus['words']:,} words in {files} files (seed {args.seed})", flush=True)
    imp, base = ImportRun(corpus["files"]), BaselineRun(corpus["files"])
    imp(), base()  # warm-up: pipeline built, SQLAlchemy statement caches filled
    plain: dict[str, list[dict]] = {"A": [], "B": []}
    for _ in range(5):
        plain["A"].append(imp())
        plain["B"].append(base())
    plain_a = statistics.median(r["seconds"] for r in plain["A"])
    plain_b = statistics.median(r["seconds"] for r in plain["B"])
    cpu_a = statistics.median(r["cpu_seconds"] for r in plain["A"])
    cpu_b = statistics.median(r["cpu_seconds"] for r in plain["B"])
    gc_a = statistics.median(r["gc_seconds"] for r in plain["A"])
    gc_b = statistics.median(r["gc_seconds"] for r in plain["B"])
    print(f"cyclic GC inside the timed window (median): import {gc_a:.3f} s, baseline {gc_b:.3f} s", flush=True)
    print(f"unprofiled, interleaved, median of 5: import {plain_a:.2f} s (cpu {cpu_a:.2f}), baseline {plain_b:.2f} s "
          f"(cpu {cpu_b:.2f}); import = {plain_b / plain_a:.1%} of baseline throughput ({cpu_b / cpu_a:.1%} on CPU "
          "time)", flush=True)
    stages = stage_breakdown(corpus["files"])
    print("\nunprofiled stage CPU times (median of 5), against the import's median CPU time:")
    for name, secs in stages.items():
        print(f"  {secs:7.3f} s {secs / cpu_a:6.1%}  {name}")
    outside = cpu_a - sum(v for k, v in stages.items() if not k.startswith(" ")) - \
        stages["turns_for/build_turns (x1; import_files runs it twice)"]
    print(f"  {outside:7.3f} s {outside / cpu_a:6.1%}  rest: SQLAlchemy/SQLite inserts, flushes, commits, queries, "
          "glue (by difference)")
    print(f"  {cpu_b:7.3f} s {cpu_b / cpu_a:6.1%}  (for scale: baseline B, whole-file nlp.pipe, same process)")
    prof = cProfile.Profile()
    profiled = imp(profiler=prof)["seconds"]
    RESULTS.mkdir(parents=True, exist_ok=True)
    stats = pstats.Stats(prof)
    with open(RESULTS / "import_profile.txt", "w") as fh:
        pstats.Stats(prof, stream=fh).sort_stats("cumulative").print_stats(60)
        pstats.Stats(prof, stream=fh).sort_stats("tottime").print_stats(40)
    prof.dump_stats(str(RESULTS / "import_profile.prof"))

    root, venv, bench = str(ROOT) + os.sep, str(ROOT / ".venv"), str(ROOT / "bench")
    total = stats.total_tt  # type: ignore[attr-defined]
    own, everything = [], []
    by_key = {}
    for key, (cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        row = {"function": _label(root, *key), "ncalls": nc, "tottime_s": tt, "cumtime_s": ct}
        by_key[key] = row
        everything.append(row)
        if key[0].startswith(root) and not key[0].startswith((venv, bench)):
            own.append(row)
    own.sort(key=lambda r: r["cumtime_s"], reverse=True)
    top_self = sorted(everything, key=lambda r: r["tottime_s"], reverse=True)[:15]

    def callees(func_name: str, limit: int = 8) -> list[dict]:
        """What one project function spends its cumulative time on (direct callees)."""
        parent = next((k for k in stats.stats if k[2] == func_name and k[0].startswith(root)  # type: ignore
                       and not k[0].startswith((venv, bench))), None)
        if parent is None:
            return []
        rows = []
        for key, (_cc, _nc, _tt, _ct, callers) in stats.stats.items():  # type: ignore[attr-defined]
            if parent in callers:
                cc, nc, tt, ct = callers[parent]
                rows.append({"function": _label(root, *key), "ncalls": nc, "cumtime_s": ct})
        return sorted(rows, key=lambda r: r["cumtime_s"], reverse=True)[:limit]

    print(f"\nprofiled import: {profiled:.2f} s wall (cProfile overhead included), {total:.2f} s profiled\n")
    print("top 10 project functions by cumulative time:")
    print(f"  {'cum s':>7} {'% of import':>11} {'self s':>7} {'calls':>8}  function")
    for row in own[:10]:
        print(f"  {row['cumtime_s']:7.2f} {row['cumtime_s'] / total:11.1%} {row['tottime_s']:7.2f} "
              f"{row['ncalls']:8,}  {row['function']}")
    breakdown = {}
    for name in ("store_import", "split_sentences", "preview_import", "import_files"):
        breakdown[name] = callees(name)
        print(f"\n{name}: direct callees by cumulative time")
        for row in breakdown[name]:
            print(f"  {row['cumtime_s']:7.3f} {row['cumtime_s'] / total:6.1%} {row['ncalls']:8,}  {row['function']}")
    print("\ntop 15 functions by own (self) time, any code:")
    for row in top_self:
        print(f"  {row['tottime_s']:7.2f} {row['tottime_s'] / total:6.1%} {row['ncalls']:9,}  {row['function']}")
    out = {"date": datetime.now(timezone.utc).date().isoformat(), "words": corpus["words"], "files": files,
           "unprofiled_runs": plain, "unprofiled_import_median_s": plain_a, "unprofiled_baseline_median_s": plain_b,
           "unprofiled_ratio": plain_b / plain_a, "unprofiled_cpu_ratio": cpu_b / cpu_a,
           "unprofiled_gc_median_s": {"import": gc_a, "baseline": gc_b},
           "unprofiled_import_cpu_median_s": cpu_a, "unprofiled_baseline_cpu_median_s": cpu_b,
           "stage_cpu_median_s": stages, "stage_rest_by_difference_s": outside,
           "profiled_import_s": profiled, "profiled_total_s": total, "top_project_cumulative": own[:20],
           "callees": breakdown, "top_self": top_self, "machine": machine(processor=True),
           "versions": versions("spacy", "sqlalchemy"), "load": load()}
    write_json(RESULTS / "import_profile.json", out)
    print(f"\nwrote {RESULTS / 'import_profile.json'}, import_profile.txt and import_profile.prof")
    return out
