"""Coding workspace benchmark: the Coding page's rerun and applying one coding, each against a bare baseline.

    .venv/bin/python bench/coding_bench.py [--repeats 5] [--seed 7] [--per-sample 50] [--no-browser] [--no-profile]

Setup (untimed): a fresh SQLite database in a tempdir (``store.migrate.upgrade``), project
``Bench`` adopting ``value-creation`` and ``network-conditions``, one seeded synthetic
Dutch-like transcript of 20,000 words with ``I:``/``R:`` turns (the import benchmark's
generator, ``bench/corpus.py``) imported through ``preview_import``/``store_import``,
3 coders, and 1,500 codings (1,500 one-code segments: random word-aligned spans of 3-40
words inside respondent turns, random codable codes, coders in turn) inserted through
``coding.codings.apply_coding`` in 5 transactions.

Four kinds, measured in one process, interleaved (A, A0, B, B0, A, A0, ...); one warm-up
round is discarded, then the median of ``--repeats``:

  A   Coding page  ``AppTest(app.py)`` with project, document and coder in the query
                   params, switched to ``pages/coding.py`` and run once; timed: ``at.run()``
                   (a full rerun: app.py, the sidebar, the page with the 20k-word transcript
                   -- sent to the component one part of turns at a time, the first part here,
                   with the highlights of its codings -- and AppTest's parsing of the result).
  A0  trivial page ``AppTest.from_string`` of ``st.title`` + ``st.write``; timed: ``at.run()``.
  B   apply        ``--per-sample`` codings, each one as the Coding page's Apply button does:
                   ``coding.codings.code_span(engine, project guid, document guid, coder, start, end,
                   [key], actor=...)``: one transaction that looks up project, document, text
                   version, coder and code, checks span, code and duplicates, inserts the segment,
                   the coding and the event, and commits (one commit each).
  B0  bare insert  the same rows (one segment row, one coding row) with raw SQL through the
                   sqlite3 module on the same database file, same PRAGMAs, ``BEGIN IMMEDIATE``,
                   two INSERTs, ``COMMIT`` (one commit each).

B and B0 write the same spans/coders/codes; after each sample the rows it added (and the
events B logged) are deleted again, untimed, so the Coding page always shows exactly 1,500
highlights; each B/B0 sample starts on an empty WAL (untimed checkpoint). Targets (issue 3):
A <= 5x A0, B <= 3x B0 (medians).

Each round also runs, as information, A with one ScriptCache kept across runs ("server-like":
AppTest re-reads, magic-rewrites and compiles app.py and the page on every run, the server
does not). Then, as information: an unprofiled breakdown of the Coding page's own work (the same
functions the page calls, timed outside Streamlit), a cProfile of Coding-page reruns (the
script thread and AppTest's main thread, top functions of the project's own code), and a
Playwright time from page load to the highlighted transcript in Debian's Chromium against
``python -m ui.serve`` (skipped with a note when /usr/bin/chromium is missing).

Results go to stdout and bench/results/coding_bench.json (git-ignored).
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if str(ROOT / "tests") not in sys.path:
    sys.path.append(str(ROOT / "tests"))  # apptest_support: make_app (AppTest of app.py, pages/ workaround)

from bench.coding_kinds import CODERS, PAGE_CODER, ApplyRuns, PageRuns, build_database  # noqa: E402
from bench.coding_profile import page_stages, profile_apply, profile_page  # noqa: E402
from bench.measure import (  # noqa: E402
    CHROMIUM, RESULTS, describe_machine, launch_chromium, load, machine, streamlit_server, summarise, versions,
    write_json,
)

TARGET_PAGE_RATIO = 5.0   # Coding-page rerun within 5x a trivial page's rerun
TARGET_APPLY_RATIO = 3.0  # applying a coding within 3x a bare INSERT + COMMIT of the same rows
HIGHLIGHTS_JS = """() => {
  const host = document.querySelector('[data-testid="stBidiComponentIsolated"]');
  const root = host && host.shadowRoot;
  if (!root) return 0;
  return root.querySelectorAll('.kp-hl').length;
}"""
BARS_JS = """() => {
  const host = document.querySelector('[data-testid="stBidiComponentIsolated"]');
  const root = host && host.shadowRoot;
  return root ? root.querySelectorAll('.kp-bar').length : 0;
}"""


# ---------------------------------------------------------------------------------------------
# Playwright (information only)
# ---------------------------------------------------------------------------------------------

def browser_time(db: dict, loads: int) -> dict:
    """Page load (fresh browser context, server warm) until the transcript's shadow root holds .kp-hl spans."""
    if not Path(CHROMIUM).exists():
        return {"skipped": f"Chromium not found at {CHROMIUM} (install Debian's chromium: `make test` does)"}
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"skipped": "playwright is not installed in this environment"}
    with streamlit_server({"KRUISPUNT_DB_URL": db["url"]}, "kruispunt-coding-bench-server-") as server:
        if server.url is None:
            return {"skipped": f"the Streamlit server did not start (see {server.log})"}
        url = f"{server.url}/coding?project={db['project_guid']}&document={db['document_guid']}&coder={PAGE_CODER}"
        samples: list[dict] = []
        with sync_playwright() as pw:
            browser = launch_chromium(pw)
            try:
                for i in range(loads + 1):
                    context = browser.new_context(viewport={"width": 1400, "height": 1000})
                    page = context.new_page()
                    t0 = time.perf_counter()
                    page.goto(url, wait_until="commit")
                    page.wait_for_selector('[data-testid="stSidebar"]', timeout=120_000)
                    t_app = time.perf_counter() - t0
                    page.wait_for_function(f"() => ({HIGHLIGHTS_JS})() > 0", timeout=120_000)
                    t_hl = time.perf_counter() - t0
                    page.wait_for_function(f"() => ({BARS_JS})() > 0", timeout=60_000)
                    t_bars = time.perf_counter() - t0
                    sample = {"to_sidebar_s": t_app, "to_highlights_s": t_hl, "to_stripes_s": t_bars,
                              "kp_hl": page.evaluate(HIGHLIGHTS_JS), "kp_bar": page.evaluate(BARS_JS)}
                    if i == 0:
                        sample["warmup"] = True
                    samples.append(sample)
                    print(f"  browser {'warm-up' if i == 0 else f'load {i}/{loads}':>9}: sidebar after {t_app:5.2f} s, "
                          f"highlighted transcript after {t_hl:5.2f} s, coding stripes after {t_bars:5.2f} s "
                          f"({sample['kp_hl']} .kp-hl, {sample['kp_bar']} .kp-bar)", flush=True)
                    context.close()
            finally:
                browser.close()
    timed = [s for s in samples if not s.get("warmup")]
    hl = [s["to_highlights_s"] for s in timed]
    bars = [s["to_stripes_s"] for s in timed]
    os.unlink(server.log)
    return {"loads": loads, "samples": samples, "chromium": CHROMIUM,
            "to_highlights_median_s": statistics.median(hl), "to_highlights_min_s": min(hl),
            "to_highlights_max_s": max(hl), "to_stripes_median_s": statistics.median(bars),
            "to_sidebar_median_s": statistics.median(s["to_sidebar_s"] for s in timed),
            "kp_hl": timed[-1]["kp_hl"], "kp_bar": timed[-1]["kp_bar"],
            "method": "fresh browser context per load, server warm (one discarded warm-up load); timed from "
                      "page.goto() to the first .kp-hl in the component's shadow root (and to the first .kp-bar)"}


