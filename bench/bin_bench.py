"""Bin benchmark: deleting a coded document into the bin and restoring it, each against a bare-SQL floor.

    .venv/bin/python bench/bin_bench.py [--repeats 5] [--seed 7] [--words 20000] [--codings 1500]

Setup (untimed): the coding benchmark's database (``bench/coding_kinds.build_database``): one seeded
Dutch-like transcript of ``--words`` words in a migrated SQLite file, 3 coders, ``--codings`` one-code segments.

Four kinds, interleaved in this order per repetition (A0, A, B0, B) so that each runs on the state it needs; one
warm-up round is discarded, then the median of ``--repeats``:

  A0  delete floor   one transaction on a Core connection: SELECT every row the document's deletion takes
                     (text version, turns, sentences, speakers, segments, codings, case links, attribute values,
                     memos, pinned quotes), DELETE the document (the database cascades), ROLLBACK.
  A   delete         ``cases.bin.delete_to_bin(s, project, "document", guid)`` in ``write_session`` (commits):
                     the same reads, the preview text, side-effect events, zlib-compressed JSON of every row.
  B0  restore floor  one transaction: INSERT the same rows (decoded from the bin item) with Core executemany,
                     ROLLBACK.
  B   restore        ``cases.bin.restore_from_bin`` in ``write_session`` (commits): clash checks, inserts,
                     references set back, events.

The floors roll back (the data must stay for the next kind), so A and B also carry their commit; the bare commit
of a one-row write is reported beside them. An untimed round under tracemalloc gives each kind's peak Python
allocation, and the bin item's stored size is reported. Results go to stdout and bench/results/bin_bench.json.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.measure import RESULTS, Sample, describe_machine, load, machine, summarise, versions, write_json  # noqa: E402

def _floor_delete(engine, document_id: int) -> int:  # type: ignore[no-untyped-def]
    """The reads and the cascade a deletion cannot avoid, rolled back; returns the rows read."""
    from sqlalchemy import text

    queries = {
        "text_version": "SELECT * FROM text_version WHERE document_id = :d",
        "turn": "SELECT t.* FROM turn t JOIN text_version v ON t.text_version_id = v.id WHERE v.document_id = :d",
        "sentence": "SELECT s.* FROM sentence s JOIN text_version v ON s.text_version_id = v.id "
                    "WHERE v.document_id = :d",
        "speaker": "SELECT * FROM speaker WHERE document_id = :d",
        "segment": "SELECT * FROM segment WHERE document_id = :d",
        "coding": "SELECT c.* FROM coding c JOIN segment s ON c.segment_id = s.id WHERE s.document_id = :d",
        "case_document": "SELECT * FROM case_document WHERE document_id = :d",
        "attribute_value": "SELECT * FROM attribute_value WHERE document_id = :d",
        "memo": "SELECT m.* FROM memo m LEFT JOIN segment s ON m.segment_id = s.id "
                "WHERE m.document_id = :d OR s.document_id = :d",
        "cell_quote": "SELECT q.* FROM cell_quote q JOIN segment s ON q.segment_id = s.id WHERE s.document_id = :d",
    }
    rows = 0
    with engine.connect() as connection:
        transaction = connection.begin()
        rows += len(connection.execute(text("SELECT * FROM document WHERE id = :d"), {"d": document_id}).all())
        for sql in queries.values():
            rows += len(connection.execute(text(sql), {"d": document_id}).all())
        connection.execute(text("DELETE FROM document WHERE id = :d"), {"d": document_id})
        transaction.rollback()
    return rows


def _floor_restore(engine, content: bytes) -> tuple[int, float]:  # type: ignore[no-untyped-def]
    """The inserts a restore cannot avoid (rows decoded outside the clock), rolled back: (rows, seconds)."""
    from sqlalchemy import insert

    from store.models import Base
    from store.snapshot import decode

    taken = decode(content)
    order = [t for t in Base.metadata.sorted_tables if taken.rows.get(t.name)]
    t0 = time.perf_counter()
    with engine.connect() as connection:
        transaction = connection.begin()
        for table in order:
            connection.execute(insert(table), taken.rows[table.name])
        transaction.rollback()
    return sum(len(taken.rows[t.name]) for t in order), time.perf_counter() - t0


def _bare_commit(engine) -> float:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    t0 = time.perf_counter()
    with engine.begin() as connection:
        connection.execute(text("UPDATE project SET description = description WHERE id = 1"))
    return time.perf_counter() - t0


def measure(args: argparse.Namespace) -> dict:
    from sqlalchemy import func, select

    from bench.coding_kinds import build_database
    from cases.bin import delete_to_bin, restore_from_bin
    from cases.projects import get_project
    from store.db import read_session, write_session
    from store.models import BinItem

    db = build_database(tempfile.mkdtemp(prefix="bin-bench-"), args.seed, args.words, args.codings)
    engine, project_guid, document_guid = db["engine"], db["project_guid"], db["document_guid"]
    result: dict = {"machine": machine(), "versions": versions("sqlalchemy"), "load_before": load(),
                    "when": datetime.now(timezone.utc).isoformat(), "corpus": db["corpus"], "stored": db["stored"],
                    "repeats": args.repeats}
    runs: dict[str, list[dict]] = {"A0": [], "A": [], "B0": [], "B": []}
    commits = []
    size = 0
    for round_ in range(args.repeats + 1):
        sample = Sample()
        with sample:
            rows = _floor_delete(engine, db["document_id"])
        a0 = sample.as_dict() | {"rows": rows}
        sample = Sample()
        with sample, write_session(engine) as s:
            delete_to_bin(s, get_project(s, project_guid), "document", document_guid, actor="bench")
        a = sample.as_dict()
        with read_session(engine) as s:
            size, content = s.execute(select(func.length(BinItem.content), BinItem.content)).one()
        inserted, b0_seconds = _floor_restore(engine, content)
        b0 = {"seconds": b0_seconds, "rows": inserted}
        sample = Sample()
        with sample, write_session(engine) as s:
            restore_from_bin(s, get_project(s, project_guid), document_guid, actor="bench")
        b = sample.as_dict()
        commits.append(_bare_commit(engine))
        if round_:  # the first round warms caches and is discarded
            for key, run in (("A0", a0), ("A", a), ("B0", b0), ("B", b)):
                runs[key].append(run)
    result["kinds"] = {key: summarise(values) if key != "B0" else
                       {"median_s": statistics.median(r["seconds"] for r in values)} for key, values in runs.items()}
    result["rows"] = {"deleted": runs["A0"][0]["rows"], "restored": runs["B0"][0]["rows"]}
    result["bare_commit_s"] = statistics.median(commits)
    result["bin_item_bytes"] = size
    result["peak_alloc_bytes"] = _peaks(engine, project_guid, document_guid)
    result["load_after"] = load()
    return result


def _peaks(engine, project_guid: str, document_guid: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    from cases.bin import delete_to_bin, restore_from_bin
    from cases.projects import get_project
    from store.db import write_session

    peaks = {}
    for key, action in (("delete", lambda s: delete_to_bin(s, get_project(s, project_guid), "document",
                                                           document_guid, actor="bench")),
                        ("restore", lambda s: restore_from_bin(s, get_project(s, project_guid), document_guid,
                                                               actor="bench"))):
        tracemalloc.start()
        with write_session(engine) as s:
            action(s)
        peaks[key] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peaks


def print_report(r: dict) -> None:
    k = r["kinds"]
    print(describe_machine(r))
    print(f"document: {r['corpus']['words']:,} words, {r['stored']['segment']:,} segments, "
          f"{r['stored']['coding']:,} codings; {r['rows']['deleted']:,} rows go with it; {r['repeats']} repeats")
    print(f"  A0 delete floor (reads + cascade, rolled back) {k['A0']['median_s'] * 1000:8.1f} ms")
    print(f"  A  delete into the bin (commits)                {k['A']['median_s'] * 1000:8.1f} ms   "
          f"{k['A']['median_s'] / k['A0']['median_s']:.2f}x the floor")
    print(f"  B0 restore floor (inserts, rolled back)         {k['B0']['median_s'] * 1000:8.1f} ms")
    print(f"  B  restore from the bin (commits)               {k['B']['median_s'] * 1000:8.1f} ms   "
          f"{k['B']['median_s'] / k['B0']['median_s']:.2f}x the floor")
    peaks = r["peak_alloc_bytes"]
    print(f"  bare commit of a one-row write {r['bare_commit_s'] * 1000:.1f} ms; bin item "
          f"{r['bin_item_bytes'] / 1024:,.0f} KiB; peak Python allocation: delete {peaks['delete'] / 2**20:.1f} MiB, "
          f"restore {peaks['restore'] / 2**20:.1f} MiB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--words", type=int, default=20_000)
    parser.add_argument("--codings", type=int, default=1_500)
    args = parser.parse_args(argv)
    result = measure(args)
    print_report(result)
    print(f"wrote {write_json(RESULTS / 'bin_bench.json', result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
