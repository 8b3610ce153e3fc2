"""The matrix benchmark's timed kinds (bench/matrix_bench.py): the calls, their bare-SQL twins and the checks.

What each kind runs, one timed call of it in a new session, the checks that a matrix and its bare SQL agree,
and the cProfile of each kind; the script's worker processes drive them. The physical floor: FLAT_TABLE, one
row per in-scope coding of CODEBOOK and case (``create_flat_table``, untimed), read by the ``*_flat`` kinds.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import uuid
from collections import defaultdict

from bench.matrix_project import CODEBOOK, REPORT_CODEBOOK
from bench.measure import RESULTS, ROOT, Sample, runqueue_wait_s
from store.bulk import collector_paused

KINDS = ("count", "count_sql", "count_flat", "quotes", "quotes_sql", "quotes_flat", "cooc_overlap", "cooc_flat",
         "cooc_turn")
FLAT_TABLE = "bench_flat_coding"
FLAT_WHERE = "WHERE codebook_id = {codebook_id} AND is_primary = 1"  # the matrices' codebook and coder scope
FLAT_SQL = {  # the floor: the same GROUP BY, quote fetch and co-occurrence input over the flat table
    "count_flat": f"SELECT case_id, code_id, count(*) FROM {FLAT_TABLE} {FLAT_WHERE} GROUP BY case_id, code_id",
    "quotes_flat": f'SELECT case_id, code_id, text, title, start, "end", turn, role, label, guid FROM {FLAT_TABLE} '
                   f"{FLAT_WHERE}",
    "cooc_flat": f'SELECT segment_id, text_version_id, coder_id, start, "end", code_id FROM {FLAT_TABLE} '
                 f"{FLAT_WHERE} ORDER BY text_version_id, coder_id, start, segment_id",
}
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


def _flat_table():  # noqa: ANN202
    """The flat table: one row per coding of the project (every codebook and coder) and case, with its quote's
    fields, its codebook and whether its coder is the document's primary coder."""
    from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text, Uuid

    table = Table(FLAT_TABLE, MetaData(), *(Column(name, Integer, nullable=False) for name in (
        "case_id", "codebook_id", "code_id", "document_id", "text_version_id", "coder_id", "segment_id", "start",
        "end", "is_primary")),
        Column("text", Text, nullable=False), Column("turn", Integer), Column("role", String(20)),
        Column("label", String(200)), Column("guid", Uuid, nullable=False), Column("title", String(300)))
    Index(f"ix_{FLAT_TABLE}_book_case_code", table.c.codebook_id, table.c.is_primary, table.c.case_id,
          table.c.code_id)
    Index(f"ix_{FLAT_TABLE}_book_text_coder_start", table.c.codebook_id, table.c.is_primary,
          table.c.text_version_id, table.c.coder_id, table.c.start)
    return table


def flat_fill_sql(project_id: int) -> str:
    """INSERT ... SELECT of the flat rows: every coding of the project per case, count_sql's primary coder as a
    flag, quotes_sql's text slice and turn."""
    return (f'INSERT INTO {FLAT_TABLE} (case_id, codebook_id, code_id, document_id, text_version_id, coder_id, '
            'segment_id, start, "end", is_primary, text, turn, role, label, guid, title) ' + _primary_cte(project_id)
            + "SELECT cd.case_id, k.codebook_id, c.code_id, s.document_id, s.text_version_id, s.coder_id, s.id, "
            's.start, s."end", CASE WHEN pc.coder_id IS NULL THEN 0 ELSE 1 END, '
            "substr(tv.text, s.start + 1, s.\"end\" - s.start), t.ordinal, sp.role, sp.label, s.guid, d.title "
            "FROM coding c "
            "JOIN code k ON k.id = c.code_id "
            "JOIN segment s ON s.id = c.segment_id "
            "LEFT JOIN pc ON pc.document_id = s.document_id AND pc.coder_id = s.coder_id "
            "JOIN document d ON d.id = s.document_id "
            "JOIN case_document cd ON cd.document_id = s.document_id "
            "JOIN text_version tv ON tv.id = s.text_version_id "
            "LEFT JOIN turn t ON t.text_version_id = s.text_version_id AND t.start <= s.start "
            'AND s.start < t."end" '
            "LEFT JOIN speaker sp ON sp.id = t.speaker_id "
            f"WHERE d.project_id = {project_id}")


def create_flat_table(engine, project_id: int) -> int:  # noqa: ANN001
    """(Re)create and fill the flat table and its two indexes in one transaction; returns its row count."""
    table = _flat_table()
    with engine.begin() as conn:
        table.drop(conn, checkfirst=True)
        table.create(conn)
        conn.exec_driver_sql(flat_fill_sql(project_id))
        return conn.exec_driver_sql(f"SELECT count(*) FROM {FLAT_TABLE}").scalar()


def drop_flat_table(engine) -> None:  # noqa: ANN001
    with engine.begin() as conn:
        _flat_table().drop(conn, checkfirst=True)


