"""End to end in a real browser: open the demo, select a phrase with the mouse, apply a code, reload.

The stored segment must hold exactly the selected text, and the highlight must
be there after the reload. Runs `python -m ui.serve` (as `make run` does) and
Debian's Chromium through Playwright.
"""

from __future__ import annotations

import pytest
from browser_support import ARTIFACTS, drag, open_coding_page, phrase_box

from cases.projects import get_project
from coding.codings import list_codings
from store.db import get_engine, read_session

CODER = "Browser Coder"
PHRASE = "via een klant gegaan"

pytestmark = pytest.mark.browser


def test_select_with_the_mouse_apply_a_code_and_find_it_after_a_reload(demo_server) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    _, (project_guid, _), url = demo_server
    with sync_playwright() as pw:
        browser, page = open_coding_page(pw, demo_server, CODER)
        page.wait_for_selector('[data-testid="stBidiComponentIsolated"]', timeout=30_000)
        page.wait_for_function(
            "() => { const h = document.querySelector('[data-testid=\"stBidiComponentIsolated\"]');"
            " return h && h.shadowRoot && h.shadowRoot.querySelector('.kp-content'); }", timeout=30_000)
        box = phrase_box(page, PHRASE)
        assert box is not None, "the phrase is not in the rendered transcript"
        drag(page, box)
        expect(page.get_by_text("Selected", exact=False).first).to_be_visible(timeout=15_000)
        expect(page.get_by_text(PHRASE, exact=False).last).to_be_visible()

        picker = page.locator('[data-testid="stMultiSelect"] input').first
        picker.click()
        picker.fill("vc.immediate")
        page.keyboard.press("Enter")
        page.keyboard.press("Escape")
        page.get_by_role("button", name="Apply").click()
        expect(page.get_by_text("Coded with vc.immediate", exact=False)).to_be_visible(timeout=15_000)
        # a new coder is listed at once, not after another document is opened
        expect(page.get_by_text("Coders in this project:", exact=False)).to_contain_text(CODER, timeout=15_000)

        page.reload()
        page.wait_for_function(
            "() => { const h = document.querySelector('[data-testid=\"stBidiComponentIsolated\"]');"
            " return h && h.shadowRoot && Array.from(h.shadowRoot.querySelectorAll('.kp-hl'))"
            f".some((s) => s.textContent.includes({PHRASE!r}.split(' ')[1])); }}", timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "coding-after-reload.png"))
        browser.close()

    engine = get_engine(url)
    with read_session(engine) as s:
        project = get_project(s, project_guid)
        mine = [c for c in list_codings(s, project) if c.coder == CODER]
    assert [(c.code, c.text, c.document) for c in mine] == [("vc.immediate", PHRASE, "a1_interview_hoekstra")]
