"""Matrix exports: the .xlsx reopened with openpyxl cell by cell, the tidy CSV with its BOM, formula escaping.

`build_study` is the small hand-built fixture the cross-case report and CLI tests share: cells below are
worked out by hand from it.

Noord (doc "gesprek noord", respondent Anna de Vries = R1), coded by Sanne first, then Tom double-codes one span:
  S1 "Ik leerde daar veel"            vc.immediate        (Sanne)
  S2 "veel over subsidies"             vc.potential.human  (Sanne; overlaps S1 on "veel")
  S3 "een pilot gestart ... Westerzand" vc.applied         (Sanne; pinned, rated present (2), discussed)
  S4 "veel over subsidies"             vc.potential.human  (Tom; not counted under the primary-coder default)
Zuid (doc "gesprek zuid", respondent Dirk Bakker = R2), coded by Sanne:
  Z1 "=cmd|' /C calc'!A0" vc.immediate, Z2 "-10 Prozent Kosten" vc.realised, Z3 "@team" vc.potential.social,
  Z4 "+Umsatz" vc.realised, Z5 "Anna de Vries hat geholfen" vc.potential.social; Zuid x vc.transformative: absent
Leeg: no documents; Leeg x vc.applied: no data.
Depth 1 counts (primary coders): Leeg 0 0 0 [no data] 0 0 · Noord 0 1 1 1 0 0 · Zuid 0 1 2 0 2 [absent].
"""

from __future__ import annotations

import csv
import io
from datetime import date

import openpyxl
import pytest

from analysis.framework_matrix import pin_quote, save_cell
from analysis.matrix import MatrixSpec, build_matrix
from analysis.matrix_scope import Scope
from analysis.tidy import tidy_codings
from cases.importer import SpeakerDecision, preview_import, store_import
from cases.projects import create_case, create_person, create_project, get_or_create_coder, get_project
from codebooks.service import adopt_codebook
from coding.codings import apply_coding
from exports.matrix_tables import (
    build_xlsx,
    matrix_table,
    table_csv,
    tidy_csv,
)
from exports.xlsx_book import CELL_LIMIT, XlsxBook
from focusgroups.anonymise import add_mask_term, build_anonymiser
from focusgroups.feedback import record_feedback
from focusgroups.sessions import create_session
from store.db import get_engine, read_session, write_session
from store.spreadsheet import spreadsheet_text

PROJECT = "Matrixtest"
NOORD = """I: Wat heeft het netwerk u gebracht?
R: Ik leerde daar veel over subsidies. We hebben een pilot gestart met de gemeente Westerzand.
"""
ZUID = """I: Was hat das Netzwerk gebracht?
R: =cmd|' /C calc'!A0 und -10 Prozent Kosten, @team +Umsatz. Anna de Vries hat geholfen.
"""
COLUMNS = ["vc.expected", "vc.immediate", "vc.potential", "vc.applied", "vc.realised", "vc.transformative"]
LABELS = ["Expected value (opt.)", "Immediate value", "Potential value", "Applied value", "Realised value",
          "Transformative value"]
COUNTS = {"Leeg": [0, 0, 0, "no data", 0, 0], "Noord": [0, 1, 1, 1, 0, 0], "Zuid": [0, 1, 2, 0, 2, "absent"]}
SUMMARY = "Members start pilots with the municipality."
HOSTILE = ["=cmd|' /C calc'!A0", "-10 Prozent Kosten", "@team", "+Umsatz"]


def span(text: str, phrase: str) -> tuple[int, int]:
    start = text.index(phrase)
    return start, start + len(phrase)


