"""The cross-case report reopened with python-docx: tables cell by cell, heading styles, TOC, quotes, feedback,
anonymisation, the per-network export, and charts (inline PNGs with Chromium, a note without a browser)."""

from __future__ import annotations

import io
import os

import docx
import pytest
from docx.oxml.ns import qn

from analysis.framework_matrix import build_framework_matrix
from analysis.matrix import MatrixSpec, build_matrix
from cases.projects import get_project
from exports.cross_case_report import build_cross_case_report
from store.db import get_engine, read_session, write_session
from test_matrix_exports import COLUMNS, COUNTS, LABELS, PROJECT, SUMMARY, build_study

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def study(db_url: str) -> dict:
    return build_study(db_url)


def report(url: str, **options) -> docx.Document:  # type: ignore[no-untyped-def]
    with read_session(get_engine(url)) as s:
        data = build_cross_case_report(s, get_project(s, PROJECT), **options)
    return docx.Document(io.BytesIO(data))


def all_text(doc) -> str:  # type: ignore[no-untyped-def]
    parts = [p.text for p in doc.paragraphs]
    parts += [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    parts.append(doc.core_properties.title or "")
    return "\n".join(parts)


def grid(table) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return [[cell.text for cell in row.cells] for row in table.rows]


def following(doc, text: str, count: int = 1) -> list[str]:  # type: ignore[no-untyped-def]
    texts = [p.text for p in doc.paragraphs]
    at = texts.index(text)
    return texts[at + 1:at + 1 + count]


def test_matrix_tables_cell_by_cell(study):
    doc = report(study["url"], images=False)
    framework_grid, counts_grid = grid(doc.tables[0]), grid(doc.tables[1])
    header = ["cases", *(f"{label} ({key})" for label, key in zip(LABELS, COLUMNS))]
    assert framework_grid[0] == header and counts_grid[0] == header
    # Count matrix: by hand, and the same as build_matrix shows it.
    with read_session(get_engine(study["url"])) as s:
        project = get_project(s, PROJECT)
        matrix = build_matrix(s, project, MatrixSpec(codebook="vc", depth=1))
        framework = build_framework_matrix(s, project, "vc", depth=1)
    assert [row[0] for row in counts_grid[1:]] == list(COUNTS)
    for i, (name, expected) in enumerate(COUNTS.items(), start=1):
        assert counts_grid[i][1:] == [str(v) for v in expected], name
        assert counts_grid[i][1:] == [matrix.cell_text(i - 1, j, "count") for j in range(len(COLUMNS))]
    # Framework matrix: stored cells as their line, the rest as counts with k of n.
    noord = framework_grid[2]
    assert noord[0] == "Noord"
    assert noord[4] == f"present (2) · {SUMMARY} · 1 quote · 1 of 1 interviewees · discussed"
    assert noord[4] == framework.cells[1][3].line()
    assert noord[2] == "1 coded segment · 1 of 1 interviewees"
    assert framework_grid[1][4] == "no data · 0 of 0 interviewees"
    assert framework_grid[3][3] == "2 coded segments · 1 of 1 interviewees"
    assert framework_grid[3][6] == "absent · 0 of 1 interviewees"


def test_headings_toc_quotes_and_feedback(study):
    doc = report(study["url"], images=False)
    styles = {p.text: p.style.name for p in doc.paragraphs if p.style.name.startswith(("Heading", "Title"))}
    assert styles["Cross-case report: Matrixtest"] == "Title"
    for heading in ("Method", "Framework matrix", "Count matrix", "Charts", "Cells and exemplar quotes",
                    "Focus-group feedback on codes"):
        assert styles[heading] == "Heading 1", heading
    assert styles["Noord"] == "Heading 2" and styles["Rating scale"] == "Heading 2"
    assert styles["Applied value (vc.applied)"] == "Heading 3"
    instructions = [e.text for e in doc.element.body.iter(qn("w:instrText"))]
    assert any(i.strip().startswith("TOC \\o \"1-3\"") for i in instructions)
    assert doc.settings.element.find(qn("w:updateFields")) is not None

    text = all_text(doc)
    assert "Whose codings count: Codings of each document's primary coder" in text
    assert "Codebooks: Value creation cycles (value-creation v1.0)" in text
    assert "Coders: Sanne, Tom" in text
    # The pinned quote first, with its reference; not anonymised.
    start, end = study["pilot_span"]
    quote = "een pilot gestart met de gemeente Westerzand"
    paragraphs = [p for p in doc.paragraphs if p.text == quote]
    assert paragraphs and paragraphs[0].style.name == "Quote"
    assert following(doc, quote)[0] == (f"gesprek noord · respondent (R1) · turn 2 · characters {start}–{end} · "
                                        "coded by Sanne")
    assert "Rule for present (2): Described with a concrete example by at least one source." in text
    # Unpinned cells show up to two of their quotes: Zuid's potential value has both of its segments.
    assert "@team" in text and "Anna de Vries hat geholfen" in text
    assert "=cmd|' /C calc'!A0" in text  # plain text in a run, never a field
    assert "FG2 (2026-11-20) · agree · network representative: Klopt, de pilot loopt nog." in text
    assert "FG2 (2026-11-20) · amend · researcher: Split financial and social results." in text
    assert "Realised value (vc.realised)" in [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
    appendix = [p.text for p in doc.paragraphs]
    at = appendix.index("Appendix: codebook Value creation cycles (value-creation v1.0)")
    assert any(t.startswith("Immediate value (vc.immediate) — ") for t in appendix[at:])


def test_anonymised_report_has_no_names(study):
    doc = report(study["url"], images=False, anonymise=True)
    text = all_text(doc)
    for name in ("Anna de Vries", "Dirk Bakker", "Westerzand", "gesprek noord", "gesprek zuid", "R1 ", "(R2)",
                 "Sanne", "Tom"):  # coders are people too
        assert name not in text, name
    assert "een pilot gestart met de gemeente [place]" in text
    assert "[person] hat geholfen" in text
    start, end = study["pilot_span"]
    assert f"interview 1 · Respondent 1 · turn 2 · characters {start}–{end} · coded by Coder 1" in text
    assert "Coders: Coder 1, Coder 2" in text
    assert "Noord" in text and "Zuid" in text  # the cases themselves keep their names


def test_per_network_report_names_only_its_own_case(study):
    doc = report(study["url"], images=False, case="Noord")
    text = all_text(doc)
    assert doc.core_properties.title == "Cross-case report for Noord"
    assert "zuid" not in text.casefold() and "leeg" not in text.casefold()
    assert "Dirk Bakker" not in text and "Anna de Vries hat" not in text
    assert [row[0] for row in grid(doc.tables[0])[1:]] == ["Case A", "Noord", "Case B"]
    assert grid(doc.tables[1])[3][1:] == [str(v) for v in COUNTS["Zuid"]]
    headings = [(p.style.name, p.text) for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert ("Heading 1", "Noord: cells and exemplar quotes") in headings
    assert ("Heading 1", "Comparison with the other cases (anonymised)") in headings
    assert headings.index(("Heading 2", "Case A")) > headings.index(
        ("Heading 1", "Comparison with the other cases (anonymised)"))
    # Its own quotes in full, the others' anonymised.
    assert "een pilot gestart met de gemeente Westerzand" in text
    assert "[person] hat geholfen" in text
    assert any(p.text.startswith("interview 2 · Respondent 2 · turn 2") for p in doc.paragraphs)


def test_hostile_text_cannot_break_the_file(study):
    with write_session(get_engine(study["url"])) as s:
        from analysis.framework_matrix import save_cell

        save_cell(s, get_project(s, PROJECT), "Zuid", "vc.realised", rating=3,
                  summary="Costs fell\x07 <w:p> & ]]> sharply.")
    doc = report(study["url"], images=False)
    assert "Costs fell <w:p> & ]]> sharply." in all_text(doc)


def test_without_a_browser_the_report_has_a_note_instead_of_charts(study, monkeypatch, tmp_path):
    # A machine without Chromium: nothing on PATH, no BROWSER_PATH.
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    doc = report(study["url"], images=True)
    assert len(doc.inline_shapes) == 0
    assert "Charts are not included: no Chromium browser was found on this machine" in all_text(doc)


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no browser at {CHROMIUM}")
def test_charts_are_inline_pngs(sqlite_url):
    study = build_study(sqlite_url)
    doc = report(study["url"], images=True)
    assert len(doc.inline_shapes) == 3  # heat map, code frequencies, value-creation profile
    images = [part for part in doc.part.package.parts if part.content_type == "image/png"]
    assert len(images) == 3 and all(part.blob.startswith(b"\x89PNG") for part in images)
    headings = [p.text for p in doc.paragraphs if p.style.name == "Heading 2"]
    assert "Value-creation profile per case" in headings
