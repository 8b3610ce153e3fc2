"""The within-case report from the Cases page: built from the stored codings, downloadable as Word."""

from __future__ import annotations

import io

from docx import Document as DocxDocument

from apptest_support import make_app
from cases.importer import SpeakerDecision, preview_import, store_import
from cases.projects import create_case, create_project, get_or_create_coder
from codebooks.service import adopt_codebook
from coding.codings import apply_coding
from store.db import get_engine, write_session

TEXT = "I: Wat leverde het op?\nR: Ik kreeg een tip die ik meteen gebruikte.\n"


def test_build_and_download_the_case_report(monkeypatch, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    with write_session(get_engine(sqlite_url)) as s:
        project = create_project(s, "Rapport")
        adopt_codebook(s, project, "value-creation")
        case = create_case(s, project, "Grenzeloos")
        doc = store_import(s, project, preview_import("r.txt", TEXT.encode()), cases=[case], speakers={
            "I": SpeakerDecision("interviewer"), "R": SpeakerDecision("respondent")})
        coder, _ = get_or_create_coder(s, project, "Sanne")
        start = TEXT.index("een tip")
        apply_coding(s, project, doc, coder, start, start + len("een tip die ik meteen gebruikte"), ["vc.immediate"])
        guid = str(project.guid)
    at = make_app(monkeypatch, sqlite_url, project_guid=guid)
    at.run()
    at.switch_page("pages/cases.py").run()
    assert not at.exception
    next(b for b in at.button if b.label == "Build report").click()
    at.run()
    assert not at.exception
    stored = at.session_state["case_report_docx"]
    assert stored[0] == "Grenzeloos"
    paragraphs = [p.text for p in DocxDocument(io.BytesIO(stored[1])).paragraphs]
    assert "een tip die ik meteen gebruikte" in paragraphs
    assert any(p.startswith("Immediate value") for p in paragraphs)
