"""The code margin beside the transcript: what each highlight carries for it (labels in the page's language, the
coder's initials only when several coders are shown) and a click on a chip opening that segment's editor."""

from __future__ import annotations

import json
import uuid

import pytest
from apptest_support import make_app

from cases.importer import SpeakerDecision, preview_import, store_import
from cases.projects import create_project, get_or_create_coder
from codebooks.service import adopt_codebook
from coding.codings import apply_coding
from coding.workspace import CodingView, SegmentView
from store.db import get_engine, write_session
from ui.code_margin import coder_initials, margin_highlights
from ui.transcript_component import highlights_for_turns, segment_request

TEXT = ("I: Wat leverde het op?\n"
        "R: Ik kreeg een tip van Jörg. Die heb ik meteen gebruikt, en dat scheelde ons weken.\n")


def _segment(start: int, end: int, coder: str, *codes: tuple[str, str]) -> SegmentView:
    return SegmentView(uuid.uuid4(), start, end, coder, "x" * (end - start),
                       [CodingView(uuid.uuid4(), key, label, "#112233", "manual") for key, label in codes])


def test_initials_are_short_and_distinct() -> None:
    assert coder_initials(["Sanne de Wit", "Lieke Bakker", "Lieke"]) == {
        "Sanne de Wit": "SdW", "Lieke Bakker": "LB", "Lieke": "Li"}
    both = coder_initials(["Sanne de Wit", "Sander de Wit"])
    assert len(set(both.values())) == 2 and all(v.endswith("dW") for v in both.values())
    assert coder_initials(["Anna", "Anna", ""]) == {"Anna": "An", "": "?"}


def test_one_coder_gets_labels_and_no_initials() -> None:
    seg = _segment(3, 9, "Sanne", ("vc.immediate", "Onmiddellijke waarde"), ("own", "own"))
    rows = margin_highlights([seg], frozenset({seg.guid}))
    assert [(r["codes"], r["label"], r["memo"], r["segment"]) for r in rows] == [
        (["vc.immediate"], "Onmiddellijke waarde", True, str(seg.guid)), (["own"], "own", True, str(seg.guid))]
    assert all("by" not in r for r in rows)
    turns = [{"ordinal": 0, "start": 0, "content": "abcdefghijkl"}]
    sent = highlights_for_turns(rows, turns)[0]
    assert sent[0]["label"] == "Onmiddellijke waarde" and "by" not in sent[0]
    assert "label" not in sent[1]  # a label that is the key itself is not sent twice


def test_several_coders_get_their_initials() -> None:
    rows = margin_highlights([_segment(0, 4, "Sanne de Wit", ("a", "A")), _segment(2, 6, "Lieke Bakker", ("b", "B"))])
    assert [(r["label"], r["by"]) for r in rows] == [("A", "SdW"), ("B", "LB")]
    sent = highlights_for_turns(rows, [{"ordinal": 3, "start": 0, "content": "abcdefgh"}])[3]
    assert [(h["label"], h["by"]) for h in sent] == [("A", "SdW"), ("B", "LB")]


def test_a_segment_click_is_accepted_only_for_a_segment_in_that_turn() -> None:
    turns = [{"ordinal": 0, "start": 0, "content": "abc"}, {"ordinal": 1, "start": 5, "content": "def"}]
    per_turn = highlights_for_turns([{"segment": "g1", "start": 0, "end": 2, "codes": ["a"]}], turns)
    ok = {"id": "c1", "action": "segment", "turn": 0, "segment": "g1"}
    assert segment_request(ok, per_turn, turns) == ok
    for bad in ({**ok, "turn": 1}, {**ok, "segment": "g2"}, {**ok, "id": ""}, {**ok, "turn": 7},
                {**ok, "segment": 5}, {**ok, "turn": True}):
        assert segment_request(bad, per_turn, turns) is None, bad


