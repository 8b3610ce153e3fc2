"""Building a long Word document in time linear in its length.

python-docx's `Document.add_paragraph` finds the body's last element (the section properties) by scanning the
whole body for every paragraph added, and a paragraph's `style = "Quote"` scans every style of the document by
name: a report of thousands of paragraphs became quadratic (profiled at 100,000 codings: 20 s of 57 s in the
scan, 14 s in the style look-ups). `Appender` keeps the section properties it found once and inserts before
them, and resolves each style name once. Everything else is python-docx's own objects, so callers use it as a
`Document` (anything else is handed to the document).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from docx.document import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.table import CT_Tbl
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph


class Appender:
    """A `Document` whose `add_paragraph`, `add_heading` and `add_table` append in constant time."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self._body = document.element.body
        self._end = self._body.sectPr  # found once; the document's last child while it is being written
        self._style_ids: dict[tuple[str, Any], str | None] = {}

    def __getattr__(self, name: str) -> Any:  # core_properties, sections, styles, add_picture, save, ...
        return getattr(self.document, name)

    def style_id(self, name: str, kind: Any = WD_STYLE_TYPE.PARAGRAPH) -> str | None:
        """The id of the style called `name` (None for the default style), looked up once per name."""
        key = (name, kind)
        if key not in self._style_ids:
            self._style_ids[key] = self.document.part.get_style_id(name, kind)
        return self._style_ids[key]

    def _append(self, element: Any) -> None:
        if self._end is not None and self._end.getparent() is self._body:
            self._end.addprevious(element)
        else:
            self._body.append(element)

    def add_paragraph(self, text: str = "", style: str | None = None) -> Paragraph:
        p = OxmlElement("w:p")
        self._append(p)
        paragraph = Paragraph(p, self.document._body)  # the document's own body container, as python-docx's
        if text:
            paragraph.add_run(text)
        if style is not None:
            p.style = self.style_id(style)
        return paragraph

    def add_heading(self, text: str = "", level: int = 1) -> Paragraph:
        if not 0 <= level <= 9:
            raise ValueError(f"level must be in range 0-9, got {level}")
        return self.add_paragraph(text, "Title" if level == 0 else f"Heading {level}")

    def add_table(self, rows: int, cols: int, style: str | None = None) -> Table:
        tbl = CT_Tbl.new_tbl(rows, cols, self.document._block_width)
        self._append(tbl)
        table = Table(tbl, self.document._body)
        if style is not None:
            tbl.tblStyle_val = self.style_id(style, WD_STYLE_TYPE.TABLE)
        return table


def row_cells(table: Table, index: int) -> list[_Cell]:
    """The cells of row `index` of a table without merged cells. python-docx's `table.rows[i].cells` lays out the
    whole table's grid on every call, which made filling a table quadratic in its size."""
    return [_Cell(tc, table) for tc in table._tbl.tr_lst[index].tc_lst]


def add_text_table(doc: Any, rows: Sequence[Sequence[str]], *, style: str = "Table Grid",
                   size: float = 8) -> Table:
    """A table of text, the first row bold, every cell in `size` pt (so wide matrices fit the page); each row's
    cells reached once."""
    from docx.shared import Pt

    table = doc.add_table(rows=len(rows), cols=max(len(r) for r in rows), style=style)
    points = Pt(size)
    for i, values in enumerate(rows):
        for cell, value in zip(row_cells(table, i), values):
            run = cell.paragraphs[0].add_run(value)
            run.font.size = points
            if i == 0:
                run.bold = True
    return table


def new_document() -> Appender:
    """A new Word document (python-docx's default template) to append to."""
    from docx import Document as new_docx

    return Appender(new_docx())
