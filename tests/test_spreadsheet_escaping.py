"""Every CSV a spreadsheet may open escapes text that would run as a formula: the codebook CSV (app and CLI) and
the command line's codings, retrieve and memos listings, like the matrix exports. The codebook CSV still reads
back exactly what was written.
"""

from __future__ import annotations

import csv
import io

from cases.importer import SpeakerDecision, preview_import, store_import
from cases.projects import create_case, create_project, get_or_create_coder, get_project
from codebooks.service import add_code, adopt_codebook, export_codebook_csv
from codebooks.templates import template_from_csv
from coding.codings import apply_coding
from coding.memos import add_memo
from exports.listing import render_records
from store.db import read_session, write_session
from store.spreadsheet import from_spreadsheet_text, spreadsheet_text

LINK = '=HYPERLINK("http://127.0.0.1:8999/x","klik")'
TEXT = f"I: Wat bracht het?\nR: {LINK} en verder niets.\n"


def _seed(engine) -> str:  # type: ignore[no-untyped-def]
    with write_session(engine) as s:
        project = create_project(s, "Formules")
        adopt_codebook(s, project, "value-creation")
        add_code(s, project, "vc", "vc.link", "@SUM(A1:A9)", parent_key="vc.applied", definition=LINK)
        case = create_case(s, project, "Oost")
        document = store_import(s, project, preview_import("gesprek.txt", TEXT.encode()), cases=[case],
                                speakers={"I": SpeakerDecision("interviewer"), "R": SpeakerDecision("respondent")})
        coder, _ = get_or_create_coder(s, project, "Sanne")
        start = TEXT.index(LINK)
        apply_coding(s, project, document, coder, start, start + len(LINK), ["vc.link"], actor="Sanne")
        add_memo(s, project, f"+{LINK}", author=coder, actor="Sanne")
        return str(project.guid)


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row]


def test_the_cli_csv_listings_escape_formulas(engine, db_url, capsys) -> None:  # type: ignore[no-untyped-def]
    import cli

    guid = _seed(engine)
    for args in (("codings",), ("retrieve", "--code", "vc.link"), ("memos",)):
        capsys.readouterr()
        assert cli.main(["--db", db_url, *args, "--project", guid, "--format", "csv"]) == 0
        cells = _cells(capsys.readouterr().out)
        formulas = [c for c in cells if c[:1] and c[:1] in "=+-@"]
        assert formulas == [], (args, formulas)
        assert any(c.startswith("'") and LINK in c for c in cells), (args, cells)


def test_numbers_stay_numbers_in_a_csv_listing() -> None:
    assert _cells(render_records([{"n": -3, "t": "-3"}], "csv")) == ["n", "t", "-3", "'-3"]


def test_the_codebook_csv_escapes_and_reads_back_exactly(engine, db_url, capsys) -> None:  # type: ignore[no-untyped-def]
    import cli

    guid = _seed(engine)
    with read_session(engine) as s:
        exported = export_codebook_csv(s, "vc", get_project(s, guid))
    capsys.readouterr()
    assert cli.main(["--db", db_url, "codebook-export", "vc", "--project", guid]) == 0
    assert capsys.readouterr().out == exported  # the app's download and the CLI write the same file
    cells = _cells(exported)
    assert [c for c in cells if c[:1] and c[:1] in "=+-@"] == []
    assert spreadsheet_text(LINK) in cells and spreadsheet_text("@SUM(A1:A9)") in cells
    mine = next(code for code in template_from_csv(exported).codes if code.key == "vc.link")
    assert (mine.label_en, mine.definition) == ("@SUM(A1:A9)", LINK)


def test_escaping_is_undone_only_where_it_was_done() -> None:
    for text in (LINK, "+31 6 123", "-", "@home", "\tTab", "'quoted'", "'", "gewoon", ""):
        assert from_spreadsheet_text(spreadsheet_text(text)) == text
