"""Cross-case matrices derived on demand from the codings: rows x the codes of one codebook.

Counts come from one SQL GROUP BY (segments, documents and interviewees per row and column); coded text is
read only for coverage, quotes and drill-down. Columns are every codable code of the codebook, or the codes
rolled up to a depth (a column at the deepest level counts distinct segments with any code of its subtree).
Nothing here is stored: the stored part of a cell (state, rating, summary) lives in `analysis.framework_matrix` and is
laid over case rows so that a cell marked "no data" never reads as 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import case as sql_case
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from analysis.matrix_rows import Row, RowDimension, row_dimension
from analysis.matrix_scope import ALL, INTERVIEWEE_ROLES, PRIMARY, Scope, scope_conditions
from analysis.matrix_source import TABLES, Source, facts_scope_conditions, matrix_source, speakers_by_id
from cases.documents import document_titles, page_at, quote_citation, texts_and_pages, turn_number
from codebooks.levels import CodebookCodes, load_codebook_codes, rolled_up_codes
from codebooks.service import code_label
from coding.retrieval import SPEAKER_KEY, TURN_OF_SEGMENT, RetrievedSegment, retrieve_segments
from store.bulk import collector_paused, driver_rows
from store.errors import Refused
from store.matrix_facts import FACT, FACT_TABLE
from store.models import (
    Coder, Coding, Document, FrameworkCell, Project, Segment, Speaker, Turn, dashed_guid, guid_text,
)

MEASURES = ("count", "documents", "persons", "coverage", "presence", "row_pct", "col_pct", "quotes")
STATE_LABELS = {"not_assessed": "not assessed", "no_data": "no data", "absent": "absent",
                "not_applicable": "n/a", "assessed": "assessed"}
SHOWN_STATES = ("not_assessed", "no_data", "not_applicable", "absent")  # shown instead of a zero


@dataclass(frozen=True)
class MatrixSpec:
    rows: str = "cases"
    codebook: str = "vc"
    depth: int | None = None
    measure: str = "count"
    scope: Scope = field(default_factory=Scope)


@dataclass
class Column:
    key: str
    label: str
    code_id: int
    depth: int
    members: frozenset[int]  # the code ids this column counts (itself, or its subtree when rolled up)
    rank: float | None = None
    horizon: str | None = None
    colour: str = "#999999"


@dataclass(slots=True)
class Quote:
    segment: str
    document: str
    document_guid: str
    start: int
    end: int
    text: str
    turn: int | None
    role: str
    speaker: str | None  # the label as written (anonymise before showing to participants)
    pseudonym: str | None
    speaker_key: int | None
    coder: str
    page: int | None = None  # a PDF's page the quote starts on; None for a transcript

    def citation(self, *, document: bool = True) -> str:
        """"gesprek noord · turn 2", "plan · p. 3 · ¶5" (cases.documents.quote_citation)."""
        return quote_citation(self.turn, self.speaker, page=self.page, document=self.document if document else None)

    def as_dict(self) -> dict:
        return {"document": self.document, "start": self.start, "end": self.end, "text": self.text,
                "turn": turn_number(self.turn), "turn_ordinal": self.turn, "page": self.page,
                "citation": self.citation(), "role": self.role,
                "speaker": self.pseudonym or self.speaker, "coder": self.coder, "segment": self.segment}


@dataclass
class Matrix:
    spec: MatrixSpec
    codebook: str
    codebook_version: str
    rows: list[Row]
    columns: list[Column]
    counts: list[list[int]]
    documents: list[list[int]] | None  # built for the measure "documents", with persons, or when asked for
    persons: list[list[int]] | None
    pooled: list[list[bool]]
    states: list[list[str | None]]
    scope_note: str
    coverage: list[list[float]] | None = None
    quotes: list[list[list[Quote]]] | None = None
    speaker_based: bool = False

    # --- reading values -------------------------------------------------------------------------

    def values(self, measure: str | None = None) -> list[list[Any]]:
        """Numbers for a measure (row-major); quotes as lists; presence as 0/1; percentages to one decimal."""
        measure = measure or self.spec.measure
        if measure == "count":
            return self.counts
        if measure == "documents":
            if self.documents is None:
                raise Refused("this matrix was built without document counts; build it with measure 'documents'")
            return self.documents
        if measure == "presence":
            return [[1 if v else 0 for v in row] for row in self.counts]
        if measure == "persons":
            if self.persons is None:
                raise Refused("this matrix was built without interviewee counts; build it with measure 'persons'")
            return self.persons
        if measure == "coverage":
            if self.coverage is None:
                raise Refused("this matrix was built without coverage; build it with measure 'coverage'")
            return self.coverage
        if measure == "quotes":
            if self.quotes is None:
                raise Refused("this matrix was built without quotes; build it with measure 'quotes'")
            return self.quotes
        if measure == "row_pct":
            return [[_pct(v, sum(row)) for v in row] for row in self.counts]
        if measure == "col_pct":
            totals = [sum(col) for col in zip(*self.counts)] if self.counts else []
            return [[_pct(v, totals[j]) for j, v in enumerate(row)] for row in self.counts]
        raise Refused(f"unknown cell measure '{measure}' (use one of: {', '.join(MEASURES)})")

    def interviewees(self, i: int) -> int:
        if self.persons is None:  # the rows were read without their interviewees (matrix_rows.row_dimension)
            raise Refused("this matrix was built without interviewee counts; build it with measure 'persons'")
        return len(self.rows[i].interviewees)

    def cell_text(self, i: int, j: int, measure: str | None = None) -> str:
        """What a reader sees in a cell: the number, "k of n", or the stored state where nothing is coded."""
        measure = measure or self.spec.measure
        state = self.states[i][j]
        if self.counts[i][j] == 0 and state in SHOWN_STATES:
            return STATE_LABELS[state]
        value = self.values(measure)[i][j]
        if measure == "persons":
            text = f"{value} of {self.interviewees(i)}"
        elif measure in ("coverage", "row_pct", "col_pct"):
            text = f"{value:.1f}%"
        elif measure == "quotes":
            text = f"{len(value)} quote{'s' if len(value) != 1 else ''}"
        else:
            text = str(value)
        return text + (" ⧉" if self.pooled[i][j] else "")

    def column_keys(self) -> list[str]:
        return [c.key for c in self.columns]

    def as_json(self, measure: str | None = None) -> dict:
        """{"rows", "columns", "values"} row-major, plus what a reader needs to trust the numbers."""
        measure = measure or self.spec.measure
        values = self.values(measure)
        if measure == "quotes":
            values = [[[q.as_dict() for q in cell] for cell in row] for row in values]
        out: dict[str, Any] = {
            "rows": [r.label for r in self.rows], "columns": self.column_keys(), "values": values,
            "measure": measure, "codebook": self.codebook, "scope": self.scope_note,
            "states": self.states, "pooled": self.pooled,
        }
        if measure == "persons":
            out["n"] = [self.interviewees(i) for i in range(len(self.rows))]
        return out

    def to_frame(self, measure: str | None = None):  # -> pandas.DataFrame (imported lazily: CLI start-up)
        import pandas as pd

        measure = measure or self.spec.measure
        data = [[self.cell_text(i, j, measure) for j in range(len(self.columns))] for i in range(len(self.rows))]
        return pd.DataFrame(data, index=[r.label for r in self.rows], columns=[c.label for c in self.columns])


def _pct(value: int, total: int) -> float:
    return round(100.0 * value / total, 1) if total else 0.0


# --- columns ---------------------------------------------------------------------------------------

DIRECT_ONLY = "(direct only)"


def matrix_columns(session: Session, project: Project, codebook_key: str, depth: int | None = None,
                   *, language: str = "en", codebook: CodebookCodes | None = None) -> list[Column]:
    """Codable codes in codebook order, or codes down to `depth` with the deepest level rolled up (`codebook`: the
    one `codebook_key` names, when the caller has it already)."""
    codebook = codebook or load_codebook_codes(session, project, codebook_key)
    rolled = rolled_up_codes(codebook, depth)
    if not rolled:
        raise Refused(f"codebook '{codebook_key}' has no codes to show as columns")
    # A code shown beside its own sub-codes counts only what is coded with it directly: say so where it is read.
    return [Column(key=r.code.key, label=code_label(r.code, language) + (
                       f" {DIRECT_ONLY}" if r.members == {r.code.id} and r.has_children else ""),
                   code_id=r.code.id, depth=r.level, members=r.members, rank=r.code.rank, horizon=r.code.horizon,
                   colour=r.code.colour) for r in rolled]


# --- the matrix ------------------------------------------------------------------------------------

def _direct(src: Source, columns: list[Column]) -> bool:
    """On the read path with one code per column, a column is its code (no CASE); and a case row then holds each
    (segment, code) once, so its rows are its segments."""
    return src.facts and all(len(c.members) == 1 for c in columns)


def _coding_query(session: Session, project: Project, spec: MatrixSpec, dim: RowDimension, columns: list[Column],
                  *cols: Any, with_speaker: bool = False, source: Source | None = None):
    """SELECT cols FROM the in-scope codings of the columns' codes, joined for the row key ("column" is the
    column's value, "key" the row key); returns the statement, the column's expression and {its value: column}.

    On the read path with one code per column the column is the code itself: the GROUP BY then follows the index
    (a CASE per row cost two thirds of the count), and codes of the codebook that are no column are skipped here."""
    src = source or replace(TABLES, key=dim.key_expr)
    column_of = {code_id: j for j, c in enumerate(columns) for code_id in c.members}
    direct = _direct(src, columns)
    col_expr = src.code if direct else sql_case(column_of, value=src.code)
    to_column = column_of if direct else {j: j for j in range(len(columns))}
    picked = [col_expr if c == "column" else src.key if c == "key" else c for c in cols]
    speaker = with_speaker or dim.speaker_based or spec.scope.needs_speaker()
    # "+ 0" keeps SQLite from probing the (segment_id, code_id) index once per listed code for every segment.
    codes = (src.code + 0).in_(sorted(column_of))
    if src.facts:
        stmt = select(*picked).select_from(FACT_TABLE)
        if speaker:
            stmt = stmt.outerjoin(Speaker, FACT.speaker_id == Speaker.id)
        conditions = facts_scope_conditions(session, project, spec.scope)
        if not direct:
            conditions.append(codes)
        return stmt.where(FACT.codebook_id == src.codebook, *conditions), col_expr, to_column
    stmt = (select(*picked)
            .select_from(Coding)
            .join(Segment, Coding.segment_id == Segment.id)
            .join(Document, Segment.document_id == Document.id))
    if speaker:
        stmt = stmt.outerjoin(Turn, TURN_OF_SEGMENT).outerjoin(Speaker, Turn.speaker_id == Speaker.id)
    stmt = dim.join(stmt)
    return stmt.where(Document.project_id == project.id, codes,
                      *scope_conditions(session, project, spec.scope)), col_expr, to_column


def build_matrix(session: Session, project: Project, spec: MatrixSpec, *, language: str = "en",
                 with_persons: bool = False, read_path: str = "auto") -> Matrix:
    """The matrix for `spec`: every row (coded or not) x the codebook's columns, with the measure's values.

    Documents per cell are counted only for the measure "documents" or with persons (the framework cells show
    both): a distinct count per cell is most of a count matrix's query. `read_path` "tables" or "facts"
    forces where the codings are read (tests compare the two); "auto" takes the read path wherever it serves."""
    if spec.rows == "coders" and spec.scope.coders == PRIMARY:
        spec = replace(spec, scope=replace(spec.scope, coders=ALL))  # rows per coder need every coder's codings
    if spec.measure not in MEASURES:
        raise Refused(f"unknown cell measure '{spec.measure}' (use one of: {', '.join(MEASURES)})")
    codebook = load_codebook_codes(session, project, spec.codebook)
    columns = matrix_columns(session, project, spec.codebook, spec.depth, language=language, codebook=codebook)
    want_persons = with_persons or spec.measure == "persons"
    dim = row_dimension(session, project, spec.rows, spec.scope, details=want_persons or spec.measure == "coverage")
    src = matrix_source(session, project, spec, dim, codebook.id, read_path)
    index = dim.index()
    n_rows, n_cols = len(dim.rows), len(columns)

    def grid(value: Any) -> list[list[Any]]:
        return [[value] * n_cols for _ in range(n_rows)]

    counts, pooled = grid(0), grid(False)
    persons = grid(0) if want_persons else None
    documents = grid(0) if want_persons or spec.measure == "documents" else None
    # On the read path a case row holds each coding once, so with one code per column its rows are its segments.
    rows_are_segments = dim.kind == "cases" and _direct(src, columns)
    aggregates = [func.count() if rows_are_segments else func.count(func.distinct(src.segment))]
    if documents is not None:
        aggregates.append(func.count(func.distinct(src.document)))
    if want_persons:
        person_key = SPEAKER_KEY if dim.speaker_based else sql_case(
            (Speaker.role.in_(INTERVIEWEE_ROLES), SPEAKER_KEY), else_=None)
        aggregates.append(func.count(func.distinct(person_key)))
    targets = [grid for grid in (counts, documents, persons) if grid is not None]
    # A cell's count is its distinct segments, and so its quotes: a quotes matrix with counts alone reads no count.
    counts_from_quotes = spec.measure == "quotes" and len(targets) == 1
    stmt, col_expr, to_column = _coding_query(session, project, spec, dim, columns, "key", "column", *aggregates,
                                              with_speaker=want_persons, source=src)
    found = [] if counts_from_quotes else _rows(session, src, stmt.group_by(src.key, col_expr))
    if len(targets) == 1:  # counts alone, the common case: no per-row list of the optional columns
        for key, value, n_segments in found:
            i, j = index.get(key), to_column.get(value)
            if i is not None and j is not None:
                counts[i][j] = n_segments
    else:
        for key, value, *values in found:
            i, j = index.get(key), to_column.get(value)
            if i is not None and j is not None:
                for target, number in zip(targets, values):
                    target[i][j] = number

    if spec.scope.pools():
        per_doc, per_doc_col, to_column = _coding_query(session, project, spec, dim, columns, "key", "column",
                                                        source=src)
        per_doc = (per_doc.add_columns(src.document)
                   .group_by(src.key, per_doc_col, src.document)
                   .having(func.count(func.distinct(src.coder)) > 1))
        for key, value, _ in session.execute(per_doc):
            if key in index and value in to_column:
                pooled[index[key]][to_column[value]] = True

    states: list[list[str | None]] = grid(None)
    if dim.kind == "cases":
        col_of = {c.code_id: j for j, c in enumerate(columns)}
        cell = FrameworkCell.__table__.c  # the table's columns: no ORM compile step (see store.matrix_facts.FACT)
        for case_id, code_id, state in session.execute(
                select(cell.case_id, cell.code_id, cell.state)
                .where(cell.project_id == project.id, cell.code_id.in_(col_of))):
            if case_id in index:
                states[index[case_id]][col_of[code_id]] = state

    matrix = Matrix(spec=spec, codebook=codebook.key, codebook_version=codebook.version, rows=dim.rows,
                    columns=columns, counts=counts, documents=documents, persons=persons, pooled=pooled,
                    states=states, scope_note=spec.scope.describe(), speaker_based=dim.speaker_based)
    if spec.measure == "coverage":
        matrix.coverage = _coverage(session, project, spec, dim, columns, src)
    if spec.measure == "quotes":
        with collector_paused():
            matrix.quotes = _quotes(session, project, spec, dim, columns, src)
        if counts_from_quotes:
            matrix.counts = [[len(cell) for cell in line] for line in matrix.quotes]
    return matrix


def _union_length(spans: list[tuple[int, int]], regions: list[tuple[int, int]] | None) -> int:
    """Characters covered by the spans (overlaps once), clipped to the regions when given."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    if regions is None:
        return sum(e - s for s, e in merged)
    total = 0
    for s, e in merged:
        for rs, re_ in regions:
            total += max(0, min(e, re_) - max(s, rs))
    return total