def build_study(url: str) -> dict:
    """The fixture above in one transaction; returns what tests refer to (guids, spans)."""
    engine = get_engine(url)
    with write_session(engine) as s:
        project = create_project(s, PROJECT)
        adopt_codebook(s, project, "value-creation")
        leeg, noord, zuid = (create_case(s, project, name) for name in ("Leeg", "Noord", "Zuid"))
        create_person(s, project, "Anna de Vries", pseudonym="R1", case=noord)
        create_person(s, project, "Dirk Bakker", pseudonym="R2", case=zuid)
        docs = {}
        for case, filename, text, person in ((noord, "gesprek noord.txt", NOORD, "Anna de Vries"),
                                             (zuid, "gesprek zuid.txt", ZUID, "Dirk Bakker")):
            preview = preview_import(filename, text.encode("utf-8"), language="nl")
            speakers = {"I": SpeakerDecision("interviewer"), "R": SpeakerDecision("respondent", person=person)}
            docs[case.name] = store_import(s, project, preview, cases=[case], speakers=speakers)
        sanne, _ = get_or_create_coder(s, project, "Sanne")
        tom, _ = get_or_create_coder(s, project, "Tom")
        n, z = docs["Noord"], docs["Zuid"]
        apply_coding(s, project, n, sanne, *span(NOORD, "Ik leerde daar veel"), ["vc.immediate"])
        apply_coding(s, project, n, sanne, *span(NOORD, "veel over subsidies"), ["vc.potential.human"])
        pilot = apply_coding(s, project, n, sanne, *span(NOORD, "een pilot gestart met de gemeente Westerzand"),
                             ["vc.applied"])
        apply_coding(s, project, n, tom, *span(NOORD, "veel over subsidies"), ["vc.potential.human"])
        apply_coding(s, project, z, sanne, *span(ZUID, HOSTILE[0]), ["vc.immediate"])
        apply_coding(s, project, z, sanne, *span(ZUID, HOSTILE[1]), ["vc.realised"])
        apply_coding(s, project, z, sanne, *span(ZUID, HOSTILE[2]), ["vc.potential.social"])
        apply_coding(s, project, z, sanne, *span(ZUID, HOSTILE[3]), ["vc.realised"])
        apply_coding(s, project, z, sanne, *span(ZUID, "Anna de Vries hat geholfen"), ["vc.potential.social"])
        save_cell(s, project, "Noord", "vc.applied", rating=2, summary=SUMMARY)
        save_cell(s, project, "Noord", "vc.applied", validation="discussed")
        pin_quote(s, project, "Noord", "vc.applied", str(pilot.guid), headline=True)
        save_cell(s, project, "Zuid", "vc.transformative", state="absent")
        save_cell(s, project, "Leeg", "vc.applied", state="no_data")
        fg = create_session(s, project, "FG2", date(2026, 11, 20), attendees={"network representative": 6,
                                                                               "researcher": 4})
        record_feedback(s, project, fg, stance="agree", code="vc.applied", case="Noord",
                        participant_role="network representative", note="Klopt, de pilot loopt nog.")
        record_feedback(s, project, fg, stance="amend", code="vc.realised", participant_role="researcher",
                        note="Split financial and social results.")
        add_mask_term(s, project, "Westerzand", "place")
        return {"url": url, "guid": str(project.guid), "pilot": str(pilot.guid),
                "documents": {name: str(d.guid) for name, d in docs.items()},
                "pilot_span": span(NOORD, "een pilot gestart met de gemeente Westerzand")}


@pytest.fixture
def study(db_url: str) -> dict:
    return build_study(db_url)


def workbook(data: bytes):  # type: ignore[no-untyped-def]
    return openpyxl.load_workbook(io.BytesIO(data))


def test_safe_text_escapes_what_a_spreadsheet_would_evaluate():
    assert spreadsheet_text("=cmd|' /C calc'!A0") == "'=cmd|' /C calc'!A0"
    for value in ("+1", "-1", "@SUM(A1)", "  =1", "\t=1", "\r=1", "\n=1", "\tplain", "\rplain"):
        assert spreadsheet_text(value) == "'" + value
    for value in ("plain", "a=b", "", "'already", "1-2"):
        assert spreadsheet_text(value) == value
    assert spreadsheet_text("bell\x07 and nul\x00") == "bell and nul"


def test_xlsx_cells_hold_what_was_given_and_say_where_they_were_cut():
    """No guessing by the writer (a URL stays text, "12" stays text, a formula-like text is escaped), and a text
    longer than an Excel cell holds (32,767 UTF-16 units; an emoji is two) is cut with a note, never silently."""
    emoji, plain, exact = "\U0001f600" * 20_000, "ab" * 20_000, "x" * CELL_LIMIT
    with XlsxBook() as book:
        sheet = book.sheet("t", [["a"]])
        book.append(sheet, ["https://example.org", "12", "=1+1", 3, None, True, emoji, plain, exact])
        row = [c.value for c in workbook(book.close())["t"][1]]
    assert row[:6] == ["https://example.org", "12", "'=1+1", 3, None, 1]
    assert row[8] == exact
    for value, given in ((row[6], emoji), (row[7], plain)):
        kept, note = value.split(" … [cut: ")
        assert given.startswith(kept) and len(kept) > 16_000
        assert len(kept.encode("utf-16-le")) // 2 + len(note) + 8 <= CELL_LIMIT
        assert note == (f"an Excel cell holds 32,767 characters, an emoji counting two; {len(given) - len(kept):,} "
                        "more left out]")


