"""REFI-QDA project export (.qdpx): valid against the standard's XSD, the database's counts, selections that read
back their own text from the written sources, the same bytes twice; on SQLite and PostgreSQL.

The demo is loaded and exported once per database (`demo_export`) and everything the tests compare with is read
from the database straight away, so the function-scoped tests after it may empty the database. A small hand-built
project covers what the demo does not: an emoji and "é" before a selection, a selection longer than 200
characters, markup and a control character in a memo, a tiny float, a name shared by a case and a document
attribute, a rated framework cell with a pinned quote, focus-group feedback, and a segment left on an earlier text.
"""

from __future__ import annotations

import io
import math
import shutil
import uuid
import zipfile
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from xml.etree import ElementTree as ET

import pytest
import xmlschema
from conftest import _truncate_pg as truncate_pg
from sqlalchemy import func, select

from analysis.framework_matrix import pin_quote, save_cell, set_rating_level
from analysis.matrix_scope import primary_coders
from cases.attributes import get_or_create_definition, set_attribute
from cases.documents import current_text_version, document_text, list_documents
from cases.importer import SpeakerDecision, preview_import, store_import
from cases.projects import create_case, create_person, create_project, get_or_create_coder, get_project, list_cases
from codebooks.service import adopt_codebook, find_code, list_project_codebooks
from coding.codings import apply_coding
from coding.memos import add_memo, list_memos
from coding.text_edits import edit_turn
from demo.load import DEMO_PROJECT, load_demo
from exports.qdpx import export_project_qdpx, validate_qde
from focusgroups.feedback import record_feedback
from focusgroups.sessions import create_session
from store.db import get_engine, read_session, write_session
from store.models import (
    AttributeDefinition,
    AttributeValue,
    Code,
    Codebook,
    Coder,
    Feedback,
    FocusGroupSession,
    FrameworkCell,
    Person,
    Segment,
    Story,
)

NS = {"q": "urn:QDA-XML:project:1.0"}
STANDARD_XSD = Path(__file__).resolve().parents[2] / "shared/refi-qda/xsd/Project.xsd"


