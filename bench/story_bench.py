"""Stories benchmark (issue 19): reading value-creation stories with their checks, the two value-creation matrices,
a case's candidate segments, and writing a step, each beside a bare-SQL floor measured in the same run.

    .venv/bin/python bench/story_bench.py [--stories 600] [--steps 5] [--repeats 7] [--seed 7] [--db URL]

Setup (untimed, except the writes): the demo study in a fresh database (SQLite in a temporary folder, or ``--db``,
an empty one), then ``--stories`` stories spread over its three cases, each with ``--steps`` steps drawn (seeded)
from the case's segments coded with a value-creation cycle, written through ``coding.stories.add_step`` one
transaction each (timed: "add step", against "add floor", a one-row UPDATE of a step and its commit).

Read kinds, interleaved per round after one discarded warm-up round, median of ``--repeats``:

  views        ``story_views(s, project)``: every story with its steps, quotes, turns and checks
  views floor  one SELECT of every step with its segment's text slice (``substr``) and its document title
  matrix       ``build_story_matrix(s, project)`` (stories x cycles, each cell its steps)
  reach        ``build_story_reach_matrix(s, project)`` (cases x cycles, distinct stories)
  candidates   ``story_candidates(s, project, case)`` for the case with the most value-creation segments
  cand. floor  one SELECT of that case's value-creation codings with their text slices

Results go to stdout and bench/results/story_bench[_postgresql].json.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.measure import RESULTS, Sample, describe_machine, load, machine, summarise, versions, write_json

VIEWS_FLOOR = ("SELECT st.id, st.position, st.note, sg.guid, sg.start, sg.\"end\", d.title, "
               "substr(tv.text, sg.start + 1, sg.\"end\" - sg.start) FROM story_step st "
               "JOIN segment sg ON sg.id = st.segment_id JOIN document d ON d.id = sg.document_id "
               "JOIN text_version tv ON tv.id = sg.text_version_id ORDER BY st.story_id, st.position")
CANDIDATES_FLOOR = ("SELECT sg.id, sg.guid, c.code_id, substr(tv.text, sg.start + 1, sg.\"end\" - sg.start) "
                    "FROM segment sg JOIN case_document cd ON cd.document_id = sg.document_id AND cd.case_id = :case "
                    "JOIN coding c ON c.segment_id = sg.id JOIN text_version tv ON tv.id = sg.text_version_id "
                    "WHERE c.code_id IN (SELECT id FROM code WHERE key LIKE 'vc.%' AND codebook_id IN "
                    "(SELECT id FROM codebook WHERE project_id = :project AND key = 'value-creation'))")


def build(engine, stories: int, steps: int, seed: int) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    """The demo plus `stories` stories; returns the seconds of each add_step and of each floor insert."""
    from sqlalchemy import text

    from cases.projects import get_project, list_cases
    from coding.stories import add_step, create_story, get_story, story_cycles
    from coding.story_views import story_candidates
    from demo.load import DEMO_PROJECT, load_demo
    from store.db import read_session, write_session

    load_demo(engine)
    rng = random.Random(seed)
    with read_session(engine) as s:
        project = get_project(s, DEMO_PROJECT)
        cases = list_cases(s, project)
        pools = {c.id: story_candidates(s, project, c) for c in cases}
        cycles = {c.key for c in story_cycles(s, project)}
    adds, floors = [], []
    for n in range(stories):
        case = cases[n % len(cases)]
        with write_session(engine) as s:
            story = create_story(s, get_project(s, DEMO_PROJECT), s.merge(case), f"Bench story {n:04d}",
                                 actor="bench")
            story_guid = str(story.guid)
        for candidate in rng.sample(pools[case.id], min(steps, len(pools[case.id]))):
            cycle = next(k for k in candidate.cycles if k in cycles)
            with Sample() as sample, write_session(engine) as s:
                project = get_project(s, DEMO_PROJECT)
                add_step(s, project, get_story(s, project, story_guid), candidate.segment, cycle=cycle,
                         actor="bench")
            adds.append(sample.seconds)
    with engine.connect() as connection:  # the floor: a one-row write to a step and its commit
        ids = connection.execute(text("SELECT id FROM story_step ORDER BY id LIMIT 50")).scalars().all()
        for step_id in ids:
            with Sample() as sample:
                connection.execute(text("UPDATE story_step SET note = note WHERE id = :i"), {"i": step_id})
                connection.commit()
            floors.append(sample.seconds)
    return adds, floors


def kinds(engine) -> dict:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select, text

    from analysis.story_matrix import build_story_matrix, build_story_reach_matrix
    from cases.projects import get_project, list_cases
    from coding.story_views import story_candidates, story_views
    from demo.load import DEMO_PROJECT
    from store.db import read_session
    from store.models import CaseDocument, Coding, Segment

    with read_session(engine) as s:
        project = get_project(s, DEMO_PROJECT)
        counts = dict(s.execute(select(CaseDocument.case_id, func.count(Coding.id))
                                .join(Segment, Segment.document_id == CaseDocument.document_id)
                                .join(Coding, Coding.segment_id == Segment.id).group_by(CaseDocument.case_id)).all())
        case = max(list_cases(s, project), key=lambda c: counts.get(c.id, 0))
        project_id, case_id = project.id, case.id

    def run(call):  # type: ignore[no-untyped-def]
        def timed() -> int:
            with read_session(engine) as s:
                project = get_project(s, DEMO_PROJECT)
                return call(s, project)
        return timed

    return {
        "views": run(lambda s, p: sum(len(v.steps) for v in story_views(s, p))),
        "views floor": run(lambda s, p: len(s.connection().execute(text(VIEWS_FLOOR)).all())),
        "matrix": run(lambda s, p: sum(map(sum, build_story_matrix(s, p).counts))),
        "reach": run(lambda s, p: sum(map(sum, build_story_reach_matrix(s, p).counts))),
        "candidates": run(lambda s, p: len(story_candidates(s, p, s.get(type(case), case_id)))),
        "cand. floor": run(lambda s, p: len(s.connection().execute(
            text(CANDIDATES_FLOOR), {"case": case_id, "project": project_id}).all())),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=int, default=600)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", help="an empty database (default: SQLite in a temporary folder)")
    args = parser.parse_args()
    from store.db import get_engine
    from store.migrate import upgrade

    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{tmp}/stories.sqlite"
        upgrade(url)
        engine = get_engine(url)
        before = load()
        adds, floors = build(engine, args.stories, args.steps, args.seed)
        timed = kinds(engine)
        found = {name: call() for name, call in timed.items()}  # warm-up, discarded: also what each reads
        runs: dict[str, list[dict]] = {name: [] for name in timed}
        for _ in range(args.repeats):
            for name, call in timed.items():
                with Sample() as sample:
                    call()
                runs[name].append(sample.as_dict())
        engine.dispose()
    summary = {name: summarise(r) for name, r in runs.items()}
    print(describe_machine({"machine": machine(), "load_before": before, "load_after": load()}))
    print(f"{args.stories} stories x {args.steps} steps on the demo; items read: {found}")
    for name, result in summary.items():
        print(f"  {name:12} median {result['median_s'] * 1e3:8.1f} ms (min {result['min_s'] * 1e3:.1f}, "
              f"max {result['max_s'] * 1e3:.1f})")
    ratios = {"views / floor": summary["views"]["median_s"] / summary["views floor"]["median_s"],
              "candidates / floor": summary["candidates"]["median_s"] / summary["cand. floor"]["median_s"],
              "add step / floor": statistics.median(adds) / statistics.median(floors)}
    print(f"  add step median {statistics.median(adds) * 1e3:.1f} ms, floor (an update and its commit) "
          f"{statistics.median(floors) * 1e3:.2f} ms")
    print("  ratios: " + ", ".join(f"{k} {v:.1f}x" for k, v in ratios.items()))
    suffix = "_postgresql" if (args.db or "").startswith("postgresql") else ""
    write_json(RESULTS / f"story_bench{suffix}.json", {
        "when": datetime.now(timezone.utc).isoformat(), "machine": machine(), "load_before": before,
        "load_after": load(),
        "versions": versions("sqlalchemy"), "args": vars(args), "found": found, "summary": summary,
        "add_step_s": statistics.median(adds), "add_floor_s": statistics.median(floors), "ratios": ratios})


if __name__ == "__main__":
    main()
