"""Concurrency soak (issue 12): several processes coding, recoding, resizing, removing, undoing and writing memos
in the same documents at once, on SQLite and on PostgreSQL; throughput, write latency and an audit.

    .venv/bin/python bench/soak_bench.py [--db sqlite,postgresql] [--workers 8] [--seconds 60] [--seed 7]

Set-up (untimed): a freshly migrated database (a SQLite file in a temporary folder; a new PostgreSQL database on
127.0.0.1:5432 that is dropped afterwards), one project with the value-creation codebook, 10 documents of 40
turns. Worker k is coder "Coder k // 2": every coder works in two processes at once, as in two browser tabs,
and all coders work on the same 10 documents. Each operation is one call of the product's own write (the
Coding page's Apply, recode, resize, remove, undo of the offered change, a memo), each its own transaction.

Audit: every acknowledged operation left exactly one event (acknowledged = stored); no two codings of one code
on one coder's same span (duplicates); no error other than a refusal with a message (tracebacks); replaying the
event log (store.replay) gives every segment, coding and memo the tables hold (log replay = final state).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import statistics
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.measure import (  # noqa: E402
    RESULTS, describe_machine, load, machine, scratch_database, versions, write_json,
)

DOCUMENTS = 10
TURNS = 40
CODES = ("vc.immediate", "vc.potential", "vc.applied", "vc.realised", "vc.transformative")
OPERATIONS = ("code", "code", "code", "recode", "resize", "remove", "undo", "memo")


def _text(d: int) -> str:
    return "\n".join(f"{'IR'[t % 2]}: Beurt {t} van gesprek {d}. Wij werkten samen met de gemeente aan het plan."
                     for t in range(TURNS)) + "\n"


def set_up(url: str) -> None:
    from cases.importer import preview_import, store_import
    from cases.projects import create_case, create_project
    from codebooks.service import adopt_codebook
    from store.db import write_session
    from store.migrate import upgrade

    with write_session(upgrade(url)) as session:
        project = create_project(session, "Soak")
        adopt_codebook(session, project, "value-creation")
        case = create_case(session, project, "Netwerk")
        for d in range(DOCUMENTS):
            store_import(session, project, preview_import(f"gesprek_{d}.txt", _text(d).encode()), cases=[case])


def worker(url: str, k: int, seconds: float, seed: int, barrier, results) -> None:  # type: ignore[no-untyped-def]
    """Run random operations until the time is up; report each one's (operation, outcome, seconds)."""
    from sqlalchemy import select

    from cases.documents import list_documents
    from cases.projects import get_project
    from coding.codings import code_span
    from coding.memos import add_memo
    from coding.undo import undo, undo_offer
    from coding.workspace import recode, remove_coding, resize_segment
    from store.db import get_engine, read_session, write_session
    from store.errors import Refused
    from store.models import Code, Coder, Coding, Segment

    rng = random.Random(seed * 100 + k)
    engine = get_engine(url)
    me = f"Coder {k // 2}"
    with read_session(engine) as s:
        project = get_project(s, "Soak")
        project_guid = project.guid
        documents = [(d.guid, d.title) for d in list_documents(s, project)]
    texts = {guid: _text(int(title.rsplit("_", 1)[1])) for guid, title in documents}

    def mine(s):  # type: ignore[no-untyped-def]
        return s.execute(select(Coding.guid, Segment.guid, Segment.start, Segment.end, Code.key).join(Segment)
                         .join(Code, Coding.code_id == Code.id).join(Coder, Segment.coder_id == Coder.id)
                         .where(Coder.name == me)).all()

    def span(guid):  # type: ignore[no-untyped-def]
        turn = rng.randrange(TURNS)
        start = texts[guid].index(f"Beurt {turn} ")
        return start, start + rng.choice((12, 24, 40))  # few distinct spans: the same span is often coded twice

    def one(op: str) -> None:
        if op == "code":
            guid = rng.choice(documents)[0]
            code_span(engine, project_guid, guid, me, *span(guid), [rng.choice(CODES)])
            return
        with write_session(engine) as s:
            project = get_project(s, "Soak")
            if op == "memo":
                add_memo(s, project, f"Memo van {me}, {uuid.uuid4().hex[:8]}", author=None)
                return
            if op == "undo":
                with read_session(engine) as r:
                    offer = undo_offer(r, get_project(r, "Soak"), me)
                if offer is None:
                    raise Refused("nothing to undo")
                undo(s, project, actor=me, shown=offer.change_id)
                return
            rows = mine(s)
            if not rows:
                raise Refused("nothing of mine yet")
            coding, segment, start, end, key = rng.choice(rows)
            if op == "recode":  # to another code: a recode to the same code changes nothing and logs nothing
                recode(s, project, coding, rng.choice([c for c in CODES if c != key]), actor=me, shown=key)
            elif op == "resize":
                resize_segment(s, project, segment, start, end + rng.choice((-1, 1, 2)), actor=me)
            else:
                remove_coding(s, project, coding, actor=me)

    barrier.wait(timeout=300)
    samples = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        op = rng.choice(OPERATIONS)
        t0 = time.perf_counter()
        try:
            one(op)
            outcome = "ok"
        except Refused:
            outcome = "refused"
        except Exception as exc:  # noqa: BLE001 - counted: a traceback a person would have seen
            outcome = f"error {type(exc).__name__}: {str(exc)[:200]}"
        samples.append((op, outcome, time.perf_counter() - t0))
    engine.dispose()
    results.put((k, samples))


