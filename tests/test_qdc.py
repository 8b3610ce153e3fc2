"""REFI-QDA codebooks (.qdc, the first part of issue 15), on both databases: what Kruispunt writes is valid against
the standard's XSD (the copy Kruispunt ships, and the one in ../shared/refi-qda where that is present), keeps every code's guid, tree, colour and
codability, and comes back as the same codebook; what other tools write (another namespace, braced upper-case
guids, short colours, an empty <Sets/>, a non-codable wrapper root) is read with notes; hostile XML is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

import cli
from cases.projects import create_project, get_project
from codebooks.qdc import codebook_qdc, export_codebook_qdc, import_codebook_qdc, template_from_qdc
from codebooks.service import adopt_codebook, codebook_as_template, code_tree, get_codebook
from store.db import read_session, write_session
from store.errors import Refused

XSD = Path(__file__).resolve().parent.parent.parent / "shared" / "refi-qda" / "xsd" / "Codebook.xsd"
SHIPPED_XSD = Path(__file__).resolve().parent.parent / "exports" / "refi_schemas" / "Codebook.xsd"

OTHER_TOOL = """<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:0:4" origin="ATLAS.ti">
  <Codes>
    <Code guid="{6A2F0D1E-5B1C-4F8A-9E2D-0C1B2A3F4E5D}" name="Alle codes" isCodable="false">
      <Code guid="6A2F0D1E-5B1C-4F8A-9E2D-0C1B2A3F4E5E" name="Vertrouwen" isCodable="true" color="#F0A">
        <Description>Wanneer deelnemers elkaar vertrouwen.</Description>
        <Code guid="6a2f0d1e-5b1c-4f8a-9e2d-0c1b2a3f4e5f" name="Vertrouwen &amp; open" isCodable="true"/>
      </Code>
      <Code guid="not-a-guid" name="Kennis delen" isCodable="true" color="red"/>
    </Code>
  </Codes>
  <Sets/>
