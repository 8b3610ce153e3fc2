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
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis.matrix import Column, matrix_columns
from analysis.matrix_scope import Scope, scope_conditions
from cases.projects import get_case
from coding.retrieval import TURN_OF_SEGMENT
from store.bulk import collector_paused
from store.errors import Refused
from store.models import CaseDocument, Coding, Document, Project, Segment, Sentence, Speaker, Turn

UNITS = ("overlap", "sentence", "turn", "document")
FREQUENCY_GAP = 5.0
STREAM_ROWS = 5000  # codings turned into rows at a time: only one document's segments are held while counting
UNIT_VERSIONS = 200  # texts whose sentences or turns are read at a time


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


@dataclass(slots=True)
class _Segment:
    id: int
    coder: int
    document: int
    version: int
    start: int
    end: int
    codes1: set[int]  # row indices of its codes
    codes2: set[int]  # column indices


def _coded_query(session: Session, project: Project, spec: CooccurrenceSpec, code_ids: list[int],
                 case_id: int | None):  # type: ignore[no-untyped-def]
    """SELECT (segment id, coder id, document id, text version id, start, end, code id) of the in-scope codings
    of the codes, in document, text version, coder (unless pooled) and start order, a segment's codings adjacent."""
    coder_order = () if spec.pool_coders else (Segment.coder_id,)
    stmt = (select(Segment.id, Segment.coder_id, Segment.document_id, Segment.text_version_id, Segment.start,
                   Segment.end, Coding.code_id)
            .select_from(Coding).join(Segment, Coding.segment_id == Segment.id)
            .join(Document, Segment.document_id == Document.id)
            .where(Document.project_id == project.id, (Coding.code_id + 0).in_(code_ids),  # see matrix
                   *scope_conditions(session, project, spec.scope))
            .order_by(Segment.document_id, Segment.text_version_id, *coder_order, Segment.start, Segment.id))
    if spec.scope.needs_speaker():
        stmt = stmt.outerjoin(Turn, TURN_OF_SEGMENT).outerjoin(Speaker, Turn.speaker_id == Speaker.id)
    if case_id is not None:
        stmt = stmt.where(Segment.document_id.in_(select(CaseDocument.document_id)
                                                  .where(CaseDocument.case_id == case_id)))
    return stmt


def _segments(rows: Iterator[Any], row_of: dict[int, int], column_of: dict[int, int]) -> Iterator[_Segment]:
    """One `_Segment` per coded segment from its adjacent codings, with its row and column indices."""
    current: _Segment | None = None
    for seg_id, coder, document, version, start, end, code in rows:
        if current is None or current.id != seg_id:
            if current is not None:
                yield current
            current = _Segment(seg_id, coder, document, version, start, end, set(), set())
        if (i := row_of.get(code)) is not None:
            current.codes1.add(i)
        if (j := column_of.get(code)) is not None:
            current.codes2.add(j)
    if current is not None:
        yield current


class _UnitSpans:
    """The sentences or turns of the texts the sweep reaches, read UNIT_VERSIONS texts at a time in the sweep's
    order (one query per text cost a round trip each on a server), only those held."""

    def __init__(self, session: Session, unit: str, versions: list[int]) -> None:
        self.session, self.table, self.versions = session, Sentence if unit == "sentence" else Turn, versions
        self.position = {version: k for k, version in enumerate(versions)}
        self.loaded: dict[int, tuple[list[int], list[tuple[int, int, int]]]] = {}

    def of(self, version: int) -> tuple[list[int], list[tuple[int, int, int]]]:
        if version not in self.loaded:
            first = self.position[version]
            chunk = self.versions[first:first + UNIT_VERSIONS]
            found: dict[int, list[tuple[int, int, int]]] = {v: [] for v in chunk}
            for text_version, start, end, unit_id in self.session.execute(
                    select(self.table.text_version_id, self.table.start, self.table.end, self.table.id)
                    .where(self.table.text_version_id.in_(chunk))):
                found[text_version].append((start, end, unit_id))
            for spans in found.values():
                spans.sort()
            self.loaded = {v: ([u[0] for u in spans], spans) for v, spans in found.items()}
        return self.loaded[version]


def _touched(units: tuple[list[int], list[tuple[int, int, int]]], start: int, end: int) -> list[int]:
    starts, spans = units
    keys = []
    for unit_start, unit_end, unit_id in spans[max(bisect.bisect_right(starts, start) - 1, 0):]:
        if unit_start >= end:
            break
        if unit_end > start:
            keys.append(unit_id)
    return keys