def audit(url: str) -> dict:
    """What the database holds after the soak: events per kind, duplicate codings."""
    from sqlalchemy import func, select

    from cases.projects import list_projects
    from store.db import get_engine, read_session
    from store.models import Coding, Event, Segment
    from store.replay import log_disagreements

    engine = get_engine(url)
    with read_session(engine) as s:
        events = dict(s.execute(select(Event.action + ":" + Event.entity, func.count())
                                .group_by(Event.action, Event.entity)).all())
        duplicates = s.scalar(select(func.count()).select_from(
            select(Segment.text_version_id, Segment.coder_id, Segment.start, Segment.end, Coding.code_id)
            .join(Coding, Coding.segment_id == Segment.id)
            .group_by(Segment.text_version_id, Segment.coder_id, Segment.start, Segment.end, Coding.code_id)
            .having(func.count() > 1).subquery()))
        codings = s.scalar(select(func.count()).select_from(Coding))
        started = time.perf_counter()
        replay = {part: len(found) for project in list_projects(s)
                  for part, found in log_disagreements(s, project).items()}
        replay_s = time.perf_counter() - started
    engine.dispose()
    return {"events": events, "duplicates": duplicates, "codings": codings, "replay_disagreements": replay,
            "replay_s": replay_s}


# Which event each acknowledged operation writes (one each).
_EVENT_OF = {"code": "create:segment", "recode": "update:coding", "resize": "update:segment",
             "memo": "create:memo", "undo": "undo:"}


def soak(kind: str, args: argparse.Namespace) -> dict:
    with scratch_database(kind, "soak") as url:
        set_up(url)
        context = multiprocessing.get_context("spawn")
        barrier, results = context.Barrier(args.workers), context.Queue()
        procs = [context.Process(target=worker, args=(url, k, args.seconds, args.seed, barrier, results))
                 for k in range(args.workers)]
        for p in procs:
            p.start()
        reports = [results.get(timeout=args.seconds + 600) for _ in procs]
        for p in procs:
            p.join()
        found = audit(url)
    samples = [s for _, worker_samples in reports for s in worker_samples]
    done = [s for s in samples if s[1] == "ok"]
    writes = sorted(s[2] for s in done)
    acknowledged: dict[str, int] = {}
    for op, _, _ in done:
        acknowledged[op] = acknowledged.get(op, 0) + 1
    stored = {op: (sum(v for k, v in found["events"].items() if k.startswith(event)) if op == "undo"
                   else found["events"].get(event, 0)) for op, event in _EVENT_OF.items()}
    removes = found["events"].get("delete:coding", 0) + found["events"].get("delete:segment", 0)
    stored["remove"] = removes
    errors = [s[1] for s in samples if s[1].startswith("error")]
    return {
        "operations": len(samples), "per_second": len(samples) / args.seconds, "acknowledged": acknowledged,
        "stored": stored, "acknowledged_equals_stored": all(acknowledged.get(op, 0) == n for op, n in stored.items()),
        "refused": sum(1 for s in samples if s[1] == "refused"), "errors": len(errors), "error_kinds": sorted(set(errors))[:10],
        "duplicates": found["duplicates"], "codings_left": found["codings"],
        "replay_disagreements": found["replay_disagreements"], "replay_s": found["replay_s"],
        "replay_equals_state": not any(found["replay_disagreements"].values()),
        "write_p50_ms": 1000 * statistics.median(writes) if writes else None,
        "write_p95_ms": 1000 * writes[int(0.95 * (len(writes) - 1))] if writes else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    started = datetime.now(timezone.utc)
    result = {"started_utc": started.isoformat(timespec="seconds"), "machine": machine(),
              "versions": versions("sqlalchemy"), "load_before": load(), "workers": args.workers,
              "seconds": args.seconds, "databases": {}}
    for kind in [k.strip() for k in args.db.split(",") if k.strip()]:
        print(f"soaking {kind}: {args.workers} processes for {args.seconds:.0f} s ...", flush=True)
        result["databases"][kind] = r = soak(kind, args)
        print(f"  {r['operations']:,} operations ({r['per_second']:.1f}/s), write p50 {r['write_p50_ms']:.0f} ms, "
              f"p95 {r['write_p95_ms']:.0f} ms; refused {r['refused']:,}, errors {r['errors']}, duplicates "
              f"{r['duplicates']}, acknowledged = stored: {r['acknowledged_equals_stored']}, log replay = state: "
              f"{r['replay_equals_state']} ({r['replay_s']:.1f} s; {r['replay_disagreements']})", flush=True)
        print(f"  acknowledged {json.dumps(r['acknowledged'], sort_keys=True)}", flush=True)
        print(f"  stored       {json.dumps(r['stored'], sort_keys=True)}", flush=True)
        for e in r["error_kinds"]:
            print(f"  error: {e}", flush=True)
    result["load_after"] = load()
    print(describe_machine(result))
    path = write_json(RESULTS / "soak_bench.json", result)
    print(f"written to {path.relative_to(ROOT)}")
    return 0 if all(r["errors"] == 0 and r["duplicates"] == 0 and r["acknowledged_equals_stored"]
                    and r["replay_equals_state"]
                    for r in result["databases"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
