"""In a real browser: the learned model trains in the background while the Coding page stays usable, its progress
redraws by itself until the model is ready, and a suggestion is rejected for good."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from apptest_support import remember_name
from browser_support import ARTIFACTS, launch
from store.db import get_engine, read_session
from store.models import SuggestionRejection

CODER = "Browser Coder"

pytestmark = pytest.mark.browser


def test_learned_suggestions_train_in_the_background_and_a_rejection_is_kept(demo_server) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    base, (project_guid, document_guid), url = demo_server
    with sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1400, "height": 1400})
        remember_name(url, CODER)
        page.goto(f"{base}/coding?project={project_guid}&document={document_guid}")
        expect(page.get_by_role("heading", name="Coding")).to_be_visible(timeout=30_000)
        page.get_by_text("Suggestions", exact=True).first.click()
        expect(page.get_by_text("learned from the codings")).to_be_visible(timeout=30_000)
        # nobody clicks: the progress fragment redraws itself until the background training is done
        expect(page.get_by_text("Model: ", exact=False)).to_be_visible(timeout=180_000)
        expect(page.get_by_text("codes learned from", exact=False)).to_be_visible()
        page.get_by_role("button", name="Suggest codes for this document").click()
        boxes = page.locator('[data-testid="stCheckbox"]').filter(has_text="%")
        expect(boxes.first).to_be_visible(timeout=60_000)
        first = boxes.first
        label = first.inner_text()
        assert " · words: " in label and "%" in label
        for k in range(page.locator('[data-testid="stCheckbox"] input:checked').count()):  # only one stays ticked
            page.locator('[data-testid="stCheckbox"] input:checked').first.uncheck(force=True)
        first.locator("input").check(force=True)
        reject = page.get_by_role("button", name="Reject 1 ticked")
        expect(reject).to_be_enabled(timeout=30_000)
        reject.click()
        expect(page.get_by_text("Rejected 1 suggestion(s)", exact=False)).to_be_visible(timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "coding-learned-suggestions.png"))
        browser.close()
    with read_session(get_engine(url)) as s:
        (row,) = s.scalars(select(SuggestionRejection)).all()
        assert row.rejected_by == CODER and row.method == "learned"
