"""End to end in a real browser: a facilitator presents the demo's value-cycle matrix to a focus group.

Create a session, start presentation mode (the page list is hidden), step through the three cases to all
cases side by side, click a matrix cell with the mouse, see its quotes anonymised (Respondent N, no person
names), record a participant's remark in the feedback drawer, and find it in the database. Runs
`python -m ui.serve` (as `make run` does) and Debian's Chromium through Playwright.
"""

from __future__ import annotations

import pytest

from apptest_support import remember_name
from browser_support import ARTIFACTS, launch, streamlit_server
from cases.projects import get_project, list_persons
from demo.load import DEMO_PROJECT, load_demo
from focusgroups.feedback import list_feedback
from focusgroups.presentation import build_presentation, cell_quotes
from focusgroups.sessions import get_session
from store.db import get_engine, read_session

FACILITATOR = "Browser Facilitator"
SESSION = "Focus group 2 (browser)"
CASES = ["Grenzeloos", "Stedenband Zuidoost", "Vitaal Verder"]
NOTE = "Participants say the fair mattered more than the dinners."

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_server(sqlite_url: str):  # type: ignore[no-untyped-def]
    engine = get_engine(sqlite_url)
    load_demo(engine)
    with read_session(engine) as s:
        project = get_project(s, DEMO_PROJECT)
        view = build_presentation(s, project, mode="k_of_n")
        names = [p.name for p in list_persons(s, project)]
        target = None
        # The first cell (row by row) whose quotes, as written, name a registered person: a speaker label or a
        # name in the text. Anonymisation must hide it, or the test proves nothing.
        for i, case in enumerate(view.cases):
            for j, cell in enumerate(case.cells):
                named = cell_quotes(s, project, view, case.name, cell.code, show_names=True)
                if any(n in q.speaker or n in q.text for q in named for n in names):
                    target = (i, j, case.name, cell.code_label, cell.text,
                              cell_quotes(s, project, view, case.name, cell.code))
                    break
            if target:
                break
        guid = str(project.guid)
    engine.dispose()
    assert target is not None, "no demo cell quotes a named person: the test would prove nothing"
    with streamlit_server(db_url=sqlite_url) as base:
        yield base, guid, sqlite_url, target, names


def main_text(page) -> str:  # type: ignore[no-untyped-def]
    return page.locator('[data-testid="stMain"]').inner_text()


def test_present_click_a_cell_see_anonymised_quotes_and_feedback(demo_server) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    base, guid, url, (i, j, case_name, code_label, k_of_n, anonymised), names = demo_server
    with sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1600, "height": 1000})
        remember_name(url, FACILITATOR)  # local mode: the name given once
        page.goto(f"{base}/presentation?project={guid}")
        expect(page.get_by_role("heading", name="Presentation")).to_be_visible(timeout=30_000)
        expect(page.get_by_role("button", name="Start presentation")).to_be_visible(timeout=30_000)
        name_field = page.get_by_label("Session name")
        expect(name_field).to_be_editable(timeout=15_000)  # the form opens by itself while there is no session
        name_field.fill(SESSION)
        page.get_by_label("Attendees by role").fill("6 network representative, 4 researcher")
        page.get_by_role("button", name="Create session").click()
        expect(page.get_by_text(f"Focus-group session '{SESSION}' created.")).to_be_visible(timeout=15_000)
        page.get_by_role("button", name="Start presentation").click()

        expect(page.get_by_role("button", name="Exit presentation")).to_be_visible(timeout=15_000)
        assert page.locator('[data-testid="stSidebarNav"]').count() == 0  # no page list in front of the group
        expect(page.locator('[data-testid="stSidebar"]')).to_be_hidden()
        for case in CASES:
            expect(page.get_by_role("heading", name=case)).to_be_visible(timeout=15_000)
            page.get_by_role("button", name="Next ▶").click()
        expect(page.get_by_role("heading", name="All cases side by side")).to_be_visible(timeout=15_000)
        page.get_by_text("k of n", exact=True).click()
        cell = page.locator(f".st-key-pres_cell_{i}_{j} button")
        expect(cell).to_have_text(k_of_n, timeout=15_000)

        box = cell.bounding_box()
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        expect(page.get_by_role("heading", name=f"Quotes · {case_name} × {code_label}")).to_be_visible(
            timeout=15_000)
        first = anonymised[0]
        expect(page.get_by_text(first.text, exact=True).first).to_be_visible()
        caption = first.speaker + (" · pinned" if first.pinned else "")
        expect(page.get_by_text(caption, exact=True).first).to_be_visible()
        assert first.speaker.startswith("Respondent")
        shown = main_text(page)
        assert "Respondent" in shown
        assert not [n for n in names if n in shown], "a person's name is visible in presentation mode"
        page.screenshot(path=str(ARTIFACTS / "presentation-quotes.png"), full_page=True)

        drawer = page.locator('[data-testid="stExpander"]').filter(has_text="Feedback drawer")
        if not drawer.get_by_label("What was said").is_visible():
            drawer.get_by_text("Feedback drawer").click()
        drawer.get_by_text("amend", exact=True).click()
        drawer.get_by_label("What was said").fill(NOTE)
        drawer.get_by_role("button", name="Record feedback").click()
        expect(page.get_by_text(f"Feedback recorded on {case_name} × {code_label}.")).to_be_visible(
            timeout=15_000)
        expect(page.get_by_text(f"amend · unspecified · {NOTE}")).to_be_visible(timeout=15_000)
        page.screenshot(path=str(ARTIFACTS / "presentation-feedback.png"), full_page=True)
        browser.close()

    engine = get_engine(url)
    with read_session(engine) as s:
        project = get_project(s, guid)
        stored = list_feedback(s, project, fg=get_session(s, project, SESSION))
    assert [(r.case, r.code, r.stance, r.note, r.recorded_by) for r in stored] == [
        (case_name, stored[0].code, "amend", NOTE, FACILITATOR)]
    assert stored[0].code is not None and stored[0].code.startswith("vc.")