# ---------------------------------------------------------------------------------------------
# Run and report
# ---------------------------------------------------------------------------------------------

def _summary(runs: list[dict], per: int = 1) -> dict:
    """The shared sample summary (divided by `per`: codings per sample), with the median CPU pressure."""
    return summarise(runs, per, nullable={"cpu_pressure_median_s": "cpu_pressure_s"})


def measure(args: argparse.Namespace) -> dict:
    started = datetime.now(timezone.utc)
    load_before = load()
    tmp = tempfile.mkdtemp(prefix="kruispunt-coding-bench-")
    pages = applies = None
    try:
        print(f"setup: database, {args.words:,}-word transcript, {args.codings:,} codings by {len(CODERS)} coders "
              f"(seed {args.seed}) ...", flush=True)
        db = build_database(tmp, args.seed, args.words, args.codings)
        c = db["corpus"]
        print(f"  {c['words']:,} words, {c['chars']:,} characters, {db['stored']['turn']} turns "
              f"({c['respondent_turns']} respondent), {db['stored']['sentence']:,} sentences; "
              f"{db['stored']['segment']:,} segments / {db['stored']['coding']:,} codings over "
              f"{c['codable_codes']} codable codes; setup {db['setup_s']:.1f} s", flush=True)
        pages = PageRuns(db)
        shown = pages.rendered
        print(f"  Coding page: first run {pages.first_coding_run_s:.2f} s; sends {shown['turns_sent']} of "
              f"{shown['turns_in_document']} turns (the first part) with {shown['highlights_sent']:,} "
              f"of {shown['codings_in_document']:,} highlights "
              f"({pages.rendered['component_json_bytes'] / 1e6:.2f} MB of component JSON)", flush=True)
        rendered, first_run = pages.rendered, pages.first_coding_run_s
        gc.collect()
        t0 = time.perf_counter()
        gc.collect()
        gc_info = {"tracked_objects": len(gc.get_objects()), "full_collection_s": time.perf_counter() - t0,
                   "spacy_loaded": "spacy" in sys.modules,
                   "note": "the setup imported transcripts, which loads spaCy into this process (as a server that "
                           "has imported or searched has it)"}
        applies = ApplyRuns(db, args.per_sample)
        runs: dict[str, list[dict]] = {"A": [], "A0": [], "B": [], "B0": [], "A_cached": []}
        warmup: dict[str, dict] = {}
        for i in range(args.repeats + 1):
            label = "warm-up" if i == 0 else f"run {i}/{args.repeats}"
            rows = applies.plan()
            round_ = {"A": pages.run_coding(), "A0": pages.run_trivial(),
                      "B": applies.run_apply(rows), "B0": applies.run_bare(rows),
                      "A_cached": pages.run_coding_cached()}
            print(f"  {label:>9}: coding page {round_['A']['seconds'] * 1e3:6.1f} ms (gc "
                  f"{round_['A']['gc_seconds'] * 1e3:5.1f}) | trivial page {round_['A0']['seconds'] * 1e3:5.1f} ms | "
                  f"apply {round_['B']['per_coding_s'] * 1e3:6.3f} ms/coding | bare insert "
                  f"{round_['B0']['per_coding_s'] * 1e3:6.3f} ms/coding | (info) coding page, server-like "
                  f"{round_['A_cached']['seconds'] * 1e3:5.1f} ms", flush=True)
            for kind, r in round_.items():
                if i == 0:
                    warmup[kind] = r
                else:
                    runs[kind].append(r)
        stages = page_stages(db)
        prof = None if args.no_profile else profile_page(pages)
        aprof = None if args.no_profile else profile_apply(applies)
        pages.close()
        pages = None
        applies.close()
        applies = None
        db["engine"].dispose()
        load_after = load()
        browser = {"skipped": "--no-browser"} if args.no_browser else browser_time(db, args.browser_loads)
    finally:
        if pages is not None:
            pages.close()
        if applies is not None:
            applies.close()
        shutil.rmtree(tmp, ignore_errors=True)

    a, a0, a_cached = _summary(runs["A"]), _summary(runs["A0"]), _summary(runs["A_cached"])
    b, b0 = _summary(runs["B"], args.per_sample), _summary(runs["B0"], args.per_sample)
    page_ratio = a["median_s"] / a0["median_s"]
    apply_ratio = b["median_s"] / b0["median_s"]
    pair_page = [x["seconds"] / y["seconds"] for x, y in zip(runs["A"], runs["A0"])]
    pair_apply = [x["seconds"] / y["seconds"] for x, y in zip(runs["B"], runs["B0"])]
    cpu_page = a["cpu_median_s"] / a0["cpu_median_s"]
    cpu_apply = b["cpu_median_s"] / b0["cpu_median_s"]
    return {
        "date": started.date().isoformat(), "started_utc": started.isoformat(timespec="seconds"),
        "args": {"repeats": args.repeats, "seed": args.seed, "per_sample": args.per_sample, "words": args.words,
                 "codings": args.codings},
        "machine": machine(), "versions": versions("streamlit", "sqlalchemy", "playwright"),
        "load_before": load_before, "load_after": load_after,
        "corpus": db["corpus"], "stored": db["stored"], "setup_s": db["setup_s"],
        "coding_page_rendered": rendered | {"first_run_s": first_run},
        "method": {
            "A": "AppTest.from_file(app.py) (tests/apptest_support.make_app) with project, coder and document in the "
                 "query params, switch_page('pages/coding.py'), one untimed run; timed: at.run()",
            "A0": "AppTest.from_string(st.title + st.write), one untimed run; timed: at.run()",
            "B": "per coding: coding.codings.code_span(engine, project guid, document guid, coder, start, end, "
                 "[key], actor=coder), as the Apply button calls it -- one transaction and commit per coding",
            "B0": "per coding: sqlite3 on the same file, same PRAGMAs, BEGIN IMMEDIATE; INSERT segment; INSERT "
                  "coding; COMMIT",
            "A_cached": "information only: A with one ScriptCache kept across runs (the server compiles each "
                        "script once; AppTest compiles app.py and the page, with Streamlit magic, on every run)",
            "order": "A, A0, B, B0, A_cached per round; one warm-up round discarded; rows added by B/B0 deleted "
                     "after each sample (untimed); each B/B0 sample starts on an empty WAL "
                     "(PRAGMA wal_checkpoint(TRUNCATE), untimed)",
            "per_sample": args.per_sample,
        },
        "coding_page": a | {"warmup_s": warmup["A"]["seconds"]},
        "trivial_page": a0 | {"warmup_s": warmup["A0"]["seconds"]},
        "coding_page_shared_script_cache": a_cached | {
            "info": "not a target: A with one ScriptCache kept across AppTest runs, as the server keeps it",
            "ratio_to_trivial": a_cached["median_s"] / a0["median_s"]},
        "apply": b | {"unit": "seconds per coding", "warmup_per_coding_s": warmup["B"]["per_coding_s"]},
        "bare_insert": b0 | {"unit": "seconds per coding", "warmup_per_coding_s": warmup["B0"]["per_coding_s"]},
        "cpu_pressure_s": {k: [r["cpu_pressure_s"] for r in v] for k, v in runs.items()},
        "apply_runs": runs["B"], "bare_insert_runs": runs["B0"],
        "gc": gc_info | {
            "full_collections_in_timed_runs": {k: sum(r["gc_collections"][2] for r in v) for k, v in runs.items()},
            "gc_seconds_in_timed_runs": {k: [r["gc_seconds"] for r in v] for k, v in runs.items()}},
        "ratio_page": page_ratio, "ratio_page_per_pair": pair_page, "ratio_page_cpu": cpu_page,
        "ratio_apply": apply_ratio, "ratio_apply_per_pair": pair_apply, "ratio_apply_cpu": cpu_apply,
        "targets": {
            "coding_page": {"target": f"<= {TARGET_PAGE_RATIO:g}x the trivial page's rerun (median)",
                            "measured": page_ratio, "pass": page_ratio <= TARGET_PAGE_RATIO},
            "apply": {"target": f"<= {TARGET_APPLY_RATIO:g}x a bare INSERT + COMMIT (median per coding)",
                      "measured": apply_ratio, "pass": apply_ratio <= TARGET_APPLY_RATIO},
        },
        "page_stages_median_s": stages,
        "profile": prof,
        "apply_profile": aprof,
        "browser": browser,
    }


