"""Keyboard coding in Chromium: select with the mouse, type part of a code's label, Enter — the highlight is drawn
at once (pending) before the server confirms; 1 applies the most recent code; Esc codes nothing; a refused write
removes its pending highlight and says why; a name that matches no code makes a new code and applies it."""

from __future__ import annotations

import pytest
from browser_support import ARTIFACTS, drag, open_coding_page, phrase_box, settle

from cases.projects import get_project
from codebooks.service import update_code
from coding.codings import list_codings
from coding.picker import code_choices
from store.db import get_engine, read_session, write_session

CODER = "Keyboard Coder"
FIRST, SECOND = "via een klant gegaan", "een klein administratiekantoor"
ESCAPED, REFUSED = "nieuwjaarsreceptie in Gronau", "visitekaartjesclub"
NEW_CODE_AT, NEW_CODE = "binnen vijf minuten zijn pitch doet", "Snelle pitch"
HOST = 'document.querySelector(\'[data-testid="stBidiComponentIsolated"]\').shadowRoot'
# when the pending highlight first appeared and when the server's confirmation first showed (performance.now())
WATCH_JS = f"""(text) => {{
  const seen = window.__kp = {{pending: null, confirmed: null}};
  const check = () => {{
    if (seen.pending === null && {HOST}.querySelector('.kp-hl.kp-pending')) seen.pending = performance.now();
    if (seen.confirmed === null && document.body.innerText.includes(text)) seen.confirmed = performance.now();
  }};
  new MutationObserver(check).observe({HOST}, {{childList: true, subtree: true}});
  new MutationObserver(check).observe(document.body, {{childList: true, subtree: true, characterData: true}});
}}"""

pytestmark = pytest.mark.browser


def _watch(page, text: str) -> None:  # type: ignore[no-untyped-def]
    """Record when the pending highlight and `text` first appear; `text` must not be on the page yet."""
    settle(page)
    assert text not in page.evaluate("() => document.body.innerText")
    page.evaluate(WATCH_JS, text)


def _pending_came_first(page) -> None:  # type: ignore[no-untyped-def]
    seen = page.evaluate("() => window.__kp")
    assert seen["pending"] is not None and seen["confirmed"] is not None and seen["pending"] < seen["confirmed"], seen


def _mine(url: str, project_guid: str) -> list[tuple[str, str]]:
    with read_session(get_engine(url)) as s:
        return [(c.code, c.text) for c in list_codings(s, get_project(s, project_guid)) if c.coder == CODER]


