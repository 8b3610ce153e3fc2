"""The analysis commands through `cli.main([...])` on both databases, with cells worked out by hand
(the fixture is described in tests/test_matrix_exports.py)."""

from __future__ import annotations

import csv
import io
import json

import docx
import openpyxl
import pytest

import cli
from test_matrix_exports import COLUMNS, PROJECT, SUMMARY, ZUID, build_study, span

PRIMARY_NOTE = "note: Codings of each document's primary coder (double-coded documents counted once).\n"


@pytest.fixture
def url(db_url: str) -> str:
    build_study(db_url)
    return db_url


def run(capsys, url: str, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    capsys.readouterr()
    code = cli.main(["--db", url, *args])
    out, err = capsys.readouterr()
    return code, out, err


def ok(capsys, url: str, *args: str) -> str:  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, url, *args)
    assert code == 0, err
    return out


def refused(capsys, url: str, *args: str) -> str:  # type: ignore[no-untyped-def]
    code, out, err = run(capsys, url, *args)
    assert code == 1, (out, err)
    assert err.startswith("error: ") and err.count("\n") == 1
    return err


def matrix_json(capsys, url: str, *args: str) -> dict:  # type: ignore[no-untyped-def]
    return json.loads(ok(capsys, url, "matrix", "--project", PROJECT, "--cols", "codebook:vc", "--depth", "1",
                         "--format", "json", *args))


def test_matrix_json_measures(capsys, url):
    code, out, err = run(capsys, url, "matrix", "--project", PROJECT, "--rows", "cases", "--cols", "codebook:vc",
                         "--depth", "1", "--cell", "count", "--format", "json")
    assert code == 0 and err == PRIMARY_NOTE
    data = json.loads(out)
    assert data["rows"] == ["Leeg", "Noord", "Zuid"] and data["columns"] == COLUMNS
    assert data["values"] == [[0, 0, 0, 0, 0, 0], [0, 1, 1, 1, 0, 0], [0, 1, 2, 0, 2, 0]]
    assert data["states"][0][3] == "no_data" and data["states"][2][5] == "absent"
    assert matrix_json(capsys, url, "--cell", "presence")["values"] == [
        [0, 0, 0, 0, 0, 0], [0, 1, 1, 1, 0, 0], [0, 1, 1, 0, 1, 0]]
    assert matrix_json(capsys, url, "--cell", "documents")["values"][2] == [0, 1, 1, 0, 1, 0]
    persons = matrix_json(capsys, url, "--cell", "persons")
    assert persons["values"][1] == [0, 1, 1, 1, 0, 0] and persons["n"] == [0, 1, 1]
    assert matrix_json(capsys, url, "--cell", "row_pct")["values"][2] == [0.0, 20.0, 40.0, 0.0, 40.0, 0.0]
    quotes = matrix_json(capsys, url, "--cell", "quotes")["values"]
    start, end = span(ZUID, "+Umsatz")
    realised = quotes[2][4]
    assert [(q["document"], q["text"]) for q in realised] == [("gesprek zuid", "-10 Prozent Kosten"),
                                                              ("gesprek zuid", "+Umsatz")]
    assert (realised[1]["start"], realised[1]["end"]) == (start, end)
    assert quotes[0] == [[], [], [], [], [], []]
    # Coder scope: every coder's codings (Tom double-coded Noord), one coder, a coder per row.
    everyone = matrix_json(capsys, url, "--coder", "all")
    assert everyone["values"][1] == [0, 1, 2, 1, 0, 0] and everyone["pooled"][1][2] is True
    assert matrix_json(capsys, url, "--coder", "Tom")["values"][1] == [0, 0, 1, 0, 0, 0]
    coders = matrix_json(capsys, url, "--rows", "coders")
    assert coders["rows"] == ["Sanne", "Tom"] and coders["values"][1] == [0, 0, 1, 0, 0, 0]
    assert matrix_json(capsys, url, "--role", "interviewer")["values"] == [[0] * 6] * 3


