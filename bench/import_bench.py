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
import hashlib
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from itertools import accumulate
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.measure import (  # noqa: E402
    RESULTS, Sample, describe_machine, load, machine, runqueue_wait_s, summarise, versions, write_json,
)

TARGET_RATIO = 0.50           # import words/s >= 50% of the baseline's words/s
TARGET_PEAK_BYTES = 1_000_000_000  # "peak memory < 1 GB", read strictly as 10^9 bytes
PROJECT = "Bench"
CASE = "Bench"

# ---------------------------------------------------------------------------------------------
# Synthetic transcripts
# ---------------------------------------------------------------------------------------------

_NL_ONSETS = ["", "b", "d", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "h", "j", "f",
              "st", "sch", "schr", "kr", "br", "gr", "tr", "pl", "bl", "sl", "sp", "str", "dr", "kl",
              "sn", "zw", "fl", "ch", "kn", "wr", "gl", "spr"]
_NL_NUCLEI = ["a", "e", "i", "o", "u", "aa", "ee", "oo", "uu", "ie", "oe", "ij", "ui", "ou", "ei",
              "eu", "au", "e", "a", "o", "i", "e"]
_NL_CODAS = ["", "", "", "n", "t", "k", "s", "l", "r", "m", "ng", "cht", "rd", "ts", "nd", "lt",
             "rk", "ft", "st", "p", "ns", "rt"]
_NL_SUFFIXES = ["heid", "lijk", "tje", "ing", "en", "er", "isch", "baar", "schap", "ig"]

_DE_ONSETS = ["", "b", "d", "g", "k", "l", "m", "n", "p", "r", "s", "t", "w", "z", "h", "f",
              "sch", "st", "sp", "kr", "br", "gr", "tr", "pf", "fr", "schl", "zw", "kn"]
_DE_NUCLEI_SPECIAL = ["ä", "ö", "ü", "äu", "ä", "ö", "ü"]
_DE_NUCLEI = ["a", "e", "i", "o", "u", "ie", "ei", "au", "eu"] + _DE_NUCLEI_SPECIAL
_DE_CODAS = ["", "", "n", "t", "ß", "tz", "ck", "sch", "ng", "r", "l", "ch", "rt", "nd", "ft", "ßt"]
_DE_SPECIAL = set("äöüß")


def _nl_word(rng: random.Random) -> str:
    n = rng.choices((1, 2, 3, 4), weights=(30, 40, 22, 8))[0]
    word = "".join(rng.choice(_NL_ONSETS) + rng.choice(_NL_NUCLEI) + rng.choice(_NL_CODAS)
                   for _ in range(n))
    if n >= 2 and rng.random() < 0.15:
        word += rng.choice(_NL_SUFFIXES)
    return word


def _de_word(rng: random.Random) -> str:
    while True:
        n = rng.choices((1, 2, 3), weights=(30, 45, 25))[0]
        word = "".join(rng.choice(_DE_ONSETS) + rng.choice(_DE_NUCLEI) + rng.choice(_DE_CODAS)
                       for _ in range(n))
        if _DE_SPECIAL.intersection(word) and not word.startswith("ß"):
            return word.capitalize() if rng.random() < 0.4 else word  # some German nouns


def build_vocabulary(rng: random.Random, size: int, german_share: float = 0.12) -> list[str]:
    """`size` distinct pseudo-words, most frequent (rank 1) first: short words rank high."""
    seen: dict[str, int] = {}
    while len(seen) < size:
        word = _de_word(rng) if rng.random() < german_share else _nl_word(rng)
        if len(word) >= 2 and word.lower() not in ("i", "r"):
            seen.setdefault(word, len(seen))
    # Zipf's law of abbreviation: frequent words are short. Stable, deterministic order.
    return sorted(seen, key=lambda w: (len(w), seen[w]))


def _sentence(rng: random.Random, vocab: list[str], cum: list[float], n: int, end: str) -> str:
    words = rng.choices(vocab, cum_weights=cum, k=n)
    words[0] = words[0][:1].upper() + words[0][1:]
    if n >= 8 and rng.random() < 0.25:
        k = rng.randrange(2, n - 2)
        words[k] += ","
    return " ".join(words) + end


