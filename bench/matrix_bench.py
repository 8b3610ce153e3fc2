"""Matrix benchmark: cross-case matrices, quotes and co-occurrence on a large project, each against bare SQL.

    .venv/bin/python bench/matrix_bench.py [--repeats 5] [--seed 7] [--db URL [--keep]] [--no-profile] [--no-report]
        [--codings N (a smaller main project, for a quick check)]

Setup (untimed): a seeded synthetic project "Matrix Bench" built straight into the database
(``store.bulk.insert_rows``/``new_guids`` for turns, sentences, segments and codings; the ORM only
for the few hundred project, case, codebook, code, document, text and speaker rows):
60 cases, 300 documents (10% also in a second case), interviewer + respondent speakers (15% double
interviews with two respondents; respondents are persons, some interviewed twice), turns and
sentences over Dutch-like pseudo-words, 150 codes in 3 codebooks (each 5 top codes x 9 children,
all codable), 4 coders and exactly 100,000 codings: word-aligned spans inside turns (mostly
respondent turns), 1-3 codes per segment drawn Zipf-like over the 150 codes, ~10% of the documents
coded a second time by another coder (a few with the second coder set as the primary coder).
A second project "Matrix Bench 20" (20 cases, 60 documents, one 20-code codebook, 10,000 codings,
framework cells with states, ratings, summaries and pinned quotes, focus-group feedback) is the
20 x 20 matrix of the Word report.

Kinds (default coder scope everywhere: each document's primary coder):

  count       ``build_matrix(s, project, MatrixSpec(rows="cases", codebook="bench-a", measure="count"))``
  count_sql   one hand-written GROUP BY over the same joins through the same connection
              (``exec_driver_sql`` + fetchall): the same (case, code) counts -- checked equal
  quotes      the same matrix with ``measure="quotes"``
  quotes_sql  one hand-written SELECT of the same rows: case, code, segment guid, document title and
              guid, start, end, the text slice, turn ordinal, speaker role, label, pseudonym, speaker
              key, coder -- checked: the same quotes
  cooc_overlap / cooc_turn
              ``build_cooccurrence(s, project, CooccurrenceSpec(codebook="bench-a", unit=...))``
  count_flat / quotes_flat / cooc_flat
              the physical floor: the same GROUP BY, the quote fetch and one ordered pass with a Python sweep
              of overlapping pairs over ``bench_flat_coding``, a flat table built (untimed, after the projects,
              in the same database) with one row per coding of the main project and case, every codebook and
              coder (case, codebook, code, document, text version, coder, segment, start, end, whether the coder
              is the document's primary coder, the text slice, turn ordinal, speaker role and label, segment
              guid, document title), indexed on (codebook, primary, case, code) and (codebook, primary, text
              version, coder, start); the floor queries filter on codebook bench-a and the primary flag --
              checked: the same cells, quotes and overlap pairs (a segment in two cases once); read with
              Python's cyclic garbage collector held off, as the quotes matrix and co-occurrence read theirs
  report_images / report_plain
              ``exports.cross_case_report.build_cross_case_report(s, project20, codebook="bench-r",
              depth=None, images=True/False)`` (20 cases x 20 codes); skipped with a note while that
              module does not exist

Warm: one long-lived worker subprocess opens the engine, runs every kind once (warm-up, discarded,
checks the numbers), then ``--repeats`` rounds with the kinds interleaved, each matrix beside its flat floor
and which of the two goes first alternating by round (``round_order``); each call in a new session (as a
page rerun) on the pooled connection, the
project row loaded before the clock starts. Cold: for each round and kind a fresh worker process
(imports and mapper configuration done before the clock), a new engine, a new connection that has
read only the project row; timed: the first call. The OS file cache stays warm.

Targets (issue 4): count <= 3x count_sql and < 0.3 s; quotes <= 5x quotes_sql; co-occurrence < 2 s
(medians, warm and cold each judged); floor: co-occurrence (overlap) <= 3x the flat sweep, and count,
quotes and cooc_overlap over their flat twins reported beside the bare-SQL ratios. Results go to stdout and
bench/results/matrix_bench[_postgresql].json (with --codings N: ..._codingsN.json) (git-ignored); unless
``--no-profile``, a cProfile of each kind (warm, after the timed rounds) goes to
bench/results/matrix_profile[_postgresql]_<kind>.txt and the JSON. ``--db URL`` takes an empty database
(PostgreSQL or SQLite); the benchmark removes its projects from it at the end unless ``--keep``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.matrix_kinds import (  # noqa: E402
    FLAT_SQL, KINDS, REPORT_KINDS, Kinds, _call, check, count_sql, create_flat_table, drop_flat_table, flat_fill_sql,
    profile_kinds, quotes_sql, verify,
)
from bench.matrix_project import CODEBOOK, MAIN, PROJECT, PROJECT20, SMALL, build_project  # noqa: E402
from bench.measure import (  # noqa: E402
    RESULTS, describe_machine, load, machine, summarise, versions, write_json,
)

TARGET_COUNT_RATIO, TARGET_COUNT_S = 3.0, 0.3
TARGET_QUOTES_RATIO = 5.0
TARGET_COOC_S = 2.0
TARGET_COOC_FLOOR_RATIO = 3.0
REPORT_MODULE = "exports.cross_case_report"
SKIPPED_REPORT = "skipped: report builder not present yet"


# ---------------------------------------------------------------------------------------------
# Workers
# ---------------------------------------------------------------------------------------------

def _open(url: str, ids: dict):  # noqa: ANN202
    from sqlalchemy.orm import configure_mappers

    from store.db import get_engine

    configure_mappers()
    return get_engine(url), Kinds(ids)


def round_order(r: int) -> list[str]:
    """The kinds of warm round `r`: each matrix beside its flat floor, which of the two goes first alternating by
    round (what ran just before, a large query or a Python sweep, slows the next call's first milliseconds)."""
    order = []
    for pair in (("count_sql",), ("count", "count_flat"), ("quotes_sql",), ("quotes", "quotes_flat"),
                 ("cooc_overlap", "cooc_flat"), ("cooc_turn",)):
        order.extend(pair if r % 2 == 0 else reversed(pair))
    assert sorted(order) == sorted(KINDS)
    return order


def warm_worker(args: argparse.Namespace) -> None:
    ids = json.loads(args.ids)
    engine, kinds = _open(args.db_url, ids)
    run_kinds = list(KINDS) + (list(REPORT_KINDS) if ids["report"] else [])
    found, warmup = {}, {}
    for kind in run_kinds:  # warm-up, discarded: also the checks
        sample, result = _call(engine, kinds, kind, ids)
        warmup[kind] = sample
        found[kind] = check(kind, result, ids)
    checked = verify(found)
    if ids["report"]:
        checked["report"] = {k: found[k] for k in REPORT_KINDS}
    runs: dict[str, list[dict]] = {k: [] for k in run_kinds}
    for r in range(args.repeats):
        for kind in round_order(r) + [k for k in run_kinds if k not in KINDS]:
            if kind in REPORT_KINDS and r >= args.report_repeats:
                continue
            runs[kind].append(_call(engine, kinds, kind, ids)[0])
        print(json.dumps({"progress": r + 1, "of": args.repeats,
                          "medians_so_far_ms": {k: round(statistics.median(x["seconds"] for x in v) * 1e3, 1)
                                                for k, v in runs.items() if v}}), flush=True)
    profiles = {} if args.no_profile else profile_kinds(engine, kinds, ids, args.profile_tag)
    print(json.dumps({"result": {"warmup": warmup, "runs": runs, "checked": checked, "profiles": profiles}},
                     default=str), flush=True)


def cold_worker(args: argparse.Namespace) -> None:
    ids = json.loads(args.ids)
    engine, kinds = _open(args.db_url, ids)
    sample, result = _call(engine, kinds, args.kind, ids)
    print(json.dumps({"result": {"sample": sample, "check": {k: v for k, v in check(args.kind, result, ids).items()
                                                             if k != "set" and k != "cells"}}}, default=str),
          flush=True)



# ---------------------------------------------------------------------------------------------
# Parent: set-up, drive the workers, summarise
# ---------------------------------------------------------------------------------------------

def _worker_cmd(args: argparse.Namespace, url: str, ids: dict, *extra: str) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--db", url, "--ids", json.dumps(ids), *extra]


def _last_json(proc: subprocess.CompletedProcess, what: str) -> dict:
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith('{"result"'):
            return json.loads(line)["result"]
    raise SystemExit(f"{what} worker failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}")


def prepare(url: str | None, tmp: str, seed: int, codings: int | None = None) -> tuple[str, dict]:
    from sqlalchemy import select

    from store.db import read_session
    from store.migrate import upgrade
    from store.models import Codebook, Project

    url = url or f"sqlite:///{tmp}/matrix-bench.sqlite"
    engine = upgrade(url)
    with read_session(engine) as s:
        existing = s.scalars(select(Project.name).where(Project.name.in_((PROJECT, PROJECT20)))).all()
    if existing:
        raise SystemExit(f"the database already holds project(s) {existing}: use an empty database "
                         "(the benchmark builds and removes its own projects)")
    main = build_project(engine, MAIN | ({"codings": codings} if codings else {}), seed)
    small = build_project(engine, SMALL, seed)
    with read_session(engine) as s:
        codebook_id = s.scalar(select(Codebook.id).where(Codebook.project_id == main["project_id"],
                                                         Codebook.key == CODEBOOK))
    t0 = time.perf_counter()
    flat = {"rows": create_flat_table(engine, main["project_id"])}
    flat["build_s"] = time.perf_counter() - t0
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE")  # as autovacuum would soon after a bulk load
    size = None
    if engine.dialect.name == "sqlite":
        path = url.split("///", 1)[1]
        size = sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))
    else:
        with engine.connect() as conn:
            size = conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar()
    engine.dispose()
    ids = {"project_id": main["project_id"], "project20_id": small["project_id"], "codebook_id": codebook_id,
           "report": importlib.util.find_spec(REPORT_MODULE) is not None}
    return url, {"ids": ids, "main": main, "report_project": small, "flat": flat, "db_bytes": size,
                 "dialect": engine.dialect.name}


