"""An agreement report as JSON, rows for a table or CSV, an Excel workbook and a Word document.

Every form states the unit, the threshold (overlap), N, the coders, the codes and the documents, gives each
coefficient per code, pooled over the codes and (categorical mode) over the codes as categories, says why a
coefficient is undefined, names the formulas, and lists the disagreements with the text they are about.
"""

from __future__ import annotations

import io
from typing import Any

from analysis.adjudication import Decision
from analysis.agreement import FORMULAS, AgreementReport, Coefficients, Disagreement
from exports.xlsx_book import XlsxBook
from store.spreadsheet import xml_safe

COEFFICIENTS = ("percent", "cohen_kappa", "fleiss_kappa", "alpha_nominal", "alpha_ordinal")
HEADINGS = {"percent": "% agreement", "cohen_kappa": "Cohen's κ", "fleiss_kappa": "Fleiss' κ",
            "alpha_nominal": "Krippendorff's α (nominal)", "alpha_ordinal": "Krippendorff's α (ordinal)"}
ROW_COLUMNS = ("code", "n", *COEFFICIENTS, "undefined_reason")
DISAGREEMENT_COLUMNS = ("number", "document", "turn", "code", "coder", "start", "end", "text", "not_coded_by",
                        "decision")
Decided = dict[tuple[str, str, int, int], Decision]  # (document guid, code, start, end) → the decision
WORD_DISAGREEMENTS = 500  # a Word report lists this many; the Excel workbook and JSON list all


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def _count(value: float) -> float | int:
    """A count of units stays a whole number (characters are counted, sentences listed)."""
    return int(value) if float(value).is_integer() else round(value, 4)


def coefficient_record(row: Coefficients, *, ordinal: bool = False) -> dict[str, Any]:
    figures = row.figures()
    record: dict[str, Any] = {name: _rounded(figures[name].value) if figures[name] is not None else None
                              for name in COEFFICIENTS if ordinal or name != "alpha_ordinal"}
    record["n"] = _count(row.n)
    record["undefined_reason"] = row.undefined_reason()
    if row.warning:
        record["warning"] = row.warning
    return record


def _decided(decided: Decided | None, d: Disagreement) -> str | None:
    decision = (decided or {}).get((d.document_guid, d.code, d.start, d.end))
    return f"{decision.words} ({decision.decided_by}, {decision.decided_at})" if decision else None


def disagreement_records(report: AgreementReport, decided: Decided | None = None) -> list[dict[str, Any]]:
    """One line per coded span at a disagreement (the spec's flat list); `number` groups the lines of one
    disagreement, `not_coded_by` names who did not code it there, `decision` how it was adjudicated."""
    lines = []
    for d in report.disagreements:
        for span in d.spans:
            if span.coder in d.coded_by and span.start < d.end and span.end > d.start:
                lines.append({"number": d.number, "document": d.document, "turn": d.turn, "code": d.code,
                              "coder": span.coder, "start": span.start, "end": span.end, "text": span.text,
                              "not_coded_by": d.not_coded_by, "decision": _decided(decided, d)})
    return lines


def agreement_record(report: AgreementReport, decided: Decided | None = None) -> dict[str, Any]:
    """The JSON of `cli.py agreement --format json`."""
    return {
        "unit": report.unit, "unit_described": report.unit_words(), "threshold": report.threshold,
        "coders": report.coders, "documents": report.documents, "codes": report.codes,
        "n_units": _count(report.n_units), "uncoded_units": _count(report.uncoded_units),
        "per_code": [{"code": key, **coefficient_record(row)} for key, row in report.per_code.items()],
        "pooled": coefficient_record(report.pooled),
        "categorical": coefficient_record(report.categorical, ordinal=True) if report.categorical else None,
        "warnings": report.warnings, "formulas": FORMULAS,
        "disagreements": disagreement_records(report, decided),
    }


def coefficient_rows(report: AgreementReport) -> list[dict[str, Any]]:
    """Per code, then pooled, then categorical: the rows of the table, CSV and spreadsheet."""
    rows = [{"code": key, **coefficient_record(row, ordinal=True)} for key, row in report.per_code.items()]
    rows.append({"code": "(pooled over codes)", **coefficient_record(report.pooled, ordinal=True)})
    if report.categorical:
        rows.append({"code": "(codes as categories)", **coefficient_record(report.categorical, ordinal=True)})
    return rows