def test_matrix_csv_and_files(capsys, url, tmp_path):
    code, out, err = run(capsys, url, "matrix", "--project", PROJECT, "--cols", "codebook:vc", "--depth", "1",
                         "--cell", "count", "--format", "csv")
    assert code == 0 and err == PRIMARY_NOTE
    assert list(csv.reader(io.StringIO(out))) == [
        ["cases", *COLUMNS], ["Leeg", "0", "0", "0", "no data", "0", "0"], ["Noord", "0", "1", "1", "1", "0", "0"],
        ["Zuid", "0", "1", "2", "0", "2", "absent"]]
    persons = ok(capsys, url, "matrix", "--project", PROJECT, "--cols", "vc", "--depth", "1", "--cell", "persons")
    assert persons.splitlines()[2] == "Noord,0 of 1,1 of 1,1 of 1,1 of 1,0 of 1,0 of 1"

    xlsx = tmp_path / "m.xlsx"
    out = ok(capsys, url, "matrix", "--project", PROJECT, "--cols", "codebook:vc", "--depth", "1", "--format",
             "xlsx", "--out", str(xlsx), "--anonymise")
    assert out == f"wrote value-creation count per cases (3 x 6) to {xlsx}\n"
    wb = openpyxl.load_workbook(xlsx)
    ws = wb["value-creation count per cases"]
    assert [[c.value for c in row] for row in ws.iter_rows(min_row=3)] == [
        ["Leeg", 0, 0, 0, "no data", 0, 0], ["Noord", 0, 1, 1, 1, 0, 0], ["Zuid", 0, 1, 2, 0, 2, "absent"]]
    tidy = [[c.value for c in row] for row in wb["coded segments"].iter_rows(min_row=2)]
    assert len(tidy) == 8  # the matrix's scope: Tom's double coding is not among the counted codings
    assert ["Zuid", "interview 2", "Coder 1", "vc.immediate"] == tidy[[r[11] for r in tidy].index(
        "'=cmd|' /C calc'!A0")][:4]
    assert {r[10] for r in tidy} == {"Respondent 1", "Respondent 2"}
    about = {r[0]: r[1] for r in wb["about"].iter_rows(values_only=True)}
    assert about["value-creation count per cases"].startswith("Codings of each document's primary coder")

    word = tmp_path / "m.docx"
    ok(capsys, url, "matrix", "--project", PROJECT, "--cols", "codebook:vc", "--depth", "1", "--cell", "coverage",
       "--format", "docx", "--out", str(word))
    doc = docx.Document(str(word))
    table = [[c.text for c in row.cells] for row in doc.tables[0].rows]
    assert table[0][:2] == ["cases", "Expected value (opt.) (vc.expected)"]
    assert table[1][4] == "no data" and table[3][6] == "absent" and table[2][1] == "0.0%"
    assert any(p.text.startswith("Codings of each document's primary coder") for p in doc.paragraphs)

    out_csv = tmp_path / "m.csv"
    ok(capsys, url, "matrix", "--project", PROJECT, "--cols", "vc", "--depth", "1", "--out", str(out_csv))
    assert out_csv.read_bytes().startswith(b"\xef\xbb\xbfcases,vc.expected")


def test_cooccurrence(capsys, url):
    """Overlap: S1 (immediate) overlaps S2 (potential, Sanne) and S4 (potential, Tom); nothing else overlaps."""
    args = ("matrix", "--project", PROJECT, "--cols", "codebook:vc", "--depth", "1", "--cols2", "codebook:vc",
            "--depth2", "1", "--format", "json")
    code, out, err = run(capsys, url, *args)
    assert code == 0 and err.startswith("note: Co-occurrence by overlapping segments, within each coder's own")
    data = json.loads(out)
    assert data["rows"] == COLUMNS and data["columns"] == COLUMNS
    assert data["values"][1][2] == 1 and data["values"][2][1] == 1 and data["values"][1][1] is None
    assert sum(v for row in data["values"] for v in row if v is not None) == 2
    assert data["n_rows"][1:3] == [2, 3] and data["c"][1][2] == 0.25  # 1 / (2 + 3 - 1)
    within = json.loads(ok(capsys, url, *args, "--coder", "all"))
    assert within["values"][1][2] == 1 and within["c"][1][2] == 0.2  # Tom's S4 counts in n2 only: 1 / (2 + 4 - 1)
    pooled = json.loads(ok(capsys, url, *args, "--coder", "all", "--pool"))
    assert pooled["values"][1][2] == 2 and pooled["c"][1][2] == 0.5  # 2 / (2 + 4 - 2)
    text = ok(capsys, url, *args[:-1], "csv")
    assert text.splitlines()[0] == "code," + ",".join(COLUMNS)
    assert text.splitlines()[2] == "vc.immediate,0,—,1,0,0,0"


def test_report(capsys, url, tmp_path):
    path = tmp_path / "report.docx"
    out = ok(capsys, url, "report", "--project", PROJECT, "--no-images", "--out", str(path))
    assert out == f"wrote cross-case report to {path}\n"
    doc = docx.Document(str(path))
    assert [c.text for c in doc.tables[1].rows[3].cells][1:] == ["0", "1", "2", "0", "2", "absent"]
    network = tmp_path / "noord.docx"
    ok(capsys, url, "report", "--project", PROJECT, "--case", "Noord", "--anonymise", "--no-images",
       "--codebook", "value-creation", "--out", str(network))
    text = "\n".join(p.text for p in docx.Document(str(network)).paragraphs)
    assert "Cross-case report for Noord" in text and "Zuid" not in text and "Westerzand" not in text
    assert "Case B" in text
    assert refused(capsys, url, "report", "--project", PROJECT, "--case", "Oost", "--out", str(path)) == \
        "error: project 'Matrixtest' has no case 'Oost'\n"


