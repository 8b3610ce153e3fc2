"""A quote from a PDF cites its page everywhere a quote appears (issue 16): the matrix quotes (JSON, CSV, Excel,
Word), the Excel coded-segments sheet, the within-case and cross-case reports, the Retrieve and Matrices pages and
the command line. A PDF's paragraphs have no speaker: they are cited "¶10" with no speaker or role beside them. An
interview's quotes keep their citation ("turn 2" with the speaker). A REFI-QDA export of a PDF stays valid."""

from __future__ import annotations

import csv
import io
import json
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from apptest_support import make_app, shown
from pdf_fixtures import CHAPTERS, network_plan

import cli
from analysis.matrix import MatrixSpec, build_matrix, cell_segments
from analysis.matrix_scope import Scope
from analysis.matrix_view import quote_heading
from analysis.tidy import tidy_codings
from cases.documents import current_text_version, quote_citation
from cases.importer import SpeakerDecision, preview_import, store_import
from cases.projects import create_case, create_person, create_project, get_case, get_or_create_coder, get_project
from codebooks.service import adopt_codebook
from coding.codings import apply_coding
from coding.retrieval import retrieve_segments
from exports.case_report import build_case_report
from exports.cross_case_report import build_cross_case_report
from exports.matrix_tables import build_matrix_docx, build_xlsx, matrix_table
from exports.qdpx import export_project_qdpx, validate_qde
from store.db import get_engine, read_session, write_session

PROJECT = "Plannen"
CHAPTER = "3. " + CHAPTERS[2]  # the first paragraph of page 3: the PDF's tenth unit
PDF_PLACE = "p. 3 · ¶10"
GESPREK = "I: Wat bracht het plan?\nR: Ik kreeg een tip die ik meteen gebruikte.\n"
TIP = "een tip die ik meteen gebruikte"


def build(url: str) -> dict[str, tuple[int, int]]:
    """Case Oost: the network plan (PDF) and an interview, each with one span coded vc.immediate by Anna."""
    with write_session(get_engine(url)) as s:
        project = create_project(s, PROJECT)
        adopt_codebook(s, project, "value-creation")
        oost = create_case(s, project, "Oost")
        create_person(s, project, "Anna de Vries", pseudonym="R1")
        plan = store_import(s, project, preview_import("plan.pdf", network_plan()), cases=[oost], kind="document")
        gesprek = store_import(s, project, preview_import("gesprek.txt", GESPREK.encode("utf-8"), language="nl"),
                               cases=[oost], speakers={"I": SpeakerDecision("interviewer"),
                                                       "R": SpeakerDecision("respondent", person="Anna de Vries")})
        anna, _ = get_or_create_coder(s, project, "Anna")
        text = current_text_version(s, plan).text
        spans = {"plan": (text.index(CHAPTER), text.index(CHAPTER) + len(CHAPTER)),
                 "gesprek": (GESPREK.index(TIP), GESPREK.index(TIP) + len(TIP))}
        apply_coding(s, project, plan, anna, *spans["plan"], ["vc.immediate"])
        apply_coding(s, project, gesprek, anna, *spans["gesprek"], ["vc.immediate"])
    return spans


@pytest.fixture
def study(sqlite_url):  # type: ignore[no-untyped-def]
    return sqlite_url, build(sqlite_url)


def run_cli(capsys, url: str, *args: str) -> str:  # type: ignore[no-untyped-def]
    capsys.readouterr()
    assert cli.main(["--db", url, *args]) == 0
    return capsys.readouterr().out


def test_the_one_citation_names_page_and_paragraph() -> None:
    assert quote_citation(1, "R") == "turn 2"  # an interview's turn, as before
    assert quote_citation(1, "R", document="gesprek") == "gesprek · turn 2"
    assert quote_citation(9, None, page=3, document="plan") == "plan · p. 3 · ¶10"
    assert quote_citation(2, None, last_turn=4) == "¶3–¶5" and quote_citation(2, "R", last_turn=4) == "turns 3–5"
    assert quote_citation(None, None) == "outside turns"


