"""In a real browser: the learned model trains in the background while the Coding page stays usable, its progress
redraws by itself until the model is ready, and a suggestion is rejected for good."""

from __future__ import annotations

import re

import pytest
from browser_support import ARTIFACTS, open_coding_page, settle
from sqlalchemy import select

from store.db import get_engine, read_session
from store.models import SuggestionRejection

CODER = "Browser Coder"

pytestmark = pytest.mark.browser


def test_learned_suggestions_train_in_the_background_and_a_rejection_is_kept(demo_server) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    url = demo_server[2]  # (base URL, (project, document) guids, database URL)
    with sync_playwright() as pw:
        browser, page = open_coding_page(pw, demo_server, CODER, height=1400)
        page.get_by_text("Suggestions", exact=True).first.click()
        expect(page.get_by_text("learned from the codings")).to_be_visible(timeout=30_000)
        # nobody clicks: the progress fragment redraws itself until the background training is done
        expect(page.get_by_text("Model: ", exact=False)).to_be_visible(timeout=180_000)
        expect(page.get_by_text("codes learned from", exact=False)).to_be_visible()
        page.get_by_role("button", name="Suggest codes for this document").click()
        accept = page.get_by_role("button", name=re.compile(r"^Accept \d+ ticked$"))
        expect(accept).to_be_visible(timeout=60_000)  # drawn after every suggestion's tick box
        ticked = int(re.search(r"\d+", accept.inner_text()).group())
        guesses = page.locator('[data-testid="stCheckbox"]').filter(has_text="%")
        unsure = guesses.filter(has=page.locator("input:not(:checked)"))
        assert unsure.count() >= 1, "a guess under 50% starts unticked"
        label = unsure.first.inner_text()
        assert " · words: " in label and "%" in label and int(label.split(" · ")[1].rstrip("%")) < 50
        unsure.first.locator("input").check(force=True)  # one change, and its effect waited for
        reject = page.get_by_role("button", name=f"Reject {ticked + 1} ticked")
        expect(reject).to_be_enabled(timeout=30_000)
        settle(page)  # clicked on a finished run (see test_bin_browser)
        reject.click()
        expect(page.get_by_text(f"Rejected {ticked + 1} suggestion(s)", exact=False)).to_be_visible(timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "coding-learned-suggestions.png"))
        browser.close()
    with read_session(get_engine(url)) as s:
        rows = s.scalars(select(SuggestionRejection)).all()
        assert len(rows) == ticked + 1 and {(r.rejected_by, r.method) for r in rows} <= {
            (CODER, "learned"), (CODER, "terms")}
