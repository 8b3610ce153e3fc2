"""REFI-QDA project import: every shared sample, vendor conventions, re-import, hostile archives."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cases.documents import document_text
from cases.projects import get_project
from exports.qdpx_import import import_qdpx
from store.db import read_session, write_session
from store.errors import Refused
from store.models import (
    AttributeValue,
    Case,
    Code,
    Coder,
    Coding,
    Document,
    Event,
    Memo,
    Project,
    Segment,
)
from tests.refi_fixtures import PHRASES, SOURCE_GUID, archive_of, lf_text, vendor_project

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "refi-qda" / "samples"
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/refi-qda/samples is absent (a clone "
                                   "outside CI); the generated fixtures below cover the same elements")


def _import(engine, name: str, data: bytes, **kwargs):  # type: ignore[no-untyped-def]
    with write_session(engine) as s:
        project, report = import_qdpx(s, name, data, **kwargs)
        return project.guid, report


def _count(session, model) -> int:  # type: ignore[no-untyped-def]
    """Every row of the table, in every project: what an import must not add to, or leave behind."""
    return session.scalar(select(func.count()).select_from(model))


def _selected(engine, project_guid) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Every segment's guid and its selected text."""
    with read_session(engine) as s:
        project = get_project(s, str(project_guid))
        out = {}
        for document in s.scalars(select(Document).where(Document.project_id == project.id)):
            text = document_text(s, document)
            for segment in s.scalars(select(Segment).where(Segment.document_id == document.id)):
                out[str(segment.guid)] = text[segment.start:segment.end]
        return out


@needs_samples
def test_handauthored_sample_imports_every_text_element_and_reports_the_rest(engine) -> None:
    folder = SAMPLES / "handauthored"
    guid, report = _import(engine, "project.qde", (folder / "project.qde").read_bytes(), folder=folder)
    assert report.read["PlainTextSelection"] == 2 and report.read["Coding"] == 7 and report.read["Code"] == 4
    assert report.imported["TextSource"] == 1 and report.imported["PlainTextSelection"] == 2
    assert report.imported["Coding"] == 2 and report.imported["Case"] == 1 and report.imported["VariableValue"] == 2
    skipped = {i["element"] for i in report.skipped}
    assert {"PictureSource", "PDFSource", "AudioSource", "VideoSource", "Link", "Graph"} <= skipped
    assert _selected(engine, guid) == {"50000000-0000-0000-0000-000000000001": "Diet and health",
                                       "50000000-0000-0000-0000-000000000002": "health are clo"}
    with read_session(engine) as s:
        project = get_project(s, str(guid))
        case = s.scalars(select(Case).where(Case.project_id == project.id)).one()
        assert case.guid == uuid.UUID("d0000000-0000-0000-0000-000000000001")
        assert [d.title for d in case.documents] == ["Interview 1"]
        memos = [m.text for m in s.scalars(select(Memo).where(Memo.project_id == project.id))]
        assert any("Remember to follow up on diet-related comments." in m for m in memos)
        assert any(m.startswith("REFI-QDA import of project.qde") and "PDFSource" in m for m in memos)
        diet = s.scalars(select(Code).where(Code.guid == uuid.UUID("20000000-0000-0000-0000-000000000003"))).one()
        assert (diet.label_en, diet.colour, diet.definition) == ("Diet", "#DC0000", "Food and eating habits")


@needs_samples
def test_qc_sample_imports_every_selection_at_its_code_points(engine) -> None:
    data = (SAMPLES / "qc132_demo.qdpx").read_bytes()
    guid, report = _import(engine, "qc132_demo.qdpx", data)
    assert report.read["PlainTextSelection"] == 158 and report.read["Coding"] == 205
    assert report.imported["PlainTextSelection"] == 158 and report.imported["Coding"] == 205
    assert report.imported["TextSource"] == 2 and report.skipped == []
    assert report.convention == "codepoints"
    archive = zipfile.ZipFile(io.BytesIO(data))
    root = archive.read("project.qde").decode("utf-8")
    first = root.index('guid="37323865-3734-6533-3337-623138653238"')
    assert 'startPosition="320" endPosition="400"' in root[first:first + 200]
    board = archive.read("sources/board_2017.txt").decode("utf-8")  # the first source, in its order
    assert _selected(engine, guid)["37323865-3734-6533-3337-623138653238"] == board[320:400]


