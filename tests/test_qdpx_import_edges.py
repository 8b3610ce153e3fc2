"""REFI-QDA import of files that are odd but not hostile: repeated guids, long names, deep trees, big numbers,
re-imports after the project moved on. Each is imported with what it holds, and the report says what changed."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import func, select

from cases.projects import create_project, get_project
from codebooks.qdc import export_codebook_qdc, import_codebook_qdc
from codebooks.service import adopt_codebook, update_code
from exports.qdpx import export_project_qdpx, validate_qde
from exports.qdpx_import import import_qdpx
from store.db import read_session, write_session
from store.errors import Refused
from store.models import Code, Coding, Document, Memo, Segment
from tests.refi_fixtures import SOURCE_GUID, TEXT, archive_of, vendor_project

QDE = "Project Export.qde"


def _edited(change=lambda xml: xml, source: bytes | None = None, **kwargs) -> bytes:  # type: ignore[no-untyped-def]
    """The vendor fixture with its project.qde changed by `change(xml) -> xml`, and its source text replaced."""
    archive = zipfile.ZipFile(io.BytesIO(vendor_project(**kwargs)))
    entries = {name: archive.read(name) for name in archive.namelist()}
    entries[QDE] = change(entries[QDE].decode("utf-8")).encode("utf-8")
    if source is not None:
        entries[f"Sources/{SOURCE_GUID}.txt"] = source
    return archive_of(entries)


def _import(engine, data: bytes, **kwargs):  # type: ignore[no-untyped-def]
    with write_session(engine) as s:
        project, report = import_qdpx(s, "edge.qdpx", data, **kwargs)
        return project.guid, report


def _counts(engine, project_guid) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    """The project's segments, codings and memos."""
    with read_session(engine) as s:
        project = get_project(s, str(project_guid))
        documents = select(Document.id).where(Document.project_id == project.id)
        return (s.scalar(select(func.count()).select_from(Segment).where(Segment.document_id.in_(documents))),
                s.scalar(select(func.count()).select_from(Coding).join(Segment).where(
                    Segment.document_id.in_(documents))),
                s.scalar(select(func.count()).select_from(Memo).where(Memo.project_id == project.id)))


def test_guids_the_file_repeats_are_imported_under_new_ones_and_said(engine) -> None:
    def repeat(xml: str) -> str:  # the third selection and its coding take the first's guids
        xml = xml.replace("50000000-0000-0000-0000-000000000003", "50000000-0000-0000-0000-000000000001")
        return xml.replace("60000000-0000-0000-0000-000000000003", "60000000-0000-0000-0000-000000000001")

    guid, report = _import(engine, _edited(repeat, guid_style="lower"))
    assert report.imported["PlainTextSelection"] == 3 and report.imported["Coding"] == 3
    assert sorted(i["element"] for i in report.adjusted) == ["Coding", "PlainTextSelection"]
    assert _counts(engine, guid)[:2] == (3, 3)


def test_a_second_import_into_a_copy_finds_what_the_first_brought(engine) -> None:
    _import(engine, vendor_project())
    copy, first = _import(engine, vendor_project(), new_name="Copy")  # every guid is taken: stand-ins
    assert any("already used by another project" in n for n in first.notes)
    with read_session(engine) as s:
        project = get_project(s, "Copy")
    before = _counts(engine, copy)
    _, again = _import(engine, vendor_project(), project=project)
    assert dict(again.imported) == {} and again.unchanged["PlainTextSelection"] == 3
    assert again.skipped == [] and _counts(engine, copy) == (before[0], before[1], before[2] + 1)  # + the report


def test_a_coding_added_in_the_other_tool_is_added_to_the_kept_selection(engine) -> None:
    guid, _ = _import(engine, vendor_project())
    with read_session(engine) as s:
        project = get_project(s, str(guid))

    def second_code(xml: str) -> str:
        return xml.replace(
            '<CodeRef targetGUID="20000000-0000-0000-0000-000000000002"/></Coding>',
            '<CodeRef targetGUID="20000000-0000-0000-0000-000000000002"/></Coding>'
            '<Coding guid="60000000-0000-0000-0000-0000000000ff" creatingUser="10000000-0000-0000-0000-000000000001">'
            '<CodeRef targetGUID="20000000-0000-0000-0000-000000000003"/></Coding>', 1)

    _, report = _import(engine, _edited(second_code, guid_style="lower"), project=project)
    assert dict(report.imported) == {"Coding": 1}
    assert _counts(engine, guid)[:2] == (3, 4)


