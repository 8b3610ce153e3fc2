"""The transcript component (ui/transcript_component.py): pure conversions, AppTest, and a real browser.

What AppTest (Streamlit 1.67) can do with a v2 component: it runs no JavaScript, so it
cannot render the transcript, select text or fire a trigger. It shows the mounted
component as an `UnknownElement` of type "bidi_component" (`at.get("bidi_component")`)
whose `.proto` holds the component name, the inline JS/CSS and the `data` sent to the
browser. `at.session_state[key] = {"selection": payload}` sets the component's
*persistent state*, which `result.selection` then returns on every later run (state
wins over triggers in ComponentResult); the wrapper's client-id check is what makes it
count once. A real, one-run trigger can only be injected through AppTest's private
`_tree.get_widget_states()` / `_run()` with the internal aggregator widget id
(`$$STREAMLIT_INTERNAL_KEY_<element id>__events`); that test pins the 1.67 behaviour.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import component_harness as harness
from browser_support import ARTIFACTS, drag, launch, phrase_box, settle, streamlit_server
from coding.offsets import Utf16Index, codepoint_to_utf16
from ui.transcript_component import COMPONENT_NAME, highlights_for_turns, selection_from_payload

ROOT = Path(__file__).resolve().parent.parent
HARNESS = str(Path(__file__).resolve().parent / "component_harness.py")
GRIN = "\U0001F600"
FAMILY = "\U0001F469\u200d\U0001F469\u200d\U0001F467"


def turn(ordinal: int, start: int, content: str) -> dict:
    return {"ordinal": ordinal, "label": "R", "role": "respondent", "who": "R · respondent", "content": content,
            "start": start}


# --- pure conversions ----------------------------------------------------------------------------

ASTRAL_TURNS = [
    turn(1, 3, f"Ik {GRIN} lach om de Straße."),                  # document: "I: " + content + "\n"
    turn(2, 3 + 25 + 4, f"{FAMILY} en cafe\u0301 en ĳs {GRIN}{GRIN}!"),
]


def test_selection_after_astral_characters_maps_to_code_points() -> None:
    content = ASTRAL_TURNS[0]["content"]
    phrase = "lach om de Straße"
    cp = content.index(phrase)
    s16, e16 = codepoint_to_utf16(content, cp), codepoint_to_utf16(content, cp + len(phrase))
    assert (s16, e16) == (cp + 1, cp + 1 + len(phrase))  # the emoji before it counts twice in UTF-16
    result = selection_from_payload({"id": "a", "turn": 1, "start16": s16, "end16": e16, "text": "ignored"},
                                    ASTRAL_TURNS)
    assert result == {"id": "a", "action": "select", "turn": 1, "start": 3 + cp, "end": 3 + cp + len(phrase),
                      "text": phrase}


def test_selection_over_zwj_family_and_combining_accent() -> None:
    t = ASTRAL_TURNS[1]
    content = t["content"]
    # JavaScript: the family is 8 units, so "en cafe\u0301" starts at unit 9
    s16 = 9
    e16 = s16 + len("en cafe\u0301")
    result = selection_from_payload({"id": "b", "turn": 2, "start16": s16, "end16": e16}, ASTRAL_TURNS)
    assert result is not None
    assert result["text"] == "en cafe\u0301" == content[result["start"] - t["start"]:result["end"] - t["start"]]
    whole = selection_from_payload({"id": "c", "turn": 2, "start16": 0, "end16": 8}, ASTRAL_TURNS)
    assert whole is not None and whole["text"] == FAMILY and whole["end"] - whole["start"] == 5


def test_offsets_inside_a_surrogate_pair_widen_outwards_and_are_clamped() -> None:
    t = ASTRAL_TURNS[1]
    index = Utf16Index(t["content"])
    last = index.length16
    # start16 inside the first 😀 of the pair at the end, end16 beyond the content
    first_grin16 = index.to_utf16(t["content"].index(GRIN))
    result = selection_from_payload({"id": "d", "turn": 2, "start16": first_grin16 + 1, "end16": last + 7},
                                    ASTRAL_TURNS)
    assert result is not None and result["text"] == f"{GRIN}{GRIN}!"
    reversed_ = selection_from_payload({"id": "e", "turn": 2, "start16": 8, "end16": 0}, ASTRAL_TURNS)
    assert reversed_ is not None and reversed_["text"] == FAMILY


def test_turn_and_sentence_actions() -> None:
    t = ASTRAL_TURNS[0]
    assert selection_from_payload({"id": "f", "turn": 1, "action": "turn"}, ASTRAL_TURNS) == {
        "id": "f", "action": "turn", "turn": 1, "start": t["start"], "end": t["start"] + len(t["content"]),
        "text": t["content"]}
    click16 = codepoint_to_utf16(t["content"], t["content"].index("Straße") + 2)
    result = selection_from_payload({"id": "g", "turn": 1, "action": "sentence", "start16": click16,
                                     "end16": click16}, ASTRAL_TURNS)
    assert result == {"id": "g", "action": "sentence", "turn": 1, "start": t["start"] + t["content"].index("Straße") + 2,
                      "end": t["start"] + t["content"].index("Straße") + 2, "text": ""}


@pytest.mark.parametrize("payload", [
    None, "x", {}, {"id": "", "turn": 1, "start16": 0, "end16": 2},
    {"id": "h", "turn": 99, "start16": 0, "end16": 2},          # unknown turn
    {"id": "h", "turn": True, "start16": 0, "end16": 2},         # bool is no ordinal
    {"id": "h", "turn": 1, "start16": 3, "end16": 3},            # empty selection
    {"id": "h", "turn": 1, "start16": "0", "end16": 2},          # offsets must be numbers
    {"id": "h", "turn": 1, "action": "delete", "start16": 0, "end16": 2},
    {"id": 5, "turn": 1, "start16": 0, "end16": 2},
])
def test_unusable_payloads_give_none(payload: object) -> None:
    assert selection_from_payload(payload, ASTRAL_TURNS) is None


def test_highlights_are_cut_per_turn_in_utf16() -> None:
    t1, t2 = ASTRAL_TURNS
    h_start = t1["start"] + t1["content"].index("de Straße")
    h_end = t2["start"] + len(FAMILY) + len(" en")  # from turn 1 across the label into turn 2
    inner = t1["start"] + t1["content"].index("Straße")
    per_turn = highlights_for_turns([
        {"segment": "s1", "start": h_start, "end": h_end, "colour": "#112233", "codes": ["a", "b"], "title": "A"},
        {"segment": "s2", "start": inner, "end": inner + 6, "colour": "red; background: url(x)", "codes": ["c"]},
        {"segment": "s3", "start": 0, "end": 3, "colour": "#445566", "codes": ["label only"]},  # only "I: "
        {"segment": "s4", "start": 10, "end": 10, "colour": "#445566", "codes": ["empty"]},
    ], ASTRAL_TURNS)
    assert set(per_turn) == {1, 2}
    c1, c2 = t1["content"], t2["content"]
    first = [h for h in per_turn[1] if h["segment"] == "s1"][0]
    assert c1.encode("utf-16-le")[2 * first["start16"]:2 * first["end16"]].decode("utf-16-le") == "de Straße."
    assert first["start16"] == c1.index("de Straße") + 1 and first["codes"] == ["a", "b"] and first["title"] == "A"
    second = per_turn[2][0]
    assert (second["segment"], second["start16"], second["end16"]) == ("s1", 0, 8 + 3)
    assert c2.encode("utf-16-le")[0:2 * second["end16"]].decode("utf-16-le") == FAMILY + " en"
    s2 = [h for h in per_turn[1] if h["segment"] == "s2"][0]
    assert s2["colour"] == "#8A8F98" and s2["title"] == "c"
    assert all(h["segment"] not in {"s3", "s4"} for hs in per_turn.values() for h in hs)


@given(st.lists(st.sampled_from(["a", "ß", "ü", "\u0301", " ", GRIN, FAMILY, "ĳ", "\n"]), min_size=1,
                max_size=20).map("".join), st.data())
def test_highlight_then_selection_round_trip(content: str, data: st.DataObject) -> None:
    """A highlight sent to the browser and selected back exactly returns the same code points and text."""
    turns = [turn(1, 10, content)]
    start = data.draw(st.integers(0, len(content) - 1))
    end = data.draw(st.integers(start + 1, len(content)))
    (h,) = highlights_for_turns([{"segment": "x", "start": 10 + start, "end": 10 + end, "colour": "#000000",
                                  "codes": []}], turns)[1]
    back = selection_from_payload({"id": "i", "turn": 1, "start16": h["start16"], "end16": h["end16"]}, turns)
    assert back == {"id": "i", "action": "select", "turn": 1, "start": 10 + start, "end": 10 + end,
                    "text": content[start:end]}


def test_component_javascript_never_builds_html() -> None:
    from ui import transcript_component as tc

    assert "createTextNode" in tc.JS and "textContent" in tc.JS
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "createContextualFragment",
                 "DOMParser", "eval(", "new Function"):
        assert sink not in tc.JS, sink


def test_component_javascript_and_css_are_the_files_beside_the_module() -> None:
    """The browser side lives in real files a reviewer and an editor see as code; the module sends them as is."""
    from ui import transcript_component as tc

    folder = Path(tc.__file__).resolve().parent
    assert tc.JS == "\n".join((folder / name).read_text(encoding="utf-8") for name in tc.JS_FILES)
    assert tc.JS_FILES[0] == "transcript_component.js" and len(set(tc.JS_FILES)) == 4
    for name in tc.JS_FILES[1:]:  # each adds its methods to the class the first file defines
        assert (folder / name).read_text(encoding="utf-8").count("Object.assign(TranscriptView.prototype") == 1
    assert tc.CSS == (folder / "transcript_component.css").read_text(encoding="utf-8")
    assert "export default function" in tc.JS and ".kp-hl" in tc.CSS
    assert '"""' not in tc.JS and "CSS = " not in tc.CSS