@needs_samples
def test_f4_sample_without_its_texts_keeps_the_codebook_and_lists_each_source(engine) -> None:
    guid, report = _import(engine, "f4_2025_valid-document.qde",
                           (SAMPLES / "f4_2025_valid-document.qde").read_bytes())
    assert report.imported["Code"] == 1 and report.read["TextSource"] == 4
    sources = [i for i in report.skipped if i["element"] == "TextSource"]
    assert len(sources) == 4 and "4 selection(s) left out" in sources[2]["reason"]
    assert sum(1 for i in report.skipped if i["element"] == "Note") == 3
    with read_session(engine) as s:
        code = s.scalars(select(Code).where(Code.guid == uuid.UUID("206750b8-d3c8-4bc6-a922-5c8c1475f36f"))).one()
        assert code.definition == "Dies ist der Kommentar vom Test-Code" and code.colour == "#044B9B"


@pytest.mark.parametrize(("origin", "convention"), [("NVivo 14 (Windows)", "utf16"), ("ATLAS.ti 23", "lf"),
                                                    ("Taguette 1.4", "utf8"), ("MAXQDA 2022", "codepoints")])
def test_each_vendor_convention_lands_every_selection_on_its_phrase(engine, origin: str, convention: str) -> None:
    data = vendor_project(origin=origin, convention=convention)
    guid, report = _import(engine, "export.qdpx", data)
    assert report.convention == convention and report.adjusted == []
    selected = _selected(engine, guid)
    assert sorted(selected.values()) == sorted(PHRASES)
    assert selected["50000000-0000-0000-0000-000000000001"] == "gesprek 😀 over"  # upper-case guids read


def test_a_misdeclared_producer_is_corrected_by_the_selections_names(engine) -> None:
    data = vendor_project(origin="SomeTool 1.0", convention="utf16")  # declares nothing; counts as NVivo does
    guid, report = _import(engine, "export.qdpx", data)
    assert report.convention == "utf16"
    assert any("positions read as 'utf16'" in n for n in report.notes)
    assert sorted(_selected(engine, guid).values()) == sorted(PHRASES)


def test_braced_guids_lower_case_sources_and_no_wrapper(engine) -> None:
    data = vendor_project(origin="ATLAS.ti 9", convention="lf", guid_style="braced", folder="sources",
                          qde_name="x/My Project.qde", wrapper=False)
    with pytest.raises(Refused, match="does not hold"):  # the .qde sits in x/, its sources beside it are absent
        _import(engine, "export.qdpx", data)
    data = vendor_project(origin="ATLAS.ti 9", convention="lf", guid_style="braced", folder="sources",
                          wrapper=False)
    guid, report = _import(engine, "export.qdpx", data)
    assert report.imported["PlainTextSelection"] == 3
    with read_session(engine) as s:
        project = get_project(s, str(guid))
        document = s.scalars(select(Document).where(Document.project_id == project.id)).one()
        assert document.guid == uuid.UUID(SOURCE_GUID) and document_text(s, document) == lf_text()
        values = s.scalar(select(func.count()).select_from(AttributeValue).join(Case).where(
            Case.project_id == project.id))
        assert values == 2


def test_notes_become_memos_on_what_they_were_attached_to(engine) -> None:
    guid, report = _import(engine, "export.qdpx", vendor_project())
    with read_session(engine) as s:
        project = get_project(s, str(guid))
        memos = {m.guid: m for m in s.scalars(select(Memo).where(Memo.project_id == project.id))}
        on_document = memos[uuid.UUID("a0000000-0000-0000-0000-000000000001")]
        on_segment = memos[uuid.UUID("a0000000-0000-0000-0000-000000000002")]
        assert on_document.target == "document" and on_document.text.startswith("Interview memo\n\n")
        assert on_segment.target == "segment"
        assert s.get(Segment, on_segment.segment_id).guid == uuid.UUID("50000000-0000-0000-0000-000000000002")


