"""The matrix benchmark's timed kinds (bench/matrix_bench.py): the calls, their bare-SQL twins and the checks.

What each kind runs, one timed call of it in a new session, the checks that a matrix and its bare SQL agree,
and the cProfile of each kind; the script's worker processes drive them.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import uuid

from bench.matrix_project import CODEBOOK, REPORT_CODEBOOK
from bench.measure import RESULTS, ROOT, Sample, runqueue_wait_s

KINDS = ("count", "count_sql", "quotes", "quotes_sql", "cooc_overlap", "cooc_turn")
REPORT_KINDS = ("report_images", "report_plain")

# ---------------------------------------------------------------------------------------------
# The timed kinds
# ---------------------------------------------------------------------------------------------

def _primary_cte(project_id: int) -> str:
    """SQL: each document's primary coder -- the one it names, else the coder of its first segment."""
    return ("WITH f AS (SELECT s1.document_id, min(s1.id) AS first_id FROM segment s1 "
            f"JOIN document d1 ON d1.id = s1.document_id WHERE d1.project_id = {project_id} "
            "GROUP BY s1.document_id), "
            "pc AS (SELECT d.id AS document_id, COALESCE(d.primary_coder_id, fs.coder_id) AS coder_id "
            "FROM document d JOIN f ON f.document_id = d.id JOIN segment fs ON fs.id = f.first_id) ")


def count_sql(project_id: int, codebook_id: int) -> str:
    """The bare GROUP BY: in-scope (case, code) counts of coded segments (a segment has a code at most once)."""
    return (_primary_cte(project_id) +
            "SELECT cd.case_id, c.code_id, count(*) FROM coding c "
            "JOIN code k ON k.id = c.code_id "
            "JOIN segment s ON s.id = c.segment_id "
            "JOIN pc ON pc.document_id = s.document_id AND pc.coder_id = s.coder_id "
            "JOIN case_document cd ON cd.document_id = s.document_id "
            f"WHERE k.codebook_id = {codebook_id} "
            "GROUP BY cd.case_id, c.code_id")


def quotes_sql(project_id: int, codebook_id: int) -> str:
    """The bare SELECT of every quote's row key, column, text slice and reference fields."""
    return (_primary_cte(project_id) +
            "SELECT cd.case_id, c.code_id, s.guid, d.title, d.guid, s.start, s.\"end\", "
            "substr(tv.text, s.start + 1, s.\"end\" - s.start), t.ordinal, sp.role, sp.label, p.pseudonym, "
            "coalesce(sp.person_id, -sp.id), co.name FROM coding c "
            "JOIN code k ON k.id = c.code_id "
            "JOIN segment s ON s.id = c.segment_id "
            "JOIN pc ON pc.document_id = s.document_id AND pc.coder_id = s.coder_id "
            "JOIN document d ON d.id = s.document_id "
            "JOIN case_document cd ON cd.document_id = s.document_id "
            "JOIN text_version tv ON tv.id = s.text_version_id "
            "JOIN coder co ON co.id = s.coder_id "
            "LEFT JOIN turn t ON t.text_version_id = s.text_version_id AND t.start <= s.start "
            "AND s.start < t.\"end\" "
            "LEFT JOIN speaker sp ON sp.id = t.speaker_id "
            "LEFT JOIN person p ON p.id = sp.person_id "
            f"WHERE k.codebook_id = {codebook_id}")


class Kinds:
    """Each kind as a call on an open session; the project rows are loaded before any clock starts."""

    def __init__(self, ids: dict) -> None:
        from analysis.cooccurrence import CooccurrenceSpec, build_cooccurrence
        from analysis.matrix import MatrixSpec, build_matrix

        self.ids = ids
        self.build_matrix, self.MatrixSpec = build_matrix, MatrixSpec
        self.build_cooccurrence, self.CooccurrenceSpec = build_cooccurrence, CooccurrenceSpec
        if ids["report"]:  # imported before any clock starts, like the other kinds' modules
            import exports.cross_case_report  # noqa: F401
        self.sql = {"count_sql": count_sql(ids["project_id"], ids["codebook_id"]),
                    "quotes_sql": quotes_sql(ids["project_id"], ids["codebook_id"])}

    def run(self, kind: str, s, project, project20):  # noqa: ANN001, ANN201
        if kind == "count":
            return self.build_matrix(s, project, self.MatrixSpec(rows="cases", codebook=CODEBOOK, measure="count"))
        if kind == "quotes":
            return self.build_matrix(s, project, self.MatrixSpec(rows="cases", codebook=CODEBOOK,
                                                                 measure="quotes"))
        if kind in self.sql:
            return s.connection().exec_driver_sql(self.sql[kind]).fetchall()
        if kind.startswith("cooc_"):
            return self.build_cooccurrence(s, project, self.CooccurrenceSpec(codebook=CODEBOOK,
                                                                             unit=kind[len("cooc_"):]))
        if kind in REPORT_KINDS:
            from exports.cross_case_report import build_cross_case_report  # being written; may be absent

            return build_cross_case_report(s, project20, codebook=REPORT_CODEBOOK, depth=None,
                                           images=kind == "report_images")
        raise ValueError(kind)