@pytest.fixture
def two_coders(monkeypatch, sqlite_url):  # type: ignore[no-untyped-def]
    with write_session(get_engine(sqlite_url)) as s:
        project = create_project(s, "Margeproject")
        adopt_codebook(s, project, "value-creation")
        document = store_import(s, project, preview_import("gesprek.txt", TEXT.encode()), cases=[], speakers={
            "I": SpeakerDecision("interviewer"), "R": SpeakerDecision("respondent")})
        for name, phrase, code in (("Sanne de Wit", "een tip", "vc.immediate"),
                                   ("Lieke Bakker", "meteen gebruikt", "vc.applied")):
            coder, _ = get_or_create_coder(s, project, name)
            at = TEXT.index(phrase)
            apply_coding(s, project, document, coder, at, at + len(phrase), [code])
        ids = str(project.guid), str(document.guid)
    at = make_app(monkeypatch, sqlite_url, project_guid=ids[0], coder="Sanne de Wit")
    at.query_params["document"] = ids[1]
    at.run()
    at.switch_page("pages/coding.py").run()
    assert not at.exception
    return at, ids, sqlite_url


def _sent_highlights(at) -> list[dict]:  # type: ignore[no-untyped-def]
    (component,) = at.get("bidi_component")
    return [h for t in json.loads(component.proto.json)["turns"] for h in t["highlights"]]


def test_the_page_sends_labels_in_its_language_and_initials_only_for_several_coders(two_coders) -> None:  # type: ignore[no-untyped-def]
    at, _, _ = two_coders
    sent = _sent_highlights(at)
    assert sorted((h["codes"][0], h["by"]) for h in sent) == [("vc.applied", "LB"), ("vc.immediate", "SdW")]
    english = {h["codes"][0]: h["label"] for h in sent}
    at.selectbox(key="coding_labels").set_value("nl").run()
    dutch = {h["codes"][0]: h["label"] for h in _sent_highlights(at)}
    assert dutch["vc.immediate"] != english["vc.immediate"] and "vc" not in dutch["vc.immediate"]
    at.toggle(key="only_mine").set_value(True).run()
    mine = _sent_highlights(at)
    assert [h["codes"] for h in mine] == [["vc.immediate"]] and "by" not in mine[0]


def test_a_click_on_a_margin_chip_opens_that_segment_in_the_editor(two_coders) -> None:  # type: ignore[no-untyped-def]
    at, ids, _ = two_coders
    lieke = next(h for h in _sent_highlights(at) if h["codes"] == ["vc.applied"])
    assert at.selectbox(key="coding_labels").value == "en"
    at.session_state[f"transcript_{ids[1]}"] = {
        "selection": {"id": "chip-1", "action": "segment", "turn": 1, "segment": lieke["segment"]}}
    at.run()
    assert not at.exception
    assert at.query_params["turn"] == "1"  # the segment's turn is the one in focus (and in the URL)
    assert at.session_state["coding_segments_open"] is True
    chosen = at.selectbox(key="edit_segment")
    assert chosen.value.endswith("· vc.applied · Lieke Bakker"), chosen.value
    assert at.selectbox(key="edit_coding").value == "vc.applied"
    assert not any(m.value.startswith("**Selected**") for m in at.markdown)  # a chip click selects no text
    # the same click again (a rerun of the same trigger) changes nothing; another segment's chip opens that one
    sanne = next(h for h in _sent_highlights(at) if h["codes"] == ["vc.immediate"])
    at.session_state[f"transcript_{ids[1]}"] = {
        "selection": {"id": "chip-2", "action": "segment", "turn": 1, "segment": sanne["segment"]}}
    at.run()
    assert at.selectbox(key="edit_segment").value.endswith("· vc.immediate · Sanne de Wit")
    assert at.selectbox(key="edit_coding").value == "vc.immediate"
    # a segment the page does not show is ignored
    at.session_state[f"transcript_{ids[1]}"] = {
        "selection": {"id": "chip-3", "action": "segment", "turn": 1, "segment": str(uuid.uuid4())}}
    at.run()
    assert not at.exception
    assert at.selectbox(key="edit_segment").value.endswith("· vc.immediate · Sanne de Wit")
