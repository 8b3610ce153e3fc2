"""A long transcript on the Coding page: one continuous scroll, the browser holding a window of turns at a time."""

from __future__ import annotations

import json

import pytest

from apptest_support import make_app, shown
from cases.importer import SpeakerDecision, preview_import, store_import
from cases.projects import create_project, get_or_create_coder
from codebooks.service import adopt_codebook
from coding.codings import apply_coding
from store.db import get_engine, write_session
from ui.transcript_window import MAX_TURNS, WINDOW_CHARS, char_starts, outline, window_around

SENTENCE = "Wij leerden veel van de andere partners in het netwerk, vooral over subsidies. "
TURNS = 80
TEXT = "".join(f"I: Vraag {n}?\nR: {SENTENCE * 9}Einde {n}.\n" for n in range(TURNS // 2))


def test_a_window_holds_its_turn_and_about_its_characters() -> None:
    starts = char_starts([{"content": "x" * n} for n in (5, 5, 5, 12, 1, 30, 2)])
    assert starts == [0, 5, 10, 15, 27, 28, 58, 60]
    assert window_around(starts, 0, chars=10) == (0, 2)
    assert window_around(starts, 3, chars=20) == (1, 4)  # 10 characters before turn 3, and turn 3 whole
    assert window_around(starts, 3, chars=20, before=0.25) == (2, 5)  # 5 before it
    assert window_around(starts, 6, chars=40) == (4, 7)  # at the end, the rest is taken before
    assert window_around(starts, 5, chars=10) == (4, 6)  # a turn longer than the window: itself, and 1 before
    assert window_around(starts, 99, chars=10) == (6, 7)  # clamped to the last turn
    assert window_around(starts, 2, chars=1000) == (0, 7)
    assert window_around([0], 0) == (0, 0)


def test_a_window_never_holds_more_than_its_turn_limit() -> None:
    starts = char_starts([{"content": ""}] * 2000)
    first, end = window_around(starts, 1000)
    assert first <= 1000 < end and end - first == MAX_TURNS


def test_the_outline_gives_every_step_th_start_and_the_total() -> None:
    starts = char_starts([{"content": "x" * 3}] * 10)
    assert outline(starts, step=4) == {"count": 10, "step": 4, "chars": (0, 12, 24, 30)}
    assert outline(starts, step=5) == {"count": 10, "step": 5, "chars": (0, 15, 30)}
    assert outline([0], step=4) == {"count": 0, "step": 4, "chars": (0,)}


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
    assert len(TEXT) > 2 * WINDOW_CHARS
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


def _window(at, ids, ident: str, index: int) -> None:  # type: ignore[no-untyped-def]
    """What the component asks for when its view comes near the end of the turns it holds."""
    at.session_state[f"transcript_{ids[1]}"] = {"selection": {"id": ident, "action": "window", "index": index}}
    at.run()
    assert not at.exception


def test_a_long_transcript_goes_to_the_browser_a_window_at_a_time(long_document) -> None:  # type: ignore[no-untyped-def]
    at, ids = long_document
    first = _sent(at)
    ordinals = [t["ordinal"] for t in first]
    assert ordinals[0] == 0 and len(ordinals) < TURNS
    assert sum(len(t["content"]) for t in first) <= WINDOW_CHARS
    # every coding inside the sent turns is highlighted there
    answers = [t for t in first if t["content"].startswith("Wij")]
    assert answers and all(len(t["highlights"]) == 1 for t in answers)
    window = _data(at)["window"]
    assert window["first"] == 0 and window["count"] == TURNS and window["step"] == 64
    assert window["chars"] == [0, _chars_before(64), _chars_before(TURNS)]
    assert _data(at)["anchor"] == {"ordinal": 0, "jump": 0}
    # the view came near the end of the window: the window around turn 60, drawn in the same run
    _window(at, ids, "w-1", 60)
    moved = [t["ordinal"] for t in _sent(at)]
    assert moved[0] > 0 and 60 in moved and moved.index(60) in range(len(moved) // 3, 2 * len(moved) // 3 + 1)
    assert _data(at)["window"]["first"] == moved[0] and _data(at)["anchor"]["jump"] == 0  # no jump: the view stays
    _window(at, ids, "w-1", 0)  # the same request again (a rerun) moves nothing
    assert [t["ordinal"] for t in _sent(at)] == moved
    _window(at, ids, "w-2", TURNS)  # beyond the last turn: ignored
    assert [t["ordinal"] for t in _sent(at)] == moved
    at.run()  # any other rerun keeps the window where it is
    assert [t["ordinal"] for t in _sent(at)] == moved
    _window(at, ids, "w-3", TURNS - 2)  # near the end: the last window, full
    last = [t["ordinal"] for t in _sent(at)]
    assert last[-1] == TURNS - 1 and sum(len(t["content"]) for t in _sent(at)) > WINDOW_CHARS * 0.9
    _window(at, ids, "w-4", 2)
    assert [t["ordinal"] for t in _sent(at)] == ordinals
    assert not any(m.value.startswith("**Selected**") for m in at.markdown)  # scrolling selects nothing


def test_a_jump_wins_over_a_scroll_in_the_same_run_and_a_jump_nowhere_moves_nothing(long_document) -> None:  # type: ignore[no-untyped-def]
    at, ids = long_document
    _window(at, ids, "w-1", 60)
    moved = [t["ordinal"] for t in _sent(at)]
    # "Go to ¶5" submitted while the component asks for another window: the jump is drawn, the request dropped
    at.session_state[f"transcript_{ids[1]}"] = {"selection": {"id": "w-2", "action": "window", "index": 40}}
    at.text_input(key="goto_turn").input("¶5")
    at.button(key="goto_go").click()
    at.run()
    jumped = [t["ordinal"] for t in _sent(at)]
    assert 4 in jumped and _data(at)["anchor"] == {"ordinal": 4, "jump": 1}
    at.run()  # a rerun draws the same window (not one re-centred on the turn)
    assert [t["ordinal"] for t in _sent(at)] == jumped
    # a jump to a turn the document does not have (a find hit outside every turn) leaves the window where it is
    _window(at, ids, "w-3", 60)
    at.session_state[f"_kp_transcript_jump::transcript_{ids[1]}"] = {"ordinal": 10_000, "seq": 2}
    at.run()
    assert not at.exception and [t["ordinal"] for t in _sent(at)] == moved


def _chars_before(index: int) -> int:
    return sum(len(line[3:]) for line in TEXT.splitlines()[:index])


def _opened(monkeypatch, sqlite_url, ids, **params: str):  # type: ignore[no-untyped-def]
    """A new session (a link followed, a reload) on the long document, with these URL parameters."""
    at = make_app(monkeypatch, sqlite_url, project_guid=ids[0], coder="Sanne")
    at.query_params["document"] = ids[1]
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    at.switch_page("pages/coding.py").run()
    assert not at.exception
    return at


def test_a_link_to_a_turn_opens_the_window_that_holds_it(long_document, monkeypatch, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    _, ids = long_document
    last = TURNS - 1
    at = _opened(monkeypatch, sqlite_url, ids, turn=str(last))
    data = _data(at)
    assert data["turns"][-1]["ordinal"] == last
    assert data["focus_turn"] == last and data["anchor"] == {"ordinal": last, "jump": 0}  # put at the top of the view
    # coding a turn in that window works as anywhere else
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

    # `at` (the turn the reader had at the top of the view, written by the browser) wins over the focused turn
    at = _opened(monkeypatch, sqlite_url, ids, turn=str(last), at="41")
    assert 41 in [t["ordinal"] for t in _sent(at)] and _data(at)["anchor"]["ordinal"] == 41
    at = _opened(monkeypatch, sqlite_url, ids, at="9999")  # a position the document does not have: the beginning
    assert _sent(at)[0]["ordinal"] == 0

def test_a_short_transcript_is_one_window(monkeypatch, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    with write_session(get_engine(sqlite_url)) as s:
        project = create_project(s, "Kort")
        document = store_import(s, project, preview_import("kort.txt", b"I: Vraag?\nR: Antwoord.\n"),
                                cases=[])
        ids = str(project.guid), str(document.guid)
    at = make_app(monkeypatch, sqlite_url, project_guid=ids[0], coder="Sanne")
    at.query_params["document"] = ids[1]
    at.run()
    at.switch_page("pages/coding.py").run()
    assert not at.exception
    assert len(_sent(at)) == 2 and _data(at)["window"] == {"first": 0, "count": 2, "step": 64, "chars": [0, 15]}


TOP_TURN = """() => { const h = document.querySelector('[data-testid="stBidiComponentIsolated"]');
    const root = h && h.shadowRoot, sc = root && root.querySelector('.kp-scroll');
    if (!sc) { return null; }
    const frame = sc.getBoundingClientRect();
    const turns = Array.from(root.querySelectorAll('.kp-turn'));
    const seen = turns.filter((t) => { const b = t.getBoundingClientRect(); return b.bottom > frame.top + 16 && b.top < frame.bottom - 2; });
    return { first: turns.length ? Number(turns[0].dataset.ordinal) : -1,
             last: turns.length ? Number(turns[turns.length - 1].dataset.ordinal) : -1,
             top: seen.length ? Number(seen[0].dataset.ordinal) : -1,
             bottom: seen.length ? Number(seen[seen.length - 1].dataset.ordinal) : -1,
             offset: seen.length ? seen[0].getBoundingClientRect().top - frame.top : null,
             scrollTop: sc.scrollTop, scrollHeight: sc.scrollHeight, clientHeight: sc.clientHeight }; }"""
SCROLL_TO = """(y) => { const h = document.querySelector('[data-testid="stBidiComponentIsolated"]');
    const sc = h.shadowRoot.querySelector('.kp-scroll'); sc.scrollTop = y < 0 ? sc.scrollHeight : y; }"""


@pytest.mark.browser
def test_the_browser_scrolls_through_a_long_transcript(sqlite_url) -> None:  # type: ignore[no-untyped-def]
    """One scroll from the first turn to the last and back, the window following; the position kept in the URL."""
    from playwright.sync_api import expect, sync_playwright

    from browser_support import ARTIFACTS, launch, streamlit_server

    engine = get_engine(sqlite_url)
    with write_session(engine) as s:
        project = create_project(s, "Lang")
        document = store_import(s, project, preview_import("lang.txt", (TEXT * 3).encode()), cases=[], speakers={
            "I": SpeakerDecision("interviewer"), "R": SpeakerDecision("respondent")})
        ids = str(project.guid), str(document.guid)
    engine.dispose()
    last = 3 * TURNS - 1
    errors: list[str] = []
    with streamlit_server(db_url=sqlite_url) as base, sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(f"{base}/coding?project={ids[0]}&document={ids[1]}&coder=Sanne")
        page.wait_for_function(f"() => {{ const v = ({TOP_TURN})(); return v && v.top === 0; }}", timeout=30_000)
        view = page.evaluate(TOP_TURN)
        assert view["last"] < last and view["scrollHeight"] > 5 * view["clientHeight"]  # the whole length, estimated
        at_is_top = ("() => { const v = (" + TOP_TURN + ")(); "
                     "return v && v.top >= 0 && new URLSearchParams(location.search).get('at') === String(v.top); }")
        # to the middle in one move (a drag of the scrollbar): the window there is drawn, its top turn in the URL
        page.evaluate(SCROLL_TO, view["scrollHeight"] // 2)
        page.wait_for_function(at_is_top, timeout=30_000)
        middle = page.evaluate(TOP_TURN)
        assert 0 < middle["first"] <= middle["top"] < middle["last"] < last and TURNS < middle["top"] < 2 * TURNS
        # a reload opens where the reader was: that turn at the top of the view
        page.goto(page.url)
        page.wait_for_function(f"() => {{ const v = ({TOP_TURN})(); return v && v.top === {middle['top']}; }}",
                               timeout=30_000)
        assert abs(page.evaluate(TOP_TURN)["offset"]) < 20
        # to the very end: the last window, the last turn at the bottom of the view
        page.evaluate(SCROLL_TO, -1)
        page.wait_for_function(f"() => {{ const v = ({TOP_TURN})(); return v && v.last === {last}; }}", timeout=30_000)
        page.evaluate(SCROLL_TO, -1)
        page.wait_for_function(f"() => {{ const v = ({TOP_TURN})(); return v && v.bottom === {last}; }}",
                               timeout=30_000)
        page.wait_for_function(at_is_top, timeout=30_000)
        loading = page.locator(".kp-loading")
        expect(loading).to_be_hidden()  # at the very end no spacer is in view: nothing is said to be loading
        page.screenshot(path=str(ARTIFACTS / "coding-long-transcript-end.png"))
        # and back to the beginning, step by step as a wheel does: every turn on the way is drawn in its turn
        seen_tops = set()
        for _ in range(400):
            view = page.evaluate(TOP_TURN)
            seen_tops.add(view["top"])
            if view["scrollTop"] == 0 and view["top"] == 0:
                break
            page.evaluate(SCROLL_TO, max(view["scrollTop"] - 0.8 * view["clientHeight"], 0))
            page.wait_for_function(f"() => {{ const v = ({TOP_TURN})(); return v && v.top >= 0; }}", timeout=30_000)
        view = page.evaluate(TOP_TURN)
        assert view["top"] == 0 and view["first"] == 0
        assert -1 not in seen_tops or len(seen_tops) > 20
        browser.close()
    assert errors == []
