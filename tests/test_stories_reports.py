"""The stories chapter of the Word reports (issue 19): the value-creation matrix as a real table, cell by cell,
the stories reaching each cycle, each story's steps; the per-network report shows its own stories only, and the
anonymised report names no document or person."""

from __future__ import annotations

from io import BytesIO

from docx import Document as open_docx

from cases.projects import get_case, get_project
from coding.stories import add_step, create_story
from exports.case_report import build_case_report
from exports.cross_case_report import build_cross_case_report
from store.db import read_session, write_session
from tests.test_stories import OTHER_CASE, TURNS, build, write_story

CYCLES = ["Expected value (opt.)", "Immediate value", "Potential value", "Applied value", "Realised value",
          "Transformative value"]


def stories_project(engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    guids = build(engine)
    write_story(engine, guids, ["fieldlab", "pilot", "omzet"])
    with write_session(engine) as s:
        project = get_project(s, "Verhalen")
        venlo = create_story(s, project, get_case(s, project, "Stedenband"), "Venlo", actor="Anna")
        add_step(s, project, venlo, guids["venlo"], actor="Anna", note="de gemeente Venlo")
    return guids


def chapter(data: bytes) -> tuple[list[str], list[list[list[str]]]]:
    """The paragraphs from the stories chapter's heading on, and every table after it."""
    doc = open_docx(BytesIO(data))
    texts = [p.text for p in doc.paragraphs]
    start = texts.index("Value-creation stories")
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables
              if [c.text for c in t.rows[0].cells][0] in ("story", "case")]
    return texts[start:], tables


def test_the_cross_case_report_has_the_value_creation_matrix(engine):
    stories_project(engine)
    with read_session(engine) as s:
        data = build_cross_case_report(s, get_project(s, "Verhalen"), codebook="vc", images=False)
    paragraphs, tables = chapter(data)
    matrix, reach = tables
    assert matrix[0] == ["story", *CYCLES]
    assert matrix[1] == ["Petra (Grenzeloos)", "", f"1. {TURNS['fieldlab']}", "", f"2. {TURNS['pilot']}",
                         f"3. {TURNS['omzet']}", ""]
    assert matrix[2] == ["Venlo (Stedenband)", "", "", "", f"1. {OTHER_CASE[:20]}", "", ""]
    assert reach == [["case", *CYCLES], ["Grenzeloos", "0", "1", "0", "1", "1", "0"],
                     ["Stedenband", "0", "0", "0", "1", "0", "0"]]
    assert "1. Immediate value · interview_a · turn 2 · characters " in "\n".join(paragraphs)
    assert "↳ na pilot" in paragraphs and TURNS["omzet"] in paragraphs
    assert "Check: fewer than two cycles: a story follows value from one cycle to another." in paragraphs


def test_a_networks_own_report_and_the_anonymised_one(engine):
    stories_project(engine)
    with read_session(engine) as s:
        project = get_project(s, "Verhalen")
        own = build_cross_case_report(s, project, codebook="vc", images=False, case="Grenzeloos")
        anonymous = build_cross_case_report(s, project, codebook="vc", images=False, anonymise=True)
        within = build_case_report(s, project, get_case(s, project, "Stedenband"), anonymise=True)
    paragraphs, (matrix, reach) = chapter(own)
    assert [row[0] for row in matrix] == ["story", "Petra"] and "Venlo" not in "\n".join(paragraphs)
    assert [row[0] for row in reach] == ["case", "Grenzeloos", "Case A"]  # the other network by letter
    paragraphs, _ = chapter(anonymous)
    assert "interview_a" not in "\n".join(paragraphs) and "written by" not in "\n".join(paragraphs)
    assert "1. Immediate value · interview 1 · turn 2 · characters " in "\n".join(paragraphs)
    paragraphs, tables = chapter(within)
    assert [row[0] for row in tables[0]] == ["story", "Venlo"] and len(tables) == 1
    assert "1. Applied value · interview 1 · turn 1 · characters " in "\n".join(paragraphs)