</CodeBook>
"""


def test_an_exported_codebook_is_valid_and_comes_back_the_same(engine):
    import xmlschema
    with write_session(engine) as s:
        project = create_project(s, "Uit")
        adopt_codebook(s, project, "value-creation")
        data = export_codebook_qdc(s, "value-creation", project)
        original = codebook_as_template(get_codebook(s, project, "value-creation"))
    for schema in (SHIPPED_XSD, XSD) if XSD.is_file() else (SHIPPED_XSD,):  # ../shared only where present
        xmlschema.XMLSchema(str(schema)).validate(data)  # raises on any error
    assert codebook_qdc(original) == data  # the same bytes every time
    with write_session(engine) as s:
        other = create_project(s, "In")
        book, notes = import_codebook_qdc(s, data, filename="value-creation.qdc", project=other, key="vc-qdc",
                                          actor="Anna")
        rows = code_tree(book)
        assert notes == []
        back = [(str(r.code.guid), r.code.label_en, r.code.colour, r.code.codable, r.depth) for r in rows]
    expected_depth = {c.key: c.key.count(".") - original.codes[0].key.count(".") for c in original.codes}
    assert back == [(str(c.guid), c.label_en, c.colour.upper(), c.codable, expected_depth[c.key])
                    for c in original.codes]


def test_another_tools_codebook_is_read_with_notes():
    template, notes = template_from_qdc(OTHER_TOOL.encode(), "Atlas export.qdc")
    assert template.key == "atlas_export"
    assert [(c.key, c.parent, c.label_en, c.codable, c.colour) for c in template.codes] == [
        ("atlas_export.alle_codes", None, "Alle codes", False, "#999999"),
        ("atlas_export.alle_codes.vertrouwen", "atlas_export.alle_codes", "Vertrouwen", True, "#FF00AA"),
        ("atlas_export.alle_codes.vertrouwen.vertrouwen_open", "atlas_export.alle_codes.vertrouwen",
         "Vertrouwen & open", True, "#999999"),
        ("atlas_export.alle_codes.kennis_delen", "atlas_export.alle_codes", "Kennis delen", True, "#999999")]
    assert str(template.codes[1].guid) == "6a2f0d1e-5b1c-4f8a-9e2d-0c1b2a3f4e5e"
    assert template.codes[1].definition == "Wanneer deelnemers elkaar vertrouwen."
    assert notes == ["namespace 'urn:QDA-XML:codebook:0:4' read as urn:QDA-XML:codebook:1.0",
                     "code 'Kennis delen': guid 'not-a-guid' is not a GUID; a new one was made",
                     "code 'Kennis delen': colour 'red' is not #RRGGBB; grey instead"]


@pytest.mark.parametrize(("data", "message"), [
    (b"<Project xmlns='urn:QDA-XML:project:1.0'/>", "not a REFI-QDA codebook"),
    (b"<CodeBook><Codes></Codes></CodeBook>", "has no codes"),
    (b"<CodeBook", "not a readable XML file"),
    (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><CodeBook>&a;</CodeBook>', "refused"),
])
def test_a_broken_or_hostile_file_is_refused_in_one_line(data, message):
    with pytest.raises(Refused, match=message):
        template_from_qdc(data, "x.qdc")


def test_qdc_on_the_command_line(capsys, db_url, engine, tmp_path):
    (tmp_path / "atlas.qdc").write_text(OTHER_TOOL, encoding="utf-8")
    with write_session(engine) as s:
        create_project(s, "Studie")
    capsys.readouterr()
    assert cli.main(["--db", db_url, "codebook-import", str(tmp_path / "atlas.qdc"), "--project", "Studie"]) == 0
    out = capsys.readouterr().out
    assert "imported codebook 'atlas' with 4 codes" in out and "note: code 'Kennis delen'" in out
    assert cli.main(["--db", db_url, "codebook-export", "atlas", "--project", "Studie", "--format", "qdc", "--out",
                     str(tmp_path / "out.qdc")]) == 0
    template, notes = template_from_qdc((tmp_path / "out.qdc").read_bytes(), "out.qdc")
    assert notes == [] and [c.label_en for c in template.codes] == ["Alle codes", "Vertrouwen", "Vertrouwen & open",
                                                                    "Kennis delen"]
    with read_session(engine) as s:
        book = get_codebook(s, get_project(s, "Studie"), "atlas")
        assert str(template.codes[1].guid) == str(next(c.guid for c in book.codes if c.label_en == "Vertrouwen"))


def test_the_codebooks_page_imports_a_qdc_and_offers_one(monkeypatch, sqlite_url):
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from apptest_support import shown
    from store.db import get_engine
    from study_support import open_page

    with write_session(get_engine(sqlite_url)) as s:
        adopt_codebook(s, create_project(s, "Studie"), "value-creation")
    at, _ = open_page(monkeypatch, sqlite_url, "Studie", "pages/codebooks.py", coder="Anna")
    assert "Export as REFI-QDA (.qdc)" in [b.label for b in at.get("download_button")]
    at.file_uploader(key="codebook_csv").set_value(("Atlas export.qdc", OTHER_TOOL.encode(), "application/xml"))
    at.run()
    at.button(key="import_codebook").click().run()
    assert not at.exception, at.exception
    said = shown(at.success)[0]
    assert said.startswith("Imported 'atlas_export' with 4 codes.") and "Note: code 'Kennis delen'" in said


def test_qdc_export_and_qdc_import_commands(capsys, db_url, engine, tmp_path):
    (tmp_path / "atlas.qdc").write_text(OTHER_TOOL, encoding="utf-8")
    with write_session(engine) as s:
        create_project(s, "Studie")
    capsys.readouterr()
    assert cli.main(["--db", db_url, "qdc-import", str(tmp_path / "atlas.qdc"), "--project", "Studie"]) == 0
    assert cli.main(["--db", db_url, "qdc-export", "atlas", "--project", "Studie", "--out",
                     str(tmp_path / "back.qdc")]) == 0
    assert [c.label_en for c in template_from_qdc((tmp_path / "back.qdc").read_bytes(), "back.qdc")[0].codes][1] == \
        "Vertrouwen"
    assert cli.main(["--db", db_url, "qdc-import", str(tmp_path / "back.csv"), "--project", "Studie"]) == 1
