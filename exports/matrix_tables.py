"""Matrices and the tidy coded-segments table as Excel (.xlsx), CSV and a small Word table.

A matrix becomes a neutral `MatrixTable` first (row labels, code keys and labels, cells as a reader sees them:
numbers stay numbers, stored states and "k of n" are text), then one writer per format. Every text cell that
a spreadsheet could read as a formula (starting with =, +, - or @, also after leading blanks, or with a tab
or carriage return) gets a leading apostrophe and is stored as a string, so an `=cmd|...` in a transcript is
shown, never evaluated. Characters XML 1.0 forbids are dropped (openpyxl and Word refuse them).
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
from focusgroups.anonymise import Anonymiser
from store.spreadsheet import spreadsheet_cell, xml_safe

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NUMERIC_MEASURES = ("count", "documents", "presence", "coverage", "row_pct", "col_pct")
PERCENT_MEASURES = ("coverage", "row_pct", "col_pct")
TIDY_COLUMNS = ("case", "document", "coder", "code", "code_label", "start", "end", "turn", "page", "speaker_role",
                "speaker", "text")  # page: a PDF's page the segment starts on, empty for a transcript
MIN_WIDTH, MAX_WIDTH = 8, 60
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

def sheet_title(title: str, used: set[str]) -> str:
    base = "".join("_" if ch in '[]:*?/\\' else ch for ch in xml_safe(title)).strip("'") or "sheet"
    base = base[:31]
    name, n = base, 2
    while name.casefold() in used:
        suffix = f" ({n})"
        name, n = base[:31 - len(suffix)] + suffix, n + 1
    used.add(name.casefold())
    return name


def sheet_value(value: Any) -> Any:
    """What an xlsx cell holds (`spreadsheet_cell`, with None left empty and a flag as 0/1)."""
    if value is None:
        return None
    return int(value) if isinstance(value, bool) else spreadsheet_cell(value)


def _fill(cell, value: Any):  # type: ignore[no-untyped-def]
    value = sheet_value(value)
    if value is not None:
        cell.value = value
        if isinstance(value, str):
            cell.data_type = "s"
    return cell


def put_cell(ws, row: int, column: int, value: Any):  # type: ignore[no-untyped-def]
    """One cell of a normal worksheet."""
    return _fill(ws.cell(row=row, column=column), value)


def row_cell(ws, value: Any, *, font=None, alignment=None,  # type: ignore[no-untyped-def]
             number_format: str | None = None):
    """One cell of a row to append to a write-only worksheet (which holds no cells in memory: large exports)."""
    from openpyxl.cell import WriteOnlyCell

    cell = _fill(WriteOnlyCell(ws), value)
    if font is not None:
        cell.font = font
    if alignment is not None:
        cell.alignment = alignment
    if number_format is not None:
        cell.number_format = number_format
    return cell


def fit_widths(ws, columns: Sequence[Sequence[Any]]) -> None:  # type: ignore[no-untyped-def]
    from openpyxl.utils import get_column_letter

    for index, values in enumerate(columns, start=1):
        longest = max((max((len(line) for line in str(v).split("\n")), default=0) for v in values if v is not None),
                      default=0)
        ws.column_dimensions[get_column_letter(index)].width = max(MIN_WIDTH, min(MAX_WIDTH, longest + 2))


def _matrix_sheet(wb, table: MatrixTable, used: set[str]) -> None:  # type: ignore[no-untyped-def]
    from openpyxl.styles import Alignment, Font

    ws = wb.create_sheet(sheet_title(table.title, used))
    columns = [[table.row_header, *table.row_labels]]
    for j, key in enumerate(table.column_keys):
        columns.append([key, table.column_labels[j], *(
            f"{line[j]:.1f}%" if isinstance(line[j], float) else line[j] for line in table.cells)])
    fit_widths(ws, columns)  # widths and panes before the first row: a write-only sheet writes them first
    ws.freeze_panes = "B3"
    bold, italic = Font(bold=True), Font(italic=True)
    ws.append([row_cell(ws, table.row_header, font=bold), *(row_cell(ws, key, font=bold) for key in table.column_keys)])
    ws.append([row_cell(ws, ""), *(row_cell(ws, label, font=italic) for label in table.column_labels)])
    wrap = Alignment(wrap_text=True, vertical="top")
    for label, line in zip(table.row_labels, table.cells):
        ws.append([row_cell(ws, label, font=bold), *(
            row_cell(ws, value, number_format='0.0"%"') if isinstance(value, float) and table.percent
            else row_cell(ws, value, alignment=wrap) if isinstance(value, str) and "\n" in value
            else sheet_value(value) for value in line)])


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


def _tidy_sheet(wb, rows: Iterable[list[Any]], used: set[str]) -> None:  # type: ignore[no-untyped-def]
    """One row per coding, appended as it comes; the column widths from the first rows."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(sheet_title("coded segments", used))
    rows = iter(rows)
    first = list(islice(rows, WIDTH_SAMPLE))
    fit_widths(ws, [[name, *(line[j] for line in first)] for j, name in enumerate(TIDY_COLUMNS)])
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    ws.append([row_cell(ws, name, font=bold) for name in TIDY_COLUMNS])
    written = 0
    for line in chain(first, rows):
        ws.append([sheet_value(value) for value in line])  # values, not cells: openpyxl's fast path
        written += 1
    if written:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(TIDY_COLUMNS))}{written + 1}"


def build_xlsx(tables: Sequence[MatrixTable], tidy: Iterable[TidyCoding] | None = None, *,
               anonymiser: Anonymiser | None = None, project: str = "") -> bytes:
    """One sheet per matrix, then the tidy coded-segments sheet, then 'about' (scope of each matrix). Written in
    openpyxl's write-only mode: rows go to the file as they are appended, no worksheet of cells is held."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    used: set[str] = set()
    for table in tables:
        _matrix_sheet(wb, table, used)
    if tidy is not None:
        _tidy_sheet(wb, tidy_records(tidy, anonymiser), used)
    about = wb.create_sheet(sheet_title("about", used))
    lines: list[list[Any]] = [["Kruispunt export", project],
                              ["written", datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")]]
    if anonymiser is not None:
        lines.append(["anonymised", "speakers as role + number; masked names in the coded text"])
    for table in tables:
        lines.append([table.title, table.note])
        lines.extend([[f"  {k}", v] for k, v in table.facts.items()])
    fit_widths(about, [[line[0] for line in lines], [line[1] for line in lines]])
    bold = Font(bold=True)
    for name, value in lines:
        about.append([row_cell(about, name, font=bold), row_cell(about, value)])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


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