def test_importing_the_same_file_again_adds_nothing(engine) -> None:
    guid, _ = _import(engine, "export.qdpx", vendor_project())
    with read_session(engine) as s:
        before = {m.__name__: _count(s, m) for m in (Document, Segment, Coding, Case, Code, Coder)}
        project = get_project(s, str(guid))
    again_guid, report = _import(engine, "export.qdpx", vendor_project(), project=project)
    assert again_guid == guid
    assert not {k: v for k, v in report.imported.items() if k != "memos"}
    assert report.unchanged["PlainTextSelection"] == 3 and report.unchanged["TextSource"] == 1
    with read_session(engine) as s:
        assert {m.__name__: _count(s, m) for m in (Document, Segment, Coding, Case, Code, Coder)} == before


def test_a_second_project_from_the_same_file_gets_new_identities(engine) -> None:
    first, _ = _import(engine, "export.qdpx", vendor_project())
    second, report = _import(engine, "export.qdpx", vendor_project(), new_name="Copy")
    assert first != second
    assert any("already used by another project" in n for n in report.notes)
    assert sorted(_selected(engine, second).values()) == sorted(PHRASES)


def _database_state(engine) -> tuple:  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        return tuple(_count(s, m) for m in (Project, Document, Segment, Coding, Memo, Event))


