"""The code margin in a real browser: a demo coding's label beside its turn, hovering its chip marks the span (and
pointing at the span or its stripe marks the chip), a segment with a memo has the pencil on its chip too, clicking
the chip opens the segment editor, and a mouse selection of the turn still holds only the transcript text."""

from __future__ import annotations

import re

import pytest
from browser_support import ARTIFACTS, drag, open_coding_page, phrase_box, settle

CODER = "Margin Coder"
PHRASE = "Eén van die klanten zei: Anja"  # coded enc.goal by Sanne de Wit in the demo
LABEL = "Goal / shared interest"  # enc.goal's English label

pytestmark = pytest.mark.browser


def test_margin_chip_shows_hovers_and_opens_its_segment(demo_server) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser, page = open_coding_page(pw, demo_server, CODER)
        # Playwright's CSS locators pierce the component's open shadow root
        turn = page.locator(".kp-turn").filter(has=page.locator(".kp-content", has_text=PHRASE))
        chip = turn.locator(".kp-chip", has_text=LABEL)
        expect(chip).to_be_visible(timeout=30_000)
        expect(chip).to_have_text(LABEL)  # one coder shown: no initials
        settle(page)
        chip.scroll_into_view_if_needed()
        settle(page)
        content = turn.locator(".kp-content")
        text_box, chip_box = content.bounding_box(), chip.bounding_box()
        assert chip_box["x"] >= text_box["x"] + text_box["width"], "the margin overlaps the text"
        first_line = page.evaluate(
            "([phrase]) => { const h = document.querySelector('[data-testid=\"stBidiComponentIsolated\"]');"
            " const c = Array.from(h.shadowRoot.querySelectorAll('.kp-content'))"
            ".find((e) => e.textContent.includes(phrase));"
            " const s = Array.from(c.querySelectorAll('.kp-hl')).find((e) => e.textContent.includes('Eén'));"
            " return s.getClientRects()[0].top; }", [PHRASE])
        assert abs(chip_box["y"] - first_line) < 40, "the chip is not beside its span"

        # hovering the chip marks its span (and only while hovered)
        marked = turn.locator(".kp-hl.kp-hover")
        expect(marked).to_have_count(0)
        chip.hover()
        expect(marked.first).to_be_visible(timeout=5_000)
        page.wait_for_function(
            "([phrase]) => { const h = document.querySelector('[data-testid=\"stBidiComponentIsolated\"]');"
            " const on = Array.from(h.shadowRoot.querySelectorAll('.kp-hl.kp-hover')).map((s) => s.textContent);"
            " return on.join('').includes(phrase); }", arg=[PHRASE], timeout=5_000)
        page.screenshot(path=str(ARTIFACTS / "code-margin-hover.png"))
        page.mouse.move(5, 5)
        expect(marked).to_have_count(0, timeout=5_000)

        # pointing at the coded text, or at its stripe, marks its chip
        span = turn.locator(".kp-hl", has_text="Eén").first
        span.hover()
        expect(chip).to_have_class(re.compile(r"\bkp-hover\b"), timeout=5_000)
        page.mouse.move(5, 5)
        expect(chip).not_to_have_class(re.compile(r"\bkp-hover\b"), timeout=5_000)
        segment = chip.get_attribute("data-segment")
        turn.locator(f'.kp-bar[data-segment="{segment}"]').hover()
        expect(chip).to_have_class(re.compile(r"\bkp-hover\b"), timeout=5_000)
        page.mouse.move(5, 5)
        expect(chip).not_to_have_class(re.compile(r"\bkp-hover\b"), timeout=5_000)

        # a segment with a memo: the pencil after its text and on its chip, and on no other chip
        memo = page.evaluate(
            "() => { const r = document.querySelector('[data-testid=\"stBidiComponentIsolated\"]').shadowRoot;"
            " const ends = new Set(Array.from(r.querySelectorAll('.kp-memo-end')).flatMap((s) => s.dataset.segments.split(' ')));"
            " const chips = Array.from(r.querySelectorAll('.kp-chip-memo')).map((c) => c.dataset.segment);"
            " return { chips, all: Array.from(r.querySelectorAll('.kp-chip')).length,"
            "          ok: chips.every((g) => ends.has(g)) }; }")
        assert memo["chips"] and memo["ok"] and len(memo["chips"]) < memo["all"], memo

        # a mouse selection of the whole turn holds its text and nothing of the margin
        whole = content.text_content()
        ordinal = int(turn.get_attribute("data-ordinal"))
        start, end = phrase_box(page, whole[:12], ordinal), phrase_box(page, whole[-12:], ordinal)
        assert start and end
        drag(page, start, to=end)
        quote = page.locator('[data-testid="stMarkdown"] blockquote').filter(has_text=whole[:30])
        expect(quote).to_be_visible(timeout=30_000)
        assert quote.inner_text().strip() == whole
        assert LABEL not in quote.inner_text()

        # clicking the chip opens that segment in the editor
        settle(page)
        chip.click()
        editor = page.locator('[data-testid="stExpander"]').filter(has_text="Codings in this document")
        expect(editor.get_by_role("combobox", name="Segment")).to_have_value(
            re.compile(r" · enc\.goal · Sanne de Wit$"), timeout=30_000)
        expect(editor.locator("blockquote").filter(has_text=PHRASE)).to_be_visible()
        expect(editor.get_by_role("button", name="Remove this code")).to_be_visible()
        expect(editor.get_by_text("Memo on this segment")).to_be_visible()
        settle(page)
        page.screenshot(path=str(ARTIFACTS / "code-margin-open.png"))
        browser.close()