def print_report(r: dict) -> None:
    v, c = r["versions"], r["corpus"]
    print()
    print(f"Kruispunt coding-workspace benchmark  {r['started_utc']}")
    print(describe_machine(r))
    print(f"versions: Python {v['python']}, SQLite {v['sqlite']}, Streamlit {v['streamlit']}, "
          f"SQLAlchemy {v['sqlalchemy']}, Playwright {v['playwright']}")
    print(f"document: {c['words']:,} words, {r['stored']['turn']} turns, {r['stored']['coding']:,} codings by "
          f"{len(CODERS)} coders; seed {r['args']['seed']}, {r['args']['repeats']} repeats (median, min-max), "
          f"{r['args']['per_sample']} codings per apply sample")
    print()
    print(f"  {'':26} {'median':>10} {'min':>10} {'max':>10} {'cpu (med)':>10} {'gc (med)':>10} {'ratio':>7} "
          f"{'target':>7}  verdict")
    t = r["targets"]

    def line(name: str, s: dict, digits: int, ratio: float | None = None, target: float | None = None,
             ok: bool | None = None) -> None:
        tail = "" if ratio is None else f"{ratio:6.2f}x {f'<={target:g}x':>7}  {'PASS' if ok else 'FAIL'}"
        cells = " ".join(f"{s[k] * 1e3:8.{digits}f}ms" for k in ("median_s", "min_s", "max_s", "cpu_median_s",
                                                                  "gc_median_s"))
        print(f"  {name:26} {cells} {tail}")

    line("A  Coding page rerun", r["coding_page"], 1, r["ratio_page"], TARGET_PAGE_RATIO, t["coding_page"]["pass"])
    line("A0 trivial page rerun", r["trivial_page"], 1)
    line("B  apply one coding", r["apply"], 3, r["ratio_apply"], TARGET_APPLY_RATIO, t["apply"]["pass"])
    line("B0 bare INSERT + COMMIT", r["bare_insert"], 3)
    ac = r["coding_page_shared_script_cache"]
    line("(info) A, server-like", ac, 1)
    print(f"  (info) A with one ScriptCache kept across runs, as the server keeps it: "
          f"{ac['ratio_to_trivial']:.1f}x the trivial page (not a target)")
    print(f"  WAL pages written per coding (median): apply "
          f"{statistics.median(x['wal_frames_per_coding'] for x in r['apply_runs']):.1f}, bare insert "
          f"{statistics.median(x['wal_frames_per_coding'] for x in r['bare_insert_runs']):.1f}")
    g = r["gc"]
    print(f"  full (generation 2) garbage collections inside timed runs: "
          f"{', '.join(f'{k} {n}' for k, n in g['full_collections_in_timed_runs'].items())}; one full collection "
          f"takes {g['full_collection_s'] * 1e3:.0f} ms here ({g['tracked_objects']:,} tracked objects, spaCy "
          f"{'loaded' if g['spacy_loaded'] else 'not loaded'})")
    print(f"  per pair: page {', '.join(f'{x:.1f}x' for x in r['ratio_page_per_pair'])}; "
          f"apply {', '.join(f'{x:.2f}x' for x in r['ratio_apply_per_pair'])}")
    print(f"  on CPU time (process_time, all threads): page {r['ratio_page_cpu']:.1f}x, apply "
          f"{r['ratio_apply_cpu']:.2f}x; (gc = time in Python's cyclic garbage collector)")
    for key, name, target, base in (("coding_page", "Coding page", TARGET_PAGE_RATIO, r["trivial_page"]),
                                    ("apply", "apply", TARGET_APPLY_RATIO, r["bare_insert"])):
        if not t[key]["pass"]:
            limit = target * base["median_s"]
            actual = r["coding_page" if key == "coding_page" else "apply"]["median_s"]
            print(f"  {name} target missed: {t[key]['measured']:.1f}x instead of <= {target:g}x, i.e. "
                  f"{actual * 1e3:.1f} ms where {limit * 1e3:.1f} ms would pass ({actual / limit:.1f}x too slow)")
    print()
    print("Coding page, what the page computes (unprofiled, same functions outside Streamlit, median of 5):")
    stages = r["page_stages_median_s"]
    for name, secs in stages.items():
        print(f"  {secs * 1e3:8.1f} ms  {name}")
    listed = sum(v for k, v in stages.items() if not k.startswith("("))
    print(f"  {listed * 1e3:8.1f} ms  sum of the stages a rerun runs (the bracketed ones left out)")
    print(f"  {(r['coding_page']['median_s'] - listed) * 1e3:8.1f} ms  rest of the A median: Streamlit (widgets, "
          "element protos, the component's proto, fragment, navigation) and AppTest, by difference")
    prof = r["profile"]
    if prof:
        print()
        print(f"Coding page rerun under cProfile (script thread, per rerun, mean of {prof['runs']}; profiler overhead "
              f"included): {prof['rerun_wall_s'] * 1e3:.0f} ms at.run(), of which script thread "
              f"{prof['script_thread_wall_s'] * 1e3:.0f} ms, AppTest outside it "
              f"{prof['apptest_outside_script_s'] * 1e3:.0f} ms")
        for name, secs in prof["groups_cum_s"].items():
            print(f"  {secs * 1e3:8.1f} ms  {name}")
        print("  top project functions by cumulative time:")
        for row in prof["top_project_cumulative"][:14]:
            print(f"  {row['cumtime_s'] * 1e3:8.1f} ms cum {row['tottime_s'] * 1e3:7.1f} ms self "
                  f"{row['ncalls']:>8,} calls  {row['function']}")
        print("  top functions by own time (any code):")
        for row in prof["top_self"][:10]:
            print(f"  {row['tottime_s'] * 1e3:8.1f} ms self {row['ncalls']:>10,} calls  {row['function']}")
    ap = r.get("apply_profile")
    if ap:
        print()
        print("apply one coding, unprofiled steps (median of one sample):")
        for name, secs in ap["stages_median_s"].items():
            print(f"  {secs * 1e3:8.3f} ms  {name}")
        print(f"  cProfile per coding: {ap['sqlite_execute_calls_per_coding']:.0f} SQL statements "
              f"({ap['sqlite_execute_s_per_coding'] * 1e3:.3f} ms in sqlite3 execute), commit "
              f"{ap['commit_s_per_coding'] * 1e3:.3f} ms; top project functions by cumulative time:")
        for row in ap["top_project_cumulative"][:10]:
            print(f"  {row['cumtime_s'] * 1e3:8.3f} ms cum  {row['function']}")
        for parent, rows in ap["callees"].items():
            print(f"  {parent}: direct callees by cumulative time (per coding)")
            for row in rows[:7]:
                print(f"  {row['cumtime_s'] * 1e3:8.3f} ms {row['ncalls']:5.1f}x  {row['function']}")
    br = r["browser"]
    print()
    if "skipped" in br:
        print(f"browser (information only): skipped: {br['skipped']}")
    else:
        print(f"browser (information only): page load to highlighted transcript, median of {br['loads']}: "
              f"{br['to_highlights_median_s']:.2f} s (min {br['to_highlights_min_s']:.2f}, max "
              f"{br['to_highlights_max_s']:.2f}); sidebar shown after {br['to_sidebar_median_s']:.2f} s; "
              f"coding stripes drawn after {br['to_stripes_median_s']:.2f} s; "
              f"{br['kp_hl']:,} .kp-hl spans, {br['kp_bar']:,} stripe bars")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--per-sample", type=int, default=50, help="codings applied per B/B0 sample")
    p.add_argument("--words", type=int, default=20_000, help=argparse.SUPPRESS)
    p.add_argument("--codings", type=int, default=1_500, help=argparse.SUPPRESS)
    p.add_argument("--browser-loads", type=int, default=5)
    p.add_argument("--no-browser", action="store_true", help="skip the Playwright page-load time")
    p.add_argument("--no-profile", action="store_true", help="skip the cProfile of the Coding page")
    args = p.parse_args(argv)
    result = measure(args)
    print_report(result)
    print(f"\nwrote {write_json(RESULTS / 'coding_bench.json', result)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