def facts(report: AgreementReport) -> list[tuple[str, str]]:
    share = report.uncoded_units / report.n_units if report.n_units else 0
    lines = [("Unit", report.unit_words()), ("Coders", ", ".join(report.coders)),
             ("Codes", ", ".join(report.codes)), ("Documents", "; ".join(report.documents)),
             ("N (units)", f"{report.n_units:,.0f}")]
    if report.threshold is None:
        lines.append(("Coded by nobody", f"{report.uncoded_units:,.0f} units ({share:.1%}), counted as agreement "
                                         "on 'not coded'"))
    lines.append(("Codes compared", "exactly: a sub-code is a code of its own; segments on each document's "
                                    "current text"))
    lines += [(f"Formula: {name}", text) for name, text in FORMULAS.items()]
    lines += [("Warning", w) for w in report.warnings]
    return lines


def build_agreement_xlsx(report: AgreementReport, *, project: str = "", decided: Decided | None = None) -> bytes:
    """Sheets: agreement (facts, then the coefficients), disagreements (every one)."""
    with XlsxBook() as book:
        lines: list[list[Any]] = [["Project", project], *[[k, v] for k, v in facts(report)], []]
        columns = ["code", "n", *(HEADINGS[c] for c in COEFFICIENTS), "undefined because"]
        sheet = book.sheet("agreement", [[c] for c in columns])
        for line in lines:
            book.append(sheet, line, ["bold", None])
        book.append(sheet, columns, "bold")
        for row in coefficient_rows(report):
            book.append(sheet, [row.get(key) for key in ROW_COLUMNS])
        records = disagreement_records(report, decided)
        listing = book.sheet("disagreements", [[h, *(str(r[h])[:60] for r in records[:200])]
                                               for h in DISAGREEMENT_COLUMNS])
        book.append(listing, DISAGREEMENT_COLUMNS, "bold")
        for record in records:
            book.append(listing, [", ".join(record[key]) if isinstance(record[key], list) else record[key]
                                  for key in DISAGREEMENT_COLUMNS])
        return book.close()


def build_agreement_docx(report: AgreementReport, *, project: str = "", decided: Decided | None = None) -> bytes:
    """A Word report: the facts, the coefficients as a real table, the formulas, and the disagreements."""
    from exports.docx_appender import add_text_table, new_document

    doc = new_document()
    title = f"Inter-coder agreement: {', '.join(report.coders)}"
    doc.core_properties.title = xml_safe(title)
    doc.add_heading(xml_safe(title), level=1)
    if project:
        doc.add_paragraph().add_run(xml_safe(f"Project: {project}")).italic = True
    for name, value in facts(report):
        paragraph = doc.add_paragraph()
        paragraph.add_run(xml_safe(f"{name}: ")).bold = True
        paragraph.add_run(xml_safe(value))
    doc.add_heading("Coefficients", level=2)
    rows = coefficient_rows(report)
    add_text_table(doc, [[xml_safe(HEADINGS.get(key, key.replace("_", " "))) for key in ROW_COLUMNS], *(
        [xml_safe("undefined" if value is None and key in COEFFICIENTS else "" if value is None
                  else f"{value:g}" if isinstance(value, float) else str(value))
         for key, value in ((key, row.get(key)) for key in ROW_COLUMNS)] for row in rows)])
    doc.add_heading(f"Disagreements ({len(report.disagreements)})", level=2)
    for d in report.disagreements[:WORD_DISAGREEMENTS]:
        where = f"{d.number}. {d.document}, turn {d.turn}" if d.turn is not None else f"{d.number}. {d.document}"
        paragraph = doc.add_paragraph()
        paragraph.add_run(xml_safe(f"{where} · {d.code} · coded by {', '.join(d.coded_by)}, not by "
                                   f"{', '.join(d.not_coded_by)}")).bold = True
        for span in d.spans:
            doc.add_paragraph(xml_safe(f"{span.coder} [{span.start}–{span.end}]: {span.text}"), style="List Bullet")
        if (settled := _decided(decided, d)) is not None:
            doc.add_paragraph().add_run(xml_safe(f"Adjudicated: {settled}")).italic = True
    if len(report.disagreements) > WORD_DISAGREEMENTS:
        doc.add_paragraph(xml_safe(f"… and {len(report.disagreements) - WORD_DISAGREEMENTS:,} more: every "
                                   "disagreement is in the Excel report and the JSON."))
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
