"""Import benchmark: the full transcript import against a bare spaCy sentence-splitting baseline.

    .venv/bin/python bench/import_bench.py [--words N] [--files N] [--repeats 5] [--seed 7]
    .venv/bin/python bench/import_bench.py --profile [--profile-words 100000]

Synthetic, seeded transcripts (Dutch-like pseudo-words from syllables, some German
ones with ä/ö/ü/ß, Zipf-distributed over a vocabulary of >= 20,000 words;
"I: " / "R: " turns, one per line) are built in memory as UTF-8 .txt bytes.

Two measurements, each in its own long-lived worker subprocess so that each
kind's peak memory (ru_maxrss) is its own:

  A  import   fresh migrated SQLite database in a tempdir per repetition, project
              created beforehand, then the timed call
              ``import_files(engine, "Bench", files, case_name="Bench", language="nl")``
              (one transaction per file, as the product does).
  B  baseline ``cases.nlp.sentence_pipeline("nl")`` (blank nl + sentencizer),
              timed ``nlp.pipe`` over the same whole-file texts, consuming every
              sentence's offsets.

The parent drives the workers alternately (warm-up A, warm-up B, then A, B, A, B, ...)
so both kinds share the machine's noise; the warm-ups are discarded. Results go to
stdout and bench/results/import_bench.json.

``--profile`` instead runs in-process on ~100k words (same per-file size): unprofiled
interleaved A/B medians, an unprofiled CPU-time breakdown of the import's stages, then one
cProfile'd import (after a warm-up) with the top cumulative functions of the project's own
code; written to bench/results/import_profile.{json,txt,prof}.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.corpus import generate_corpus  # noqa: E402
from bench.import_profile import profile  # noqa: E402
from bench.import_runs import BaselineRun, ImportRun  # noqa: E402
from bench.measure import (  # noqa: E402
    RESULTS, describe_machine, load, machine, summarise, versions, write_json,
)

TARGET_RATIO = 0.50           # import words/s >= 50% of the baseline's words/s
TARGET_PEAK_BYTES = 1_000_000_000  # "peak memory < 1 GB", read strictly as 10^9 bytes

# ---------------------------------------------------------------------------------------------
# Workers
# ---------------------------------------------------------------------------------------------

def _maxrss_bytes() -> int:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return kb * 1024 if sys.platform != "darwin" else kb


def worker(kind: str, args: argparse.Namespace) -> None:
    """Line protocol on a private copy of stdout; everything else printed goes to stderr."""
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    t0 = time.perf_counter()
    corpus = generate_corpus(args.words, args.files, args.seed)
    gen_seconds = time.perf_counter() - t0
    run = ImportRun(corpus["files"]) if kind == "A" else BaselineRun(corpus["files"])
    meta = {k: v for k, v in corpus.items() if k != "files"}
    proto.write(json.dumps({"ready": True, "corpus": meta, "generate_seconds": gen_seconds,
                            "maxrss_ready": _maxrss_bytes()}) + "\n")
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "run":
            result = run()
            result["maxrss_after"] = _maxrss_bytes()
            proto.write(json.dumps(result) + "\n")
        elif cmd == "quit":
            break
    proto.write(json.dumps({"maxrss_final": _maxrss_bytes()}) + "\n")


class Worker:
    def __init__(self, kind: str, args: argparse.Namespace) -> None:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, "--words", str(args.words),
               "--files", str(args.files), "--seed", str(args.seed)]
        self.kind = kind
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1,
                                     cwd=str(ROOT))
        self.ready = self._read()

    def _read(self) -> dict:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"worker {self.kind} died (exit code {self.proc.wait()})")
        return json.loads(line)

    def run(self) -> dict:
        assert self.proc.stdin is not None
        self.proc.stdin.write("run\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> dict:
        assert self.proc.stdin is not None
        self.proc.stdin.write("quit\n")
        self.proc.stdin.flush()
        final = self._read()
        self.proc.wait()
        return final


# ---------------------------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------------------------

def _summary(runs: list[dict], words: int) -> dict:
    """The shared sample summary plus throughput; runqueue wait is None where the kernel lacks schedstat."""
    s = summarise(runs, nullable={"runqueue_wait_median_s": "runqueue_wait_seconds"})
    return s | {"words_per_s": words / s["median_s"], "words_per_s_best": words / s["min_s"]}


def _fmt_s(x: float | None) -> str:
    return "n/a" if x is None else f"{x:5.2f} s"


def _mb(n: int) -> str:
    return f"{n / 1e6:,.0f} MB"


def measure(args: argparse.Namespace) -> dict:
    started = datetime.now(timezone.utc)
    load_before = load()
    print(f"generating corpus and starting workers (words={args.words:,}, files={args.files}, seed={args.seed}) ...",
          flush=True)
    a, b = Worker("A", args), Worker("B", args)
    try:
        if a.ready["corpus"]["sha256"] != b.ready["corpus"]["sha256"]:
            raise SystemExit("the two workers generated different corpora")
        corpus = a.ready["corpus"]
        words = corpus["words"]
        print(f"corpus: {words:,} words, {len(corpus['words_per_file'])} files, {corpus['bytes'] / 1e6:.1f} MB, "
              f"{corpus['turns']:,} turns, {corpus['sentences']:,} sentences, vocabulary {corpus['vocabulary']:,} "
              f"({corpus['german_words']:,} German), generated in {a.ready['generate_seconds']:.1f} s", flush=True)
        runs: dict[str, list[dict]] = {"A": [], "B": []}
        warmup: dict[str, dict] = {}
        for i in range(args.repeats + 1):
            for w in (a, b):
                r = w.run()
                label = "warm-up" if i == 0 else f"run {i}/{args.repeats}"
                print(f"  {w.kind} {'import  ' if w.kind == 'A' else 'baseline'} {label:>9}: {r['seconds']:7.2f} s "
                      f"(cpu {r['cpu_seconds']:6.2f} s, waiting for a CPU {_fmt_s(r['runqueue_wait_seconds'])}, "
                      f"gc {r['gc_seconds']:5.2f} s, maxrss {_mb(r['maxrss_after'])})", flush=True)
                if i == 0:
                    warmup[w.kind] = r
                else:
                    runs[w.kind].append(r)
    finally:
        final_a = a.close() if a.proc.poll() is None else {"maxrss_final": None}
        final_b = b.close() if b.proc.poll() is None else {"maxrss_final": None}

    load_after = load()
    imp, base = _summary(runs["A"], words), _summary(runs["B"], words)
    ratio = imp["words_per_s"] / base["words_per_s"]
    cpu_ratio = base["cpu_median_s"] / imp["cpu_median_s"]
    pair_ratios = [rb["seconds"] / ra["seconds"] for ra, rb in zip(runs["A"], runs["B"])]
    peak_a, peak_b = final_a["maxrss_final"], final_b["maxrss_final"]
    last_a = runs["A"][-1]
    result = {
        "date": started.date().isoformat(), "started_utc": started.isoformat(timespec="seconds"),
        "args": {"words": args.words, "files": args.files, "repeats": args.repeats, "seed": args.seed},
        "corpus": {k: v for k, v in corpus.items() if k != "words_per_file"}
        | {"words_per_file_min": min(corpus["words_per_file"]), "words_per_file_max": max(corpus["words_per_file"])},
        "machine": machine(processor=True), "versions": versions("spacy", "sqlalchemy"),
        "load_before": load_before, "load_after": load_after,
        "method": {
            "A": "import_files(engine, project, files, case_name='Bench', language='nl') into a fresh migrated "
                 "SQLite db per repetition; timed: import_files only (migration + create_project excluded)",
            "B": "sentence_pipeline('nl').pipe(whole file texts), every sentence's offsets read; texts decoded "
                 "before timing",
            "order": "warm-up A, warm-up B (discarded), then A, B alternating; each kind in its own worker "
                     "subprocess (peak = that worker's ru_maxrss)",
        },
        "import": imp | {"peak_rss_bytes": peak_a, "rss_before_first_run_bytes": a.ready["maxrss_ready"],
                         "setup_median_s": statistics.median(r["setup_seconds"] for r in runs["A"]),
                         "stored": {k: last_a[k] for k in ("documents", "turns", "sentences")},
                         "db_bytes": last_a["db_bytes"], "warmup_s": warmup["A"]["seconds"]},
        "baseline": base | {"peak_rss_bytes": peak_b, "rss_before_first_run_bytes": b.ready["maxrss_ready"],
                            "sentences": runs["B"][-1]["sentences"], "warmup_s": warmup["B"]["seconds"]},
        "ratio_import_to_baseline_throughput": ratio,
        "ratio_per_pair": pair_ratios,
        "ratio_cpu_time": cpu_ratio,
        "targets": {
            "throughput": {"target": f">= {TARGET_RATIO:.0%} of baseline words/s", "measured": ratio,
                           "pass": ratio >= TARGET_RATIO},
            "peak_memory": {"target": "< 1 GB (10^9 bytes), import worker's ru_maxrss", "measured_bytes": peak_a,
                            "pass": peak_a is not None and peak_a < TARGET_PEAK_BYTES},
        },
    }
    return result


def print_report(r: dict) -> None:
    imp, base = r["import"], r["baseline"]
    v = r["versions"]
    words = r["corpus"]["words"]
    print()
    print(f"Kruispunt import benchmark  {r['started_utc']}")
    print(describe_machine(r))
    print(f"versions: Python {v['python']}, SQLite {v['sqlite']}, spaCy {v['spacy']}, SQLAlchemy {v['sqlalchemy']}")
    print(f"corpus: {words:,} words in {r['corpus']['file_count']} files, "
          f"seed {r['args']['seed']}, {r['args']['repeats']} repeats (median, min-max)")
    print()
    print(f"  {'':10} {'median s':>9} {'min s':>8} {'max s':>8} {'words/s':>10} {'cpu s':>7} {'cpu-wait s':>10} "
          f"{'gc s':>6} {'peak RSS':>10}")
    for name, s in (("A import", imp), ("B baseline", base)):
        wait = s["runqueue_wait_median_s"]
        print(f"  {name:10} {s['median_s']:9.2f} {s['min_s']:8.2f} {s['max_s']:8.2f} {s['words_per_s']:10,.0f} "
              f"{s['cpu_median_s']:7.2f} {'n/a' if wait is None else f'{wait:.2f}':>10} {s['gc_median_s']:6.2f} "
              f"{_mb(s['peak_rss_bytes']):>10}")
    print("  (cpu s = process CPU time; cpu-wait s = time runnable but waiting for a CPU, i.e. other load; medians)")
    print()
    st = imp["stored"]
    print(f"stored per import: {st['documents']} documents, {st['turns']:,} turns, {st['sentences']:,} sentences "
          f"(baseline found {base['sentences']:,} sentences); db {imp['db_bytes'] / 1e6:.1f} MB; "
          f"migration+project setup {imp['setup_median_s']:.2f} s (untimed)")
    t = r["targets"]
    ratio = r["ratio_import_to_baseline_throughput"]
    print(f"import throughput = {ratio:.1%} of baseline  (target >= {TARGET_RATIO:.0%})  "
          f"{'PASS' if t['throughput']['pass'] else 'FAIL'}")
    if not t["throughput"]["pass"]:
        print(f"  missed by {TARGET_RATIO - ratio:.1%} points: the import would have to take <= "
              f"{base['median_s'] / TARGET_RATIO:.2f} s instead of {imp['median_s']:.2f} s "
              f"({imp['median_s'] / (base['median_s'] / TARGET_RATIO):.1f}x too slow)")
    pr = r["ratio_per_pair"]
    print(f"  per A/B pair: {', '.join(f'{x:.0%}' for x in pr)}; on CPU time (process_time medians): "
          f"{r['ratio_cpu_time']:.1%}")
    print(f"import peak memory = {_mb(imp['peak_rss_bytes'])} (ru_maxrss of the import worker; target < 1 GB)  "
          f"{'PASS' if t['peak_memory']['pass'] else 'FAIL'}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--words", type=int, default=1_000_000)
    p.add_argument("--files", type=int, default=150)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--profile", action="store_true", help="cProfile one import of --profile-words words instead")
    p.add_argument("--profile-words", type=int, default=100_000)
    p.add_argument("--worker", choices=("A", "B"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        worker(args.worker, args)
        return 0
    if args.profile:
        profile(args)
        return 0
    result = measure(args)
    print_report(result)
    print(f"\nwrote {write_json(RESULTS / 'import_bench.json', result)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
