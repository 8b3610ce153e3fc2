"""Code x code co-occurrence with the c-coefficient, within one coder's codings unless pooled.

Units: "overlap" (two coded segments share characters; a segment with both codes is a pair with itself),
"sentence" or "turn" (both codes touch the same sentence or turn), "document" (both codes occur in it).
For overlap, n1 and n2 are the segments with each code and n12 the overlapping (code-1 segment, code-2
segment) pairs; for the other units they are the units holding each code and holding both.
c = n12 / (n1 + n2 - n12) runs 0-1 and carries no significance test; pairs whose frequencies differ more
than 5x are flagged because c then understates the association.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from analysis.matrix import Column, matrix_columns
from analysis.matrix_scope import Scope, scope_conditions
from cases.projects import get_case
from coding.retrieval import TURN_OF_SEGMENT
from store.errors import Refused
from store.models import CaseDocument, Coding, Document, Project, Segment, Sentence, Speaker, Turn

UNITS = ("overlap", "sentence", "turn", "document")
FREQUENCY_GAP = 5.0


@dataclass(frozen=True)
class CooccurrenceSpec:
    codebook: str = "vc"
    codebook2: str | None = None  # None: the same codebook on both axes
    depth: int | None = None
    depth2: int | None = None
    unit: str = "overlap"
    scope: Scope = field(default_factory=Scope)
    pool_coders: bool = False  # count pairs across coders (only meaningful when the scope has several)
    case: str | None = None  # one case's documents; None = all cases pooled


@dataclass
class Cooccurrence:
    spec: CooccurrenceSpec
    rows: list[Column]
    columns: list[Column]
    n12: list[list[int | None]]  # None on the diagonal of a codebook against itself
    n_rows: list[int]
    n_columns: list[int]
    note: str

    def c(self, i: int, j: int) -> float | None:
        n12 = self.n12[i][j]
        if n12 is None:
            return None
        denominator = self.n_rows[i] + self.n_columns[j] - n12
        return round(n12 / denominator, 3) if denominator > 0 else 0.0

    def coefficients(self) -> list[list[float | None]]:
        return [[self.c(i, j) for j in range(len(self.columns))] for i in range(len(self.rows))]

    def frequency_gap(self, i: int, j: int) -> bool:
        low, high = sorted((self.n_rows[i], self.n_columns[j]))
        return low > 0 and high / low > FREQUENCY_GAP

    def as_json(self) -> dict[str, Any]:
        return {"rows": [c.key for c in self.rows], "columns": [c.key for c in self.columns],
                "values": self.n12, "c": self.coefficients(), "n_rows": self.n_rows, "n_columns": self.n_columns,
                "frequency_gap": [[self.frequency_gap(i, j) for j in range(len(self.columns))]
                                  for i in range(len(self.rows))],
                "unit": self.spec.unit, "note": self.note}


def _coded_segments(session: Session, project: Project, spec: CooccurrenceSpec, columns: list[Column],
                    case_id: int | None) -> list[tuple]:
    """(segment id, coder id, document id, text version id, start, end, column) for the columns' codes."""
    column_of = {code_id: j for j, c in enumerate(columns) for code_id in c.members}
    stmt = (select(Segment.id, Segment.coder_id, Segment.document_id, Segment.text_version_id, Segment.start,
                   Segment.end, sql_case(column_of, value=Coding.code_id))
            .select_from(Coding).join(Segment, Coding.segment_id == Segment.id)
            .join(Document, Segment.document_id == Document.id)
            .where(Document.project_id == project.id, (Coding.code_id + 0).in_(sorted(column_of)),  # see matrix
                   *scope_conditions(session, project, spec.scope)))
    if spec.scope.needs_speaker():
        stmt = stmt.outerjoin(Turn, TURN_OF_SEGMENT).outerjoin(Speaker, Turn.speaker_id == Speaker.id)
    if case_id is not None:
        stmt = stmt.where(Segment.document_id.in_(select(CaseDocument.document_id)
                                                  .where(CaseDocument.case_id == case_id)))
    return list(session.execute(stmt))