def _coverage(session: Session, project: Project, spec: MatrixSpec, dim: RowDimension,
              columns: list[Column], src: Source) -> list[list[float]]:
    stmt, _, to_column = _coding_query(session, project, spec, dim, columns, "key", "column", src.version, src.start,
                                       src.end, source=src)
    spans: dict[tuple[int, int, int], list[tuple[int, int]]] = {}
    index = dim.index()
    for key, value, version_id, start, end in session.execute(stmt.distinct()):
        i, j = index.get(key), to_column.get(value)
        if i is not None and j is not None:
            spans.setdefault((i, j, version_id), []).append((start, end))
    covered: dict[tuple[int, int], int] = {}
    for (i, j, version_id), found in spans.items():
        regions = dim.rows[i].regions.get(version_id, []) if dim.speaker_based else None
        covered[(i, j)] = covered.get((i, j), 0) + _union_length(found, regions)
    return [[round(100.0 * covered.get((i, j), 0) / row.chars, 1) if row.chars else 0.0
             for j in range(len(columns))] for i, row in enumerate(dim.rows)]


def _quotes(session: Session, project: Project, spec: MatrixSpec, dim: RowDimension,
            columns: list[Column], src: Source) -> list[list[list[Quote]]]:
    read = (FACT.text, FACT.page) if src.facts else ()
    guid_column = src.guid if src.facts else guid_text(src.guid)
    stmt, _, to_column = _coding_query(session, project, spec, dim, columns, "key", "column", guid_column,
                                       src.document, src.start, src.end, src.version, src.turn, src.speaker,
                                       src.coder, *read, with_speaker=not src.facts, source=src)
    rows = _rows(session, src, stmt)
    if not src.facts:  # the quote's text and page, and the guid as the read path stores it
        quote_of = _text_slicer(session, rows)
        rows = [(*r[:2], dashed_guid(r[2]), *r[3:], *quote_of(r)) for r in rows]
    # Speakers once, not joined to every quote: (role, label, pseudonym, speaker key).
    speakers = speakers_by_id(session, project)
    nobody = ("unknown", None, None, None)
    documents = document_titles(session, project)
    coder = Coder.__table__.c
    coders = dict(session.execute(select(coder.id, coder.name).where(coder.project_id == project.id)).all())
    # Cells list their quotes by document title, then start, end and guid: the rows sorted by document, start, end
    # and guid (a key the sort builds in C), then each document's run taken in title order; each cell fills in order.
    rows.sort(key=itemgetter(3, 4, 5, 2))
    runs = [(doc_id, list(run)) for doc_id, run in groupby(rows, key=itemgetter(3))]
    runs.sort(key=lambda run: (documents[run[0]][0].casefold(), documents[run[0]][0], run[0]))
    out: list[list[list[Quote]]] = [[[] for _ in columns] for _ in dim.rows]
    line_of = {row.sql_key: line for row, line in zip(dim.rows, out)}
    # On the read path, with one code per column, a case row has each (segment, code) once: nothing to skip.
    unique = dim.kind == "cases" and _direct(src, columns)
    seen: set[tuple[Any, int, str]] = set()
    for doc_id, run in runs:
        title, doc_guid = documents[doc_id]
        for key, value, guid, _, start, end, _, turn, speaker_id, coder_id, text, page in run:
            line, j = line_of.get(key), to_column.get(value)
            if line is None or j is None:
                continue
            if not unique:
                if (key, j, guid) in seen:
                    continue
                seen.add((key, j, guid))
            role, label, pseudonym, speaker_key = speakers.get(speaker_id, nobody)
            line[j].append(Quote(guid, title, doc_guid, start, end, text, turn, role, label, pseudonym, speaker_key,
                                 coders[coder_id], page))
    return out