def test_retrieval_and_the_matrix_quotes_cite_the_page(study) -> None:  # type: ignore[no-untyped-def]
    url, spans = study
    with read_session(get_engine(url)) as s:
        project = get_project(s, PROJECT)
        found = {r.document: r for r in retrieve_segments(s, project, code_keys=["vc.immediate"])}
        matrix = build_matrix(s, project, MatrixSpec(codebook="vc", depth=1, measure="quotes"))
        j = matrix.column_keys().index("vc.immediate")
        i = [r.label for r in matrix.rows].index("Oost")
        segments = cell_segments(s, project, matrix, i, j)
    assert (found["plan"].page, found["plan"].turn, found["plan"].speaker) == (3, 9, None)
    assert found["plan"].citation() == f"plan · {PDF_PLACE}" and found["gesprek"].citation() == "gesprek · turn 2"
    quotes = {q.document: q for q in matrix.quotes[i][j]}
    assert quotes["plan"].as_dict()["page"] == 3 and quotes["plan"].as_dict()["citation"] == f"plan · {PDF_PLACE}"
    assert quotes["gesprek"].as_dict()["page"] is None
    assert quotes["gesprek"].as_dict()["citation"] == "gesprek · turn 2"
    # the Matrices (and Framework) page drill-down heading: no speaker parts for a paragraph
    headings = {seg.document: quote_heading(seg) for seg in segments}
    assert headings == {"plan": f"plan · {PDF_PLACE} · coded by Anna",
                        "gesprek": "gesprek · turn 2 · respondent (R1) · coded by Anna"}
    assert quote_heading(quotes["plan"]) == headings["plan"]  # a pinned quote reads the same

    # the quotes cell as CSV, Excel and Word: each quote after its citation
    table = matrix_table(matrix, "quotes")
    cell = table.cells[i][j]
    start, end = spans["plan"]
    assert f"plan · {PDF_PLACE} · {start}–{end}: {CHAPTER}" in cell.split("\n")
    g_start, g_end = spans["gesprek"]
    assert f"gesprek · turn 2 · {g_start}–{g_end}: {TIP}" in cell.split("\n")
    with read_session(get_engine(url)) as s:
        tidy = tidy_codings(s, get_project(s, PROJECT), codebooks=["vc"], scope=Scope())
    book = openpyxl.load_workbook(io.BytesIO(build_xlsx([table], tidy)))
    sheet = book[book.sheetnames[0]]
    assert any(f"plan · {PDF_PLACE}" in str(c.value) for row in sheet.iter_rows() for c in row)
    segments_sheet = book["coded segments"]
    header = [c.value for c in segments_sheet[1]]
    assert header[header.index("turn") + 1] == "page"
    pages = {r[header.index("document")]: (r[header.index("turn")], r[header.index("page")])
             for r in segments_sheet.iter_rows(min_row=2, values_only=True)}
    assert pages == {"plan": (10, 3), "gesprek": (2, None)}
    word = docx.Document(io.BytesIO(build_matrix_docx(table)))
    assert any(f"plan · {PDF_PLACE}" in c.text for t in word.tables for row in t.rows for c in row.cells)


def test_the_cli_matrix_and_retrieve_cite_the_page(study, capsys) -> None:  # type: ignore[no-untyped-def]
    url, _ = study
    data = json.loads(run_cli(capsys, url, "matrix", "--project", PROJECT, "--cols", "codebook:vc", "--depth", "1",
                              "--cell", "quotes", "--format", "json"))
    cell = data["values"][data["rows"].index("Oost")][data["columns"].index("vc.immediate")]
    assert {(q["document"], q["page"], q["citation"]) for q in cell} == {
        ("plan", 3, f"plan · {PDF_PLACE}"), ("gesprek", None, "gesprek · turn 2")}
    matrix_csv = run_cli(capsys, url, "matrix", "--project", PROJECT, "--cols", "codebook:vc", "--depth", "1",
                         "--cell", "quotes", "--format", "csv")
    assert f"plan · {PDF_PLACE} · " in matrix_csv

    records = json.loads(run_cli(capsys, url, "retrieve", "--project", PROJECT, "--code", "vc.immediate",
                                 "--format", "json"))
    plan = next(r for r in records if r["document"] == "plan")
    assert (plan["turn"], plan["turn_ordinal"], plan["page"], plan["speaker"], plan["role"]) == (
        10, 9, 3, None, "unknown")  # JSON keeps its fields
    rows = list(csv.DictReader(io.StringIO(run_cli(capsys, url, "retrieve", "--project", PROJECT, "--code",
                                                   "vc.immediate", "--format", "csv"))))
    assert {(r["document"], r["turn"], r["page"]) for r in rows} == {("plan", "10", "3"), ("gesprek", "2", "")}
    table = run_cli(capsys, url, "retrieve", "--project", PROJECT, "--code", "vc.immediate")
    header, *lines = table.splitlines()
    assert header.split()[:5] == ["case", "document", "turn", "page", "role"]
    (plan_line,) = [line for line in lines if " plan " in line]
    assert plan_line.split()[:4] == ["Oost", "plan", "¶10", "3"] and "unknown" not in plan_line
    (gesprek_line,) = [line for line in lines if " gesprek " in line]
    assert gesprek_line.split()[:4] == ["Oost", "gesprek", "2", "respondent"]


