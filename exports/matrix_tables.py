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
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from analysis.cooccurrence import Cooccurrence
from analysis.framework_matrix import FrameworkMatrix
from analysis.matrix import SHOWN_STATES, STATE_LABELS, Matrix
from analysis.tidy import TidyCoding
from cases.documents import turn_number
from focusgroups.anonymise import Anonymiser
from store.spreadsheet import spreadsheet_cell, spreadsheet_text, xml_safe

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NUMERIC_MEASURES = ("count", "documents", "presence", "coverage", "row_pct", "col_pct")
PERCENT_MEASURES = ("coverage", "row_pct", "col_pct")
TIDY_COLUMNS = ("case", "document", "coder", "code", "code_label", "start", "end", "turn", "page", "speaker_role",
                "speaker", "text")  # page: a PDF's page the segment starts on, empty for a transcript
MIN_WIDTH, MAX_WIDTH = 8, 60


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


def put_cell(ws, row: int, column: int, value: Any):  # type: ignore[no-untyped-def]
    """One cell; text is escaped and forced to a string so no formula can slip in."""
    cell = ws.cell(row=row, column=column)
    if value is None:
        return cell
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, (int, float)):
        cell.value = value
        return cell
    cell.value = spreadsheet_text(str(value))
    cell.data_type = "s"
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
    bold = Font(bold=True)
    put_cell(ws, 1, 1, table.row_header).font = bold
    put_cell(ws, 2, 1, "")
    for j, (key, label) in enumerate(zip(table.column_keys, table.column_labels), start=2):
        put_cell(ws, 1, j, key).font = bold
        put_cell(ws, 2, j, label).font = Font(italic=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for i, (label, line) in enumerate(zip(table.row_labels, table.cells), start=3):
        put_cell(ws, i, 1, label).font = bold
        for j, value in enumerate(line, start=2):
            cell = put_cell(ws, i, j, value)
            if isinstance(value, float) and table.percent:
                cell.number_format = '0.0"%"'
            elif isinstance(value, str) and "\n" in value:
                cell.alignment = wrap
    ws.freeze_panes = "B3"
    columns = [[table.row_header, *table.row_labels]]
    for j, key in enumerate(table.column_keys):
        columns.append([key, table.column_labels[j], *(
            f"{line[j]:.1f}%" if isinstance(line[j], float) else line[j] for line in table.cells)])
    fit_widths(ws, columns)


def tidy_records(rows: Sequence[TidyCoding], anonymiser: Anonymiser | None = None) -> list[list[Any]]:
    """The tidy table's rows in TIDY_COLUMNS order; anonymised speakers and masked text when asked."""
    out = []
    for r in rows:
        if anonymiser is not None:
            speaker, text = anonymiser.speaker(r.speaker_key, r.role), anonymiser.mask(r.text)
        else:
            speaker, text = r.pseudonym or r.speaker or "", r.text
        document = anonymiser.document(r.document_guid, r.document) if anonymiser is not None else r.document
        coder = anonymiser.coder(r.coder) if anonymiser is not None else r.coder
        out.append(["; ".join(r.cases), document, coder, r.code, r.code_label, r.start, r.end, turn_number(r.turn),
                    r.page, r.role, speaker, text])
    return out


def _tidy_sheet(wb, rows: list[list[Any]], used: set[str]) -> None:  # type: ignore[no-untyped-def]
    from openpyxl.styles import Font

    ws = wb.create_sheet(sheet_title("coded segments", used))
    for j, name in enumerate(TIDY_COLUMNS, start=1):
        put_cell(ws, 1, j, name).font = Font(bold=True)
    for i, line in enumerate(rows, start=2):
        for j, value in enumerate(line, start=1):
            put_cell(ws, i, j, value)
    ws.freeze_panes = "A2"
    if rows:
        ws.auto_filter.ref = ws.dimensions
    fit_widths(ws, [[name, *(line[j] for line in rows[:2000])] for j, name in enumerate(TIDY_COLUMNS)])


def build_xlsx(tables: Sequence[MatrixTable], tidy: Sequence[TidyCoding] | None = None, *,
               anonymiser: Anonymiser | None = None, project: str = "") -> bytes:
    """One sheet per matrix, then the tidy coded-segments sheet, then 'about' (scope of each matrix)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
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
    for i, (name, value) in enumerate(lines, start=1):
        put_cell(about, i, 1, name).font = Font(bold=True)
        put_cell(about, i, 2, value)
    fit_widths(about, [[line[0] for line in lines], [line[1] for line in lines]])
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
    from docx import Document as new_docx
    from docx.shared import Pt

    doc = new_docx()
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


def small_print(grid) -> None:  # type: ignore[no-untyped-def]
    """Every cell of a Word table in 8 pt, so wide matrices fit the page."""
    from docx.shared import Pt

    for row in grid.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(8)


def add_word_table(doc, table: MatrixTable, *, labels: bool = True):  # type: ignore[no-untyped-def]
    """The table in Word: header row of code labels (with keys), row labels first."""
    grid = doc.add_table(rows=len(table.row_labels) + 1, cols=len(table.column_keys) + 1)
    grid.style = "Table Grid"
    header = grid.rows[0].cells
    header[0].text = xml_safe(table.row_header)
    for j, key in enumerate(table.column_keys, start=1):
        header[j].text = xml_safe(f"{table.column_labels[j - 1]} ({key})" if labels else key)
    for i, (label, line) in enumerate(zip(table.row_labels, table.cells), start=1):
        cells = grid.rows[i].cells
        cells[0].text = xml_safe(label)
        for j, value in enumerate(line, start=1):
            cells[j].text = xml_safe(word_cell_text(value, table.percent))
    small_print(grid)
    for cell in grid.rows[0].cells:
        for run in cell.paragraphs[0].runs:
            run.bold = True
    return grid