def check(kind: str, result, ids: dict) -> dict:  # noqa: ANN001
    """What a kind produced, in a form that the A/B pairs can be compared on."""
    if kind == "count":
        return {"cells": {f"{r.sql_key}/{c.code_id}": result.counts[i][j] for i, r in enumerate(result.rows)
                          for j, c in enumerate(result.columns) if result.counts[i][j]},
                "shape": [len(result.rows), len(result.columns)]}
    if kind == "count_sql":
        return {"cells": {f"{case_id}/{code_id}": n for case_id, code_id, n in result}}
    if kind == "quotes":
        quotes = {(r.sql_key, c.code_id, q.segment, q.text, q.turn, q.role, q.coder)
                  for i, r in enumerate(result.rows) for j, c in enumerate(result.columns)
                  for q in result.quotes[i][j]}
        return {"quotes": sum(len(cell) for row in result.quotes for cell in row), "set": quotes}
    if kind == "quotes_sql":
        quotes = {(row[0], row[1], str(uuid.UUID(str(row[2]))), row[7], row[8], row[9] or "unknown", row[13])
                  for row in result}
        return {"quotes": len(result), "set": quotes}
    if kind.startswith("cooc_"):
        return {"pairs": sum(v for row in result.n12 for v in row if v), "shape": [len(result.rows),
                                                                                   len(result.columns)],
                "note": result.note}
    if kind in REPORT_KINDS:
        import io

        import docx

        document = docx.Document(io.BytesIO(result))
        shapes = sorted(((len(t.rows), len(t.columns)) for t in document.tables), reverse=True)
        return {"bytes": len(result), "tables": len(shapes), "largest_table": shapes[0] if shapes else None,
                "images": len(document.inline_shapes)}
    return {}


def verify(found: dict[str, dict]) -> dict:
    """The matrix and its bare-SQL twin must agree: same counts, same quotes."""
    a, b = found["count"]["cells"], found["count_sql"]["cells"]
    if a != b:
        diff = sorted(set(a.items()) ^ set(b.items()))[:5]
        raise SystemExit(f"count matrix and bare GROUP BY disagree ({len(a)} vs {len(b)} cells), e.g. {diff}")
    qa, qb = found["quotes"], found["quotes_sql"]
    if qa["quotes"] != qb["quotes"] or qa["set"] != qb["set"]:
        diff = sorted(map(str, qa["set"] ^ qb["set"]))[:3]
        raise SystemExit(f"quotes matrix ({qa['quotes']}) and bare SELECT ({qb['quotes']}) disagree, e.g. {diff}")
    return {"count_cells_nonzero": len(a), "count_total": sum(a.values()), "matrix_shape": found["count"]["shape"],
            "quotes": qa["quotes"], "cooc_overlap_pairs": found["cooc_overlap"]["pairs"],
            "cooc_turn_pairs": found["cooc_turn"]["pairs"], "cooc_note": found["cooc_overlap"]["note"]}


def _call(engine, kinds: Kinds, kind: str, ids: dict,  # noqa: ANN001
          profiler: cProfile.Profile | None = None) -> tuple:
    """One timed call in a new session; the project rows are read before the clock starts."""
    from store.db import read_session
    from store.models import Project

    with read_session(engine) as s:
        project = s.get(Project, ids["project_id"])
        project20 = s.get(Project, ids["project20_id"])
        if profiler is not None:
            profiler.enable()
        with Sample(runqueue_wait_s) as sample:
            result = kinds.run(kind, s, project, project20)
        if profiler is not None:
            profiler.disable()
    return sample.as_dict(), result


def profile_kinds(engine, kinds: Kinds, ids: dict, tag: str) -> dict:  # noqa: ANN001
    """cProfile of each target kind (warm): the top project functions by cumulative time, and a text dump."""
    root, venv, bench = str(ROOT) + os.sep, str(ROOT / ".venv"), str(ROOT / "bench")
    out = {}
    profiled = ["count", "quotes", "cooc_overlap", "cooc_turn", "count_sql", "quotes_sql"]
    for kind in profiled + (["report_plain"] if ids["report"] else []):
        prof = cProfile.Profile()
        sample, _ = _call(engine, kinds, kind, ids, profiler=prof)
        stats = pstats.Stats(prof)
        path = RESULTS / f"matrix_profile{tag}_{kind}.txt"
        RESULTS.mkdir(parents=True, exist_ok=True)
        with open(path, "w") as fh:
            pstats.Stats(prof, stream=fh).sort_stats("cumulative").print_stats(45)
            pstats.Stats(prof, stream=fh).sort_stats("tottime").print_stats(25)
        rows = []
        for (filename, line, func), (_cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
            shown = os.path.relpath(filename, ROOT) if filename.startswith(root) else filename
            rows.append({"function": f"{shown}:{line}({func})", "ncalls": nc, "tottime_s": tt, "cumtime_s": ct,
                         "own": filename.startswith(root) and not filename.startswith((venv, bench))})
        own = sorted((r for r in rows if r["own"]), key=lambda r: r["cumtime_s"], reverse=True)[:15]
        top_self = sorted(rows, key=lambda r: r["tottime_s"], reverse=True)[:12]
        out[kind] = {"profiled_s": sample["seconds"], "total_s": stats.total_tt,  # type: ignore[attr-defined]
                     "top_project_cumulative": own, "top_self": top_self, "file": str(path)}
    return out