def _rows(session: Session, src: Source, stmt: Any) -> list[tuple]:
    """On the read path, whose keys and values are integers and strings, the driver's own tuples; from the tables
    (where a row key can be a typed attribute value: a date, a boolean) SQLAlchemy's, converted."""
    return driver_rows(session, stmt) if src.facts else [tuple(r) for r in session.execute(stmt)]


def _text_slicer(session: Session, rows: list) -> Any:
    """(text, page) of a quote row read from the tables."""
    texts = texts_and_pages(session, (r[6] for r in rows))
    return lambda r: (texts[r[6]][0][r[4]:r[5]], page_at(texts[r[6]][1], r[4]))


# --- drill-down ------------------------------------------------------------------------------------

def cell_segment_ids(session: Session, project: Project, matrix: Matrix, i: int, j: int) -> list[int]:
    """The in-scope segments behind cell (i, j)."""
    dim = row_dimension(session, project, matrix.spec.rows, matrix.spec.scope)
    stmt, _, _ = _coding_query(session, project, matrix.spec, dim, matrix.columns, Segment.id)
    key = matrix.rows[i].sql_key
    condition = dim.key_expr.is_(None) if key is None else dim.key_expr == key
    stmt = stmt.where(condition, Coding.code_id.in_(sorted(matrix.columns[j].members))).distinct()
    return list(session.scalars(stmt))


def cell_segments(session: Session, project: Project, matrix: Matrix, i: int, j: int) -> list[RetrievedSegment]:
    """The segments behind a cell, each with its turn as context, in document and text order."""
    ids = cell_segment_ids(session, project, matrix, i, j)
    if not ids:
        return []
    return retrieve_segments(session, project, code_keys=[], segment_ids=ids)