def test_xlsx_matrix_sheet_cell_by_cell(study):
    with read_session(get_engine(study["url"])) as s:
        project = get_project(s, PROJECT)
        matrix = build_matrix(s, project, MatrixSpec(codebook="vc", depth=1))
        tidy = tidy_codings(s, project, codebooks=["vc"], scope=matrix.spec.scope)
        data = build_xlsx([matrix_table(matrix, title="counts")], tidy, project=project.name)
    wb = workbook(data)
    assert wb.sheetnames == ["counts", "coded segments", "about"]
    ws = wb["counts"]
    assert [c.value for c in ws[1]] == ["cases", *COLUMNS]
    assert [c.value for c in ws[2]] == [None, *LABELS]
    assert ws.freeze_panes == "B3"
    rows = {ws.cell(row=r, column=1).value: [ws.cell(row=r, column=c) for c in range(2, 8)] for r in range(3, 6)}
    assert list(rows) == ["Leeg", "Noord", "Zuid"]
    for name, expected in COUNTS.items():
        cells = rows[name]
        assert [c.value for c in cells] == expected, name
        for cell, value in zip(cells, expected):
            assert cell.data_type == ("s" if isinstance(value, str) else "n")
    assert all(ws.column_dimensions[letter].width >= 8 for letter in "ABCDEFG")
    assert all(c.font.b for c in ws[1]) and all(c.font.i and not c.font.b for c in ws[2][1:])
    assert all(ws.cell(row=r, column=1).font.b for r in range(3, 6)) and not ws["B3"].font.b
    segments = wb["coded segments"]  # written row by row in write-only mode: its frame is still all there
    assert segments.max_row == len(tidy) + 1 > 1
    assert segments.freeze_panes == "A2" and segments.auto_filter.ref == f"A1:L{len(tidy) + 1}"
    assert all(c.font.b for c in segments[1]) and not any(c.font.b for c in segments[2])
    assert segments.column_dimensions["L"].width > segments.column_dimensions["F"].width >= 8
    about = {r[0]: r[1] for r in wb["about"].iter_rows(values_only=True)}
    assert about["counts"] == "Codings of each document's primary coder (double-coded documents counted once)."


def test_tidy_sheet_one_row_per_coding_with_formulas_escaped(study):
    with read_session(get_engine(study["url"])) as s:
        project = get_project(s, PROJECT)
        primary = tidy_codings(s, project, codebooks=["vc"], scope=Scope())
        everyone = tidy_codings(s, project)
        anonymiser = build_anonymiser(s, project)
        data = build_xlsx([], primary, anonymiser=anonymiser)
    assert len(primary) == 8 and len(everyone) == 9  # Tom's double coding only when every coder counts
    assert [r.coder for r in everyone if r.document == "gesprek noord"].count("Tom") == 1
    ws = workbook(data)["coded segments"]
    header = [c.value for c in ws[1]]
    assert header == ["case", "document", "coder", "code", "code_label", "start", "end", "turn", "page",
                      "speaker_role", "speaker", "text"]
    rows = list(ws.iter_rows(min_row=2))
    assert len(rows) == 8
    by_text = {row[11].value: row for row in rows}
    for hostile in HOSTILE:
        cell = by_text["'" + hostile][11]
        assert cell.data_type == "s"
    first = by_text["'" + HOSTILE[0]]
    start, end = span(ZUID, HOSTILE[0])
    # anonymised: the document as kind + number and the coder as "Coder N", like the speakers and the Word report
    assert [c.value for c in first[:11]] == ["Zuid", "interview 2", "Coder 1", "vc.immediate", "Immediate value",
                                             start, end, 2, None, "respondent", "Respondent 2"]  # turn 2, no page
    assert first[5].data_type == "n"
    pilot = next(row for row in rows if row[3].value == "vc.applied")
    assert pilot[11].value == "een pilot gestart met de gemeente [place]"  # masked when anonymised
    assert pilot[10].value == "Respondent 1"
    assert by_text["[person] hat geholfen"][3].value == "vc.potential.social"
    assert not any(cell.data_type == "f" for row in ws.iter_rows() for cell in row)
    assert not {"Sanne", "Tom", "gesprek zuid", "gesprek noord"} & {c.value for row in ws.iter_rows() for c in row}