def generate_corpus(words: int, files: int, seed: int, vocab_size: int = 25_000,
                    zipf_s: float = 1.07) -> dict:
    """Seeded transcripts as [(filename, utf-8 bytes)], with their word counts (labels excluded)."""
    rng = random.Random(seed)
    vocab = build_vocabulary(rng, vocab_size)
    cum = list(accumulate(1.0 / (r ** zipf_s) for r in range(1, len(vocab) + 1)))
    mean = words / files
    raw_targets = [rng.uniform(0.5, 1.5) for _ in range(files)]
    scale = words / sum(t * mean for t in raw_targets)
    targets = [max(50, round(t * mean * scale)) for t in raw_targets]
    out: list[tuple[str, bytes]] = []
    per_file: list[int] = []
    sentences = turns = 0
    used: set[str] = set()
    for index, target in enumerate(targets, start=1):
        lines: list[str] = []
        count = 0
        interviewer = True
        while count < target:
            if interviewer:  # short turns: one or two questions
                parts = []
                for _ in range(rng.choices((1, 2), weights=(75, 25))[0]):
                    n = rng.randint(5, 12)
                    end = rng.choices(("?", ".", "!"), weights=(80, 17, 3))[0]
                    parts.append(_sentence(rng, vocab, cum, n, end))
                    count += n
                lines.append("I: " + " ".join(parts))
            else:  # long answers
                parts = []
                for _ in range(rng.randint(2, 9)):
                    n = rng.randint(5, 25)
                    end = rng.choices((".", "?", "!"), weights=(86, 7, 7))[0]
                    parts.append(_sentence(rng, vocab, cum, n, end))
                    count += n
                lines.append("R: " + " ".join(parts))
            sentences += len(parts)
            turns += 1
            interviewer = not interviewer
        text = "\n".join(lines) + "\n"
        out.append((f"interview_{index:03d}.txt", text.encode("utf-8")))
        per_file.append(count)
    for _, data in out:
        used.update(w.strip(",.?!").lower() for w in data.decode("utf-8").split() if w not in ("I:", "R:"))
    digest = hashlib.sha256()
    for name, data in out:
        digest.update(name.encode() + b"\0" + data)
    return {
        "files": out, "file_count": len(out), "words_per_file": per_file, "words": sum(per_file),
        "vocabulary": len(vocab),
        "german_words": sum(1 for w in vocab if _DE_SPECIAL.intersection(w.lower())),
        "distinct_words_used": len(used), "sentences": sentences, "turns": turns,
        "bytes": sum(len(d) for _, d in out), "sha256": digest.hexdigest(), "zipf_s": zipf_s,
    }


# ---------------------------------------------------------------------------------------------
# The two measurements
# ---------------------------------------------------------------------------------------------

def _maxrss_bytes() -> int:
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return kb * 1024 if sys.platform != "darwin" else kb


class ImportRun:
    """(A) the full import into a fresh, migrated SQLite database."""

    def __init__(self, files: list[tuple[str, bytes]]) -> None:
        from cases.importer import import_files
        from cases.projects import create_project
        from store.db import get_engine, write_session
        from store.migrate import upgrade

        self.files = files
        self._import_files, self._create_project = import_files, create_project
        self._get_engine, self._write_session, self._upgrade = get_engine, write_session, upgrade

    def __call__(self, profiler=None) -> dict:  # type: ignore[no-untyped-def]
        from sqlalchemy import func, select

        from store.models import Document, Sentence, Turn

        tmp = tempfile.mkdtemp(prefix="kruispunt-bench-")
        try:
            url = f"sqlite:///{tmp}/bench.sqlite"
            t0 = time.perf_counter()
            engine = self._upgrade(url)
            with self._write_session(engine) as session:
                self._create_project(session, PROJECT)
            setup = time.perf_counter() - t0
            if profiler is not None:
                profiler.enable()
            with Sample(runqueue_wait_s) as sample:
                outcomes = self._import_files(engine, PROJECT, self.files, case_name=CASE, language="nl")
            if profiler is not None:
                profiler.disable()
            errors = [o.error for o in outcomes if o.error]
            if errors:
                raise SystemExit(f"import refused {len(errors)} file(s), e.g. {errors[0]}")
            with engine.connect() as conn:
                counts = {name: conn.scalar(select(func.count()).select_from(model))
                          for name, model in (("documents", Document), ("turns", Turn), ("sentences", Sentence))}
            engine.dispose()
            self._get_engine.cache_clear()
            db_bytes = sum(p.stat().st_size for p in Path(tmp).iterdir())
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return {"seconds": sample.seconds, "cpu_seconds": sample.cpu, "runqueue_wait_seconds": sample.waited,
                "setup_seconds": setup, "db_bytes": db_bytes, **counts, **sample.gc.as_dict()}


class BaselineRun:
    """(B) the same spaCy pipeline over the whole file texts, sentences consumed."""

    def __init__(self, files: list[tuple[str, bytes]]) -> None:
        from cases.nlp import sentence_pipeline

        self.texts = [data.decode("utf-8") for _, data in files]
        self._pipeline = sentence_pipeline

    def __call__(self, profiler=None) -> dict:  # type: ignore[no-untyped-def]
        with Sample(runqueue_wait_s) as sample:
            nlp = self._pipeline("nl")  # cached after the first call, as in the product
            sentences = 0
            chars = 0
            for doc in nlp.pipe(self.texts):
                for sent in doc.sents:
                    sentences += 1
                    chars += sent.end_char - sent.start_char
        return {"seconds": sample.seconds, "cpu_seconds": sample.cpu, "runqueue_wait_seconds": sample.waited,
                "sentences": sentences, "sentence_chars": chars, **sample.gc.as_dict()}


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
