"""The Word appender writes what python-docx's own methods write, in the same order, before the section
properties; tables of text come out with their text, a bold header row and small print."""

from __future__ import annotations

import io

import docx
import pytest
from docx.shared import Pt

from exports.docx_appender import Appender, add_text_table, new_document, row_cells


def _content(document) -> None:  # type: ignore[no-untyped-def]
    document.add_heading("Cross-case report", level=0)
    document.add_heading("Grenzeloos", level=1)
    document.add_paragraph("Plain text, with <markup> & \"quotes\" kept as text.")
    document.add_paragraph("Een citaat uit het interview.", style="Quote")
    document.add_paragraph("First point", style="List Bullet")
    document.add_paragraph().add_run("Focus-group feedback").italic = True
    document.add_heading("Appendix", level=2)
    document.add_paragraph("Normal, named", style="Normal")


def test_paragraphs_and_headings_are_what_python_docx_writes() -> None:
    plain = docx.Document()
    _content(plain)
    appended = new_document()
    _content(appended)
    assert appended.element.xml == plain.element.xml
    body = appended.element.body
    assert body[-1].tag.endswith("}sectPr"), "the section properties stay the body's last element"
    names = [(p.style.name, p.text) for p in appended.paragraphs]
    assert names[:4] == [("Title", "Cross-case report"), ("Heading 1", "Grenzeloos"),
                         ("Normal", "Plain text, with <markup> & \"quotes\" kept as text."),
                         ("Quote", "Een citaat uit het interview.")]


def test_a_saved_document_reopens_with_its_content_in_order() -> None:
    doc = new_document()
    for n in range(300):
        doc.add_paragraph(f"paragraph {n}", style="Quote" if n % 2 else None)
    buffer = io.BytesIO()
    doc.save(buffer)
    reopened = docx.Document(io.BytesIO(buffer.getvalue()))
    assert [p.text for p in reopened.paragraphs] == [f"paragraph {n}" for n in range(300)]
    assert {p.style.name for p in reopened.paragraphs} == {"Normal", "Quote"}


def test_a_text_table_has_its_cells_a_bold_header_and_small_print() -> None:
    doc = new_document()
    doc.add_paragraph("before")
    rows = [["case", "vc.immediate", "vc.potential"], ["Grenzeloos", "3", ""], ["Twente", "0", "12"]]
    table = add_text_table(doc, rows)
    doc.add_paragraph("after")
    assert [[c.text for c in row.cells] for row in table.rows] == rows
    assert table.style.name == "Table Grid"
    header_runs = [run for cell in row_cells(table, 0) for run in cell.paragraphs[0].runs]
    assert header_runs and all(run.bold for run in header_runs)
    body_runs = [run for i in (1, 2) for cell in row_cells(table, i) for run in cell.paragraphs[0].runs]
    assert not any(run.bold for run in body_runs)
    assert {run.font.size for run in header_runs + body_runs} == {Pt(8)}
    kinds = [child.tag.rsplit("}", 1)[1] for child in doc.element.body]
    assert kinds == ["p", "tbl", "p", "sectPr"]


def test_the_rest_of_the_document_is_python_docx_own() -> None:
    doc = Appender(docx.Document())
    doc.core_properties.title = "Titel"
    assert doc.core_properties.title == "Titel" and doc.sections[0] is not None
    with pytest.raises(ValueError, match="level must be in range 0-9"):
        doc.add_heading("too deep", level=10)
