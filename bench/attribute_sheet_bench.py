"""Attribute sheet benchmark: importing a large person sheet, against a bare-SQL floor in the same run.

    .venv/bin/python bench/attribute_sheet_bench.py [--rows 100000] [--repeats 3] [--db sqlite|postgresql]

Setup (untimed): a migrated database (SQLite in a temporary folder, or a private PostgreSQL database on the
local server), one project with ``--rows`` persons, and a CSV sheet "person;age;region" naming each once.

Two kinds per repetition, after one discarded warm-up round; median of ``--repeats``:

  F  floor    one transaction on a Core connection: INSERT the same number of attribute_value rows with one
              executemany (ids of persons and definitions already known), then ROLLBACK.
  A  import   ``cases.attribute_sheets.import_attribute_sheet_in_steps``, as the CLI and the Cases page run it:
              read and parse the CSV, match every row to its person, infer the types (one read transaction), then
              define the attributes and write the values 2,000 rows per transaction, one event per part. The
              longest of those transactions is reported too: it is the longest any other writer waits (issue 12:
              no coder waits more than a second). The values are then deleted (untimed) for the next round.

An untimed round under tracemalloc gives A's peak Python allocation. Target (issue 11): a 100,000-row sheet in
at most 15 s with one event per sheet. Results go to stdout and bench/results/attribute_sheet_bench.json.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import tracemalloc
import uuid
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.measure import RESULTS, Sample, describe_machine, load, machine, summarise, versions, write_json  # noqa: E402

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _database(kind: str) -> tuple[str, callable]:  # type: ignore[valid-type]
    from sqlalchemy import create_engine, text

    if kind == "sqlite":
        return f"sqlite:///{tempfile.mkdtemp(prefix='sheet-bench-')}/bench.sqlite", lambda: None
    name = f"kp_sheet_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", drop


def build(url: str, rows: int) -> dict:
    from sqlalchemy import insert

    from cases.projects import create_project
    from store.bulk import new_guids
    from store.db import write_session
    from store.migrate import upgrade
    from store.models import Person

    engine = upgrade(url)
    with write_session(engine) as s:
        project = create_project(s, "Blad")
        s.execute(insert(Person.__table__), [
            {"guid": uuid.UUID(g), "project_id": project.id, "name": f"persoon {k:06d}", "pseudonym": "",
             "role": ""} for k, g in enumerate(new_guids(rows))])
        guid = str(project.guid)
    sheet = "person;age;region\n" + "".join(f"persoon {k:06d};{20 + k % 60};regio {k % 12}\n" for k in range(rows))
    return {"engine": engine, "project_guid": guid, "sheet": sheet.encode("utf-8")}


def _floor(engine, project_guid: str, rows: int) -> float:  # type: ignore[no-untyped-def]
    """The inserts no import can avoid: two values per person, one executemany, rolled back."""
    from sqlalchemy import insert, select

    from store.bulk import new_guids
    from store.models import AttributeDefinition, AttributeValue, Person, Project

    with engine.connect() as c:
        project_id = c.execute(select(Project.id).where(Project.guid == uuid.UUID(project_guid))).scalar_one()
        persons = c.execute(select(Person.id).where(Person.project_id == project_id)).scalars().all()
        c.rollback()  # end the reads' transaction: the timed one starts clean
        transaction = c.begin()
        sample = Sample()
        with sample:
            ids = c.execute(insert(AttributeDefinition.__table__).returning(AttributeDefinition.id), [
                {"guid": uuid.UUID(g), "project_id": project_id, "target": "person", "name": name, "type": t}
                for g, (name, t) in zip(new_guids(2), (("age", "integer"), ("region", "text")))]).scalars().all()
            guids = iter(new_guids(2 * len(persons)))
            c.execute(insert(AttributeValue.__table__), [
                {"guid": uuid.UUID(next(guids)), "definition_id": ids[0], "person_id": p, "value_int": 20 + p % 60,
                 "value_text": None} for p in persons] + [
                {"guid": uuid.UUID(next(guids)), "definition_id": ids[1], "person_id": p, "value_int": None,
                 "value_text": f"regio {p % 12}"} for p in persons])
        transaction.rollback()
    return sample.seconds


def _import(engine, project_guid: str, sheet: bytes) -> float:  # type: ignore[no-untyped-def]
    """Import the sheet; returns its longest part (write transaction), in seconds."""
    import time

    from cases.attribute_sheets import import_attribute_sheet_in_steps

    marks = [time.perf_counter()]
    result = import_attribute_sheet_in_steps(engine, project_guid, "person", "sheet.csv", sheet, actor="bench",
                                             on_step=lambda done, of: marks.append(time.perf_counter()))
    assert result.values == 2 * result.rows, result
    return max(b - a for a, b in zip(marks[1:], marks[2:])) if len(marks) > 2 else marks[-1] - marks[0]


def _reset(engine) -> int:  # type: ignore[no-untyped-def]
    """Take the imported values and definitions out again; returns the sheet events logged so far."""
    from sqlalchemy import delete, func, select

    from store.db import write_session
    from store.models import AttributeDefinition, Event

    with write_session(engine) as s:
        s.execute(delete(AttributeDefinition))  # the values go with them (ON DELETE CASCADE)
        return s.scalar(select(func.count()).select_from(Event).where(Event.entity == "attribute_sheet"))


def measure(args: argparse.Namespace) -> dict:
    before = load()
    url, drop = _database(args.db)
    try:
        db = build(url, args.rows)
        engine, guid, sheet = db["engine"], db["project_guid"], db["sheet"]
        runs: dict[str, list[dict]] = {"F": [], "A": []}
        events, parts = 0, []
        for round_ in range(args.repeats + 1):
            floor = {"seconds": _floor(engine, guid, args.rows)}
            sample = Sample()
            with sample:
                longest = _import(engine, guid, sheet)
            events = _reset(engine)
            if round_:
                runs["F"].append(floor)
                runs["A"].append(sample.as_dict())
                parts.append(longest)
        tracemalloc.start()
        _import(engine, guid, sheet)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        engine.dispose()
    finally:
        drop()
    return {"machine": machine(), "versions": versions("sqlalchemy"), "load_before": before, "load_after": load(),
            "db": args.db,
            "when": datetime.now(timezone.utc).isoformat(), "rows": args.rows, "sheet_bytes": len(sheet),
            "repeats": args.repeats, "events_per_sheet": events / (args.repeats + 1),
            "kinds": {"F": {"median_s": statistics.median(r["seconds"] for r in runs["F"])},
                      "A": summarise(runs["A"])},
            "peak_alloc_bytes": peak, "longest_part_s": max(parts)}


def print_report(r: dict) -> None:
    k = r["kinds"]
    print(describe_machine(r))
    print(f"{r['db']}: a {r['rows']:,}-row person sheet ({r['sheet_bytes'] / 2**20:.1f} MiB, two attributes), "
          f"{r['repeats']} repeats; {r['events_per_sheet']:.0f} event(s) per sheet (one per part)")
    print(f"  F floor (two executemany inserts, rolled back) {k['F']['median_s'] * 1000:9.1f} ms")
    print(f"  A import_attribute_sheet_in_steps (commits)    {k['A']['median_s'] * 1000:9.1f} ms   "
          f"{k['A']['median_s'] / k['F']['median_s']:.2f}x the floor; longest part (transaction) "
          f"{r['longest_part_s'] * 1000:.0f} ms")
    print(f"  peak Python allocation of A: {r['peak_alloc_bytes'] / 2**20:.1f} MiB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args(argv)
    result = measure(args)
    print_report(result)
    print(f"wrote {write_json(RESULTS / f'attribute_sheet_bench_{args.db}.json', result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
