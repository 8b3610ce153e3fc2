"""Navigation within a document on the Coding page: find (the project's lemma search for one document, its hits
marked per turn in UTF-16 units) and go to turn ¶N, both kept in the URL's `turn`."""

from __future__ import annotations

import json

import pytest
from apptest_support import make_app, shown

from cases.documents import document_text, document_turns
from cases.importer import SpeakerDecision, preview_import, store_import
from cases.projects import create_project, get_document, get_project
from codebooks.service import adopt_codebook
from coding.search import clear_cache, search_text
from store.db import get_engine, read_session, write_session
from ui.coding_view import transcript_payload
from ui.document_find import Found, hits_for_turns, turn_number
from ui.transcript_window import WINDOW_CHARS, char_starts, window_around

SHORT = ("I: Wat heb je daar gedaan? 😀\n"
         "R: 😀👍🏽 Ik leerde daar veel. We leerden samen met de gemeente. Leren is fijn.\n")
OTHER = "I: En elders?\nR: Daar leerden we niets.\n"
FILLER = "Het project liep goed en de samenwerking met de gemeente was prettig en open. " * 6
HIT_TURNS = {3: "We leerden er veel van.", 30: "Ik wil nog meer leren.", 55: "Zij leerden het snel."}
TURNS = 60


def _long_text() -> str:
    lines = []
    for ordinal in range(TURNS):
        speaker = "I" if ordinal % 2 == 0 else "R"
        lines.append(f"{speaker}: {HIT_TURNS.get(ordinal, '')} {FILLER}")
    return "\n".join(lines) + "\n"


LONG = _long_text()
SPEAKERS = {"I": SpeakerDecision("interviewer"), "R": SpeakerDecision("respondent")}


@pytest.fixture(autouse=True)
def _fresh_cache():  # type: ignore[no-untyped-def]
    clear_cache()
    yield
    clear_cache()


def _project(url: str, name: str, *documents: tuple[str, str]) -> tuple[str, list[str]]:
    with write_session(get_engine(url)) as s:
        project = create_project(s, name)
        adopt_codebook(s, project, "value-creation")
        guids = [str(store_import(s, project, preview_import(f, t.encode(), language="nl"), cases=[],
                                  speakers=SPEAKERS).guid) for f, t in documents]
        return str(project.guid), guids


def test_one_documents_lemma_hits_in_code_points_and_utf16(sqlite_url) -> None:  # type: ignore[no-untyped-def]
    project_guid, (short, _other) = _project(sqlite_url, "Zoeken", ("kort.txt", SHORT), ("ander.txt", OTHER))
    with read_session(get_engine(sqlite_url)) as s:
        project = get_project(s, project_guid)
        hits = search_text(s, project, "leren", document=short)  # not the other document's "leerden"
        document = get_document(s, project, short)
        text, turns = document_text(s, document), document_turns(s, document)
    assert [h.text for h in hits] == ["leerde", "leerden", "Leren"]
    assert all(text[h.start:h.end] == h.text for h in hits)  # code points, end exclusive
    assert {h.turn for h in hits} == {1}
    rows, _ = transcript_payload(text, turns, [])
    found = Found("leren", tuple((h.turn, h.start, h.end) for h in hits), 1, False)
    per_turn = hits_for_turns(found, rows)
    assert list(per_turn) == [1]  # only turns with hits
    content = rows[1]["content"].encode("utf-16-le")
    marked = [(content[2 * h["start16"]:2 * h["end16"]].decode("utf-16-le"), h["current"]) for h in per_turn[1]]
    assert marked == [("leerde", False), ("leerden", True), ("Leren", False)]  # after 😀👍🏽: 6 UTF-16 units
    assert per_turn[1][0]["start16"] == rows[1]["content"].index("leerde") + 3
    assert hits_for_turns(found, rows[:1]) == {}  # the part shown holds no hit


def test_turn_numbers_as_typed() -> None:
    assert [turn_number(t) for t in ("12", "¶12", " ¶ 7 ", "¶", "x12", "", None, "-3")] == [
        12, 12, 7, None, None, None, None, None]


