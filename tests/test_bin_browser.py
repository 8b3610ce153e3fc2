"""End to end in a real browser: delete a coded document of the demo into the bin, then restore it.

The Documents page shows what goes with it before the delete; the document leaves the project (and its codings
every listing); the Projects page lists it in the bin, and Restore brings back the same rows.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from apptest_support import remember_name
from browser_support import ARTIFACTS, launch, settle
from cases.documents import list_documents
from cases.projects import get_project
from coding.codings import list_codings
from demo.load import DEMO_PROJECT
from store.db import get_engine, read_session
from store.models import BinItem

pytestmark = pytest.mark.browser
TITLE = "a1_interview_hoekstra"


def _state(url: str) -> tuple[list[str], int, int]:
    engine = get_engine(url)
    with read_session(engine) as s:
        project = get_project(s, DEMO_PROJECT)
        titles = [d.title for d in list_documents(s, project)]
        codings = sum(1 for c in list_codings(s, project) if c.document == TITLE)
        binned = s.scalar(select(func.count()).select_from(BinItem))
    engine.dispose()
    return titles, codings, binned


def test_delete_a_document_and_restore_it_from_the_bin(demo_server) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    base, (project_guid, document_guid), url = demo_server
    titles, codings, _ = _state(url)
    assert TITLE in titles and codings > 0
    remember_name(url, "Sanne")  # local mode: the name given once
    with sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{base}/documents?project={project_guid}&document={document_guid}")
        expect(page.get_by_role("heading", name="Documents")).to_be_visible(timeout=30_000)
        page.get_by_role("tab", name="Read").click()
        page.get_by_text("Delete this document", exact=True).click()
        page.get_by_text("Show what deleting this document takes along").click()
        expect(page.get_by_text("coded segment(s) with", exact=False)).to_be_visible(timeout=30_000)
        expect(page.get_by_text("by Sanne", exact=False).first).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "bin-document-preview.png"), full_page=True)
        delete = page.get_by_role("button", name="Delete this document into the bin")
        expect(delete).to_be_disabled()
        settle(page)  # each click below on a finished run: a click on a run still drawing was lost once in CI
        page.get_by_text("I have read what goes with it").click()
        expect(delete).to_be_enabled(timeout=15_000)
        settle(page)
        delete.click()
        expect(page.get_by_text(f"Deleted document '{TITLE}' into the bin", exact=False)).to_be_visible(
            timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "bin-document-deleted.png"))

        titles_after, codings_after, binned = _state(url)
        assert TITLE not in titles_after and codings_after == 0 and binned == 1
        assert len(titles_after) == len(titles) - 1

        page.goto(f"{base}/?project={project_guid}")
        expect(page.get_by_role("heading", name=f"Bin of '{DEMO_PROJECT}'")).to_be_visible(timeout=30_000)
        expect(page.get_by_text(f"Document '{TITLE}' · deleted by Sanne", exact=False)).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "bin-listed.png"))
        settle(page)
        page.get_by_role("button", name="Restore").click()
        expect(page.get_by_text(f"Restored document '{TITLE}'", exact=False)).to_be_visible(timeout=30_000)
        browser.close()
    assert _state(url) == (titles, codings, 0)
