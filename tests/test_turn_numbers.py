"""One coded segment, one turn number, in every output a person reads: screen label, Excel, CSV, CLI table and
JSON, the Word report and the search hits. A researcher citing any of them lands on the same ¶ in the transcript.

The segment "een pilot gestart" is in N1's second turn (stored ordinal 1): every output says 2.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import docx
import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parent))

from matrix_fixture import build_study  # noqa: E402

from analysis.matrix_scope import Scope  # noqa: E402
from analysis.tidy import tidy_codings  # noqa: E402
from cases.documents import turn_label  # noqa: E402
from cases.projects import get_project  # noqa: E402
from coding.retrieval import retrieve_segments  # noqa: E402
from exports.cross_case_report import build_cross_case_report  # noqa: E402
from exports.matrix_tables import build_xlsx, tidy_csv  # noqa: E402
from store.db import read_session  # noqa: E402

QUOTE = "een pilot gestart"


def test_every_output_numbers_the_turn_as_the_transcript_does(engine, db_url, capsys) -> None:  # type: ignore[no-untyped-def]
    import cli

    guid = build_study(engine).guid
    with read_session(engine) as s:
        project = get_project(s, guid)
        (segment,) = [r for r in retrieve_segments(s, project, code_keys=["vc.applied"]) if QUOTE in r.text]
        tidy = tidy_codings(s, project, scope=Scope())
        report = docx.Document(io.BytesIO(build_cross_case_report(s, project, codebook="vc", images=False)))
    assert segment.turn == 1  # stored 0-based; people read 2
    assert turn_label(segment.turn) == "turn 2"  # the Coding, Retrieve, Matrices and Framework pages

    sheet = openpyxl.load_workbook(io.BytesIO(build_xlsx([], tidy)))["coded segments"]
    header = [c.value for c in sheet[1]]
    (row,) = [r for r in sheet.iter_rows(min_row=2, values_only=True) if QUOTE in (r[header.index("text")] or "") and r[header.index("code")] == "vc.applied"]
    assert row[header.index("turn")] == 2

    (csv_row,) = [r for r in csv.DictReader(io.StringIO(tidy_csv(tidy).decode("utf-8-sig")))
                  if QUOTE in r["text"] and r["code"] == "vc.applied"]
    assert csv_row["turn"] == "2"

    texts = [p.text for p in report.paragraphs]
    cited = [texts[i + 1] for i, text in enumerate(texts[:-1]) if QUOTE in text]  # each quote, then its source
    assert cited and all(line.startswith("N1 · ") and " · turn 2 · " in line for line in cited), cited

    def run(*args: str) -> str:
        capsys.readouterr()
        assert cli.main(["--db", db_url, *args]) == 0
        return capsys.readouterr().out

    (hit,) = [r for r in json.loads(run("retrieve", "--project", guid, "--code", "vc.applied", "--format", "json"))
              if QUOTE in r["text"]]
    assert (hit["turn"], hit["turn_ordinal"]) == (2, 1)
    (line,) = [r for r in csv.DictReader(io.StringIO(run("retrieve", "--project", guid, "--code", "vc.applied",
                                                         "--format", "csv"))) if QUOTE in r["text"]]
    assert line["turn"] == "2"
    table = run("retrieve", "--project", guid, "--code", "vc.applied")
    (table_line,) = [t for t in table.splitlines() if "pilot" in t]
    assert " 2 " in table_line.split("N1", 1)[1][:12]  # the turn column right after the document
    found = json.loads(run("search", "pilot", "--project", guid, "--format", "json"))
    assert [(h["turn"], h["turn_ordinal"]) for h in found] == [(2, 1)]
