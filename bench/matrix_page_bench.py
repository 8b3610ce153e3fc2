"""Matrices page benchmark (issue 18): the page's first view on a 100,000-coding project, against a trivial page.

    .venv/bin/python bench/matrix_page_bench.py [--repeats 10] [--codings 100000] [--seed 7]

Setup (untimed): the matrix benchmark's main project (``bench.matrix_project``: 60 cases, 300 documents, 150 codes
in three codebooks, 4 coders) in a scratch SQLite database; local mode with a remembered researcher.

Timed, each repetition with Streamlit's caches cleared (the matrix is computed, as on a researcher's first visit
or after any change to the project), in Streamlit's AppTest (the page's own script, no browser):
  page     app.py opened on the project (untimed run), then ``switch_page("pages/matrices.py")`` and one run: the
           page's first view (cases x the first codebook's top codes, counts, the table, the heat map, the download
           buttons) -- checked: no exception, and the table holds one row per case
  trivial  a one-line page (``st.title``) run in the same AppTest harness, its second run timed as the page's:
           the floor of a page run here
The target (issue 18): the first view at 100,000 codings <= 0.3 s. Results go to stdout and
bench/results/matrix_page_bench.json.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.matrix_project import MAIN, build_project  # noqa: E402
from bench.measure import RESULTS, describe_machine, load, machine, versions, write_json  # noqa: E402

TARGET_S = 0.3
TRIVIAL = "import streamlit as st\nst.title('Trivial')\n"


def _apptest(url: str, project_guid: str):  # noqa: ANN202
    """app.py under AppTest on `url` with the project open (as tests/apptest_support.make_app, without pytest)."""
    import os

    import streamlit as st
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import AppTest

    original = PagesManager.__init__

    def init(self, *args, **kwargs):  # noqa: ANN001, ANN202 -- AppTest re-detects pages/ before each run
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init
    os.environ["KRUISPUNT_DB_URL"] = url
    os.environ.pop("KRUISPUNT_MODE", None)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["project"] = project_guid
    return at


def measure(args: argparse.Namespace) -> dict:
    from streamlit.testing.v1 import AppTest

    from cases.members import remember_local_name
    from store.db import write_session
    from store.migrate import upgrade

    result: dict = {"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": machine(),
                    "versions": versions("streamlit", "SQLAlchemy"), "load_before": load(), "codings": args.codings}
    with tempfile.TemporaryDirectory(prefix="kruispunt-matrix-page-") as tmp:
        url = f"sqlite:///{tmp}/page.sqlite"
        engine = upgrade(url)
        t0 = time.perf_counter()
        built = build_project(engine, {**MAIN, "codings": args.codings}, args.seed)
        print(f"built {args.codings:,} codings in {time.perf_counter() - t0:.1f} s", flush=True)
        with write_session(engine) as s:
            remember_local_name(s, "Anna")
        guid = _guid(engine, built["project_id"])
        page, trivial = [], []
        for r in range(args.repeats + 1):  # the first of each: warm-up (imports), not counted
            at = _apptest(url, guid)
            at.run()
            at.switch_page("pages/matrices.py")
            t = time.perf_counter()
            at.run()
            elapsed = time.perf_counter() - t
            if at.exception:
                raise SystemExit(f"the Matrices page raised: {at.exception}")
            tables = [d for d in at.dataframe if (d.key or "").startswith("matrix_table_")]
            if len(tables) != 1 or len(tables[0].value) != MAIN["cases"]:
                raise SystemExit(f"the Matrices page showed no table of {MAIN['cases']} cases")
            floor = AppTest.from_string(TRIVIAL, default_timeout=60)
            floor.run()  # untimed, as the page's harness ran app.py once before
            t = time.perf_counter()
            floor.run()
            floor_s = time.perf_counter() - t
            if r:
                page.append(elapsed)
                trivial.append(floor_s)
            print(f"  {'warm-up' if not r else f'{r}/{args.repeats}':>8}: page {elapsed * 1e3:7.1f} ms | trivial "
                  f"{floor_s * 1e3:6.1f} ms", flush=True)
        engine.dispose()
    result.update({"page_s": page, "trivial_s": trivial, "page_median_s": statistics.median(page),
                   "trivial_median_s": statistics.median(trivial), "load_after": load()})
    return result


def _guid(engine, project_id: int) -> str:  # noqa: ANN001
    from store.db import read_session
    from store.models import Project

    with read_session(engine) as s:
        return str(s.get(Project, project_id).guid)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--codings", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    r = measure(args)
    page, floor = r["page_median_s"], r["trivial_median_s"]
    print(f"\nKruispunt Matrices page (issue 18)  {r['when']}  {args.codings:,} codings, {args.repeats} repetitions")
    print(describe_machine(r))
    print(f"first view: median {page * 1e3:.0f} ms (min {min(r['page_s']) * 1e3:.0f}, max "
          f"{max(r['page_s']) * 1e3:.0f}); trivial page {floor * 1e3:.0f} ms; ratio {page / floor:.1f}x; "
          f"target <= {TARGET_S * 1e3:.0f} ms: {'meets' if page <= TARGET_S else 'MISSES'}")
    print(f"wrote {write_json(RESULTS / 'matrix_page_bench.json', r)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