def cleanup(url: str, ids: dict) -> None:
    """Remove the benchmark's projects and flat table from a database given with --db (projects cascade)."""
    from sqlalchemy import delete, select

    from store.db import get_engine
    from store.models import Event, Project

    engine = get_engine(url)
    with engine.begin() as conn:
        guids = conn.execute(select(Project.guid).where(Project.id.in_([ids["project_id"], ids["project20_id"]])))
        guids = [g for (g,) in guids]
        conn.execute(delete(Event).where(Event.project_guid.in_(guids)))
        conn.execute(delete(Project).where(Project.guid.in_(guids)))
    drop_flat_table(engine)
    engine.dispose()


def _summary(runs: list[dict]) -> dict:
    return summarise(runs, nullable={"runqueue_wait_median_s": "waited_s"})


def measure(args: argparse.Namespace) -> dict:
    started = datetime.now(timezone.utc)
    load_before = load()
    tmp = tempfile.mkdtemp(prefix="kp-matrix-bench-")
    url = None
    try:
        print(f"building the synthetic projects (seed {args.seed}) ...", flush=True)
        url, setup = prepare(args.db, tmp, args.seed, args.codings)
        ids = setup["ids"]
        m = setup["main"]
        print(f"  {m['cases']} cases, {m['documents']} documents ({m['case_links']} case links), {m['codes']} codes "
              f"in {len(m['codebooks'])} codebooks, {m['codings']:,} codings on {m['segments']:,} segments, "
              f"{m['turns']:,} turns, {m['sentences']:,} sentences, {m['text_chars'] / 1e6:.1f} M characters; "
              f"built in {m['build_s']:.1f} s; report project built in {setup['report_project']['build_s']:.1f} s; "
              f"database {setup['dialect']}, {setup['db_bytes'] / 1e6:.0f} MB; flat table "
              f"{setup['flat']['rows']:,} rows in {setup['flat']['build_s']:.1f} s", flush=True)
        if not ids["report"]:
            print(f"  Word report: {SKIPPED_REPORT} ({REPORT_MODULE})", flush=True)
        tag = "_postgresql" if setup["dialect"] == "postgresql" else ""
        extra = ["--repeats", str(args.repeats), "--report-repeats", str(args.report_repeats),
                 "--profile-tag", tag] + (["--no-profile"] if args.no_profile else [])
        ids_for_workers = ids | {"report": ids["report"] and not args.no_report}
        print("warm worker ...", flush=True)
        with subprocess.Popen(_worker_cmd(args, url, ids_for_workers, "--worker", "warm", *extra), cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as worker:
            lines = []
            for line in worker.stdout:  # type: ignore[union-attr]
                lines.append(line)
                if line.startswith('{"progress"'):
                    print("  " + line.rstrip(), flush=True)
            stderr = worker.stderr.read()  # type: ignore[union-attr]
        warm = _last_json(subprocess.CompletedProcess(worker.args, worker.returncode, "".join(lines), stderr),
                          "warm")
        print(f"  checked: {warm['checked']}", flush=True)
        cold_kinds = list(KINDS) + (list(REPORT_KINDS) if ids_for_workers["report"] else [])
        cold: dict[str, list[dict]] = {k: [] for k in cold_kinds}
        cold_checks: dict[str, dict] = {}
        print("cold workers (a fresh process per kind and round) ...", flush=True)
        for r in range(args.repeats):
            for kind in cold_kinds:
                if kind in REPORT_KINDS and r >= args.report_repeats:
                    continue
                p = subprocess.run(_worker_cmd(args, url, ids_for_workers, "--worker", "cold", "--kind", kind),
                                   cwd=ROOT, capture_output=True, text=True)
                res = _last_json(p, f"cold {kind}")
                cold[kind].append(res["sample"])
                cold_checks[kind] = res["check"]
            print(f"  round {r + 1}: " + ", ".join(f"{k} {v[-1]['seconds'] * 1e3:.0f} ms" for k, v in cold.items()
                                                   if len(v) == r + 1), flush=True)
        if cold_checks["quotes"]["quotes"] != warm["checked"]["quotes"]:
            raise SystemExit("the cold quotes matrix found another number of quotes than the warm one")
        if args.db and not args.keep:
            cleanup(url, ids)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    load_after = load()

    summary = {"warm": {k: _summary(v) for k, v in warm["runs"].items() if v},
               "cold": {k: _summary(v) for k, v in cold.items() if v}}
    targets = {}
    for temp in ("warm", "cold"):
        s = summary[temp]
        floor = {k: s[k]["median_s"] / s[f]["median_s"]
                 for k, f in (("count", "count_flat"), ("quotes", "quotes_flat"), ("cooc_overlap", "cooc_flat"))}
        cr = s["count"]["median_s"] / s["count_sql"]["median_s"]
        qr = s["quotes"]["median_s"] / s["quotes_sql"]["median_s"]
        cpu = {"count_ratio_cpu": s["count"]["cpu_median_s"] / s["count_sql"]["cpu_median_s"],
               "quotes_ratio_cpu": s["quotes"]["cpu_median_s"] / s["quotes_sql"]["cpu_median_s"]}
        targets[temp] = {
            "info_cpu_time": cpu | {"cooc_overlap_cpu_s": s["cooc_overlap"]["cpu_median_s"],
                                    "cooc_turn_cpu_s": s["cooc_turn"]["cpu_median_s"],
                                    "count_cpu_s": s["count"]["cpu_median_s"]},
            "count_ratio": {"target": f"<= {TARGET_COUNT_RATIO:g}x the bare GROUP BY", "measured": cr,
                            "pass": cr <= TARGET_COUNT_RATIO},
            "count_time": {"target": f"< {TARGET_COUNT_S:g} s", "measured": s["count"]["median_s"],
                           "pass": s["count"]["median_s"] < TARGET_COUNT_S},
            "quotes_ratio": {"target": f"<= {TARGET_QUOTES_RATIO:g}x the bare SELECT", "measured": qr,
                             "pass": qr <= TARGET_QUOTES_RATIO},
            "cooc_overlap": {"target": f"< {TARGET_COOC_S:g} s", "measured": s["cooc_overlap"]["median_s"],
                             "pass": s["cooc_overlap"]["median_s"] < TARGET_COOC_S},
            "cooc_turn": {"target": f"< {TARGET_COOC_S:g} s", "measured": s["cooc_turn"]["median_s"],
                          "pass": s["cooc_turn"]["median_s"] < TARGET_COOC_S},
            "floor": {"count_over_count_flat": floor["count"], "quotes_over_quotes_flat": floor["quotes"],
                      "cooc_overlap_over_cooc_flat": floor["cooc_overlap"],
                      "sql_over_flat": {"count_sql": s["count_sql"]["median_s"] / s["count_flat"]["median_s"],
                                        "quotes_sql": s["quotes_sql"]["median_s"] / s["quotes_flat"]["median_s"]},
                      "cooc_floor": {"target": f"<= {TARGET_COOC_FLOOR_RATIO:g}x a single sweep over the flat "
                                               "table", "measured": floor["cooc_overlap"],
                                     "pass": floor["cooc_overlap"] <= TARGET_COOC_FLOOR_RATIO}},
        }
    return {
        "date": started.date().isoformat(), "started_utc": started.isoformat(timespec="seconds"),
        "args": {"repeats": args.repeats, "seed": args.seed, "report_repeats": args.report_repeats,
                 "codings": args.codings or MAIN["codings"],
                 "db": "sqlite tempdir" if not args.db else _redact(args.db)},
        "database": setup["dialect"], "db_bytes": setup["db_bytes"],
        "machine": machine(), "versions": versions("sqlalchemy", "psycopg", "python-docx", "kaleido"),
        "load_before": load_before, "load_after": load_after,
        "project": setup["main"], "report_project": setup["report_project"], "flat_table": setup["flat"],
        "report": ("measured" if ids_for_workers["report"] else
                   ("skipped: --no-report" if ids["report"] else SKIPPED_REPORT)),
        "checked": warm["checked"], "cold_checks": cold_checks,
        "summary": summary, "targets": targets,
        "warmup": warm["warmup"], "warm_runs": warm["runs"], "cold_runs": cold,
        "profiles": warm["profiles"],
        "method": {
            "count": "build_matrix(s, project, MatrixSpec(rows='cases', codebook='bench-a', measure='count'))",
            "count_sql": count_sql(ids["project_id"], ids["codebook_id"]),
            "quotes": "build_matrix(..., measure='quotes')",
            "quotes_sql": quotes_sql(ids["project_id"], ids["codebook_id"]),
            "cooc": "build_cooccurrence(s, project, CooccurrenceSpec(codebook='bench-a', unit='overlap'|'turn'))",
            "flat_table": flat_fill_sql(ids["project_id"]),
            **{kind: sql for kind, sql in FLAT_SQL.items()},
            "cooc_flat_sweep": "bench.matrix_kinds.cooc_sweep over the cooc_flat rows (fetched and swept in the "
                               "timed call)",
            "report": "build_cross_case_report(s, project20, codebook='bench-r', depth=None, images=True|False)",
            "warm": "one worker process; warm-up call per kind discarded (and checked); then rounds with the kinds "
                    "interleaved; each call in a new read_session, project rows loaded before the clock",
            "cold": "a fresh process per kind and round: imports + configure_mappers, new engine, new connection "
                    "that has read the project rows only; timed: the first call; OS file cache warm",
        },
    }


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def print_report(r: dict) -> None:
    v, p = r["versions"], r["project"]
    print()
    print(f"Kruispunt matrix benchmark  {r['started_utc']}  ({r['database']})")
    print(describe_machine(r))
    print(f"versions: Python {v['python']}, SQLite {v['sqlite']}, SQLAlchemy {v['sqlalchemy']}, "
          f"psycopg {v['psycopg']}")
    print(f"project: {p['cases']} cases, {p['documents']} documents, {p['codes']} codes in 3 codebooks, "
          f"{p['codings']:,} codings ({p['segments']:,} segments); seed {r['args']['seed']}, median of "
          f"{r['args']['repeats']}")
    c = r["checked"]
    print(f"checked: count matrix {c['matrix_shape'][0]} x {c['matrix_shape'][1]}, {c['count_cells_nonzero']} "
          f"non-zero cells, {c['count_total']:,} coded segments = bare GROUP BY; {c['quotes']:,} quotes = bare "
          f"SELECT; co-occurrence pairs: overlap {c['cooc_overlap_pairs']:,}, turn {c['cooc_turn_pairs']:,}")
    f = c["flat"]
    print(f"flat floor ({r['flat_table']['rows']:,} rows): {f['count_cells']} cells = count matrix; {f['quotes']:,} "
          f"quotes = quotes matrix; {f['cooc_pairs']:,} overlap pairs in {f['cooc_cells']} cells = co-occurrence")
    print()
    print(f"  {'':14} {'warm median':>12} {'min':>9} {'max':>9} {'cpu':>9} | {'cold median':>12} {'min':>9} "
          f"{'max':>9} {'cpu':>9}")
    for kind in list(KINDS) + list(REPORT_KINDS):
        if kind not in r["summary"]["warm"]:
            continue
        w, c = r["summary"]["warm"][kind], r["summary"]["cold"].get(kind)
        cells = " ".join(f"{w[k] * 1e3:7.1f} ms" for k in ("median_s", "min_s", "max_s", "cpu_median_s"))
        cold = " ".join(f"{c[k] * 1e3:7.1f} ms" for k in ("median_s", "min_s", "max_s", "cpu_median_s")) if c else ""
        print(f"  {kind:14} {cells[:10]:>12} {cells[10:]} | {cold[:10]:>12} {cold[10:]}")
    if r["report"] != "measured":
        print(f"  Word report: {r['report']}")
    else:
        for kind, found in r["checked"]["report"].items():
            print(f"  {kind}: .docx of {found['bytes'] / 1e3:.0f} kB, {found['tables']} tables (largest "
                  f"{found['largest_table'][0]} x {found['largest_table'][1]} with its header row and column), "
                  f"{found['images']} images")
    print()
    for temp in ("warm", "cold"):
        t = r["targets"][temp]
        print(f"  {temp}: count {t['count_ratio']['measured']:.2f}x bare (<= 3x) "
              f"{'PASS' if t['count_ratio']['pass'] else 'FAIL'}, {t['count_time']['measured'] * 1e3:.0f} ms "
              f"(< 300 ms) {'PASS' if t['count_time']['pass'] else 'FAIL'}; quotes "
              f"{t['quotes_ratio']['measured']:.2f}x bare (<= 5x) {'PASS' if t['quotes_ratio']['pass'] else 'FAIL'}; "
              f"co-occurrence overlap {t['cooc_overlap']['measured']:.2f} s, turn {t['cooc_turn']['measured']:.2f} s "
              f"(< 2 s) {'PASS' if t['cooc_overlap']['pass'] and t['cooc_turn']['pass'] else 'FAIL'}")
        c = t["info_cpu_time"]
        print(f"    on CPU time (process_time medians): count {c['count_ratio_cpu']:.2f}x, "
              f"{c['count_cpu_s'] * 1e3:.0f} ms; quotes {c['quotes_ratio_cpu']:.2f}x; co-occurrence overlap "
              f"{c['cooc_overlap_cpu_s']:.2f} s, turn {c['cooc_turn_cpu_s']:.2f} s")
        f = t["floor"]
        print(f"    floor (flat table): count {f['count_over_count_flat']:.2f}x count_flat, quotes "
              f"{f['quotes_over_quotes_flat']:.2f}x quotes_flat, co-occurrence overlap "
              f"{f['cooc_overlap_over_cooc_flat']:.2f}x cooc_flat (<= 3x) "
              f"{'PASS' if f['cooc_floor']['pass'] else 'FAIL'}; "
              f"count_sql {f['sql_over_flat']['count_sql']:.2f}x, quotes_sql {f['sql_over_flat']['quotes_sql']:.2f}x")
    for kind, prof in (r.get("profiles") or {}).items():
        if kind.endswith("_sql"):
            continue
        print(f"\n  cProfile {kind} (warm, {prof['profiled_s'] * 1e3:.0f} ms profiled): top project functions")
        for row in prof["top_project_cumulative"][:8]:
            print(f"    {row['cumtime_s'] * 1e3:8.1f} ms cum {row['tottime_s'] * 1e3:7.1f} ms self "
                  f"{row['ncalls']:>8,}  {row['function']}")
        print("    top own time:")
        for row in prof["top_self"][:5]:
            print(f"    {row['tottime_s'] * 1e3:8.1f} ms self {row['ncalls']:>8,}  {row['function']}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--report-repeats", type=int, default=None, help="rounds that include the Word report "
                   "(default: --repeats)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--db", help="a SQLAlchemy URL of an empty database (default: SQLite in a tempdir)")
    p.add_argument("--keep", action="store_true", help="with --db: leave the benchmark's projects in place")
    p.add_argument("--no-profile", action="store_true")
    p.add_argument("--no-report", action="store_true", help="skip the Word report even when its builder exists")
    p.add_argument("--codings", type=int, help="codings of the main project (default: 100,000; less for a quick "
                   "check -- the results are then not the benchmark's)")
    p.add_argument("--worker", choices=("warm", "cold"), help=argparse.SUPPRESS)
    p.add_argument("--kind", help=argparse.SUPPRESS)
    p.add_argument("--ids", help=argparse.SUPPRESS)
    p.add_argument("--profile-tag", default="", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.report_repeats is None:
        args.report_repeats = args.repeats
    if args.worker:
        args.db_url = args.db
        (warm_worker if args.worker == "warm" else cold_worker)(args)
        return 0
    result = measure(args)
    print_report(result)
    name = "matrix_bench_postgresql.json" if result["database"] == "postgresql" else "matrix_bench.json"
    if args.codings:  # a quick check does not overwrite the benchmark's results
        name = name.replace(".json", f"_codings{args.codings}.json")
    print(f"\nwrote {write_json(RESULTS / name, result)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
