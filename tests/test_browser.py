"""What only a browser can show: a deep link opens the right place, and transcript markup stays text.

Runs the real server (`python -m ui.serve`, as `make run` does) on a free local
port and drives Debian's Chromium with Playwright. `make test` installs Chromium
through apt when it is missing.
"""

from __future__ import annotations

import pytest

from browser_support import ARTIFACTS, launch, streamlit_server
from cases.importer import SpeakerDecision, preview_import, store_import
from cases.projects import create_case, create_project
from store.db import get_engine, write_session

HOSTILE = (
    "I: Wat gebeurde er daarna?\n"
    "R: Iemand typte <script>window.__owned = 1</script> in de chat, en ook <img src=x onerror=\"window.__owned = 2\">.\n"
    "I: En toen?\n"
    "R: Toen lachten we erom. **Niemand** schrok.\n"
)

pytestmark = pytest.mark.browser


@pytest.fixture
def served(sqlite_url: str):  # type: ignore[no-untyped-def]
    with write_session(get_engine(sqlite_url)) as s:
        project = create_project(s, "Browsertest")
        case = create_case(s, project, "Netwerk Oost")
        preview = preview_import("gesprek.txt", HOSTILE.encode("utf-8"), language="nl")
        document = store_import(s, project, preview, cases=[case], speakers={
            "I": SpeakerDecision("interviewer"), "R": SpeakerDecision("respondent")})
        guids = (str(project.guid), str(document.guid))
    get_engine(sqlite_url).dispose()
    with streamlit_server(db_url=sqlite_url) as base:
        yield base, guids


def test_deep_link_opens_the_document_and_markup_stays_text(served) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    base, (project_guid, document_guid) = served
    with sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(f"{base}/documents?project={project_guid}&document={document_guid}")
        expect(page.get_by_role("heading", name="Documents")).to_be_visible(timeout=30_000)
        expect(page.get_by_text("<script>window.__owned = 1</script>", exact=False)).to_be_visible(timeout=15_000)
        expect(page.get_by_text('<img src=x onerror="window.__owned = 2">', exact=False)).to_be_visible()
        expect(page.get_by_text("**Niemand** schrok", exact=False)).to_be_visible()
        assert page.evaluate("window.__owned") is None
        assert dialogs == []
        assert page.locator("img[src='x']").count() == 0
        page.screenshot(path=str(ARTIFACTS / "documents-deep-link.png"))

        page.reload()
        expect(page.get_by_text("Toen lachten we erom", exact=False)).to_be_visible(timeout=30_000)
        assert f"document={document_guid}" in page.url and f"project={project_guid}" in page.url
        browser.close()
