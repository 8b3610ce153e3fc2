"""Memos as a Word document: grouped by what they are on, each with its author, date and target.

Memo text goes in as plain runs only (python-docx escapes XML; characters XML 1.0
cannot hold are dropped first), never as markup.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from exports.docx_appender import new_document
from sqlalchemy.orm import Session

from coding.memos import MemoView
from exports.case_report import write_memo
from store.models import MEMO_TARGETS, Project
from store.spreadsheet import xml_safe

KIND_HEADINGS = {
    "project": "Project memos",
    "case": "Case memos",
    "document": "Document memos",
    "code": "Code memos",
    "segment": "Segment memos",
}


def build_memos_docx(session: Session, project: Project, records: Sequence[MemoView], *,
                     subtitle: str | None = None) -> bytes:
    """`records` (from `coding.memos.memo_views`) grouped by target kind in the fixed order
    project, case, document, code, segment; kinds without memos are left out. `session` is
    not queried: the records carry everything (it is taken for symmetry with the other exports)."""
    doc = new_document()
    title = f"Memos: {project.name}"
    doc.core_properties.title = xml_safe(title)
    doc.core_properties.author = "Kruispunt"
    doc.add_heading(xml_safe(title), level=0)
    summary = f"{len(records)} memo{'s' if len(records) != 1 else ''}"
    if subtitle:
        summary += f" · {subtitle}"
    doc.add_paragraph().add_run(xml_safe(summary)).italic = True
    if not records:
        doc.add_paragraph("No memos.")
    for kind in MEMO_TARGETS:
        mine = [r for r in records if r.target == kind]
        if not mine:
            continue
        doc.add_heading(KIND_HEADINGS[kind], level=1)
        for memo in mine:
            if kind == "segment":
                doc.add_heading(xml_safe(f"{memo.document}, characters {memo.segment_start}–{memo.segment_end}"),
                                level=2)
                doc.add_paragraph(xml_safe(memo.excerpt), style="Quote")
            else:
                doc.add_heading(xml_safe(memo.target_name or kind), level=2)
            write_memo(doc, memo, with_target=False)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