def test_framework_cells(capsys, url):
    out = ok(capsys, url, "cell", "--project", PROJECT, "--case", "Zuid", "--code", "vc.realised", "--rating", "3",
             "--summary", "Costs fell by a tenth.")
    assert out == "cell Zuid x vc.realised: assessed, rating 3, proposed, 0 pinned quote(s)\n"
    quotes = matrix_json(capsys, url, "--cell", "quotes")["values"][2][4]
    segment = quotes[1]["segment"]
    out = ok(capsys, url, "cell", "--project", PROJECT, "--case", "Zuid", "--code", "vc.realised", "--pin", segment,
             "--headline", "--validation", "confirmed")
    assert out == "cell Zuid x vc.realised: assessed, rating 3, confirmed, 1 pinned quote(s)\n"
    data = json.loads(ok(capsys, url, "cells", "--project", PROJECT, "--depth", "1"))
    assert data["rows"] == ["Leeg", "Noord", "Zuid"] and data["columns"] == COLUMNS
    assert data["values"][2][4] == "strong (3) · Costs fell by a tenth. · 1 quote · 1 of 1 interviewees · confirmed"
    assert data["values"][1][3] == f"present (2) · {SUMMARY} · 1 quote · 1 of 1 interviewees · discussed"
    assert data["values"][0][3] == "no data · 0 of 0 interviewees"
    assert data["cells"][2][4]["quotes"] == [segment] and data["cells"][2][4]["count"] == 2
    assert data["cells"][1][3]["feedback"] == 1
    csv_rows = list(csv.reader(io.StringIO(ok(capsys, url, "cells", "--project", PROJECT, "--depth", "1",
                                              "--format", "csv"))))
    assert csv_rows[3][5] == data["values"][2][4]
    out = ok(capsys, url, "cell", "--project", PROJECT, "--case", "Zuid", "--code", "vc.realised", "--unpin", segment)
    assert out == f"cell Zuid x vc.realised: unpinned {segment}\n"
    assert json.loads(ok(capsys, url, "cells", "--project", PROJECT, "--depth", "1"))["cells"][2][4]["quotes"] == []

    assert refused(capsys, url, "cell", "--project", PROJECT, "--case", "Zuid", "--code", "vc.realised",
                   "--rating", "7") == "error: a rating runs from 1 to 4, not 7\n"
    assert "unknown cell state 'done'" in refused(capsys, url, "cell", "--project", PROJECT, "--case", "Zuid",
                                                  "--code", "vc.realised", "--state", "done")
    assert "is not coded 'vc.applied' in case 'Zuid'" in refused(
        capsys, url, "cell", "--project", PROJECT, "--case", "Zuid", "--code", "vc.applied", "--pin", segment)
    assert "give at least one of" in refused(capsys, url, "cell", "--project", PROJECT, "--case", "Zuid",
                                             "--code", "vc.realised")

    ok(capsys, url, "rating-scale", "--project", PROJECT, "--level", "2", "--label", "clear",
       "--rule", "One concrete example.")
    scale = json.loads(ok(capsys, url, "rating-scale", "--project", PROJECT, "--format", "json"))
    assert scale[1] == {"level": 2, "label": "clear", "rule": "One concrete example."}
    assert refused(capsys, url, "rating-scale", "--project", PROJECT, "--level", "5", "--label", "x") == \
        "error: rating levels run from 1 to 4, not 5\n"