def test_tidy_csv_has_a_bom_and_escaped_text(study):
    with read_session(get_engine(study["url"])) as s:
        project = get_project(s, PROJECT)
        data = tidy_csv(tidy_codings(s, project, scope=Scope()))
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][0] == "case" and rows[0][-1] == "text"
    texts = [r[-1] for r in rows[1:]]
    for hostile in HOSTILE:
        assert "'" + hostile in texts
        assert hostile not in texts
    assert "Anna de Vries hat geholfen" in texts  # not anonymised unless asked
    speakers = {r[-1]: r[10] for r in rows[1:]}
    assert speakers["Ik leerde daar veel"] == "R1"


def test_percentages_and_k_of_n_cells(study):
    with read_session(get_engine(study["url"])) as s:
        project = get_project(s, PROJECT)
        coverage = build_matrix(s, project, MatrixSpec(codebook="vc", depth=1, measure="coverage"))
        persons = build_matrix(s, project, MatrixSpec(codebook="vc", depth=1, measure="persons"))
        data = build_xlsx([matrix_table(coverage, title="coverage"), matrix_table(persons, title="persons")])
    # Noord immediate: "Ik leerde daar veel" (19 characters) of the document's text.
    noord = coverage.rows[1]
    assert noord.label == "Noord"
    expected = round(100.0 * 19 / noord.chars, 1)
    wb = workbook(data)
    cell = wb["coverage"].cell(row=4, column=3)
    assert cell.value == pytest.approx(expected) and cell.number_format == '0.0"%"'
    assert [c.value for c in wb["persons"][4][1:]] == ["0 of 1", "1 of 1", "1 of 1", "1 of 1", "0 of 1", "0 of 1"]
    assert wb["persons"].cell(row=5, column=7).value == "absent"
    text = table_csv(matrix_table(coverage))
    assert text.splitlines()[0] == "cases," + ",".join(COLUMNS)
    assert text.splitlines()[2].startswith(f"Noord,0.0%,{expected:.1f}%,")


def test_tidy_rows_read_a_few_documents_at_a_time_in_the_same_order(engine):  # type: ignore[no-untyped-def]
    """The export reads the tidy rows a group of documents at a time; the rows, and their order (by document title,
    case-insensitively, then position), are those of one query sorted whole."""
    from sqlalchemy import select

    from analysis.tidy import iter_tidy_codings
    from bench.matrix_project import build_project
    from store.models import Document, Segment

    built = build_project(engine, {"name": "Tidy Groups", "cases": 3, "documents": 9, "codings": 400,
                                   "codebooks": [("tg", 2, 2)], "framework": False}, seed=5)
    with write_session(engine) as s:
        docs = s.scalars(select(Document).where(Document.project_id == built["project_id"])
                         .order_by(Document.id)).all()
        for doc, title in zip(docs, ["b", "B", "bb", "a", "é", "E", "Ab", "z", "A"]):
            doc.title = title  # titles differing only in case, an accent
    with read_session(engine) as s:
        project = get_project(s, "Tidy Groups")
        whole = list(iter_tidy_codings(s, project, documents_per_query=10**6))
        by_one = list(iter_tidy_codings(s, project, documents_per_query=1))
        by_two = list(iter_tidy_codings(s, project, documents_per_query=2, scope=Scope()))
        whole_primary = tidy_codings(s, project, scope=Scope())
        stored = {str(guid) for guid in s.scalars(select(Segment.guid))}  # guids read as text print as uuid does
    assert {r.segment for r in whole} <= stored
    assert len(whole) > 300 and by_one == whole
    assert by_two == whole_primary and 0 < len(whole_primary) < len(whole)
    titles = [r.document for r in whole]
    assert titles == sorted(titles, key=lambda t: (t.casefold(), t))
    assert {"b", "B", "A", "a"} <= set(titles)
