"""Send the transcript component only what it does not have: each turn (and the picker's code list) once, by hash.

A rerun after a coding changes one turn's highlights; sending the window's other turns again (their text, every
highlight) would cost the whole payload on every rerun. So each turn's payload carries a short content hash "h", and
a turn the browser already holds goes as {"ordinal", "h"} only; the code list likewise ("codes_h").

What the browser holds is known only from the browser: every payload gets a "seq", the browser keeps what it received
by hash and says which "seq" it last drew in every trigger it sends ("seen"). Python remembers the hashes of the last
few payloads, so a trigger acknowledges exactly what the browser drew; until the first acknowledgement everything is
sent whole. (Python cannot count a payload as received when it is sent: Streamlit drops the unsent messages of a run
when the next run starts, which the write-then-rerun flow of coding does.) A browser that lacks a referred hash
anyway (its cache was emptied) asks for {"action": "resync"}, and the next payload is whole again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import streamlit as st

__all__ = ["acknowledge", "pack"]

_STATE = "_kp_transcript_sent::"  # + component key: {"seq", "history": {seq: hashes}, "acked": hashes}
_HISTORY = 16  # payloads remembered per component


def _hash(value: Any) -> str:
    encoded = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return hashlib.blake2b(encoded, digest_size=9).hexdigest()


def _state(key: str) -> dict[str, Any]:
    return st.session_state.setdefault(_STATE + key, {"seq": 0, "history": {}, "acked": frozenset()})


def acknowledge(key: str, payload: Any) -> None:
    """Read a trigger payload's acknowledgement ("seen": the seq the browser last drew) or its resync request."""
    if not isinstance(payload, Mapping):
        return
    state = _state(key)
    if payload.get("action") == "resync":
        state["acked"] = frozenset()
        return
    seen = payload.get("seen")
    if isinstance(seen, int) and not isinstance(seen, bool) and seen in state["history"]:
        state["acked"] = state["history"][seen]


def pack(key: str, data: dict[str, Any]) -> dict[str, Any]:
    """`data` with every turn and the code list the browser acknowledged replaced by its hash, and a new "seq"."""
    state = _state(key)
    acked: frozenset[str] = state["acked"]
    hashes: set[str] = set()
    turns = []
    for turn in data["turns"]:
        h = _hash(turn)
        hashes.add(h)
        turns.append({"ordinal": turn["ordinal"], "h": h} if h in acked else {**turn, "h": h})
    packed = {**data, "turns": tuple(turns)}
    codes_h = "codes:" + _hash(data.get("codes", ()))
    hashes.add(codes_h)
    packed["codes_h"] = codes_h
    if codes_h in acked:
        packed.pop("codes", None)
    state["seq"] += 1
    packed["seq"] = state["seq"]
    history: dict[int, frozenset[str]] = state["history"]
    history[state["seq"]] = frozenset(hashes)
    for old in sorted(history)[:-_HISTORY]:
        del history[old]
    return packed
