"""Value-creation stories and coding marks on the command line (issue 19), on both databases."""

from __future__ import annotations

import json
from io import BytesIO

from docx import Document as open_docx
from openpyxl import load_workbook

import cli
from tests.test_stories import TURNS, build

PROJECT = ["--project", "Verhalen"]


def run(url: str, capsys, *args: str, who: str = "Anna") -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = cli.main(["--db", url, "--as", who, *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_story_from_the_command_line(db_url, engine, capsys, tmp_path):
    guids = build(engine)
    assert run(db_url, capsys, "story-create", *PROJECT, "--case", "Grenzeloos", "--person", "Hoekstra",
               "Petra")[0] == 0
    for key, extra in (("omzet", []), ("fieldlab", ["--position", "1", "--note", "de fieldlab"]),
                       ("both", ["--cycle", "vc.applied"]), ("contact", ["--position", "2"])):
        code, out, err = run(db_url, capsys, "story-add", *PROJECT, "--story", "Petra", "--segment", guids[key],
                             *extra)
        assert code == 0, err
    code, _, err = run(db_url, capsys, "story-add", *PROJECT, "--story", "Petra", "--segment", guids["venlo"])
    assert code == 1 and err.count("\n") == 1 and "is not in a document of case 'Grenzeloos'" in err
    assert run(db_url, capsys, "story-move", *PROJECT, "--story", "Petra", "--segment", guids["both"], "--to", "3")[0] == 0
    assert run(db_url, capsys, "story-step", *PROJECT, "--story", "Petra", "--position", "4", "--note",
               "en toen kwam de omzet")[0] == 0
    code, out, _ = run(db_url, capsys, "stories", *PROJECT, "--format", "json")
    stories = json.loads(out)
    assert [(s["title"], s["case"], s["person"]) for s in stories] == [("Petra", "Grenzeloos", "Hoekstra")]
    steps = stories[0]["steps"]
    assert [(st["position"], st["cycle"], st["text"]) for st in steps] == [
        (1, "vc.immediate", TURNS["fieldlab"]), (2, "vc.potential", TURNS["contact"]),
        (3, "vc.applied", TURNS["both"]), (4, "vc.realised", TURNS["omzet"])]
    assert steps[0]["note"] == "de fieldlab" and steps[3]["note"] == "en toen kwam de omzet"
    assert steps[0]["document"] == "interview_a" and steps[0]["turn"] == 2 and stories[0]["warnings"] == []

    # Bram may not change Anna's story in a project with members; here (local) everyone is the owner
    code, out, _ = run(db_url, capsys, "undo", *PROJECT, "--coder", "Anna", "--stories", "--dry-run")
    assert out.strip() == "would undo: editing step 4 of 'Petra'"
    assert run(db_url, capsys, "undo", *PROJECT, "--coder", "Anna", "--stories")[0] == 0
    code, out, _ = run(db_url, capsys, "stories", *PROJECT, "--format", "json")
    assert json.loads(out)[0]["steps"][3]["note"] == ""

    code, out, _ = run(db_url, capsys, "matrix", *PROJECT, "--rows", "stories", "--cols", "codebook:value-creation",
                       "--depth", "1", "--format", "json")
    matrix = json.loads(out)
    assert matrix["rows"] == ["Petra (Grenzeloos, Hoekstra)"] and matrix["columns"][3] == "vc.applied"
    assert [[step["text"] for step in cell] for cell in matrix["values"][0]] == [
        [], [TURNS["fieldlab"]], [TURNS["contact"]], [TURNS["both"]], [TURNS["omzet"]], []]
    assert matrix["segments"][0][3] == [guids["both"]]
    code, out, _ = run(db_url, capsys, "matrix", *PROJECT, "--rows", "cases", "--cell", "stories", "--cols",
                       "codebook:value-creation")
    assert out.splitlines() == ["case,vc.expected,vc.immediate,vc.potential,vc.applied,vc.realised,vc.transformative",
                                "Grenzeloos,0,1,1,1,1,0", "Stedenband,0,0,0,0,0,0"]
    xlsx, docx = tmp_path / "vm.xlsx", tmp_path / "vm.docx"
    assert run(db_url, capsys, "matrix", *PROJECT, "--rows", "stories", "--cols", "codebook:value-creation",
               "--format", "xlsx", "--out", str(xlsx))[0] == 0
    sheet = load_workbook(xlsx).worksheets[0]
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert any(f"3. interview_a · turn 12: {TURNS['both']}" in row for row in cells)
    assert run(db_url, capsys, "matrix", *PROJECT, "--rows", "stories", "--cols", "codebook:value-creation",
               "--format", "docx", "--out", str(docx))[0] == 0
    table = open_docx(BytesIO(docx.read_bytes())).tables[0]
    assert [c.text for c in table.rows[0].cells][1:3] == ["Expected value (opt.) (vc.expected)",
                                                         "Immediate value (vc.immediate)"]
    code, _, err = run(db_url, capsys, "matrix", *PROJECT, "--rows", "stories", "--cols", "codebook:learning-levels")
    assert code == 1 and "not 'learning-levels'" in err

    assert run(db_url, capsys, "story-delete", *PROJECT, "--story", "Petra")[0] == 0
    assert json.loads(run(db_url, capsys, "stories", *PROJECT, "--format", "json")[1]) == []
    assert run(db_url, capsys, "restore", *PROJECT, "Petra")[0] == 0
    assert len(json.loads(run(db_url, capsys, "stories", *PROJECT, "--format", "json")[1])[0]["steps"]) == 4
    for case, rows in (("Stedenband", []), ("Grenzeloos", ["Petra (Grenzeloos, Hoekstra)"])):
        code, out, _ = run(db_url, capsys, "matrix", *PROJECT, "--rows", "stories", "--case", case, "--cols",
                           "codebook:value-creation", "--format", "json")
        assert code == 0 and json.loads(out)["rows"] == rows


def test_coding_marks_from_the_command_line_and_their_undo(db_url, engine, capsys):
    guids = build(engine)
    code, out, _ = run(db_url, capsys, "codings", *PROJECT, "--format", "json")
    codings = json.loads(out)
    hope = next(c for c in codings if c["segment"] == guids["hope"])
    assert (hope["aspirational"], hope["beneficiary"]) == (False, None)
    code, _, err = run(db_url, capsys, "coding-mark", *PROJECT, "--coding", hope["guid"], "--aspirational")
    assert code == 1 and "Thomas put it on this segment" in err
    code, out, _ = run(db_url, capsys, "coding-mark", *PROJECT, "--coding", hope["guid"], "--aspirational",
                       "--beneficiary", "team", who="Thomas")
    assert (code, out.strip()) == (0, f"coding {hope['guid']}: aspirational, for the team")
    code, _, err = run(db_url, capsys, "coding-mark", *PROJECT, "--coding", hope["guid"], "--beneficiary", "world",
                       who="Thomas")
    assert code == 1 and "unknown beneficiary 'world' (use one of: self, team, organisation, network, " in err
    marked = next(c for c in json.loads(run(db_url, capsys, "codings", *PROJECT, "--format", "json")[1])
                  if c["guid"] == hope["guid"])
    assert (marked["aspirational"], marked["beneficiary"]) == (True, "team")
    code, out, _ = run(db_url, capsys, "undo", *PROJECT, "--coder", "Thomas", who="Thomas")
    assert code == 0 and out.startswith("undid: marking Applied value (aspirational, for the team) on “Volgend")
    unmarked = next(c for c in json.loads(run(db_url, capsys, "codings", *PROJECT, "--format", "json")[1])
                    if c["guid"] == hope["guid"])
    assert (unmarked["aspirational"], unmarked["beneficiary"]) == (False, None)
    assert run(db_url, capsys, "redo", *PROJECT, "--coder", "Thomas", who="Thomas")[0] == 0
    assert next(c for c in json.loads(run(db_url, capsys, "codings", *PROJECT, "--format", "json")[1])
                if c["guid"] == hope["guid"])["aspirational"] is True


def test_a_segment_named_by_its_span(db_url, engine, capsys):
    from cases.documents import document_text
    from cases.projects import get_document, get_or_create_coder, get_project
    from coding.codings import apply_coding
    from store.db import read_session, write_session

    build(engine)
    with write_session(engine) as s:  # a second coder codes the pilot turn too
        project = get_project(s, "Verhalen")
        document = get_document(s, project, "interview_a")
        start = document_text(s, document).index(TURNS["pilot"])
        end = start + len(TURNS["pilot"])
        apply_coding(s, project, document, get_or_create_coder(s, project, "Lieke")[0], start, end, ["vc.applied"])
    span = ["--document", "interview_a", "--start", str(start), "--end", str(end)]
    assert run(db_url, capsys, "story-create", *PROJECT, "--case", "Grenzeloos", "Petra")[0] == 0
    code, _, err = run(db_url, capsys, "story-add", *PROJECT, "--story", "Petra", *span)
    assert code == 1 and f"Lieke, Thomas each coded {start}–{end} of 'interview_a': name one with --coder" in err
    assert run(db_url, capsys, "story-add", *PROJECT, "--story", "Petra", *span, "--coder", "Lieke")[0] == 0
    code, _, err = run(db_url, capsys, "story-add", *PROJECT, "--story", "Petra", "--document", "interview_a",
                       "--start", "0", "--end", "3")
    assert code == 1 and "no coded segment at 0–3 of 'interview_a'" in err
    code, out, _ = run(db_url, capsys, "coding-mark", *PROJECT, *span, "--coder", "Lieke", "--code", "vc.applied",
                       "--aspirational", who="Lieke")
    assert code == 0 and out.endswith(": aspirational\n")
    with read_session(engine) as s:
        from coding.story_views import story_views

        (view,) = story_views(s, get_project(s, "Verhalen"))
    assert [(st.coder, st.warnings) for st in view.steps] == [
        ("Lieke", ["an aspirational statement used as evidence of applied value"])]


def test_a_story_matrix_refuses_what_it_cannot_honour(db_url, engine, capsys):
    build(engine)
    for extra, said in ((["--rows", "stories", "--coder", "all"], "takes no --coder"),
                        (["--rows", "cases", "--case", "Grenzeloos"], "use it with --rows stories"),
                        (["--rows", "cases", "--cell", "stories", "--case", "Grenzeloos"], "use it with --rows stories"),
                        (["--rows", "documents", "--cell", "stories"], "use --rows cases with --cell stories"),
                        (["--rows", "stories", "--cell", "count"], "leave out --cell")):
        code, _, err = run(db_url, capsys, "matrix", *PROJECT, "--cols", "codebook:value-creation", *extra)
        assert code == 1 and said in err and err.count("\n") == 1, (extra, err)