@pytest.fixture
def long_document(monkeypatch, sqlite_url):  # type: ignore[no-untyped-def]
    project_guid, (guid,) = _project(sqlite_url, "Lang", ("lang.txt", LONG))
    at = make_app(monkeypatch, sqlite_url, project_guid=project_guid, coder="Sanne")
    at.query_params["document"] = guid
    at.run()
    at.switch_page("pages/coding.py").run()
    assert not at.exception
    return at


def _component(at):  # type: ignore[no-untyped-def]
    (component,) = at.get("bidi_component")
    return json.loads(component.proto.json)


def _shown_turns(at) -> list[int]:  # type: ignore[no-untyped-def]
    return [t["ordinal"] for t in _component(at)["turns"]]


def test_the_long_document_is_longer_than_a_window() -> None:
    rows = [{"content": line[3:]} for line in LONG.splitlines()]
    assert len(LONG) > 2 * WINDOW_CHARS and window_around(char_starts(rows), 0)[1] < 30


def test_go_to_a_turn_sets_the_url_and_moves_the_window_there(long_document) -> None:  # type: ignore[no-untyped-def]
    at = long_document
    assert 39 not in _shown_turns(at)
    at.text_input(key="goto_turn").input("¶40")
    at.button(key="goto_go").click()
    at.run()
    assert not at.exception
    assert at.query_params["turn"] == "39"
    data = _component(at)
    assert data["focus_turn"] == 39 and 39 in _shown_turns(at) and at.query_params["at"] == "39"
    assert data["anchor"] == {"ordinal": 39, "jump": 1}  # the browser puts it at the top of its view
    assert data["window"]["first"] == _shown_turns(at)[0] and data["window"]["count"] == TURNS
    shown_then = _shown_turns(at)
    at.run()
    assert _shown_turns(at) == shown_then  # a rerun keeps the window the jump chose
    at.text_input(key="goto_turn").input("2")
    at.button(key="goto_go").click()
    at.run()
    assert at.query_params["turn"] == "1" and 1 in _shown_turns(at)
    assert _component(at)["anchor"] == {"ordinal": 1, "jump": 2}


def test_a_turn_out_of_range_says_the_range(long_document) -> None:  # type: ignore[no-untyped-def]
    at = long_document
    at.text_input(key="goto_turn").input("¶500")
    at.button(key="goto_go").click()
    at.run()
    assert not at.exception
    assert shown(at.warning) == ["No turn ¶500 here: this document has turns ¶1–¶60."]
    assert "turn" not in at.query_params
    at.text_input(key="goto_turn").input("twelve")
    at.button(key="goto_go").click()
    at.run()
    assert shown(at.warning) == ["No turn twelve here: this document has turns ¶1–¶60."]


def test_find_moves_through_hits_across_windows(long_document) -> None:  # type: ignore[no-untyped-def]
    at = long_document
    at.text_input(key="find_in_document").input("leren")
    at.run()
    assert not at.exception

    def where() -> tuple[str, str, list]:  # type: ignore[no-untyped-def]
        turns = _component(at)["turns"]
        hits = [(t["ordinal"], h["current"]) for t in turns for h in t.get("hits", [])]
        counts = [c.value for c in at.caption if c.value.startswith("hit ")]
        assert all("segment" not in h for t in turns for h in t.get("hits", []))  # marks, never codable
        return counts[0], at.query_params["turn"], hits

    assert where() == ("hit 1 of 3", "3", [(3, True)])  # "leerden": only the shown window's hits are sent
    at.button(key="find_next").click()
    at.run()
    assert where() == ("hit 2 of 3", "30", [(30, True)])  # "leren", in another window
    at.button(key="find_next").click()
    at.run()
    assert where() == ("hit 3 of 3", "55", [(55, True)])
    at.button(key="find_next").click()
    at.run()
    assert where()[:2] == ("hit 1 of 3", "3")  # round again
    at.button(key="find_previous").click()
    at.run()
    assert where()[:2] == ("hit 3 of 3", "55")
    at.text_input(key="find_in_document").input("wolk")
    at.run()
    assert [c.value for c in at.caption if c.value == "no hits"] == ["no hits"]
    assert at.button(key="find_next").disabled