def _units(session: Session, unit: str, segments: list[tuple]) -> dict[int, list[Any]]:
    """{segment id: the unit keys it touches} for sentence, turn or document units."""
    if unit == "document":
        return {s[0]: [s[2]] for s in segments}
    table = Sentence if unit == "sentence" else Turn
    versions = sorted({s[3] for s in segments})
    spans: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for chunk in range(0, len(versions), 500):
        for unit_id, version, start, end in session.execute(
                select(table.id, table.text_version_id, table.start, table.end)
                .where(table.text_version_id.in_(versions[chunk:chunk + 500]))):
            spans[version].append((start, end, unit_id))
    starts: dict[int, list[int]] = {}
    for version, found in spans.items():
        found.sort()
        starts[version] = [u[0] for u in found]
    out: dict[int, list[Any]] = {}
    for seg_id, _, _, version, start, end, _ in segments:
        found = spans.get(version, [])
        first = max(bisect.bisect_right(starts.get(version, []), start) - 1, 0)
        keys = []
        for unit_start, unit_end, unit_id in found[first:]:
            if unit_start >= end:
                break
            if unit_end > start:
                keys.append(unit_id)
        out[seg_id] = keys
    return out


def build_cooccurrence(session: Session, project: Project, spec: CooccurrenceSpec) -> Cooccurrence:
    if spec.unit not in UNITS:
        raise Refused(f"unknown co-occurrence unit '{spec.unit}' (use one of: {', '.join(UNITS)})")
    rows = matrix_columns(session, project, spec.codebook, spec.depth)
    same = spec.codebook2 is None or (spec.codebook2 == spec.codebook and spec.depth2 == spec.depth)
    columns = rows if same else matrix_columns(session, project, spec.codebook2 or spec.codebook, spec.depth2)
    case_id = get_case(session, project, spec.case).id if spec.case else None
    seg1 = _coded_segments(session, project, spec, rows, case_id)
    seg2 = seg1 if same else _coded_segments(session, project, spec, columns, case_id)
    pooled = spec.pool_coders

    def group(coder: int) -> int:
        return 0 if pooled else coder

    codes1: dict[int, set[int]] = defaultdict(set)
    codes2: dict[int, set[int]] = defaultdict(set)
    info: dict[int, tuple] = {}
    for s in seg1:
        codes1[s[0]].add(s[6])
        info[s[0]] = s
    for s in seg2:
        codes2[s[0]].add(s[6])
        info[s[0]] = s
    n12: list[list[int | None]] = [[0] * len(columns) for _ in rows]

    if spec.unit == "overlap":
        n1 = [0] * len(rows)
        n2 = [0] * len(columns)
        for seg_id, found in codes1.items():
            for i in found:
                n1[i] += 1
        for seg_id, found in codes2.items():
            for j in found:
                n2[j] += 1
        by_text: dict[tuple[int, int], list[tuple]] = defaultdict(list)
        for seg_id, s in info.items():
            by_text[(s[3], group(s[1]))].append((s[4], s[5], seg_id))
        for spans in by_text.values():
            spans.sort()
            active: list[tuple[int, int, int]] = []
            for start, end, seg_id in spans:
                active = [a for a in active if a[1] > start]
                for i in codes1.get(seg_id, ()):  # the segment with itself
                    for j in codes2.get(seg_id, ()):
                        n12[i][j] += 1
                for _, _, other in active:
                    for i in codes1.get(other, ()):
                        for j in codes2.get(seg_id, ()):
                            n12[i][j] += 1
                    for i in codes1.get(seg_id, ()):
                        for j in codes2.get(other, ()):
                            n12[i][j] += 1
                active.append((start, end, seg_id))
    else:
        units = _units(session, spec.unit, list(info.values()))
        holding1: dict[int, set[tuple]] = defaultdict(set)
        holding2: dict[int, set[tuple]] = defaultdict(set)
        for seg_id, s in info.items():
            for unit_key in units.get(seg_id, []):
                for i in codes1.get(seg_id, ()):
                    holding1[i].add((unit_key, group(s[1])))
                for j in codes2.get(seg_id, ()):
                    holding2[j].add((unit_key, group(s[1])))
        n1 = [len(holding1.get(i, ())) for i in range(len(rows))]
        n2 = [len(holding2.get(j, ())) for j in range(len(columns))]
        for i in range(len(rows)):
            for j in range(len(columns)):
                if holding1.get(i) and holding2.get(j):
                    n12[i][j] = len(holding1[i] & holding2[j])
    if same:
        for i in range(len(rows)):
            n12[i][i] = None
    who = "pooled across coders" if pooled else "within each coder's own codings"
    where = f"case {spec.case}" if spec.case else "all cases"
    unit_text = {"overlap": "overlapping segments", "sentence": "same sentence", "turn": "same turn",
                 "document": "same document"}[spec.unit]
    note = f"Co-occurrence by {unit_text}, {who}, {where}. {spec.scope.describe()}"
    return Cooccurrence(spec=spec, rows=rows, columns=columns, n12=n12, n_rows=n1, n_columns=n2, note=note)