def test_component_javascript_parses_as_an_es_module(tmp_path: Path) -> None:
    """A syntax error in the component would only show in a browser; Node's parser catches it here."""
    import shutil
    import subprocess

    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: the browser tests still load the component")
    from ui import transcript_component as tc

    module = tmp_path / "transcript_component.mjs"
    module.write_text(tc.JS, encoding="utf-8")
    checked = subprocess.run([node, "--check", str(module)], capture_output=True, text=True, timeout=120)
    assert checked.returncode == 0, checked.stderr
    module.write_text(tc.JS + "\nfunction (\n", encoding="utf-8")
    broken = subprocess.run([node, "--check", str(module)], capture_output=True, text=True, timeout=120)
    assert broken.returncode != 0 and "SyntaxError" in broken.stderr


# --- AppTest -------------------------------------------------------------------------------------

@pytest.fixture
def app():  # type: ignore[no-untyped-def]
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(HARNESS, default_timeout=30)
    at.run()
    assert not at.exception
    return at


def _shown(at) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    received = next(m.value for m in at.markdown if m.value.startswith("received:"))
    return int(re.sub(r"\D", "", received)), json.loads(at.json[0].value)


def test_apptest_sees_the_component_and_its_data(app) -> None:  # type: ignore[no-untyped-def]
    (element,) = app.get("bidi_component")
    assert element.key == "transcript"
    proto = element.proto
    assert proto.component_name == COMPONENT_NAME and proto.isolate_styles
    assert not proto.html_content  # the transcript never travels as markup
    data = json.loads(proto.json)
    assert [t["content"] for t in data["turns"]] == [t["content"] for t in harness.TURNS]
    assert "<script>window.__owned=1</script>" in data["turns"][1]["content"]
    t3 = harness.TURNS[2]
    (h1, h2) = data["turns"][2]["highlights"]
    assert h1["start16"] == codepoint_to_utf16(t3["content"], harness.H1[0] - t3["start"])
    assert h1["end16"] == codepoint_to_utf16(t3["content"], harness.H1[1] - t3["start"])
    assert h1["end16"] - h1["start16"] == harness.H1[1] - harness.H1[0] + 1  # one emoji inside
    assert h2["end16"] == Utf16Index(t3["content"]).length16  # cut at the end of the turn …
    (h2_rest,) = data["turns"][3]["highlights"]  # … and continued in the next one
    assert h2_rest["segment"] == h2["segment"] and h2_rest["start16"] == 0
    assert data["focus_turn"] is None and data["height"] == 420
    assert _shown(app) == (0, {})


