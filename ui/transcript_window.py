"""Which turns of a transcript the browser holds: one continuous scroll, drawn a window at a time.

The transcript component shows the whole document as one scroll: the turns of a window of about `WINDOW_CHARS`
characters are drawn, and the turns before and after it are spacers whose heights the browser estimates from the
`outline` (the characters before every `OUTLINE_STEP`-th turn, a few kilobytes even for a 20 MB transcript). When the
view comes near a spacer the component asks for the window there ({"action": "window", "index"}), and "Go to ¶" or
find moves it at once (a jump). So any turn of any transcript is one rerun away, and a rerun never sends more than one
window of text.

The window is kept per document for the session, so reruns (a coding, a memo) leave the reader where they were. A
fresh session starts at the turn `at` in the URL (the component writes the turn at the top of its view there while
one scrolls), else at the focused `turn`, else at the beginning.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from ui.transcript_component import pending_trigger

__all__ = ["char_starts", "choose_window", "jump_to", "outline", "transcript_key", "window_around"]

WINDOW_CHARS = 12_000  # characters of turn content drawn at a time (about 2,000 words, a few screens)
MAX_TURNS = 400  # and never more turns than this (a transcript of one-word turns)
OUTLINE_STEP = 64  # the outline gives the characters before every 64th turn
JUMP_KEY = "_kp_transcript_jump::"  # + component key: {"ordinal", "seq", "taken"}: set by navigation
_WINDOW_KEY = "_kp_transcript_window::"  # + component key: (index, share before) the window is drawn around
_HANDLED_KEY = "_kp_transcript_window_request::"  # + component key: the id of the last window request taken


def char_starts(rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Characters of content before each turn, and the total last (len(rows) + 1 numbers)."""
    starts = [0]
    for row in rows:
        starts.append(starts[-1] + len(row["content"]))
    return starts


def window_around(starts: Sequence[int], index: int, chars: int = WINDOW_CHARS,
                  before: float = 0.5) -> tuple[int, int]:
    """(first, end) indexes of about `chars` characters of turns holding turn `index`, `before` of them before it.

    Near either end of the document the window takes its characters from the other side; it always holds the turn
    itself and at most `MAX_TURNS` turns.
    """
    count = len(starts) - 1
    if count <= 0:
        return 0, 0
    index = min(max(index, 0), count - 1)
    first = min(bisect_left(starts, starts[index] - chars * before, 0, index + 1), index)
    end = max(bisect_right(starts, starts[first] + chars, first, count + 1) - 1, index + 1)
    if starts[end] - starts[first] < chars and first > 0:  # at the end: take the rest before
        first = min(bisect_left(starts, starts[end] - chars, 0, first + 1), first)
    first = max(first, index - MAX_TURNS // 2)
    return first, min(end, first + MAX_TURNS, count)


def outline(starts: Sequence[int], step: int = OUTLINE_STEP) -> dict[str, Any]:
    """What the browser needs to size the spacers: {"count": turns, "step": step, "chars": starts at 0, step, …}.

    The last entry is always the total, at index `count` (so the final stretch may be shorter than `step`).
    """
    count = len(starts) - 1
    chars = [starts[k] for k in range(0, count + 1, step)]
    if count % step:
        chars.append(starts[count])
    return {"count": count, "step": step, "chars": tuple(chars)}


def transcript_key(document_guid: str) -> str:
    """The component's key for one document (its window and jumps are kept under it)."""
    return f"transcript_{document_guid}"


def jump_to(document_guid: str, ordinal: int) -> None:
    """Move the window to this turn and scroll it to the top of the view (navigation: "Go to ¶", find's hits)."""
    slot = JUMP_KEY + transcript_key(document_guid)
    previous = st.session_state.get(slot) or {}
    st.session_state[slot] = {"ordinal": int(ordinal), "seq": int(previous.get("seq", 0)) + 1}


def _ordinal_index(rows: Sequence[Mapping[str, Any]], ordinal: int | None) -> int | None:
    if ordinal is None:
        return None
    ordinals = [int(r["ordinal"]) for r in rows]  # ascending
    k = bisect_left(ordinals, ordinal)
    return k if k < len(ordinals) and ordinals[k] == ordinal else None


def _url_turn(name: str) -> int | None:
    value = st.query_params.get(name)
    return int(value) if value and value.isdigit() else None


def _window_request(key: str, count: int) -> tuple[str, int] | None:
    """A window the component asked for in this run's trigger, read before it is mounted: (id, index) or None."""
    payload = pending_trigger(key)
    if not isinstance(payload, Mapping) or payload.get("action") != "window":
        return None
    ident, index = payload.get("id"), payload.get("index")
    if not isinstance(ident, str) or not ident or isinstance(index, bool) or not isinstance(index, int):
        return None
    if st.session_state.get(_HANDLED_KEY + key) == ident or not 0 <= index < count:
        return None
    return ident, index


def choose_window(key: str, rows: Sequence[Mapping[str, Any]], starts: Sequence[int]
                  ) -> tuple[int, int, dict[str, int] | None]:
    """(first, end) of the turns to draw this run, and where the component should stand: {"ordinal", "jump"}.

    The window is chosen, in order, by a jump from navigation, the component's request for another window, the
    window drawn before, the URL (`at`, then `turn`) for a fresh session. "ordinal" is the turn the window was chosen
    for: a newly mounted component puts it at the top of its view, and so does every component when "jump" (a count
    of navigation jumps) changes; otherwise the component keeps what the reader sees where it is.
    """
    count = len(rows)
    if not count:
        return 0, 0, None
    jump = st.session_state.get(JUMP_KEY + key) or {"seq": 0}
    stored = st.session_state.get(_WINDOW_KEY + key)
    request = _window_request(key, count)
    index: int | None = None
    before = 0.5
    if request is not None:
        st.session_state[_HANDLED_KEY + key] = request[0]  # taken now, even when a jump wins this run
    if jump.get("ordinal") is not None and jump.get("taken") != jump["seq"]:
        jump["taken"] = jump["seq"]
        index = _ordinal_index(rows, jump["ordinal"])
        if index is not None:
            before = 0.25
            st.query_params["at"] = str(jump["ordinal"])
    if index is None and request is not None:
        index = request[1]
    if index is None and isinstance(stored, tuple) and 0 <= stored[0] < count:
        index, before = stored  # the same window again
    if index is None and stored is None:  # a fresh session: where the link says
        index = _ordinal_index(rows, _url_turn("at"))
        if index is None:
            index = _ordinal_index(rows, _url_turn("turn"))
        before = 0.25
    index = index or 0
    st.session_state[_WINDOW_KEY + key] = (index, before)
    first, end = window_around(starts, index, before=before)
    return first, end, {"ordinal": int(rows[index]["ordinal"]), "jump": int(jump["seq"])}