def word_paragraphs(data: bytes) -> list[str]:
    return [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]


def cited(paragraphs: list[str], quote: str) -> list[str]:
    """The reference under each paragraph holding exactly `quote`."""
    return [paragraphs[n + 1] for n, text in enumerate(paragraphs[:-1]) if text == quote]


def test_the_word_reports_cite_the_page(study) -> None:  # type: ignore[no-untyped-def]
    url, spans = study
    start, end = spans["plan"]
    g_start, g_end = spans["gesprek"]
    with read_session(get_engine(url)) as s:
        project = get_project(s, PROJECT)
        within = word_paragraphs(build_case_report(s, project, get_case(s, project, "Oost"), codebook_keys=["value-creation"]))
        across = word_paragraphs(build_cross_case_report(s, project, codebook="vc", images=False))
    assert cited(within, CHAPTER) == [f"plan · {PDF_PLACE} · characters {start}–{end} · coded by Anna"]
    assert cited(within, TIP) == [
        f"respondent (R1, Anna de Vries) · gesprek · turn 2 · characters {g_start}–{g_end} · coded by Anna"]
    assert cited(across, CHAPTER) == [f"plan · {PDF_PLACE} · characters {start}–{end} · coded by Anna"]
    assert cited(across, TIP) == [f"gesprek · respondent (R1) · turn 2 · characters {g_start}–{g_end} · coded by Anna"]


def test_the_retrieve_page_cites_a_pdf_paragraph_without_speaker_parts(monkeypatch, study) -> None:  # type: ignore[no-untyped-def]
    url, _ = study
    with read_session(get_engine(url)) as s:
        guid = str(get_project(s, PROJECT).guid)
    at = make_app(monkeypatch, url, project_guid=guid, coder="Anna")
    at.run()
    at.switch_page("pages/retrieve.py")
    at.run()
    at.multiselect(key="retrieve_codes").set_value(["vc.immediate"])
    at.run()
    assert not at.exception, at.exception
    texts = shown(at.markdown)
    (plan,) = [t for t in texts if t.startswith("**plan**")]
    assert plan.startswith(f"**plan** · {PDF_PLACE} · coded by Anna · ")
    assert "unknown" not in plan and "—" not in plan and "turn" not in plan
    (gesprek,) = [t for t in texts if t.startswith("**gesprek**")]
    assert gesprek.startswith("**gesprek** · turn 2 · R · respondent (R1) · coded by Anna · ")


def test_a_refi_qda_export_of_a_pdf_stays_valid_and_says_what_it_leaves_out(study) -> None:  # type: ignore[no-untyped-def]
    url, spans = study
    with read_session(get_engine(url)) as s:
        data, report = export_project_qdpx(s, get_project(s, PROJECT))
    archive = zipfile.ZipFile(io.BytesIO(data))
    qde = archive.read("project.qde")
    assert validate_qde(qde) == []
    ns = {"q": "urn:QDA-XML:project:1.0"}
    source = next(e for e in ET.fromstring(qde).iterfind("q:Sources/q:TextSource", ns) if e.get("name") == "plan")
    text = archive.read(f"sources/{source.get('guid')}.txt").decode("utf-8")
    (selection,) = source.iterfind("q:PlainTextSelection", ns)
    assert (int(selection.get("startPosition")), int(selection.get("endPosition"))) == spans["plan"]
    assert text[slice(*spans["plan"])] == CHAPTER  # the selection reads its paragraph back; no page attribute
    assert selection.get("page") is None
    assert "the page starts of 1 PDF documents (a selection has no page in the standard)" in report.not_carried


def test_the_presentation_attributes_a_pdf_paragraph_to_no_speaker(study) -> None:  # type: ignore[no-untyped-def]
    from focusgroups.presentation import UNSPOKEN, build_presentation, cell_quotes

    url, _ = study
    with read_session(get_engine(url)) as s:
        project = get_project(s, PROJECT)
        presentation = build_presentation(s, project)
        for names in (True, False):  # with names, and anonymised as participants see it by default
            quotes = {q.text: q for q in cell_quotes(s, project, presentation, "Oost", "vc.immediate",
                                                     show_names=names)}
            assert quotes[CHAPTER].speaker == UNSPOKEN
            assert quotes[TIP].speaker == ("R (R1)" if names else "Respondent 1")  # an interview turn: as before
        assert quotes[CHAPTER].where == "" and "unknown" not in quotes[CHAPTER].speaker.lower()
