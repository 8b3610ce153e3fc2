"""A long transcript on the Coding page: sent to the browser one part at a time, the part with the turn in the URL."""

from __future__ import annotations

import json

import pytest

from apptest_support import make_app, shown
from cases.importer import SpeakerDecision, preview_import, store_import
from cases.projects import create_project, get_or_create_coder
from codebooks.service import adopt_codebook
from coding.codings import apply_coding
from store.db import get_engine, write_session
from ui.coding_view import TRANSCRIPT_PAGE_CHARS, transcript_pages

SENTENCE = "Wij leerden veel van de andere partners in het netwerk, vooral over subsidies. "
TURNS = 80
TEXT = "".join(f"I: Vraag {n}?\nR: {SENTENCE * 9}Einde {n}.\n" for n in range(TURNS // 2))


def test_transcript_pages_split_on_turns_within_the_budget() -> None:
    rows = [{"content": "x" * n} for n in (5, 5, 5, 12, 1, 30, 2)]
    assert transcript_pages(rows, budget=10) == [(0, 2), (2, 3), (3, 4), (4, 5), (5, 6), (6, 7)]
    assert transcript_pages(rows, budget=100) == [(0, 7)]
    assert transcript_pages([], budget=10) == []


@pytest.fixture
def long_document(monkeypatch, sqlite_url):  # type: ignore[no-untyped-def]
    with write_session(get_engine(sqlite_url)) as s:
        project = create_project(s, "Lang")
        adopt_codebook(s, project, "value-creation")
        document = store_import(s, project, preview_import("lang.txt", TEXT.encode()), cases=[], speakers={
            "I": SpeakerDecision("interviewer"), "R": SpeakerDecision("respondent")})
        coder, _ = get_or_create_coder(s, project, "Sanne")
        for n in range(TURNS // 2):  # one coding on every answer: "Einde n"
            at = TEXT.index(f"Einde {n}.")
            apply_coding(s, project, document, coder, at, at + len(f"Einde {n}"), ["vc.immediate"])
        ids = str(project.guid), str(document.guid)
    assert len(TEXT) > 2 * TRANSCRIPT_PAGE_CHARS
    at = make_app(monkeypatch, sqlite_url, project_guid=ids[0], coder="Sanne")
    at.query_params["document"] = ids[1]
    at.run()
    at.switch_page("pages/coding.py").run()
    assert not at.exception
    return at, ids


def _data(at) -> dict:  # type: ignore[no-untyped-def]
    (component,) = at.get("bidi_component")
    return json.loads(component.proto.json)


def _sent(at) -> list[dict]:  # type: ignore[no-untyped-def]
    return _data(at)["turns"]


def _page(at, ids, ident: str, turn: int) -> None:  # type: ignore[no-untyped-def]
    """What the component's "Earlier turns" / "Later turns" buttons report."""
    at.session_state[f"transcript_{ids[1]}"] = {"selection": {"id": ident, "action": "page", "turn": turn}}
    at.run()
    assert not at.exception


def test_a_long_transcript_goes_to_the_browser_one_part_at_a_time(long_document) -> None:  # type: ignore[no-untyped-def]
    at, ids = long_document
    first = _sent(at)
    ordinals = [t["ordinal"] for t in first]
    assert ordinals[0] == 0 and len(ordinals) < TURNS
    assert sum(len(t["content"]) for t in first) <= TRANSCRIPT_PAGE_CHARS
    # every coding inside the sent turns is highlighted there
    answers = [t for t in first if t["content"].startswith("Wij")]
    assert answers and all(len(t["highlights"]) == 1 for t in answers)
    part = _data(at)["part"]
    assert part["label"].startswith(f"Turns ¶1–¶{ordinals[-1] + 1} of {TURNS} (part 1 of ")
    assert part["before"] is None and part["after"] == ordinals[-1] + 1
    # the next part: its first turn becomes the position in the URL (a reload or link keeps the part)
    _page(at, ids, "page-1", part["after"])
    second = [t["ordinal"] for t in _sent(at)]
    assert second[0] == ordinals[-1] + 1 and at.query_params["turn"] == str(second[0])
    assert _data(at)["part"]["before"] == 0
    _page(at, ids, "page-1", 0)  # the same click again (a rerun) moves nothing
    assert [t["ordinal"] for t in _sent(at)] == second
    _page(at, ids, "page-2", TURNS - 1)  # a turn the component did not offer is ignored
    assert [t["ordinal"] for t in _sent(at)] == second
    _page(at, ids, "page-3", 0)
    assert [t["ordinal"] for t in _sent(at)] == ordinals
    assert not any(m.value.startswith("**Selected**") for m in at.markdown)  # paging selects nothing


def test_a_link_to_a_turn_opens_the_part_that_holds_it(long_document) -> None:  # type: ignore[no-untyped-def]
    at, ids = long_document
    last = TURNS - 1
    at.query_params["turn"] = str(last)
    at.run()
    data = _data(at)
    assert data["turns"][-1]["ordinal"] == last and data["part"]["after"] is None
    assert data["focus_turn"] == last
    # coding a turn in that part works as anywhere else
    at.session_state[f"transcript_{ids[1]}"] = {"selection": {"id": "far-1", "turn": last, "action": "turn"}}
    at.run()
    at.multiselect(key="codes_to_apply").select("vc.applied")
    at.run()
    at.button(key="apply_codes").click()
    at.run()
    assert not at.exception
    assert any("Coded with vc.applied" in s for s in shown(at.success))
    highlights = next(t for t in _sent(at) if t["ordinal"] == last)["highlights"]
    assert sorted(h["codes"][0] for h in highlights) == ["vc.applied", "vc.immediate"]


def test_a_short_transcript_has_no_parts(monkeypatch, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    with write_session(get_engine(sqlite_url)) as s:
        project = create_project(s, "Kort")
        document = store_import(s, project, preview_import("kort.txt", "I: Vraag?\nR: Antwoord.\n".encode()),
                                cases=[])
        ids = str(project.guid), str(document.guid)
    at = make_app(monkeypatch, sqlite_url, project_guid=ids[0], coder="Sanne")
    at.query_params["document"] = ids[1]
    at.run()
    at.switch_page("pages/coding.py").run()
    assert not at.exception
    assert len(_sent(at)) == 2 and "part" not in _data(at)


@pytest.mark.browser
def test_the_browser_pages_through_a_long_transcript(sqlite_url) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    from browser_support import ARTIFACTS, launch, streamlit_server

    engine = get_engine(sqlite_url)
    with write_session(engine) as s:
        project = create_project(s, "Lang")
        document = store_import(s, project, preview_import("lang.txt", TEXT.encode()), cases=[], speakers={
            "I": SpeakerDecision("interviewer"), "R": SpeakerDecision("respondent")})
        ids = str(project.guid), str(document.guid)
    engine.dispose()
    first_turn = """() => { const h = document.querySelector('[data-testid="stBidiComponentIsolated"]');
        const t = h && h.shadowRoot && h.shadowRoot.querySelector('.kp-turn');
        return t ? Number(t.dataset.ordinal) : -1; }"""
    with streamlit_server(db_url=sqlite_url) as base, sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{base}/coding?project={ids[0]}&document={ids[1]}&coder=Sanne")
        page.wait_for_function(f"() => ({first_turn})() === 0", timeout=30_000)
        host = page.locator('[data-testid="stBidiComponentIsolated"]')
        label = host.locator(".kp-part-label")
        assert label.inner_text().startswith(f"Turns ¶1–¶")
        host.get_by_role("button", name="Later turns ▶").click()
        page.wait_for_function(f"() => ({first_turn})() > 0", timeout=30_000)
        moved = page.evaluate(first_turn)
        assert f"turn={moved}" in page.url
        page.screenshot(path=str(ARTIFACTS / "coding-long-transcript-part-2.png"))
        host.get_by_role("button", name="◀ Earlier turns").click()
        page.wait_for_function(f"() => ({first_turn})() === 0", timeout=30_000)
        browser.close()