class _Counts:
    """n1, n2 and n12, filled one document (or one text and coder) at a time."""

    def __init__(self, rows: int, columns: int) -> None:
        self.n1, self.n2 = [0] * rows, [0] * columns
        self.n12: list[list[int | None]] = [[0] * columns for _ in range(rows)]

    def overlap(self, spans: list[_Segment]) -> None:
        """Pairs of overlapping segments of one text (and one coder unless pooled); a segment with itself."""
        n12 = self.n12
        active: list[_Segment] = []
        for seg in spans:
            for i in seg.codes1:
                self.n1[i] += 1
            for j in seg.codes2:
                self.n2[j] += 1
            active = [a for a in active if a.end > seg.start]
            for i in seg.codes1:
                for j in seg.codes2:
                    n12[i][j] += 1
            for other in active:
                for i in other.codes1:
                    for j in seg.codes2:
                        n12[i][j] += 1
                for i in seg.codes1:
                    for j in other.codes2:
                        n12[i][j] += 1
            active.append(seg)

    def units(self, holding: dict[tuple[int, int], tuple[set[int], set[int]]]) -> None:
        """Units (of one document) with the row and column codes each holds."""
        n12 = self.n12
        for codes1, codes2 in holding.values():
            for i in codes1:
                self.n1[i] += 1
                for j in codes2:
                    n12[i][j] += 1
            for j in codes2:
                self.n2[j] += 1


def _count(session: Session, spec: CooccurrenceSpec, query, row_of: dict[int, int],  # type: ignore[no-untyped-def]
           column_of: dict[int, int], counts: _Counts) -> None:
    """The sweep: segments arrive by document, text, coder and start; only one document's are held."""
    pooled = spec.pool_coders
    # Rows taken STREAM_ROWS at a time from an ordinary cursor: PostgreSQL plans a server-side cursor for its first
    # rows and without parallel workers (5-7x slower here); its client holds the raw rows, Python objects are made
    # only for the rows being counted.
    segments = _segments(iter(session.execute(query).yield_per(STREAM_ROWS)), row_of, column_of)
    if spec.unit == "overlap":
        text: list[_Segment] = []
        for seg in segments:
            if text and (text[0].version != seg.version or (not pooled and text[0].coder != seg.coder)):
                counts.overlap(text)
                text = []
            text.append(seg)
        counts.overlap(text)
        return
    spans = None
    if spec.unit != "document":  # the texts the sweep will reach, in its order (read before it starts)
        versions = query.with_only_columns(Segment.document_id, Segment.text_version_id).distinct().order_by(None)
        spans = _UnitSpans(session, spec.unit, [v for _, v in sorted(session.execute(versions).all())])
    holding: dict[tuple[int, int], tuple[set[int], set[int]]] = {}
    document = None
    for seg in segments:
        if seg.document != document:
            counts.units(holding)
            holding, document = {}, seg.document
        keys = [seg.document] if spans is None else _touched(spans.of(seg.version), seg.start, seg.end)
        for key in keys:
            codes1, codes2 = holding.setdefault((key, 0 if pooled else seg.coder), (set(), set()))
            codes1 |= seg.codes1
            codes2 |= seg.codes2
    counts.units(holding)


def build_cooccurrence(session: Session, project: Project, spec: CooccurrenceSpec) -> Cooccurrence:
    if spec.unit not in UNITS:
        raise Refused(f"unknown co-occurrence unit '{spec.unit}' (use one of: {', '.join(UNITS)})")
    rows = matrix_columns(session, project, spec.codebook, spec.depth)
    same = spec.codebook2 is None or (spec.codebook2 == spec.codebook and spec.depth2 == spec.depth)
    columns = rows if same else matrix_columns(session, project, spec.codebook2 or spec.codebook, spec.depth2)
    case_id = get_case(session, project, spec.case).id if spec.case else None
    row_of = {code_id: i for i, c in enumerate(rows) for code_id in c.members}
    column_of = {code_id: j for j, c in enumerate(columns) for code_id in c.members}
    counts = _Counts(len(rows), len(columns))
    query = _coded_query(session, project, spec, sorted(set(row_of) | set(column_of)), case_id)
    with collector_paused():  # a sweep of many short-lived tuples, none in a cycle (store.bulk)
        _count(session, spec, query, row_of, column_of, counts)
    n12, n1, n2 = counts.n12, counts.n1, counts.n2
    pooled = spec.pool_coders
    if same:
        for i in range(len(rows)):
            n12[i][i] = None
    who = "pooled across coders" if pooled else "within each coder's own codings"
    where = f"case {spec.case}" if spec.case else "all cases"
    unit_text = {"overlap": "overlapping segments", "sentence": "same sentence", "turn": "same turn",
                 "document": "same document"}[spec.unit]
    note = f"Co-occurrence by {unit_text}, {who}, {where}. {spec.scope.describe()}"
    return Cooccurrence(spec=spec, rows=rows, columns=columns, n12=n12, n_rows=n1, n_columns=n2, note=note)