def test_apptest_injected_selection_is_returned_once(app) -> None:  # type: ignore[no-untyped-def]
    t3 = harness.TURNS[2]
    phrase = "we \U0001F600 om de Straße"
    cp = t3["content"].index(phrase)
    index = Utf16Index(t3["content"])
    payload = {"id": "client-1", "turn": 3, "start16": index.to_utf16(cp), "end16": index.to_utf16(cp + len(phrase)),
               "text": "what the browser said"}
    app.session_state["transcript"] = {"selection": payload}
    app.run()
    expected = {"id": "client-1", "action": "select", "turn": 3, "start": t3["start"] + cp,
                "end": t3["start"] + cp + len(phrase), "text": phrase}
    assert _shown(app) == (1, expected)
    assert harness.DOCUMENT[expected["start"]:expected["end"]] == phrase
    app.run()  # injected through session state the value persists, but the same client id counts once
    assert _shown(app) == (1, expected)
    app.session_state["transcript"] = {"selection": {"id": "client-2", "turn": 2, "action": "turn"}}
    app.run()
    t2 = harness.TURNS[1]
    assert _shown(app) == (2, {"id": "client-2", "action": "turn", "turn": 2, "start": t2["start"],
                               "end": t2["start"] + len(t2["content"]), "text": t2["content"]})