def test_keyboard_coding_pending_confirmed_recent_cancelled_refused(demo_server) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    _, (project_guid, _), url = demo_server
    with sync_playwright() as pw:
        browser, page = open_coding_page(pw, demo_server, CODER)
        expect(page.get_by_text("Select text, then type to find a code", exact=False)).to_be_visible(timeout=30_000)
        page.wait_for_function("() => { const h = document.querySelector('[data-testid=\"stBidiComponentIsolated\"]');"
                               " return h && h.shadowRoot && h.shadowRoot.querySelector('.kp-content'); }",
                               timeout=30_000)
        picker, filter_ = page.locator(".kp-picker"), page.locator(".kp-picker-input")
        pending = page.locator(".kp-hl.kp-pending")

        def select(phrase: str) -> None:
            box = phrase_box(page, phrase)
            assert box is not None, phrase
            drag(page, box)
            expect(filter_).to_be_focused(timeout=15_000)
            # the selection also reached the panel beside the text (mouse users' path); the filter keeps the focus
            quote = page.locator('[data-testid="stMarkdown"] blockquote').filter(has_text=phrase)
            expect(quote).to_be_visible(timeout=30_000)
            settle(page)
            expect(filter_).to_be_focused()

        # type part of a label, Enter: drawn at once (pending), then stored and confirmed
        select(FIRST)
        page.keyboard.type("immediate val")
        expect(page.locator(".kp-picker-item.kp-picker-active .kp-picker-key")).to_have_text("vc.immediate")
        page.screenshot(path=str(ARTIFACTS / "keyboard-coding-picker.png"))
        _watch(page, "Coded with")
        page.keyboard.press("Enter")
        expect(picker).to_have_count(0)
        expect(page.get_by_text("Coded with vc.immediate.")).to_be_visible(timeout=30_000)
        expect(pending).to_have_count(0, timeout=15_000)  # the stored highlight replaced it
        _pending_came_first(page)
        assert _mine(url, project_guid) == [("vc.immediate", FIRST)]
        page.wait_for_function(f"() => Array.from({HOST}.querySelectorAll('.kp-hl')).some((s) => "
                               f"s.title.includes('vc.immediate') && s.textContent.includes('klant'))", timeout=15_000)

        # 1 applies the most recently used code
        select(SECOND)
        expect(page.locator(".kp-picker-item").first.locator(".kp-picker-num")).to_have_text("1", timeout=15_000)
        _watch(page, "Coded with")
        page.keyboard.press("1")
        expect(page.get_by_text("Coded with vc.immediate.")).to_be_visible(timeout=30_000)
        expect(pending).to_have_count(0, timeout=15_000)
        _pending_came_first(page)
        assert sorted(_mine(url, project_guid)) == sorted([("vc.immediate", FIRST), ("vc.immediate", SECOND)])
        # that rerun sent only the coded turn whole: the others went as hashes the page already held (the first
        # coding above changed every highlighted turn: a second coder's initials appeared in the margin)
        assert page.evaluate(f"() => {HOST}.querySelector('.kp-root').dataset.wholeTurns") == "1"

        # Esc closes the picker and codes nothing
        select(ESCAPED)
        page.keyboard.type("appl")
        page.keyboard.press("Escape")
        expect(picker).to_have_count(0)
        expect(pending).to_have_count(0)
        settle(page)
        assert len(_mine(url, project_guid)) == 2

        # a code switched off after the picker opened: the write is refused, the pending highlight goes, the page says why
        select(REFUSED)
        settle(page)
        with write_session(get_engine(url)) as s:
            project = get_project(s, project_guid)
            book = next(c.codebook for c in code_choices(s, project) if c.key == "vc.applied")
            update_code(s, project, book, "vc.applied", enabled=False)
        page.keyboard.type("vc.applied")
        expect(page.locator(".kp-picker-item.kp-picker-active .kp-picker-key")).to_have_text("vc.applied")
        reason = "code 'vc.applied' is switched off in this project"
        _watch(page, reason)
        page.keyboard.press("Enter")
        expect(page.get_by_text(reason)).to_be_visible(timeout=30_000)
        expect(pending).to_have_count(0, timeout=15_000)
        _pending_came_first(page)
        settle(page)
        page.screenshot(path=str(ARTIFACTS / "keyboard-coding-refused.png"))
        assert len(_mine(url, project_guid)) == 2

        # a name no code has: the picker's last line offers to make it; Enter on it makes the code and applies it
        select(NEW_CODE_AT)
        page.keyboard.type(NEW_CODE)
        page.keyboard.press("ArrowUp")  # from the first line up to the last: the new code
        expect(page.locator(".kp-picker-item.kp-picker-active.kp-picker-new")).to_contain_text(NEW_CODE)
        page.screenshot(path=str(ARTIFACTS / "keyboard-coding-new-code.png"))
        _watch(page, "created and applied")
        page.keyboard.press("Enter")
        expect(page.get_by_text("created and applied", exact=False)).to_be_visible(timeout=30_000)
        expect(pending).to_have_count(0, timeout=15_000)
        _pending_came_first(page)
        made = [code for code, text in _mine(url, project_guid) if text == NEW_CODE_AT]
        assert len(made) == 1 and len(_mine(url, project_guid)) == 3
        with read_session(get_engine(url)) as s:
            assert any(c.key == made[0] and c.label == NEW_CODE for c in code_choices(s, get_project(s, project_guid)))
        browser.close()