def unzip(data: bytes) -> tuple[bytes, dict[str, str], zipfile.ZipFile]:
    """(project.qde, {source guid: text}, the archive); sources are checked to be UTF-8 without BOM, LF only."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    texts = {}
    for info in archive.infolist():
        assert info.compress_type == zipfile.ZIP_DEFLATED, info.filename
        if info.filename.startswith("sources/"):
            raw = archive.read(info)
            assert not raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw, info.filename
            texts[info.filename.removeprefix("sources/").removesuffix(".txt")] = raw.decode("utf-8")
    return archive.read("project.qde"), texts, archive


def database_facts(s, project) -> SimpleNamespace:  # type: ignore[no-untyped-def]
    """What the export should hold, read from the database without the exporter's queries."""
    selected, codings = {}, 0
    for document in list_documents(s, project):
        version = current_text_version(s, document)
        for segment in s.scalars(select(Segment).where(Segment.text_version_id == version.id)):
            selected[str(segment.guid)] = version.text[segment.start:segment.end]
            codings += len(segment.codings)
    books = list_project_codebooks(s, project)
    cells = [c for c in s.scalars(select(FrameworkCell).where(FrameworkCell.project_id == project.id))
             if c.summary or c.rating is not None or c.quotes or c.state != "not_assessed"]
    carried = select(AttributeDefinition.id).where(AttributeDefinition.project_id == project.id,
                                                   AttributeDefinition.target.in_(("case", "document")))
    feedback = s.scalar(select(func.count()).select_from(Feedback).join(FocusGroupSession).where(
        FocusGroupSession.project_id == project.id))
    persons = s.scalar(select(func.count()).select_from(Person).where(Person.project_id == project.id))
    stories = s.scalar(select(func.count()).select_from(Story).where(Story.project_id == project.id))
    person_values = s.scalar(select(func.count()).select_from(AttributeValue).where(
        AttributeValue.person_id.in_(select(Person.id).where(Person.project_id == project.id))))
    primary = primary_coders(s, project)
    return SimpleNamespace(
        selected=selected, books=[(b.key, b.version) for b in books], persons=persons, person_values=person_values,
        counts={
            "users": s.scalar(select(func.count()).select_from(Coder).where(Coder.project_id == project.id)),
            "codes": len(books) + s.scalar(select(func.count()).select_from(Code).join(Codebook).where(
                Codebook.project_id == project.id)),
            # the case and document attributes, and the documents' primary coders as one more Variable
            "variables": s.scalar(select(func.count()).select_from(carried.subquery())) + bool(primary),
            "cases": len(list_cases(s, project)), "sources": len(list_documents(s, project)),
            "selections": len(selected), "codings": codings,
            "notes": len(list_memos(s, project)) + len(cells) + feedback + stories,  # a story is a Note too
            "sets": len(list_cases(s, project)),
            "variable_values": len(primary) + sum(v.value_float is None or math.isfinite(v.value_float) for v in
                                                  s.scalars(select(AttributeValue).where(
                                                      AttributeValue.definition_id.in_(carried)))),
        })


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo_export(request, sqlite_template, tmp_path_factory):  # type: ignore[no-untyped-def]
    """The demo exported twice on one database, with the database's own facts about it."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("qdpx") / "demo.sqlite"
        shutil.copy(sqlite_template, path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_database")
        truncate_pg(url)
    engine = get_engine(url)
    load_demo(engine)
    steps: list[tuple[int, int, str]] = []
    with read_session(engine) as s:
        project = get_project(s, DEMO_PROJECT)
        data, report = export_project_qdpx(s, project, on_step=lambda *step: steps.append(step))
        again, _ = export_project_qdpx(s, project)
        facts = database_facts(s, project)
        titles = [d.title for d in list_documents(s, project)]
    if request.param == "sqlite":
        engine.dispose()
    return SimpleNamespace(data=data, again=again, report=report, facts=facts, steps=steps, titles=titles)


def test_demo_export_is_valid_against_the_shipped_and_the_standard_schema(demo_export):
    qde, _, _ = unzip(demo_export.data)
    assert qde.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    assert validate_qde(qde) == []
    # the check can fail: an empty <Sets/> (Taguette's mistake) and a broken file are both reported
    assert validate_qde(b'<Project xmlns="urn:QDA-XML:project:1.0" name="x"><Sets/></Project>')
    assert validate_qde(qde[:-20])[0].startswith("not readable XML")
    if not STANDARD_XSD.exists():
        pytest.skip(f"{STANDARD_XSD} is absent (a clone outside CI); validated against the shipped copy only")
    assert list(xmlschema.XMLSchema(str(STANDARD_XSD)).iter_errors(io.BytesIO(qde))) == []


def test_demo_counts_are_the_databases(demo_export):
    facts, report = demo_export.facts, demo_export.report
    assert report.counts == facts.counts
    assert facts.counts["selections"] > 300 and facts.counts["codings"] > facts.counts["selections"]
    root = ET.fromstring(unzip(demo_export.data)[0])
    for key, path in (("users", "q:Users/q:User"), ("codes", ".//q:Code"), ("variables", "q:Variables/q:Variable"),
                      ("cases", "q:Cases/q:Case"), ("sources", "q:Sources/q:TextSource"),
                      ("selections", ".//q:PlainTextSelection"), ("codings", ".//q:Coding"),
                      ("notes", "q:Notes/q:Note"), ("sets", "q:Sets/q:Set"), ("variable_values", ".//q:VariableValue")):
        assert len(root.findall(path, NS)) == facts.counts[key], key
    assert demo_export.steps == [(i, len(demo_export.titles), t) for i, t in enumerate(demo_export.titles, 1)]
    assert (f"{facts.persons} persons and their {facts.person_values} attribute values (REFI-QDA has no persons)"
            in report.not_carried)
    assert any(line.startswith("the event log (") for line in report.not_carried)
    assert report.as_json() == {"counts": report.counts, "not_carried": report.not_carried}


def test_every_demo_selection_reads_back_its_text_from_the_written_source(demo_export):
    qde, texts, _ = unzip(demo_export.data)
    seen = {}
    for source in ET.fromstring(qde).iterfind("q:Sources/q:TextSource", NS):
        guid = source.get("guid")
        assert source.get("plainTextPath") == f"internal://{guid}.txt"
        for selection in source.iterfind("q:PlainTextSelection", NS):
            text = texts[guid][int(selection.get("startPosition")):int(selection.get("endPosition"))]
            seen[selection.get("guid")] = text
            assert selection.get("name") == text[:200]
    assert seen == demo_export.facts.selected


def test_the_demo_exported_twice_gives_the_same_bytes(demo_export):
    assert unzip(demo_export.data)[0] == unzip(demo_export.again)[0]
    assert demo_export.data == demo_export.again


def test_each_codebook_is_a_folder_code_ending_in_its_marker_line(demo_export):
    tops = ET.fromstring(unzip(demo_export.data)[0]).findall("q:CodeBook/q:Codes/q:Code", NS)
    assert len(tops) == len(demo_export.facts.books) == 5
    for top, (key, version) in zip(tops, demo_export.facts.books):
        assert top.get("isCodable") == "false" and top.get("color") is None
        assert top.find("q:Description", NS).text.split("\n")[-1] == f'Kruispunt codebook "{key}", version {version}'


SMALL_TEXT = (
    "I: Hoe was het café? 😀 Vertel.\n"
    "R: Het café 😀 was geweldig, één keer per maand kwamen we samen.\n"
    "I: En verder?\n"
    "R: " + "Wij leerden elkaar kennen en daarna bleven we elkaar bellen over alles wat er in de regio speelde, "
    "van subsidies tot personeel, van de nieuwe wegen tot de scholen, en dat hield jarenlang aan zonder dat "
    "iemand het organiseerde of bijhield.\n"
)
GONE_TEXT = "I: Nog iets?\nR: Alleen dit stuk. En de rest.\n"
LONG = SMALL_TEXT.rsplit("R: ", 1)[1].strip()
MEMO = "Let op: <b>&</b> hier\x07 staat markup."


def build_small(engine) -> None:  # type: ignore[no-untyped-def]
    with write_session(engine) as s:
        project = create_project(s, "Klein", description="Een klein project.")
        adopt_codebook(s, project, "value-creation")
        case = create_case(s, project, "Casus", description="Eén netwerk.")
        person = create_person(s, project, "Anja Hoekstra", pseudonym="R1", case=case)
        set_attribute(s, project, person, "leeftijd", 51)
        anna, _ = get_or_create_coder(s, project, "Anna")
        speakers = {"I": SpeakerDecision("interviewer"), "R": SpeakerDecision("respondent")}
        docs = {}
        for name, text in (("gesprek.txt", SMALL_TEXT), ("weg.txt", GONE_TEXT)):
            docs[name] = store_import(s, project, preview_import(name, text.encode(), language="nl"), cases=[case],
                                      speakers=speakers)
        text = document_text(s, docs["gesprek.txt"])
        segments = {}
        for phrase, codes in (("was geweldig, één keer per maand", ["vc.immediate"]), (LONG, ["vc.applied"])):
            start = text.index(phrase)
            segments[phrase] = apply_coding(s, project, docs["gesprek.txt"], anna, start, start + len(phrase), codes)
        gone = document_text(s, docs["weg.txt"]).index("dit stuk.")
        apply_coding(s, project, docs["weg.txt"], anna, gone, gone + len("dit stuk."), ["vc.immediate"])
        edit_turn(s, project, "weg", 2, "Alleen En de rest.", actor="Anna")  # its whole text goes: it stays behind
        add_memo(s, project, MEMO, target=segments[LONG], author=anna)
        add_memo(s, project, "Over het document.", target=docs["gesprek.txt"], author=anna)
        add_memo(s, project, "Over de casus.", target=case, author=anna)
        add_memo(s, project, "Over de code.", target=find_code(s, project, "vc.immediate"))
        add_memo(s, project, "Over het project.", author=anna)
        set_attribute(s, project, case, "aandeel", 1e-7)
        set_attribute(s, project, case, "regio", "Oost & <West>")
        set_attribute(s, project, docs["gesprek.txt"], "regio", "Twente")
        set_attribute(s, project, docs["gesprek.txt"], "duur", 45)
        # xsd:decimal cannot hold infinity (written as a row: the event log's JSON refuses it on PostgreSQL)
        ratio = get_or_create_definition(s, project, "document", "ratio", "float")
        s.add(AttributeValue(definition_id=ratio.id, document_id=docs["gesprek.txt"].id, value_float=math.inf))
        set_rating_level(s, project, 3, "sterk", "drie bronnen")
        save_cell(s, project, "Casus", "vc.immediate", rating=3, summary="Direct waardevol.", actor="Anna")
        pin_quote(s, project, "Casus", "vc.immediate", str(segments["was geweldig, één keer per maand"].guid),
                  actor="Anna")
        fg = create_session(s, project, "Terugkoppeling", date(2025, 3, 12))
        record_feedback(s, project, fg, stance="agree", code="vc.immediate", case="Casus", participant_role="lid",
                        note="Herkenbaar.", actor="Anna")


def export(engine, name: str = "Klein"):  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        project = get_project(s, name)
        data, report = export_project_qdpx(s, project)
        return data, report, database_facts(s, project)


def test_small_project_positions_are_code_points_and_text_reads_back(engine):
    build_small(engine)
    data, report, facts = export(engine)
    qde, texts, _ = unzip(data)
    assert validate_qde(qde) == []
    root = ET.fromstring(qde)
    source = next(s for s in root.iterfind("q:Sources/q:TextSource", NS) if s.get("name") == "gesprek")
    text = texts[source.get("guid")]
    assert "😀" in text and "é" in text
    selections = {sel.get("name")[:12]: sel for sel in source.iterfind("q:PlainTextSelection", NS)}
    after_emoji = selections["was geweldig"]
    start = text.index("was geweldig, één keer per maand")
    assert int(after_emoji.get("startPosition")) == start
    assert start != len(text[:start].encode("utf-16-le")) // 2  # UTF-16 units (a browser's count) would differ
    assert int(after_emoji.get("endPosition")) == start + len("was geweldig, één keer per maand")
    long = selections[LONG[:12]]
    assert len(LONG) > 200 and long.get("name") == LONG[:200]
    assert text[int(long.get("startPosition")):int(long.get("endPosition"))] == LONG
    assert report.counts == facts.counts and report.counts["selections"] == 2

    # the memo's markup is text, its control character gone
    note = next(n for n in root.iterfind("q:Notes/q:Note", NS) if n.get("name") == "Memo on a selection of 'gesprek'")
    assert note.find("q:PlainTextContent", NS).text == MEMO.replace("\x07", "")
    assert b"&lt;b&gt;&amp;&lt;/b&gt;" in qde and b"\x07" not in qde
    assert long.find("q:NoteRef", NS).get("targetGUID") == note.get("guid")

    # typed values: a tiny float as a decimal, a name shared by a case and a document attribute kept apart
    variables = {v.get("name"): v for v in root.iterfind("q:Variables/q:Variable", NS)}
    assert {name: v.get("typeOfVariable") for name, v in variables.items()} == {
        "aandeel": "Float", "regio": "Text", "duur": "Integer", "ratio": "Float", "regio (documents)": "Text",
        "Primary coder": "Text"}
    case = root.find("q:Cases/q:Case", NS)
    values = {v.find("q:VariableRef", NS).get("targetGUID"): v[1].text for v in case.iterfind("q:VariableValue", NS)}
    assert values == {variables["aandeel"].get("guid"): "0.0000001", variables["regio"].get("guid"): "Oost & <West>"}
    assert [v[1].text for v in source.iterfind("q:VariableValue", NS)] == ["45", "Twente", "Anna"]
    assert "1 float attribute values that are not finite numbers (NaN or infinite)" in report.not_carried

    # the edited document: its current text only; the segment left on the earlier text is reported, not exported
    gone = next(s for s in root.iterfind("q:Sources/q:TextSource", NS) if s.get("name") == "weg")
    assert texts[gone.get("guid")].endswith("R: Alleen En de rest.\n") and gone.find("q:PlainTextSelection", NS) is None
    assert "text versions before the current one of 1 documents" in report.not_carried
    assert "1 selections on earlier text versions of 1 documents" in report.not_carried
    assert "1 persons and their 1 attribute values (REFI-QDA has no persons)" in report.not_carried


def test_framework_cells_and_feedback_are_notes_in_the_cases_set(engine):
    build_small(engine)
    data, report, _ = export(engine)
    root = ET.fromstring(unzip(data)[0])
    with read_session(engine) as s:
        project = get_project(s, "Klein")
        cell = s.scalar(select(FrameworkCell).where(FrameworkCell.project_id == project.id))
        quoted = cell.quotes[0].segment_id
        quote_guid = s.get(Segment, quoted).guid
        case_guid = list_cases(s, project)[0].guid
    notes = {n.get("name"): n for n in root.iterfind("q:Notes/q:Note", NS)}
    cell_note = notes["Framework cell: Casus × Immediate value"]
    assert cell_note.get("guid") == str(uuid.uuid5(cell.guid, "refi-note"))
    content = cell_note.find("q:PlainTextContent", NS).text
    assert content.splitlines()[:4] == ["State: assessed", "Rating: 3 (sterk)", "Validation: proposed",
                                        "Summary: Direct waardevol."]
    assert f'"was geweldig, één keer per maand" (selection {quote_guid})' in content
    feedback = notes["Focus-group feedback: Terugkoppeling 2025-03-12"].find("q:PlainTextContent", NS).text
    assert {"Stance: agree", "Participant role: lid", "Case: Casus", "Code: Immediate value",
            "Note: Herkenbaar."} <= set(feedback.splitlines())
    assert root.find("q:Cases/q:Case", NS).find("q:NoteRef", NS) is None  # a Case cannot hold one
    (case_set,) = root.findall("q:Sets/q:Set", NS)
    assert case_set.get("guid") == str(uuid.uuid5(case_guid, "refi-set")) and case_set.get("name") == "Casus"
    members = [m.get("targetGUID") for m in case_set.iterfind("q:MemberNote", NS)]
    assert members == [notes[n].get("guid") for n in ("Memo on case 'Casus'", "Framework cell: Casus × Immediate value",
                                                      "Focus-group feedback: Terugkoppeling 2025-03-12")]
    assert len(case_set.findall("q:MemberSource", NS)) == 2
    assert [r.get("targetGUID") for r in root.findall("q:NoteRef", NS)] == [notes["Project memo"].get("guid")]
    assert root.find("q:Description", NS).text == "Een klein project."


def test_a_project_without_cases_has_no_sets(engine):
    with write_session(engine) as s:
        project = create_project(s, "Zonder casussen")
        store_import(s, project, preview_import("los.txt", "Een losse notitie over ☕ en é.\n".encode()), cases=[])
    data, report, facts = export(engine, "Zonder casussen")
    qde, texts, _ = unzip(data)
    assert validate_qde(qde) == []
    root = ET.fromstring(qde)
    assert [child.tag.split("}")[1] for child in root] == ["Sources"]
    assert report.counts == facts.counts and report.counts["sets"] == 0
    assert list(texts.values()) == ["Een losse notitie over ☕ en é.\n"]