@pytest.mark.parametrize(("entries", "message"), [
    ({"../evil.qde": b"<Project/>"}, "unsafe path"),
    ({"/etc/project.qde": b"<Project/>"}, "unsafe path"),
    ({"project.qde": b"not xml at all"}, "not a readable XML file"),
    ({"project.qde": b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaa">]><Project name="&a;"/>'}, "DTD"),
    ({"project.qde": b'<?xml version="1.0"?><!DOCTYPE p SYSTEM "http://x/p.dtd"><Project name="x"/>'}, "DTD"),
    ({"readme.txt": b"hello"}, "no .qde"),
    ({"a.qde": b"<Project/>", "b.qde": b"<Project/>"}, "2 .qde files"),
    ({"project.qde": b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"/>'}, "not a REFI-QDA project"),
])
def test_hostile_or_broken_archives_are_refused_and_nothing_is_written(engine, entries, message) -> None:
    before = _database_state(engine)
    with pytest.raises(Refused, match=message):
        _import(engine, "hostile.qdpx", archive_of(entries))
    assert _database_state(engine) == before


def test_a_zip_bomb_is_refused_by_its_declared_sizes(engine) -> None:
    before = _database_state(engine)
    qde = zipfile.ZipFile(io.BytesIO(vendor_project())).read("Project Export.qde")
    bomb = archive_of({"project.qde": qde, f"Sources/{SOURCE_GUID}.txt": b"a" * (50 * 2**20)})
    assert len(bomb) < 2**20
    with pytest.raises(Refused, match="zip bomb"):
        _import(engine, "bomb.qdpx", bomb)
    with pytest.raises(Refused, match="zip bomb"):  # the project file itself
        _import(engine, "bomb.qdpx", archive_of({"project.qde": b"<Project name='x'>" + b" " * (50 * 2**20)
                                                 + b"</Project>"}))
    assert _database_state(engine) == before


def test_media_never_unpacked_and_macos_debris_ignored(engine) -> None:
    archive = zipfile.ZipFile(io.BytesIO(vendor_project()))
    entries = {name: archive.read(name) for name in archive.namelist()}
    entries["Sources/interview.m4a"] = b"\0" * (50 * 2**20)  # never named by a text source: never read
    entries["__MACOSX/._Project Export.qde"] = b"resource fork"
    guid, report = _import(engine, "mac.qdpx", archive_of(entries))
    assert report.imported["PlainTextSelection"] == 3


def test_a_damaged_archive_is_refused_in_one_line(engine) -> None:
    data = bytearray(vendor_project())
    start = data.index(b"PK\x03\x04", 10)  # the second entry: the source text
    data[start + 60:start + 90] = b"\xff" * 30
    before = _database_state(engine)
    with pytest.raises(Refused, match="damaged|not a readable|cannot be read"):
        _import(engine, "damaged.qdpx", bytes(data))
    assert _database_state(engine) == before


def test_a_missing_source_refuses_the_archive_whole(engine) -> None:
    before = _database_state(engine)
    data = vendor_project()
    archive = zipfile.ZipFile(io.BytesIO(data))
    qde = archive.read("Project Export.qde")
    with pytest.raises(Refused, match="does not hold"):
        _import(engine, "export.qdpx", archive_of({"project.qde": qde, "Sources/other.txt": b"x"}))
    assert _database_state(engine) == before


def test_an_existing_project_name_is_refused_for_a_new_import(engine) -> None:
    _import(engine, "export.qdpx", vendor_project())
    with pytest.raises(Refused, match="exists already"):
        _import(engine, "export.qdpx", vendor_project())


def test_cli_import_writes_the_json_report(engine, db_url: str, tmp_path: Path, capsys) -> None:
    from cli import main

    path = tmp_path / "export.qdpx"
    path.write_bytes(vendor_project(origin="NVivo 14", convention="utf16"))
    report_path = tmp_path / "report.json"
    assert main(["--db", db_url, "qdpx-import", str(path), "--new", "Fieldlab", "--report", str(report_path)]) == 0
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["origin"] == "NVivo 14" and report["convention"] == "utf16"
    assert report["read"]["PlainTextSelection"] == 3 and report["imported"]["Coding"] == 3
    assert "into project 'Fieldlab'" in capsys.readouterr().out
    assert main(["--db", db_url, "qdpx-import", str(path), "--new", "Fieldlab"]) == 1
    assert "exists already" in capsys.readouterr().err


def test_a_note_kept_in_its_own_file_and_a_bare_qde_beside_its_sources_folder(engine, db_url, tmp_path) -> None:
    from cli import main

    archive = zipfile.ZipFile(io.BytesIO(vendor_project(origin="f4 2025", convention="codepoints")))
    qde = archive.read("Project Export.qde").decode("utf-8").replace(
        '<Note guid="A0000000-0000-0000-0000-000000000001" name="Interview memo">\n'
        '   <PlainTextContent>Long pause after the question about success.</PlainTextContent></Note>',
        '<Note guid="A0000000-0000-0000-0000-000000000001" '
        'plainTextPath="internal://a0000000-0000-0000-0000-000000000001.txt"/>')
    assert "plainTextPath=\"internal://a0000000" in qde
    (tmp_path / "Sources").mkdir()
    (tmp_path / "study.qde").write_text(qde, encoding="utf-8")
    (tmp_path / "Sources" / f"{SOURCE_GUID}.txt").write_bytes(archive.read(f"Sources/{SOURCE_GUID}.txt"))
    (tmp_path / "Sources" / "a0000000-0000-0000-0000-000000000001.txt").write_text("Pauze na de vraag.",
                                                                                   encoding="utf-8")
    assert main(["--db", db_url, "qdpx-import", str(tmp_path / "study.qde"), "--new", "Bare"]) == 0
    with read_session(engine) as s:
        project = get_project(s, "Bare")
        memo = s.scalars(select(Memo).where(Memo.guid == uuid.UUID("a0000000-0000-0000-0000-000000000001"))).one()
        assert memo.text == "Pauze na de vraag." and memo.target == "document" and memo.project_id == project.id
    assert sorted(_selected(engine, project.guid).values()) == sorted(PHRASES)


def test_a_bare_qde_without_its_texts_imports_the_rest_and_names_each_missing_text(db_url, tmp_path, capsys) -> None:
    from cli import main

    qde = zipfile.ZipFile(io.BytesIO(vendor_project())).read("Project Export.qde")
    (tmp_path / "alone.qde").write_bytes(qde)
    report = tmp_path / "report.json"
    assert main(["--db", db_url, "qdpx-import", str(tmp_path / "alone.qde"), "--report", str(report)]) == 0
    written = json.loads(report.read_text(encoding="utf-8"))
    assert written["imported"] == {"Case": 1, "Code": 2, "User": 1, "Variable": 2, "VariableValue": 2,
                                   "codebooks": 1, "memos": 2}  # its two notes, on the project: not lost
    assert [(i["element"], i["name"]) for i in written["skipped"]] == [("TextSource", "Interview José")]
    assert "3 selection(s) left out" in written["skipped"][0]["reason"]
    assert "left out: TextSource Interview José" in capsys.readouterr().out


def test_a_transaction_tried_again_reports_once(engine) -> None:
    from exports.qdpx_import import read_qdpx, store_qdpx

    project_file = read_qdpx("export.qdpx", vendor_project())
    with pytest.raises(RuntimeError):
        with write_session(engine) as s:  # as when the database was busy: rolled back whole, then tried again
            store_qdpx(s, project_file)
            raise RuntimeError("busy")
    with write_session(engine) as s:
        _, report = store_qdpx(s, project_file)
    assert report.imported["PlainTextSelection"] == 3 and report.imported["Coding"] == 3
    assert report.imported["TextSource"] == 1 and report.unchanged == {}


def test_every_element_type_is_kept_or_named_in_the_report(engine) -> None:
    from cases.attributes import attribute_values
    from exports.qdpx import validate_qde
    from tests.refi_fixtures import every_element_project

    data = every_element_project()
    assert validate_qde(zipfile.ZipFile(io.BytesIO(data)).read("project.qde")) == []  # the fixture is standard
    guid, report = _import(engine, "every.qdpx", data)
    assert dict(report.imported) == {"Case": 1, "Code": 2, "Coding": 1, "PlainTextSelection": 1, "TextSource": 1,
                                     "User": 1, "Variable": 3, "VariableValue": 3, "codebooks": 1, "memos": 7}
    assert sorted(i["element"] for i in report.skipped) == [
        "AudioSource", "Case", "Coding", "Graph", "Link", "PDFSource", "PictureSource", "PlainTextSelection", "Set",
        "VideoSource"]
    assert sorted(i["element"] for i in report.adjusted) == ["Note", "PlainTextSelection", "Set", "Variable"]
    moved = next(i for i in report.adjusted if i["element"] == "PlainTextSelection")  # the file's start is 2 off
    assert moved["reason"] == "moved 2 characters to where its name 'nieuwe contacten' is"
    reasons = {i["element"]: i["reason"] for i in report.skipped}
    assert reasons["Coding"] == "its code 'Thema's' is a folder or switched off"
    assert reasons["PlainTextSelection"].startswith("outside the text")
    with read_session(engine) as s:
        project = get_project(s, str(guid))
        assert project.description == "A project using every element"
        case = s.scalars(select(Case).where(Case.project_id == project.id)).one()
        assert case.description == "Een netwerk"
        document = s.scalars(select(Document).where(Document.project_id == project.id)).one()
        assert attribute_values(s, project, "document")[document.id] == {"Seen": "2019-05-01T10:00:00Z",
                                                                          "Set: Vergaderingen": True}
        memos = {m.text: m.target for m in s.scalars(select(Memo).where(Memo.project_id == project.id))
                 if not m.text.startswith("REFI-QDA import")}
        assert memos == {"Projectmemo\n\nOver het project": "project", "Bronmemo\n\nOver de notulen": "document",
                         "Codememo\n\nOver de code": "code", "Coderingsmemo\n\nOver de codering": "segment",
                         "Minutes of the May meeting": "document", "Said twice": "segment",
                         "On the passage “nieuwe contacten” (35–51):\n\nAn uncoded passage with a memo": "document"}
