"""Each matrix call once in a fresh process, with its time and the process's peak memory (issue 18's "< 1 GB at
1,000,000 codings"), on a database that holds the matrix benchmark's project:

    .venv/bin/python bench/matrix_bench.py --codings 1000000 --repeats 1 --no-report --db URL --keep
    .venv/bin/python bench/matrix_memory.py --db URL [--kinds count,quotes,cooc_overlap,cooc_turn]

Peak is VmHWM (the resident set's high-water mark) of the worker; "over" is that peak minus the resident set just
before the call (imports, engine and project row already loaded). Each kind runs in its own worker, one at a time.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

KINDS = ("count", "quotes", "cooc_overlap", "cooc_turn")


def _rss_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def worker(url: str, kind: str) -> dict:
    from sqlalchemy import select

    from analysis.cooccurrence import CooccurrenceSpec, build_cooccurrence
    from analysis.matrix import MatrixSpec, build_matrix
    from bench.matrix_project import CODEBOOK, PROJECT
    from store.db import get_engine, read_session
    from store.models import Project

    with read_session(get_engine(url)) as s:
        project = s.scalar(select(Project).where(Project.name == PROJECT))
        before = _rss_mb("VmRSS")
        started = time.perf_counter()
        if kind.startswith("cooc_"):
            result = build_cooccurrence(s, project, CooccurrenceSpec(codebook=CODEBOOK, unit=kind[len("cooc_"):]))
            size = sum(v or 0 for row in result.n12 for v in row)
        else:
            result = build_matrix(s, project, MatrixSpec(rows="cases", codebook=CODEBOOK, measure=kind))
            size = sum(map(sum, result.counts))
        seconds = time.perf_counter() - started
    peak = _rss_mb("VmHWM")
    return {"kind": kind, "seconds": round(seconds, 3), "peak_mb": round(peak), "over_mb": round(peak - before),
            "size": size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.db, args.worker)))
        return
    for kind in args.kinds.split(","):
        out = subprocess.run([sys.executable, __file__, "--db", args.db, "--worker", kind], capture_output=True,
                             text=True, check=True).stdout
        found = json.loads(out.strip().splitlines()[-1])
        print(f"{kind:>13}: {found['seconds']:7.2f} s, peak {found['peak_mb']:5d} MB (+{found['over_mb']} MB), "
              f"{found['size']:,} counted")


if __name__ == "__main__":
    main()