def test_focus_groups_masks_and_primary_coder(capsys, url):
    out = ok(capsys, url, "fg-session-create", "FG3", "--project", PROJECT, "--date", "2026-12-01",
             "--attendees", "6 network representative, 4 researcher")
    assert out.startswith("created focus-group session 'FG3' on 2026-12-01 (validation; 10 attendees)")
    sessions = json.loads(ok(capsys, url, "fg-sessions", "--project", PROJECT, "--format", "json"))
    assert [(s["name"], s["attendees"]) for s in sessions] == [
        ("FG2", {"network representative": 6, "researcher": 4}),
        ("FG3", {"network representative": 6, "researcher": 4})]
    ok(capsys, url, "feedback-add", "--project", PROJECT, "--session", "FG3", "--code", "vc.realised", "--case",
       "Zuid", "--stance", "disagree", "--role", "network representative", "--note", "Not yet realised.")
    ok(capsys, url, "feedback-add", "--project", PROJECT, "--session", "FG3", "--code", "vc.applied", "--stance",
       "add", "--role", "researcher", "--note", "Trust between members")
    records = json.loads(ok(capsys, url, "feedback", "--project", PROJECT, "--session", "FG3", "--format", "json"))
    assert [(r["case"], r["code"], r["stance"], r["participant_role"]) for r in records] == [
        ("Zuid", "vc.realised", "disagree", "network representative"), (None, "vc.applied", "add", "researcher")]
    everything = json.loads(ok(capsys, url, "feedback", "--project", PROJECT, "--code", "vc.applied",
                               "--format", "json"))
    assert [r["session"] for r in everything] == ["FG2", "FG3"]
    out = ok(capsys, url, "feedback-promote", records[1]["guid"], "--project", PROJECT, "--codebook", "vc",
             "--key", "vc.trust", "--label", "Trust")
    assert out.startswith("promoted the remark to code 'vc.trust'")
    promoted = json.loads(ok(capsys, url, "feedback", "--project", PROJECT, "--session", "FG3", "--format", "json"))
    assert promoted[1]["promoted_to"] == "vc.trust"
    assert "in a validation session the stance is one of agree, disagree, amend, add, not 'recognised'" in refused(
        capsys, url, "feedback-add", "--project", PROJECT, "--session", "FG3", "--code", "vc.applied",
        "--stance", "recognised")
    assert refused(capsys, url, "fg-session-create", "FG4", "--project", PROJECT, "--date", "1 dec") == \
        "error: --date '1 dec' is not a date (YYYY-MM-DD)\n"
    assert "has no focus-group session 'FG9'" in refused(capsys, url, "feedback", "--project", PROJECT,
                                                          "--session", "FG9")

    ok(capsys, url, "mask-add", "Sanne", "--project", PROJECT, "--kind", "person", "--replacement", "[coder]")
    masks = json.loads(ok(capsys, url, "masks", "--project", PROJECT, "--format", "json"))
    assert masks == [{"term": "Sanne", "kind": "person", "replacement": "[coder]"},
                     {"term": "Westerzand", "kind": "place", "replacement": "[place]"}]
    ok(capsys, url, "mask-add", "Sanne", "--project", PROJECT, "--remove")
    assert "'Sanne' is not on the mask list" in refused(capsys, url, "mask-add", "Sanne", "--project", PROJECT,
                                                       "--remove")

    out = ok(capsys, url, "primary-coder", "--project", PROJECT, "--document", "gesprek noord", "--coder", "Tom")
    assert out == "primary coder of 'gesprek noord': Tom\n"
    tom_first = matrix_json(capsys, url)
    assert tom_first["columns"] == [*COLUMNS, "vc.trust"]  # the promoted code is a column of its own now
    assert tom_first["values"][1] == [0, 0, 1, 0, 0, 0, 0]
    ok(capsys, url, "primary-coder", "--project", PROJECT, "--document", "gesprek noord", "--coder", "none")
    assert matrix_json(capsys, url)["values"][1] == [0, 1, 1, 1, 0, 0, 0]
    assert "has no coder 'Piet'" in refused(capsys, url, "primary-coder", "--project", PROJECT, "--document",
                                            "gesprek noord", "--coder", "Piet")


def test_bad_matrix_input(capsys, url, tmp_path):
    base = ("matrix", "--project", PROJECT)
    assert refused(capsys, url, *base, "--cols", "codes:vc") == \
        "error: --cols 'codes:vc': write codebook:KEY, e.g. codebook:vc\n"
    assert refused(capsys, url, *base, "--cols", "codebook:xx") == \
        "error: project 'Matrixtest' has no codebook 'xx'\n"
    assert "has no attribute" in refused(capsys, url, *base, "--cols", "vc", "--rows", "attribute:sector")
    assert refused(capsys, url, *base, "--cols", "vc", "--format", "xlsx") == \
        "error: --format xlsx needs --out FILE.xlsx\n"
    assert "depth must be 1 or more" in refused(capsys, url, *base, "--cols", "vc", "--depth", "0")
    assert "--cell persons does not apply" in refused(capsys, url, *base, "--cols", "vc", "--cols2", "vc",
                                                      "--cell", "persons")
    assert "belong to a code x code co-occurrence" in refused(capsys, url, *base, "--cols", "vc", "--unit", "turn")
    assert "has no coder 'Piet'" in refused(capsys, url, *base, "--cols", "vc", "--coder", "Piet")
    assert "unknown document kind 'memo'" in refused(capsys, url, *base, "--cols", "vc", "--kind", "memo")
    assert "write TARGET:NAME=VALUE" in refused(capsys, url, *base, "--cols", "vc", "--attribute", "country")
    assert "Nope" in refused(capsys, url, "matrix", "--project", "Nope", "--cols", "vc")
    assert "cannot write" in refused(capsys, url, *base, "--cols", "vc", "--format", "docx", "--out",
                                     str(tmp_path / "missing" / "m.docx"))
    with pytest.raises(SystemExit) as usage:
        cli.main(["--db", url, *base, "--cols", "vc", "--cell", "median"])
    assert usage.value.code == 2
