"""Matrices and the tidy coded-segments table as Excel (.xlsx), CSV and a small Word table.

A matrix becomes a neutral `MatrixTable` first (row labels, code keys and labels, cells as a reader sees them:
numbers stay numbers, stored states and "k of n" are text), then one writer per format. Every text cell that
a spreadsheet could read as a formula (starting with =, +, - or @, also after leading blanks, or with a tab
or carriage return) gets a leading apostrophe and is stored as a string, so an `=cmd|...` in a transcript is
shown, never evaluated. Characters XML 1.0 forbids are dropped (Excel and Word refuse them).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import chain, islice
from typing import Any

from analysis.cooccurrence import Cooccurrence
from analysis.framework_matrix import FrameworkMatrix
from analysis.matrix import SHOWN_STATES, STATE_LABELS, Matrix
from analysis.story_matrix import StoryMatrix
from analysis.tidy import TidyCoding
from cases.documents import turn_number
from exports.xlsx_book import XlsxBook
from focusgroups.anonymise import Anonymiser
from store.spreadsheet import spreadsheet_cell, xml_safe

NUMERIC_MEASURES = ("count", "documents", "presence", "coverage", "row_pct", "col_pct")
PERCENT_MEASURES = ("coverage", "row_pct", "col_pct")
TIDY_COLUMNS = ("case", "document", "coder", "code", "code_label", "start", "end", "turn", "page", "speaker_role",
                "speaker", "text")  # page: a PDF's page the segment starts on, empty for a transcript
WIDTH_SAMPLE = 2000  # rows of the tidy sheet its column widths are fitted to


@dataclass
class MatrixTable:
    """A matrix as rows of cells: int/float for numbers, str for what is text (states, "k of n", quotes)."""

    title: str
    row_header: str
    column_keys: list[str]
    column_labels: list[str]
    row_labels: list[str]
    cells: list[list[Any]]
    note: str = ""
    percent: bool = False  # numbers are percentages (shown with one decimal and a % sign)
    facts: dict[str, str] = field(default_factory=dict)


def matrix_table(matrix: Matrix, measure: str | None = None, *, title: str = "",
                 row_labels: list[str] | None = None) -> MatrixTable:
    """The cells of `matrix` for `measure`: numbers where numeric, else what `Matrix.cell_text` shows."""
    measure = measure or matrix.spec.measure
    values = matrix.values(measure)
    cells: list[list[Any]] = []
    for i in range(len(matrix.rows)):
        line: list[Any] = []
        for j in range(len(matrix.columns)):
            if matrix.counts[i][j] == 0 and matrix.states[i][j] in SHOWN_STATES:
                line.append(STATE_LABELS[matrix.states[i][j]])
            elif measure in NUMERIC_MEASURES:
                line.append(values[i][j])
            elif measure == "quotes":
                # each quote after its citation: "gesprek noord · turn 2 · 120–180: …", "plan · p. 3 · ¶5 · …"
                line.append("\n".join(f"{q.citation()} · {q.start}–{q.end}: {q.text}" for q in values[i][j]))
            else:
                line.append(matrix.cell_text(i, j, measure).replace(" ⧉", ""))
        cells.append(line)
    pooled = any(any(row) for row in matrix.pooled)
    note = matrix.scope_note + (" Some cells pool several coders' codings of one document." if pooled else "")
    return MatrixTable(title=title or f"{matrix.codebook} {measure}", row_header=matrix.spec.rows,
                       column_keys=matrix.column_keys(), column_labels=[c.label for c in matrix.columns],
                       row_labels=row_labels or [r.label for r in matrix.rows], cells=cells, note=note,
                       percent=measure in PERCENT_MEASURES,
                       facts={"measure": measure, "codebook": f"{matrix.codebook} v{matrix.codebook_version}"})


def story_table(matrix: StoryMatrix, *, title: str = "") -> MatrixTable:
    """The value-creation matrix (each cell its steps' citations and quotes) or the stories reaching each cycle."""
    cells: list[list[Any]] = [[matrix.cell_text(i, j) if matrix.rows == "stories" else matrix.counts[i][j]
                               for j in range(len(matrix.cycles))] for i in range(len(matrix.row_labels))]
    note = ("Each cell: the story's steps in that cycle, numbered in story order."
            if matrix.rows == "stories" else "Each cell: how many of the case's value-creation stories reach the cycle.")
    return MatrixTable(title=title or ("value-creation matrix" if matrix.rows == "stories" else "stories per cycle"),
                       row_header="story" if matrix.rows == "stories" else "case",
                       column_keys=[c.key for c in matrix.cycles], column_labels=[c.label for c in matrix.cycles],
                       row_labels=list(matrix.row_labels), cells=cells, note=note,
                       facts={"measure": matrix.measure, "codebook": "value-creation"})


def cooccurrence_table(co: Cooccurrence, *, coefficient: bool = False, title: str = "") -> MatrixTable:
    """n12 (or the c-coefficient) per code pair; "—" where a code meets itself."""
    grid = co.coefficients() if coefficient else co.n12
    cells = [["—" if v is None else v for v in row] for row in grid]
    return MatrixTable(title=title or ("c-coefficient" if coefficient else "co-occurrence"), row_header="code",
                       column_keys=[c.key for c in co.columns], column_labels=[c.label for c in co.columns],
                       row_labels=[c.key for c in co.rows], cells=cells, note=co.note,
                       facts={"measure": "c" if coefficient else "n12", "unit": co.spec.unit})


def framework_table(framework: FrameworkMatrix, *, title: str = "framework",
                    row_labels: list[str] | None = None) -> MatrixTable:
    """Each cell's line: state and rating with summary, or its counts when nothing is stored."""
    m = framework.matrix
    cells = [[framework_cell_text(framework, i, j) for j in range(len(m.columns))] for i in range(len(m.rows))]
    return MatrixTable(title=title, row_header="cases", column_keys=m.column_keys(),
                       column_labels=[c.label for c in m.columns], row_labels=row_labels or framework.rows,
                       cells=cells, note=m.scope_note, facts={"codebook": f"{m.codebook} v{m.codebook_version}"})


def framework_cell_text(framework: FrameworkMatrix, i: int, j: int) -> str:
    """A stored cell's line (state, rating, summary, quotes, k of n); counts when nothing is stored."""
    cell = framework.cells[i][j]
    if cell.state is not None:
        return cell.line()
    segments = f"{cell.count} coded segment{'s' if cell.count != 1 else ''}"
    return f"{segments} · {cell.k} of {cell.n} interviewees"


# --- xlsx ------------------------------------------------------------------------------------------

def _matrix_sheet(book: XlsxBook, table: MatrixTable) -> None:
    columns = [[table.row_header, *table.row_labels]]
    for j, key in enumerate(table.column_keys):
        columns.append([key, table.column_labels[j], *(
            f"{line[j]:.1f}%" if isinstance(line[j], float) else line[j] for line in table.cells)])
    ws = book.sheet(table.title, columns, freeze=(2, 1))
    book.append(ws, [table.row_header, *table.column_keys], "bold")
    book.append(ws, ["", *table.column_labels], [None, *("italic" for _ in table.column_labels)])
    for label, line in zip(table.row_labels, table.cells):
        book.append(ws, [label, *line], ["bold", *(
            "percent" if isinstance(value, float) and table.percent
            else "wrap" if isinstance(value, str) and "\n" in value else None for value in line)])


def tidy_records(rows: Iterable[TidyCoding], anonymiser: Anonymiser | None = None) -> Iterator[list[Any]]:
    """The tidy table's rows in TIDY_COLUMNS order, one at a time; anonymised speakers and masked text when asked."""
    for r in rows:
        if anonymiser is not None:
            speaker, text = anonymiser.speaker(r.speaker_key, r.role), anonymiser.mask(r.text)
        else:
            speaker, text = r.pseudonym or r.speaker or "", r.text
        document = anonymiser.document(r.document_guid, r.document) if anonymiser is not None else r.document
        coder = anonymiser.coder(r.coder) if anonymiser is not None else r.coder
        yield ["; ".join(r.cases), document, coder, r.code, r.code_label, r.start, r.end, turn_number(r.turn),
               r.page, r.role, speaker, text]


def _tidy_sheet(book: XlsxBook, rows: Iterable[list[Any]]) -> None:
    """One row per coding, streamed as it comes (on further sheets past Excel's rows); widths from the first rows."""
    rows = iter(rows)
    first = list(islice(rows, WIDTH_SAMPLE))
    book.stream_sheet("coded segments", TIDY_COLUMNS, chain(first, rows),
                      [[name, *(line[j] for line in first)] for j, name in enumerate(TIDY_COLUMNS)])


def build_xlsx(tables: Sequence[MatrixTable], tidy: Iterable[TidyCoding] | None = None, *,
               anonymiser: Anonymiser | None = None, project: str = "") -> bytes:
    """One sheet per matrix, then the tidy coded-segments sheet, then 'about' (scope of each matrix). Rows go to
    the file as they are written (`exports.xlsx_book`): no sheet of cells is held."""
    with XlsxBook() as book:
        for table in tables:
            _matrix_sheet(book, table)
        if tidy is not None:
            _tidy_sheet(book, tidy_records(tidy, anonymiser))
        lines: list[list[Any]] = [["Kruispunt export", project],
                                  ["written", datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")]]
        if anonymiser is not None:
            lines.append(["anonymised", "speakers as role + number; masked names in the coded text"])
        for table in tables:
            lines.append([table.title, table.note])
            lines.extend([[f"  {k}", v] for k, v in table.facts.items()])
        about = book.sheet("about", [[line[0] for line in lines], [line[1] for line in lines]])
        for line in lines:
            book.append(about, line, ["bold", None])
        return book.close()


# --- csv -------------------------------------------------------------------------------------------

def tidy_csv(rows: Sequence[TidyCoding], anonymiser: Anonymiser | None = None) -> bytes:
    """The tidy table as CSV in UTF-8 with a BOM (so Excel reads the accents), formula-like text escaped."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(TIDY_COLUMNS)
    for line in tidy_records(rows, anonymiser):
        writer.writerow([spreadsheet_cell(v) for v in line])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def table_csv(table: MatrixTable) -> str:
    """Row label first, code keys as the header; cells as a reader sees them, formula-like text escaped."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([spreadsheet_cell(table.row_header), *(spreadsheet_cell(k) for k in table.column_keys)])
    for label, line in zip(table.row_labels, table.cells):
        cells = [f"{v:.1f}%" if isinstance(v, float) and table.percent else v for v in line]
        writer.writerow([spreadsheet_cell(label), *(spreadsheet_cell(v) for v in cells)])
    return buffer.getvalue()


# --- a matrix alone as a Word table ------------------------------------------------------------------

def build_matrix_docx(table: MatrixTable, *, project: str = "") -> bytes:
    """A Word document holding one matrix as a real table, with its scope note."""
    from exports.docx_appender import new_document
    from docx.shared import Pt

    doc = new_document()
    doc.core_properties.title = xml_safe(table.title)
    doc.add_heading(xml_safe(table.title), level=1)
    if project:
        doc.add_paragraph().add_run(xml_safe(f"Project: {project}")).italic = True
    add_word_table(doc, table)
    run = doc.add_paragraph().add_run(xml_safe(table.note))
    run.italic = True
    run.font.size = Pt(9)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def word_cell_text(value: Any, percent: bool = False) -> str:
    """How a MatrixTable cell reads in a Word table."""
    if isinstance(value, float) and percent:
        return f"{value:.1f}%"
    return "" if value is None else str(value)


def add_word_table(doc, table: MatrixTable, *, labels: bool = True):  # type: ignore[no-untyped-def]
    """The table in Word: header row of code labels (with keys), row labels first."""
    from exports.docx_appender import add_text_table

    header = [table.row_header, *(f"{label} ({key})" if labels else key
                                  for label, key in zip(table.column_labels, table.column_keys))]
    body = [[label, *(word_cell_text(value, table.percent) for value in line)]
            for label, line in zip(table.row_labels, table.cells)]
    return add_text_table(doc, [[xml_safe(v) for v in row] for row in [header, *body]])