def test_apptest_real_trigger_lasts_one_run(app) -> None:  # type: ignore[no-untyped-def]
    """Through AppTest's private API: a true trigger value is seen on one run and gone on the next."""
    (element,) = app.get("bidi_component")
    aggregator = f"$$STREAMLIT_INTERNAL_KEY_{element.proto.id}__events"
    states = app._tree.get_widget_states()
    state = states.widgets.add()
    state.id = aggregator
    state.json_trigger_value = json.dumps({"event": "selection", "value": {"id": "t-1", "turn": 4, "start16": 0,
                                                                           "end16": 13}})
    app._run(states)
    assert _shown(app) == (1, {"id": "t-1", "action": "select", "turn": 4, "start": harness.TURNS[3]["start"],
                               "end": harness.TURNS[3]["start"] + len("En de familie"), "text": "En de familie"})
    # a trigger is no state: nothing of it stays in the component's session state after its run
    assert dict(app.session_state["transcript"]) == {}
    app.run()
    assert dict(app.session_state["transcript"]) == {} and _shown(app)[0] == 1
    # the same client id delivered again (a replayed event) is still applied only once
    app._run(states)
    assert _shown(app)[0] == 1


# --- a real browser ------------------------------------------------------------------------------

@pytest.fixture
def harness_url():  # type: ignore[no-untyped-def]
    with streamlit_server(script=HARNESS) as base:
        yield base


def _shown_in_browser(page) -> dict:  # type: ignore[no-untyped-def]
    """The flat dict st.json shows. react-json-view prints one `"key":value` per line, no commas, and
    strings unescaped between quotes, so a string value is everything between its outer quotes."""
    text = page.locator('[data-testid="stJson"]').inner_text().strip()
    shown: dict = {}
    for line in text.splitlines()[1:-1]:
        line = line.strip()
        if not line:
            continue
        key, raw = line[1:line.index('":')], line[line.index('":') + 2:].strip()
        shown[key] = raw[1:-1] if len(raw) >= 2 and raw[0] == raw[-1] == '"' else json.loads(raw)
    return shown


