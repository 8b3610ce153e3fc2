"""How long a coder waits while someone imports a transcript into the same SQLite database (issue 12: no coder
waits more than a second).

    .venv/bin/python bench/import_lock_bench.py [--sizes 0.6,6,20] [--db sqlite|postgresql]

Set-up (untimed): a migrated database, one project with a coded document and coder "Sanne". For each size, a
transcript of that many MiB (the demo's interview repeated) is imported with `cases.staged_import.import_files`,
exactly as the CLI and the Documents page do, while a second process applies codes in a loop with the Coding
page's Apply (`coding.codings.code_span`), each its own transaction, as fast as it can.

Reported per size: the import's time, the part of it spent before anything is written (reading, turn and
sentence detection: `prepare_rows`, timed alone), and the coder's writes during the import: count, median,
slowest, and how many waited more than a second (the import writes in short transactions,
`cases.staged_import`). The floor is the same coder's write with no
import running, measured in the same run. Results go to stdout and bench/results/import_lock_bench.json.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.measure import (  # noqa: E402
    RESULTS,
    describe_machine,
    load,
    machine,
    scratch_database,
    versions,
    write_json,
)

DEMO_TEXT = ROOT / "demo" / "data" / "grenzeloos" / "a1_interview_hoekstra.txt"


def set_up(url: str) -> tuple[str, str]:
    from cases.projects import create_project
    from cases.staged_import import import_files
    from store.db import write_session
    from store.migrate import upgrade

    engine = upgrade(url)
    with write_session(engine) as s:
        project = create_project(s, "Lock")
        from codebooks.service import adopt_codebook
        adopt_codebook(s, project, "value-creation")
        guid = str(project.guid)
    outcome = import_files(engine, guid, [("coded.txt", DEMO_TEXT.read_bytes())], case_name="Alfa", language="nl")
    from cases.documents import list_documents
    from cases.projects import get_project
    from store.db import read_session
    with read_session(engine) as s:
        document = list_documents(s, get_project(s, guid))[0]
    assert outcome[0].error is None, outcome[0].error
    return guid, str(document.guid)


def coder(url: str, project: str, document: str, stop, ready, results) -> None:  # type: ignore[no-untyped-def]
    """Apply codes, one transaction each, until told to stop; (start, seconds) per write."""
    from coding.codings import code_span
    from store.db import get_engine

    engine = get_engine(url)
    samples, k = [], 0
    ready.set()
    while not stop.is_set():
        start = (k * 7) % 4000
        began = time.perf_counter()
        try:
            code_span(engine, project, document, "Sanne", start, start + 5 + k % 50, ["vc.immediate"])
            samples.append((began, time.perf_counter() - began, "ok"))
        except Exception as exc:  # a refusal (already coded) or busy: counted, with its wait
            samples.append((began, time.perf_counter() - began, type(exc).__name__ + ": " + str(exc)[:80]))
        k += 1
    results.put(samples)


def run_size(url: str, project: str, document: str, mib: float, name: str) -> dict:
    from cases.importer import prepare_rows, preview_import
    from cases.staged_import import import_files

    base = DEMO_TEXT.read_text(encoding="utf-8")
    copies = max(1, int(mib * 1024 * 1024 / len(base.encode())))
    data = "\n".join(f"{base}\nI: Deel {k}?\n" for k in range(copies)).encode()
    before = time.perf_counter()
    prepare_rows(preview_import(name, data, language="nl"))  # the work done before the transaction, alone
    prepared_s = time.perf_counter() - before
    context = multiprocessing.get_context("spawn")
    stop, ready, results = context.Event(), context.Event(), context.Queue()
    proc = context.Process(target=coder, args=(url, project, document, stop, ready, results))
    proc.start()
    ready.wait(120)
    time.sleep(0.5)  # the coder's loop is running (its first writes are the floor's, discarded below)
    started = time.perf_counter()
    outcome = import_files(get_engine_for(url), project, [(name, data)], case_name="Beta", language="nl")
    import_s = time.perf_counter() - started
    stop.set()
    samples = results.get(timeout=120)
    proc.join()
    assert outcome[0].error is None, outcome[0].error
    during = [s for s in samples if started <= s[0] <= started + import_s]
    waits = sorted(s[1] for s in during)
    return {"mib": round(len(data) / 2**20, 1), "turns": outcome[0].turns, "import_s": import_s,
            "prepare_s": prepared_s, "transaction_s_est": max(0.0, import_s - prepared_s),
            "coder_writes": len(during), "coder_p50_ms": 1000 * statistics.median(waits) if waits else None,
            "coder_max_ms": 1000 * waits[-1] if waits else None,
            "coder_over_1s": sum(1 for w in waits if w > 1.0),
            "coder_errors": sorted({s[2] for s in during if s[2] != "ok" and "already coded" not in s[2]})}


def get_engine_for(url: str):  # type: ignore[no-untyped-def]
    from store.db import get_engine
    return get_engine(url)


def floor(url: str, project: str, document: str) -> float:
    """The coder's write with nothing else running (median of 50), ms."""
    from coding.codings import code_span
    engine = get_engine_for(url)
    waits = []
    for k in range(50):
        began = time.perf_counter()
        code_span(engine, project, document, "Sanne", 5000 + k, 5010 + k, ["vc.potential"])
        waits.append(time.perf_counter() - began)
    return 1000 * statistics.median(waits)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="0.6,6,20")
    parser.add_argument("--db", default="sqlite")
    args = parser.parse_args(argv)
    result = {"started_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine(),
              "versions": versions("sqlalchemy", "spacy"), "load_before": load(), "db": args.db, "sizes": []}
    with scratch_database(args.db, "lock") as url:
        project, document = set_up(url)
        result["floor_ms"] = floor(url, project, document)
        print(f"floor: a coder's write alone {result['floor_ms']:.1f} ms (median of 50)", flush=True)
        for i, mib in enumerate(float(x) for x in args.sizes.split(",")):
            r = run_size(url, project, document, mib, f"groot_{i}.txt")
            result["sizes"].append(r)
            print(f"{r['mib']:>5} MiB ({r['turns']:,} turns): import {r['import_s']:.1f} s, of which before any "
                  f"write {r['prepare_s']:.1f} s; coder during it: {r['coder_writes']} writes, p50 "
                  f"{r['coder_p50_ms']:.0f} ms, slowest {r['coder_max_ms']:.0f} ms, over 1 s: "
                  f"{r['coder_over_1s']}; errors {r['coder_errors']}", flush=True)
    result["load_after"] = load()
    print(describe_machine(result))
    path = write_json(RESULTS / "import_lock_bench.json", result)
    print(f"written to {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
