"""Keyboard coding: the picker's one write ({"action": "code"}) from the browser's UTF-16 payload to a stored coding,
through the Apply button's own checks; a repeated id applies nothing; a refusal is said and handed to the component."""

from __future__ import annotations

import json

from apptest_support import shown
from test_coding_page import TEXT, _respondent_offsets, _select, _stored, opened  # noqa: F401 (a fixture)

from cases.projects import get_project
from codebooks.service import update_code
from coding.picker import CodeChoice
from store.db import get_engine, read_session, write_session
from ui.keyboard_coding import SHORTCUTS, STALE, coding_request, picker_codes
from ui.transcript_component import selection_from_payload


def _turns(content: str) -> list[dict]:
    return [{"ordinal": 0, "start": 5, "content": content}]


def test_a_code_payload_becomes_code_points_after_an_emoji() -> None:
    content = "😀 Ik kreeg een tip van Jörg."
    start16 = content.index("ip van") + 1  # the emoji is two UTF-16 units and one code point
    end16 = content.index("Jörg") + 1 + 3
    got = selection_from_payload({"id": "k-1", "action": "code", "turn": 0, "start16": start16, "end16": end16,
                                  "text": "ip van Jör", "codes": ["vc.immediate"]}, _turns(content))
    at = content.index("ip van")
    assert got == {"id": "k-1", "action": "code", "turn": 0, "start": 5 + at, "end": 5 + at + 10,
                   "text": "ip van Jör", "shown": "ip van Jör", "codes": ["vc.immediate"]}
    document = "I: x\n" + content
    assert coding_request(got, document, snap=True) == (5 + at - 1, 5 + at + 11)  # "tip van Jörg"
    assert coding_request(got, document, snap=False) == (5 + at, 5 + at + 10)
    assert coding_request({**got, "shown": "something else"}, document, snap=True) == STALE


def test_a_code_payload_without_usable_codes_is_dropped() -> None:
    base = {"id": "k", "action": "code", "turn": 0, "start16": 0, "end16": 2}
    for codes in (None, [], "vc.immediate", [3], [""], ["x"] * 21):
        assert selection_from_payload({**base, "codes": codes}, _turns("abc")) is None


def test_picker_codes_are_compact_and_recent_first() -> None:
    def choice(key: str, label: str, definition: str) -> CodeChoice:
        from coding.picker import fold_for_search as _fold

        return CodeChoice(key, label, "vc", 1, "#112233", definition, "", "", _fold(f"{key} {label} Etiket {definition}"))

    codes = picker_codes([choice("a", "Alpha", "Een lange definitie."), choice("b", "Bèta", "")], ["b"])
    assert codes == ({"key": "b", "label": "Bèta", "colour": "#112233", "terms": "b beta etiket", "recent": 1},
                     {"key": "a", "label": "Alpha", "colour": "#112233", "terms": "a alpha etiket"})


def _component_data(at) -> dict:  # type: ignore[no-untyped-def]
    (component,) = at.get("bidi_component")
    return json.loads(component.proto.json)


def _code(at, ids, ident: str, phrase: str, key: str) -> None:  # type: ignore[no-untyped-def]
    s16, e16 = _respondent_offsets(phrase)
    _select(at, ids, {"id": ident, "action": "code", "turn": 1, "start16": s16, "end16": e16, "text": phrase,
                      "codes": [key]})


def test_a_keyboard_coding_is_stored_once(opened) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    at, ids, url = opened
    assert SHORTCUTS in [c.value for c in at.caption]
    data = _component_data(at)
    assert {c["key"] for c in data["codes"]} >= {"vc.immediate", "vc.applied"} and "refused" not in data
    _code(at, ids, "key-1", "ip van Jör", "vc.immediate")  # snapping on: "tip van Jörg"
    assert shown(at.success) == ["Coded with vc.immediate."]
    assert _stored(url, ids) == [("vc.immediate", "Sanne", "tip van Jörg")]
    from sqlalchemy import select

    from store.models import Coding

    with read_session(get_engine(url)) as s:
        assert s.scalars(select(Coding.origin)).all() == ["manual"]
    assert _component_data(at)["codes"][0] == {**_component_data(at)["codes"][0], "key": "vc.immediate", "recent": 1}
    _code(at, ids, "key-1", "ip van Jör", "vc.immediate")  # the same id again (a rerun): nothing
    assert len(_stored(url, ids)) == 1


def test_a_refused_keyboard_coding_is_said_and_handed_to_the_component(opened) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    at, ids, url = opened
    with write_session(get_engine(url)) as s:
        update_code(s, get_project(s, ids[0]), "value-creation", "vc.realised", enabled=False)
    _code(at, ids, "key-off", "meteen gebruikt", "vc.realised")  # the picker still offered it
    assert _stored(url, ids) == []
    assert shown(at.error) == ["code 'vc.realised' is switched off in this project"]
    assert _component_data(at)["refused"] == {"refused": "key-off",
                                              "reason": "code 'vc.realised' is switched off in this project"}
    at.run()
    assert "refused" not in _component_data(at)  # for one run only
    assert not at.error


def test_a_new_code_payload_carries_its_name_and_codebook() -> None:
    base = {"id": "k", "action": "code", "turn": 0, "start16": 0, "end16": 2, "text": "ab"}
    got = selection_from_payload({**base, "codes": [], "new": {"label": "Vertrouwen", "codebook": "value-creation"}},
                                 _turns("abc"))
    assert got is not None and got["codes"] == [] and got["new"] == {"label": "Vertrouwen", "codebook": "value-creation"}
    for new in (None, {"label": " ", "codebook": "x"}, {"label": "x"}, {"label": "x" * 201, "codebook": "x"}, "x"):
        assert selection_from_payload({**base, "codes": [], "new": new}, _turns("abc")) is None
    # with codes, a "new" is ignored: the codes are applied
    assert "new" not in selection_from_payload({**base, "codes": ["a"], "new": {"label": "x", "codebook": "y"}},
                                               _turns("abc"))


def test_a_new_code_from_the_picker_is_made_and_applied_in_one_write(opened) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    at, ids, url = opened
    assert _component_data(at)["new_code"] == {"codebook": "value-creation"}  # the codebook of the recent codes
    s16, e16 = _respondent_offsets("ip van Jör")
    new = {"label": "Tip  van een collega", "codebook": "value-creation"}
    _select(at, ids, {"id": "new-1", "action": "code", "turn": 1, "start16": s16, "end16": e16, "text": "ip van Jör",
                      "codes": [], "new": new})
    assert not at.exception and not at.error
    stored = _stored(url, ids)
    assert len(stored) == 1 and stored[0][1:] == ("Sanne", "tip van Jörg")
    key = stored[0][0]
    assert shown(at.success) == [f"New code {key} created and applied."]
    assert any(c["key"] == key and c["label"] == "Tip van een collega" for c in _component_data(at)["codes"])
    _select(at, ids, {"id": "new-1", "action": "code", "turn": 1, "start16": s16, "end16": e16, "text": "ip van Jör",
                      "codes": [], "new": new})  # the same id again: nothing, and no second code
    assert len(_stored(url, ids)) == 1
    # a codebook the project does not have is refused, said, handed back, and nothing is written
    s16, e16 = _respondent_offsets("meteen gebruikt")
    _select(at, ids, {"id": "new-2", "action": "code", "turn": 1, "start16": s16, "end16": e16,
                      "text": "meteen gebruikt", "codes": [], "new": {**new, "codebook": "no-such-book"}})
    assert len(_stored(url, ids)) == 1 and len(at.error) == 1
    assert _component_data(at)["refused"]["refused"] == "new-2"
