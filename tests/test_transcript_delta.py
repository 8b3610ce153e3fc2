"""The transcript component is sent each turn (and the picker's code list) whole once, then only its hash: a rerun
after a coding carries the coded turn and nothing else whole, acknowledged by the browser's "seen" in its triggers;
"resync" makes the next payload whole again."""

from __future__ import annotations

import json

from test_coding_page import _respondent_offsets, _select, _stored, opened  # noqa: F401 (a fixture)


def _data(at) -> dict:  # type: ignore[no-untyped-def]
    (component,) = at.get("bidi_component")
    return json.loads(component.proto.json)


def _whole(data: dict) -> list[int]:
    return [t["ordinal"] for t in data["turns"] if "content" in t]


def test_only_what_the_browser_lacks_is_sent_again(opened) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    at, ids, url = opened
    first = _data(at)
    assert _whole(first) == [0, 1] and all(len(t["h"]) == 18 for t in first["turns"]) and "codes" in first
    hashes = {t["ordinal"]: t["h"] for t in first["turns"]}
    # a selection that says it drew payload 1: the next payload refers to both turns and the codes by hash only
    s16, e16 = _respondent_offsets("ip van Jör")
    _select(at, ids, {"id": "s-1", "action": "select", "turn": 1, "start16": s16, "end16": e16, "text": "ip van Jör",
                      "seen": first["seq"]})
    second = _data(at)
    assert second["seq"] > first["seq"] and _whole(second) == []
    assert {t["ordinal"]: t["h"] for t in second["turns"]} == hashes
    assert "codes" not in second and second["codes_h"] == first["codes_h"]
    # a keyboard coding in turn 1: the next payload carries turn 1 whole (its new highlight), turn 0 by hash, and the
    # code list again (the recent codes changed)
    _select(at, ids, {"id": "k-1", "action": "code", "turn": 1, "start16": s16, "end16": e16, "text": "ip van Jör",
                      "codes": ["vc.immediate"], "seen": second["seq"]})
    third = _data(at)
    assert _stored(url, ids) == [("vc.immediate", "Sanne", "tip van Jörg")]
    assert _whole(third) == [1] and third["turns"][0] == {"ordinal": 0, "h": hashes[0]}
    assert [h["codes"] for h in third["turns"][1]["highlights"]] == [["vc.immediate"]]
    assert "codes" in third and third["codes"][0]["key"] == "vc.immediate"
    # an acknowledgement the server never sent changes nothing it knows; "resync" makes everything whole again
    _select(at, ids, {"id": "s-2", "action": "select", "turn": 1, "start16": 0, "end16": 3, "text": "Ik ",
                      "seen": 10_000})
    assert _whole(_data(at)) == [1]
    _select(at, ids, {"id": "r-1", "action": "resync", "seen": third["seq"]})
    assert _whole(_data(at)) == [0, 1] and "codes" in _data(at)
    assert not at.exception
