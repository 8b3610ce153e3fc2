"""Inter-coder agreement on the 100,000-coding benchmark project, against a one-pass floor in the same run.

    .venv/bin/python bench/agreement_bench.py [--db sqlite|postgresql] [--repeats 3] [--seed 1]

Set-up (untimed): the matrix benchmark's synthetic project (bench/matrix_project.py: 60 cases, 300 documents,
150 codes in three codebooks, 100,000 codings by four coders, 10% of the documents double-coded) in a scratch
database. The two coders compared are the pair that double-coded the most documents.

Two scopes, every unit (characters, sentences, turns, overlap ≥ 90%, document presence), one codebook (50 codes):
  shared  the documents both coders coded (what a researcher compares);
  all     all 300 documents (every coding of both coders; most documents are coded by one of them only, so most
          units are disagreements or agreement on "not coded": the largest input the unit code sees).

  A  `analysis.agreement.compute_agreement` (per code, pooled, the disagreement list with its text).
  F  the floor: the same rows read with one query each (text lengths, turns, sentences, both coders' spans of
     the codebook's codes) and one pass over the spans tallying coded characters per document, code and coder:
     what any agreement computation must at least read and touch.

Median of --repeats after one warm-up; peak Python allocation of A (tracemalloc, one untimed run). Results go to
stdout and bench/results/agreement_bench_<db>.json.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.matrix_project import CODEBOOK, MAIN, build_project  # noqa: E402
from bench.measure import RESULTS, describe_machine, load, machine, scratch_database, versions, write_json  # noqa: E402

UNITS = ("characters", "sentence", "turn", "overlap:90", "document")


def busiest_pair(session, project_id: int) -> tuple[str, str, list[int]]:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from store.models import Coder, Segment

    coders_of: dict[int, set[str]] = {}
    for document_id, name in session.execute(select(Segment.document_id, Coder.name).join(Coder).where(
            Coder.project_id == project_id).distinct()):
        coders_of.setdefault(document_id, set()).add(name)
    pairs = Counter(tuple(sorted(names)) for names in coders_of.values() if len(names) == 2)
    (a, b), _ = pairs.most_common(1)[0]
    return a, b, sorted(d for d, names in coders_of.items() if names == {a, b})


def floor(session, project_id: int, coders: tuple[str, str], document_ids: list[int]) -> int:  # type: ignore[no-untyped-def]
    """One query per kind of row (lengths, turns, sentences, spans), one pass over the spans; returns how many
    rows it read."""
    from sqlalchemy import func, select

    from store.models import Code, Codebook, Coder, Coding, Document, Segment, Sentence, TextVersion, Turn

    versions = dict(session.execute(select(TextVersion.id, func.length(TextVersion.text)).join(
        Document, Document.id == TextVersion.document_id).where(Document.id.in_(document_ids),
                                                                TextVersion.version == Document.current_version)).all())
    turns = session.execute(select(Turn.text_version_id, Turn.content_start, Turn.end)
                            .where(Turn.text_version_id.in_(versions))).all()
    sentences = session.execute(select(Sentence.text_version_id, Sentence.start, Sentence.end)
                                .where(Sentence.text_version_id.in_(versions))).all()
    spans = session.execute(
        select(Segment.document_id, Coder.name, Segment.start, Segment.end, Coding.code_id)
        .join(Coding, Coding.segment_id == Segment.id).join(Coder, Coder.id == Segment.coder_id)
        .join(Code, Code.id == Coding.code_id).join(Codebook, Codebook.id == Code.codebook_id)
        .where(Segment.text_version_id.in_(versions), Coder.name.in_(coders), Codebook.key == CODEBOOK)).all()
    coded: Counter = Counter()
    for document_id, coder, start, end, code_id in spans:
        coded[document_id, code_id, coder] += end - start
    return len(spans) + len(turns) + len(sentences)


def timed(work) -> float:  # type: ignore[no-untyped-def]
    began = time.perf_counter()
    work()
    return time.perf_counter() - began


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    from analysis.agreement import compute_agreement
    from cases.projects import get_project
    from store.db import read_session
    from store.migrate import upgrade
    from sqlalchemy import select

    from store.models import Document, Project

    result = {"machine": machine(), "versions": versions("sqlalchemy"), "load_before": load(), "db": args.db,
              "repeats": args.repeats, "rows": []}
    with scratch_database(args.db, "agreement") as url:
        engine = upgrade(url)
        built = build_project(engine, MAIN, args.seed)
        if args.db == "postgresql":
            with engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        with read_session(engine) as s:
            a, b, shared = busiest_pair(s, built["project_id"])
            documents = s.execute(select(Document.id, Document.guid).where(
                Document.project_id == built["project_id"])).all()
            everything, guid_of = sorted(d for d, _ in documents), {d: str(g) for d, g in documents}
            project_guid = str(s.scalar(select(Project.guid).where(Project.id == built["project_id"])))
        result.update(coders=[a, b], shared_documents=len(shared), codings=built["codings"])
        print(f"{args.db}: {built['codings']:,} codings; comparing {a} and {b}, who both coded {len(shared)} "
              "documents", flush=True)
        for scope, ids in (("shared", shared), ("all", everything)):
            refs = [guid_of[d] for d in ids]
            for unit in UNITS:
                def agreement() -> None:
                    with read_session(engine) as s:
                        compute_agreement(s, get_project(s, project_guid), [a, b], unit=unit, codebook=CODEBOOK,
                                          document_refs=refs)

                def bare() -> None:
                    with read_session(engine) as s:
                        floor(s, built["project_id"], (a, b), ids)

                agreement(), bare()  # warm-up
                f_runs = [timed(bare) for _ in range(args.repeats)]
                a_runs = [timed(agreement) for _ in range(args.repeats)]
                tracemalloc.start()
                agreement()
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
                with read_session(engine) as s:
                    report = compute_agreement(s, get_project(s, project_guid), [a, b], unit=unit,
                                               codebook=CODEBOOK, document_refs=refs)
                row = {"scope": scope, "unit": unit, "documents": len(ids), "n_units": report.n_units,
                       "disagreements": len(report.disagreements), "floor_s": statistics.median(f_runs),
                       "agreement_s": statistics.median(a_runs), "peak_alloc_mib": peak / 2**20}
                row["ratio"] = row["agreement_s"] / row["floor_s"]
                result["rows"].append(row)
                print(f"  {scope:6} {unit:11} {len(ids):3} docs  N {report.n_units:>12,.0f}  "
                      f"disagreements {len(report.disagreements):6,}  F {row['floor_s'] * 1000:7.1f} ms  "
                      f"A {row['agreement_s'] * 1000:8.1f} ms  A/F {row['ratio']:5.1f}×  "
                      f"peak {row['peak_alloc_mib']:.1f} MiB", flush=True)
        engine.dispose()
    result["load_after"] = load()
    print(describe_machine(result))
    path = write_json(RESULTS / f"agreement_bench_{args.db}.json", result)
    print(f"written to {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