def test_the_projects_own_edits_to_a_code_stay_and_the_difference_is_said(engine) -> None:
    guid, _ = _import(engine, vendor_project())
    with write_session(engine) as s:
        project = get_project(s, str(guid))
        update_code(s, project, "nodes", "nodes.potential_value", label_en="Potential value (revised)",
                    definition="Our own definition", actor="Anna")
    with read_session(engine) as s:
        project = get_project(s, str(guid))
    _, report = _import(engine, vendor_project(), project=project)
    assert [i["reason"] for i in report.adjusted] == [
        "the project's code 'Potential value (revised)' was kept; the file's name and description differ"]
    with read_session(engine) as s:
        code = s.scalars(select(Code).where(Code.key == "nodes.potential_value")).one()
        assert (code.label_en, code.definition) == ("Potential value (revised)", "Our own definition")


def test_names_over_the_limit_are_cut_and_deep_trees_of_long_names_get_short_keys(engine) -> None:
    long = "Lange naam " * 30  # 330 characters

    def lengthen(xml: str) -> str:
        xml = xml.replace('name="Anna"', f'name="{long}"').replace('name="Fieldlab network"', f'name="{long}"')
        deep = "".join(f'<Code guid="2000000{n}-0000-0000-0000-0000000000aa" name="{"Niveau " * 8}{n}" '
                       'isCodable="true">' for n in range(6)) + "</Code>" * 6
        return xml.replace('isCodable="true"/>', f'isCodable="true">{deep}</Code>')

    guid, report = _import(engine, _edited(lengthen))
    assert sum("its name was cut to 200 characters" in i["reason"] for i in report.adjusted) == 2
    assert report.imported["PlainTextSelection"] == 3
    with read_session(engine) as s:
        keys = [c.key for c in s.scalars(select(Code))]
        assert max(len(k) for k in keys) <= 200 and len(keys) == len(set(keys)) == 8


def test_a_code_tree_deeper_than_fifty_levels_is_refused_in_one_line(engine) -> None:
    deep = "".join(f'<Code guid="00000000-0000-0000-0000-{n:012d}" name="c{n}" isCodable="true">'
                   for n in range(60)) + "</Code>" * 60
    with pytest.raises(Refused, match="nested more than 50 levels"):
        _import(engine, _edited(lambda xml: xml.replace('isCodable="true"/>', f'isCodable="true">{deep}</Code>')))


def test_a_number_too_large_for_the_database_is_left_out_with_its_reason(engine) -> None:
    guid, report = _import(engine, _edited(lambda xml: xml.replace("<IntegerValue>42", "<IntegerValue>" + "9" * 25)))
    assert [i["reason"] for i in report.skipped] == [
        f"value '{'9' * 25}' not kept: '{'9' * 25}' is too large a whole number (attribute type integer)"]


@pytest.mark.parametrize("encoding", ["utf-16", "cp1252"])
def test_a_text_in_another_encoding_is_recognised_again_on_reimport(engine, encoding: str) -> None:
    text = TEXT.replace("😀", "*") if encoding == "cp1252" else TEXT
    data = _edited(lambda xml: xml, source=text.encode(encoding), origin="MAXQDA 2022", convention="codepoints",
                   names=False)
    guid, first = _import(engine, data)
    with read_session(engine) as s:
        project = get_project(s, str(guid))
    _, again = _import(engine, data, project=project)
    assert dict(again.imported) == {} and again.skipped == [] and again.unchanged["PlainTextSelection"] == 3


def test_a_codebook_imported_twice_exports_unique_code_guids(engine) -> None:
    with write_session(engine) as s:
        project = create_project(s, "Twee")
        adopt_codebook(s, project, "value-creation")
        data = export_codebook_qdc(s, "value-creation", project)
        import_codebook_qdc(s, data, filename="vc2.qdc", project=project, key="vc2")
    with read_session(engine) as s:
        qdpx, _ = export_project_qdpx(s, get_project(s, "Twee"))
    qde = zipfile.ZipFile(io.BytesIO(qdpx)).read("project.qde")
    assert validate_qde(qde) == []
    from defusedxml import ElementTree as SafeET

    guids = [e.get("guid") for e in SafeET.fromstring(qde).iter("{urn:QDA-XML:project:1.0}Code")]
    assert len(guids) == len(set(guids)) > 30


def test_a_selection_whose_guid_is_not_a_guid_is_imported_under_a_new_one(engine) -> None:
    guid, report = _import(engine, _edited(lambda xml: xml.replace("50000000-0000-0000-0000-000000000002", "sel-2"),
                                           guid_style="lower"))
    assert report.imported["PlainTextSelection"] == 3
    assert [(i["guid"], i["reason"]) for i in report.adjusted] == [("sel-2", "its guid is not a GUID; a new one was "
                                                                    "made")]
    assert _counts(engine, guid)[:2] == (3, 3)