def _received(page, n: int) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    expect(page.locator('[data-testid="stMarkdown"]').filter(has_text="received:")).to_have_text(
        f"received: {n}", timeout=60_000)  # a condition, with room for a loaded machine
    settle(page)  # the count is drawn before the st.json below it: wait for the whole run to land


@pytest.mark.browser
def test_browser_mouse_selection_reports_exact_code_points(harness_url: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    t2, t3, t4 = harness.TURNS[1], harness.TURNS[2], harness.TURNS[3]
    with sync_playwright() as pw:
        browser = launch(pw)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            dialogs: list[str] = []
            errors: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(harness_url)
            page.locator(".kp-turn[data-ordinal='3'] .kp-content").wait_for(timeout=30_000)
            _received(page, 0)

            # transcript markup is text, never markup
            expect(page.get_by_text("<script>window.__owned=1</script>", exact=False)).to_be_visible()
            expect(page.get_by_text('<img src=x onerror="window.__owned=2">', exact=False)).to_be_visible()
            assert page.evaluate("window.__owned") is None
            assert page.evaluate("""() => {
                const root = document.querySelector('[data-testid="stBidiComponentIsolated"]').shadowRoot;
                return root.querySelectorAll('img, script').length + document.querySelectorAll('img[src="x"]').length;
            }""") == 0
            # both highlights drawn: three coloured stripes (the second is cut over turns 3 and 4)
            assert page.locator(".kp-bar").count() == 3

            # 1. a phrase with an emoji and ß, selected with real mouse events
            phrase = "we \U0001F600 om de Straße"
            drag(page, phrase_box(page, phrase, 3))
            _received(page, 1)
            value = _shown_in_browser(page)
            start = harness.DOCUMENT.index(phrase)
            assert value["text"] == phrase
            assert (value["action"], value["turn"], value["start"], value["end"]) == (
                "select", 3, start, start + len(phrase))
            assert harness.DOCUMENT[value["start"]:value["end"]] == phrase
            assert value["start"] - t3["start"] == t3["content"].index(phrase)
            first_id = value["id"]
            page.wait_for_timeout(800)  # a settled selectionchange must not report the same selection again
            _received(page, 1)
            page.screenshot(path=str(ARTIFACTS / "transcript-component.png"))

            # 2. a drag from turn 3 into turn 4 is clamped to turn 3
            drag(page, phrase_box(page, "Daarna", 3), to=phrase_box(page, "familie", 4))
            _received(page, 2)
            value = _shown_in_browser(page)
            assert value["turn"] == 3 and value["text"] == "Daarna gingen we naar huis."
            assert value["end"] == t3["start"] + len(t3["content"]) and value["id"] != first_id

            # 3. "code turn" codes the whole turn without its speaker label
            page.locator(".kp-turn[data-ordinal='2'] button[data-action='turn']").click()
            _received(page, 3)
            value = _shown_in_browser(page)
            assert (value["action"], value["turn"], value["start"], value["end"], value["text"]) == (
                "turn", 2, t2["start"], t2["start"] + len(t2["content"]), t2["content"])

            # 4. Alt+click on a word after the ZWJ family reports that position
            box = phrase_box(page, "kwam", 4)
            page.keyboard.down("Alt")
            page.mouse.click(box["x1"] + 3, box["y1"])
            page.keyboard.up("Alt")
            _received(page, 4)
            value = _shown_in_browser(page)
            kwam = t4["start"] + t4["content"].index("kwam")
            assert value["action"] == "sentence" and value["turn"] == 4
            assert kwam <= value["start"] == value["end"] <= kwam + len("kwam")

            assert page.evaluate("window.__owned") is None

            # 5. focus_turn marks (and scrolls to) that turn on first render
            page.goto(harness_url + "/?focus=4")
            expect(page.locator(".kp-turn[data-ordinal='4']")).to_have_class(re.compile(r"\bkp-focus\b"),
                                                                             timeout=30_000)
            assert page.locator(".kp-turn.kp-focus").count() == 1
            assert dialogs == [] and errors == []
        finally:
            browser.close()