def cooc_sweep(rows) -> dict[tuple[int, int], int]:  # noqa: ANN001
    """Overlapping (code a, code b) pairs, a != b, as build_cooccurrence's overlap unit counts them, from rows
    (segment, text version, coder, start, end, code) ordered by text version, coder, start and segment; a
    segment's rows for two cases are one segment."""
    segments, last, codes = [], None, set()
    for seg_id, version, coder, start, end, code in rows:
        if seg_id != last:
            last, codes = seg_id, {code}
            segments.append((version, coder, start, end, codes))
        else:
            codes.add(code)
    n12: dict[tuple[int, int], int] = defaultdict(int)
    unit, active = None, []
    for version, coder, start, end, codes in segments:
        if (version, coder) != unit:
            unit, active = (version, coder), []
        active = [a for a in active if a[0] > start]
        for a in codes:  # a segment with two codes is a pair with itself
            for b in codes:
                if a != b:
                    n12[a, b] += 1
        for _, other in active:
            for a in other:
                for b in codes:
                    if a != b:
                        n12[a, b] += 1
                        n12[b, a] += 1
        active.append((end, codes))
    return n12


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
        self.flat = {kind: sql.format(codebook_id=ids["codebook_id"]) for kind, sql in FLAT_SQL.items()}

    def run(self, kind: str, s, project, project20):  # noqa: ANN001, ANN201
        if kind == "count":
            return self.build_matrix(s, project, self.MatrixSpec(rows="cases", codebook=CODEBOOK, measure="count"))
        if kind == "quotes":
            return self.build_matrix(s, project, self.MatrixSpec(rows="cases", codebook=CODEBOOK,
                                                                 measure="quotes"))
        if kind in self.sql:
            return s.connection().exec_driver_sql(self.sql[kind]).fetchall()
        # The floors read with the garbage collector held off, as the quotes matrix and co-occurrence do.
        if kind == "cooc_flat":
            with collector_paused():
                return cooc_sweep(s.connection().exec_driver_sql(self.flat[kind]))
        if kind in self.flat:
            with collector_paused():
                return s.connection().exec_driver_sql(self.flat[kind]).fetchall()
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
    if kind in ("count_sql", "count_flat"):
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
    if kind == "quotes_flat":  # no coder name in the flat table: the quotes' set without it
        return {"quotes": len(result), "set": {(row[0], row[1], str(uuid.UUID(str(row[9]))), row[2], row[6],
                                                row[7] or "unknown") for row in result}}
    if kind == "cooc_flat":
        return {"pairs": sum(result.values()), "cells": {f"{a}/{b}": n for (a, b), n in result.items() if n}}
    if kind.startswith("cooc_"):
        return {"pairs": sum(v for row in result.n12 for v in row if v), "shape": [len(result.rows),
                                                                                   len(result.columns)],
                "note": result.note,
                "cells": {f"{r.code_id}/{c.code_id}": result.n12[i][j] for i, r in enumerate(result.rows)
                          for j, c in enumerate(result.columns) if result.n12[i][j]}}
    if kind in REPORT_KINDS:
        import io

        import docx

        document = docx.Document(io.BytesIO(result))
        shapes = sorted(((len(t.rows), len(t.columns)) for t in document.tables), reverse=True)
        return {"bytes": len(result), "tables": len(shapes), "largest_table": shapes[0] if shapes else None,
                "images": len(document.inline_shapes)}
    return {}


def _same_cells(a: dict, b: dict, what: str) -> None:
    if a != b:
        diff = sorted(set(a.items()) ^ set(b.items()))[:5]
        raise SystemExit(f"{what} disagree ({len(a)} vs {len(b)} cells), e.g. {diff}")


def verify(found: dict[str, dict]) -> dict:
    """The matrix and its bare-SQL twin must agree: same counts, same quotes."""
    a = found["count"]["cells"]
    _same_cells(a, found["count_sql"]["cells"], "count matrix and bare GROUP BY")
    qa, qb = found["quotes"], found["quotes_sql"]
    if qa["quotes"] != qb["quotes"] or qa["set"] != qb["set"]:
        diff = sorted(map(str, qa["set"] ^ qb["set"]))[:3]
        raise SystemExit(f"quotes matrix ({qa['quotes']}) and bare SELECT ({qb['quotes']}) disagree, e.g. {diff}")
    return {"count_cells_nonzero": len(a), "count_total": sum(a.values()), "matrix_shape": found["count"]["shape"],
            "quotes": qa["quotes"], "cooc_overlap_pairs": found["cooc_overlap"]["pairs"],
            "cooc_turn_pairs": found["cooc_turn"]["pairs"], "cooc_note": found["cooc_overlap"]["note"],
            "flat": verify_flat(found)}


def verify_flat(found: dict[str, dict]) -> dict:
    """The floor kinds must find what the matrix kinds find: the same cells, quotes and overlapping pairs."""
    b = found["count_flat"]["cells"]
    _same_cells(found["count"]["cells"], b, "count matrix and flat GROUP BY")
    qa, qf = found["quotes"], found["quotes_flat"]
    projected = {q[:6] for q in qa["set"]}
    if qa["quotes"] != qf["quotes"] or projected != qf["set"]:
        diff = sorted(map(str, projected ^ qf["set"]))[:3]
        raise SystemExit(f"quotes matrix ({qa['quotes']}) and flat SELECT ({qf['quotes']}) disagree, e.g. {diff}")
    ca, cf = found["cooc_overlap"], found["cooc_flat"]
    _same_cells(ca["cells"], cf["cells"], f"co-occurrence overlap ({ca['pairs']} pairs) and the flat sweep "
                f"({cf['pairs']} pairs)")
    return {"count_cells": len(b), "quotes": qf["quotes"], "cooc_pairs": cf["pairs"], "cooc_cells": len(cf["cells"])}


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
