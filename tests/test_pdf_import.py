"""PDF documents: the text layer page by page with page starts, page furniture and hyphenation reported (the text
never changed), PDFs that cannot be read refused with the reason and nothing written."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

import cli
from cases.importer import preview_import
from cases.projects import create_project
from cases.readers import ImportRefused
from store.db import read_session, write_session
from store.models import Document
from tests.pdf_fixtures import BODY, CHAPTERS, HEADER, network_plan, scanned


def test_the_text_layer_comes_page_by_page_with_its_damage_named() -> None:
    preview = preview_import("Netwerkplan.pdf", network_plan())
    source = preview.source
    assert source.format == "pdf" and len(source.pages) == 5
    for number, start in enumerate(source.pages[:4], start=1):
        assert source.text[start:].startswith(f"{HEADER}\n\n{number}. {CHAPTERS[number - 1]}")
    assert source.text.count(HEADER) == 4 and "Pagina 3 van 5" in source.text  # reported, never removed
    assert "kennisuitwisse-\nling" in source.text
    assert any("page(s) 5 have no text" in n for n in source.notices)
    furniture = [w for w in preview.warnings if w.kind == "page_furniture"]
    assert sorted(source.text[w.start:w.end] for w in furniture) == sorted(
        [HEADER] * 4 + [f"Pagina {n} van 5" for n in range(1, 5)])
    assert all("4 of 4 pages" in w.message for w in furniture)
    hyphens = [source.text[w.start:w.end] for w in preview.warnings if w.kind == "hyphenation"]
    assert hyphens.count("kennisuitwisse-\nling") == 4 and hyphens.count("experimen-\nteren") == 4
    # the paragraphs follow the layout: a blank line where the page leaves a gap
    assert f"{BODY[1]}\n\n{BODY[3]}" in source.text


@pytest.mark.parametrize(("data", "message"), [
    (network_plan(password="geheim"), "the PDF is encrypted"),
    (scanned(), "no text layer"),
    (network_plan()[:400], "not a readable PDF"),
    (b"%PDF-1.7\nnot really a pdf", "not a readable PDF"),
])
def test_pdfs_that_cannot_be_read_are_refused_with_the_reason(data: bytes, message: str) -> None:
    with pytest.raises(ImportRefused, match=message):
        preview_import("stuk.pdf", data)


def test_the_cli_imports_a_pdf_as_a_document_and_refuses_a_scan(engine, db_url, tmp_path, capsys) -> None:
    with write_session(engine) as s:
        create_project(s, "Plannen")
    (tmp_path / "plan.pdf").write_bytes(network_plan())
    (tmp_path / "scan.pdf").write_bytes(scanned())
    assert cli.main(["--db", db_url, "import", str(tmp_path / "plan.pdf"), str(tmp_path / "scan.pdf"),
                     "--project", "Plannen", "--case", "Oost"]) == 1
    captured = capsys.readouterr()
    assert "imported plan.pdf as 'plan'" in captured.out and "page_furniture" in captured.err
    assert "scan.pdf: the PDF has no text layer" in captured.err
    with read_session(engine) as s:
        documents = s.scalars(select(Document)).all()
        assert [(d.title, d.kind, d.source_format) for d in documents] == [("plan", "document", "pdf")]
        assert s.scalar(select(func.count()).select_from(Document)) == 1


def test_a_quote_from_a_pdf_cites_its_page_also_after_a_text_edit(engine) -> None:
    from cases.documents import current_text_version
    from cases.importer import store_import
    from cases.projects import get_or_create_coder, get_project
    from codebooks.service import adopt_codebook
    from coding.codings import apply_coding
    from coding.retrieval import retrieve_segments
    from coding.text_edits import replace_spans

    with write_session(engine) as s:
        project = create_project(s, "Citaten")
        adopt_codebook(s, project, "value-creation")
        document = store_import(s, project, preview_import("plan.pdf", network_plan()), cases=[], kind="document")
        version = current_text_version(s, document)
        assert version.pages == list(preview_import("plan.pdf", network_plan()).source.pages)
        text = version.text
        third = text.index("3. " + CHAPTERS[2])
        anna, _ = get_or_create_coder(s, project, "Anna")
        apply_coding(s, project, document, anna, third, third + len(CHAPTERS[2]) + 3, ["vc.immediate"])
        first_header = text.index(HEADER)
        replace_spans(s, project, str(document.guid), [(first_header, first_header + len(HEADER), "Plan")],
                      actor="Anna", why="header shortened")
    with read_session(engine) as s:
        project = get_project(s, "Citaten")
        found = retrieve_segments(s, project, code_keys=["vc.immediate"])
        assert [(r.page, r.text) for r in found] == [(3, "3. " + CHAPTERS[2])]
        assert found[0].as_dict()["page"] == 3
        pages = current_text_version(s, s.scalars(select(Document)).one()).pages
        assert pages[1] == version.pages[1] - len(HEADER) + 4  # the pages after the shortened header moved up


def test_a_pdf_has_no_speakers_its_paragraphs_are_its_units() -> None:
    preview = preview_import("plan.pdf", network_plan())
    assert preview.labels == [] and preview.default_speakers() == {}
    text = preview.source.text
    units = [text[t.start:t.end] for t in preview.turns()]
    assert units[:4] == [HEADER, f"1. {CHAPTERS[0]}\n{BODY[0]}\n{BODY[1]}", f"{BODY[3]}\n{BODY[4]}", "Pagina 1 van 5"]
