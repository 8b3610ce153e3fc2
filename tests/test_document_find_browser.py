"""Find in the document and go to ¶N in a real browser: the hits are marked in the component's shadow DOM with the
current one stronger (a selection across a mark still gives exactly its words), "next" moves that mark, and going to
a turn scrolls it into the transcript's view."""

from __future__ import annotations

import re

import pytest
from browser_support import ARTIFACTS, drag, open_coding_page, phrase_box, settle

pytestmark = pytest.mark.browser

HOST = "document.querySelector('[data-testid=\"stBidiComponentIsolated\"]').shadowRoot"
# Where find's marks are: the texts of all marks, the current mark's text, its turn and how many marks precede it.
MARKS_JS = f"""() => {{
  const root = {HOST};
  const marks = Array.from(root.querySelectorAll('.kp-hit'));
  const at = marks.findIndex((m) => m.classList.contains('kp-hit-current'));
  if (at < 0) return null;
  const current = marks[at];
  const box = current.getBoundingClientRect(), frame = root.querySelector('.kp-scroll').getBoundingClientRect();
  return {{texts: marks.map((m) => m.textContent), current: current.textContent, before: at,
           turn: current.closest('.kp-turn').dataset.ordinal, segments: current.dataset.segments || null,
           inView: box.top >= frame.top && box.bottom <= frame.bottom,
           currents: root.querySelectorAll('.kp-hit-current').length}};
}}"""
# Is the turn with this ordinal focused and inside the transcript's scrolled view?
TURN_IN_VIEW_JS = f"""(ordinal) => {{
  const root = {HOST};
  const turn = root && root.querySelector(`.kp-turn[data-ordinal="${{ordinal}}"]`);
  if (!turn || !turn.classList.contains('kp-focus')) return false;
  const box = turn.getBoundingClientRect(), frame = root.querySelector('.kp-scroll').getBoundingClientRect();
  return box.top >= frame.top - 1 && box.top < frame.bottom - 20;
}}"""


def test_find_marks_hits_next_moves_and_go_to_scrolls(demo_server) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser, page = open_coding_page(pw, demo_server, "Find Coder")
        expect(page.locator(".kp-turn").first).to_be_visible(timeout=30_000)
        settle(page)

        # find "leren": lemma matching marks "leren", "leert" and "Leren", the first one current
        page.get_by_label("Find in this document").fill("leren")
        page.get_by_label("Find in this document").press("Enter")
        count = page.get_by_text(re.compile(r"^hit 1 of \d+$"))
        expect(count).to_be_visible(timeout=30_000)
        total = int(count.inner_text().split()[-1])
        assert total >= 3
        page.wait_for_function(f"() => {{ const r = ({MARKS_JS})(); return r && r.texts.length >= {total}; }}",
                               timeout=30_000)
        first = page.evaluate(MARKS_JS)
        assert first["before"] == 0 and first["currents"] == 1 and first["segments"] is None
        assert first["current"].casefold() == "leren"
        assert {t.casefold() for t in first["texts"]} >= {"leren", "leert"}  # "leert": a lemma hit, no substring
        assert page.url.endswith(f"turn={first['turn']}") or f"turn={first['turn']}&" in page.url
        page.wait_for_function(f"() => ({MARKS_JS})().inView", timeout=30_000)

        # the marks change no offset: a mouse selection across a hit codes exactly the words selected
        phrase = "elkaar leren kennen"
        box = phrase_box(page, phrase, int(first["turn"]))
        assert box
        drag(page, box)
        quote = page.locator('[data-testid="stMarkdown"] blockquote').filter(has_text=phrase)
        expect(quote).to_be_visible(timeout=30_000)
        assert quote.inner_text().strip() == phrase

        # next: the current mark moves on, and is in view
        settle(page)
        page.locator(".st-key-find_next").get_by_role("button", name="▶").click()
        expect(page.get_by_text(f"hit 2 of {total}", exact=True)).to_be_visible(timeout=30_000)
        page.wait_for_function(f"() => {{ const r = ({MARKS_JS})(); return r && r.before > 0 && r.inView; }}",
                               timeout=30_000)
        second = page.evaluate(MARKS_JS)
        assert second["currents"] == 1 and second["current"].casefold() != "" and second["before"] > 0
        page.wait_for_url(re.compile(rf"[?&]turn={second['turn']}(&|$)"), timeout=30_000)
        settle(page)
        page.screenshot(path=str(ARTIFACTS / "find-in-document.png"))

        # go to the last turn: focused, in the URL and scrolled into the transcript's view; then back to ¶2
        last = int(page.evaluate(f"() => Array.from({HOST}.querySelectorAll('.kp-turn')).pop().dataset.ordinal"))
        for ordinal in (last, 1):
            settle(page)
            page.get_by_label("Go to ¶").fill(f"¶{ordinal + 1}")
            page.get_by_label("Go to ¶").press("Enter")
            page.wait_for_url(re.compile(rf"[?&]turn={ordinal}(&|$)"), timeout=30_000)
            page.wait_for_function(TURN_IN_VIEW_JS, arg=ordinal, timeout=30_000)
            if ordinal == last:
                assert page.evaluate(f"() => {HOST}.querySelector('.kp-scroll').scrollTop") > 0
                settle(page)
                page.screenshot(path=str(ARTIFACTS / "go-to-turn.png"))
        browser.close()
