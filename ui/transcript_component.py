"""The transcript panel for coding: a Streamlit v2 component (no build step).

Its CSS and JavaScript are files beside this module (`transcript_component.css`; the JavaScript in four files,
`JS_FILES`, joined into one module), read once at import and registered inline; the JavaScript builds the markup
itself, so there is no HTML file.

Python side
-----------
`transcript_view(turns, highlights, *, key, focus_turn=None, height=640)` mounts the
component and returns None, or — on the one rerun after the researcher selected a
span, pressed "code turn" or Alt+clicked a word — a dict with absolute code point
offsets into the document:

    {"id": str, "action": "select" | "turn" | "sentence", "turn": int,
     "start": int, "end": int, "text": str}

"text" is the Python slice of the turn's content, never the browser's string. The keyboard picker's coding
(`ui.keyboard_coding`) returns the same with "action": "code", "codes" and "shown". A click on a chip in the code
margin (one per segment beside its turn) returns {"id", "action": "segment", "turn": int, "segment": guid} once,
only for a segment highlighted in that turn. `turns` is the window of a
long transcript the browser draws (`ui.transcript_window`); scrolling near its ends returns {"id", "action":
"window", "index": turn index in the document} once, for the window there. A
"sentence" result is a click position (start == end, text ""); the caller expands it
to the sentence around it. Selections are not snapped: call
`coding.offsets.snap_to_words(content, start - turn_start, end - turn_start)` on the
turn's content when snapping is on.

On the wire, each turn the browser already holds is only its hash (`ui.transcript_delta`: every payload has a
"seq", every trigger says the "seen" seq, a browser missing a hash asks {"action": "resync"}).

Each highlight is {"segment": guid, "start", "end" (absolute code points, end exclusive), "colour": "#RRGGBB",
"codes": [keys], "title", "memo": bool, "label"?: code label for the margin, "by"?: coder initials for the margin
(given only when several coders' codings are shown)}; `ui.code_margin.margin_highlights` builds them.

The two conversions are pure functions (no Streamlit), tested on their own:
`highlights_for_turns` (absolute code points → per-turn UTF-16 ranges) and
`selection_from_payload` (the browser's UTF-16 payload → the dict above).

Browser side
------------
Transcript text is untrusted. It reaches the browser only as `data` and is put on
the page with `document.createTextNode` / `textContent`; no HTML is ever built from
it, so `<script>` or `<img onerror=…>` in a transcript shows as text. Selections are
reported with `setTriggerValue` (reset after one rerun) and carry a client-side id;
the wrapper also drops an id it has already returned, so a rerun can never apply a
coding twice.

Streamlit 1.67 calls the component's JavaScript again, with the same `parentElement`
(the shadow root, since style isolation is on), whenever `data` changes, and only
runs the cleanup returned by the *last* call when the element unmounts. The
JavaScript therefore keeps one instance per shadow root and re-renders it.

The code margin is a column beside each turn's content, outside the element whose text is selected (so a
selection never holds a label): one chip per segment, in text order, each aligned with the first line of its span
(pushed down when the chip above needs the room), with a colour bar per code, the labels (the keys when a
highlight has no "label") and the initials ("by"). Hovering a chip marks its segment's highlights and stripe
(class `kp-hover`); clicking it reports the segment as above.

Find's hits arrive per turn as "hits": [{"start16", "end16", "current": bool}] beside "highlights" and are drawn
as `span.kp-hit` (the current one also `kp-hit-current`, scrolled into view) around text nodes: they carry no
segment, cannot be clicked or coded, and leave every selection offset as it was.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import streamlit as st

from coding.offsets import Utf16Index
from ui.transcript_delta import acknowledge, pack

__all__ = ["highlights_for_turns", "pending_trigger", "segment_request", "selection_from_payload", "transcript_view",
           "window_request"]

COMPONENT_NAME = "kruispunt_transcript_view"
TRIGGER = "selection"
ACTIONS = {"select", "turn", "sentence", "code"}  # what a selection payload may say ("window", "segment" apart)
DEFAULT_COLOUR = "#8A8F98"
_HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")
_SEEN_LIMIT = 64

# The browser side lives in real files beside this module, read once at import.
_HERE = Path(__file__).resolve().parent
CSS = (_HERE / "transcript_component.css").read_text(encoding="utf-8")
# One ES module from four files: the class first, then what draws a turn, the picker and the scroll, each adding its
# methods to the class.
JS_FILES = ("transcript_component.js", "transcript_turn.js", "transcript_picker.js", "transcript_scroll.js")
JS = "\n".join((_HERE / name).read_text(encoding="utf-8") for name in JS_FILES)

# Registered once, when the module is imported; pages only mount it.
_transcript_component = st.components.v2.component(COMPONENT_NAME, css=CSS, js=JS)


# --- pure conversions ----------------------------------------------------------------------------

def _turn_range(turn: Mapping[str, Any]) -> tuple[int, int]:
    start = int(turn["start"])
    return start, start + len(turn["content"])


def _colour(value: Any) -> str:
    return value if isinstance(value, str) and _HEX.match(value) else DEFAULT_COLOUR


def highlights_for_turns(
    highlights: Sequence[Mapping[str, Any]], turns: Sequence[Mapping[str, Any]]
) -> dict[int, list[dict[str, Any]]]:
    """Cut document-level highlights (absolute code points, end exclusive) per turn, in UTF-16 units.

    Returns {turn ordinal: [{"segment", "start16", "end16", "colour", "codes", "title", "memo", "label"?, "by"?}]}, every
    turn present (possibly with an empty list). A highlight spanning several turns appears in each,
    cut to that turn's content; the speaker labels between turns are never highlighted. Offsets are
    relative to the turn's content, as the browser counts them.
    """
    result: dict[int, list[dict[str, Any]]] = {int(t["ordinal"]): [] for t in turns}
    ordered = sorted(turns, key=lambda t: int(t["start"]))
    starts = [int(t["start"]) for t in ordered]
    indexes: dict[int, Utf16Index] = {}
    for h in sorted(highlights, key=lambda h: (int(h["start"]), -int(h["end"]))):
        h_start, h_end = int(h["start"]), int(h["end"])
        if h_end <= h_start:
            continue
        codes = [str(c) for c in (h.get("codes") or [])]
        title = str(h.get("title") or ", ".join(codes))
        label = str(h.get("label") or ", ".join(codes))
        by = str(h.get("by") or "")
        # Turns are disjoint and ordered: start with the last turn that begins at or before h_start.
        i = max(bisect_right(starts, h_start) - 1, 0)
        while i < len(ordered) and starts[i] < h_end:
            turn = ordered[i]
            i += 1
            t_start, t_end = _turn_range(turn)
            lo, hi = max(h_start, t_start), min(h_end, t_end)
            if lo >= hi:
                continue
            ordinal = int(turn["ordinal"])
            index = indexes.get(ordinal)
            if index is None:
                index = indexes[ordinal] = Utf16Index(turn["content"])
            result[ordinal].append({
                "segment": str(h.get("segment", "")),
                "start16": index.to_utf16(lo - t_start),
                "end16": index.to_utf16(hi - t_start),
                "colour": _colour(h.get("colour")),
                "codes": codes,
                "title": title,
                "memo": bool(h.get("memo")),
                # the margin's label only where it is not the keys, its initials only when several coders are shown
                **({"label": label} if label != ", ".join(codes) else {}),
                **({"by": by} if by else {}),
            })
    return result


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def selection_from_payload(payload: Any, turns: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The browser's trigger payload as absolute code points, or None when it is unusable.

    `payload` is {"id", "turn", "action"?, "start16"?, "end16"?, "text"?, "codes"?} with UTF-16 offsets
    relative to the turn's content. The result is {"id", "action", "turn", "start", "end", "text"} (a "code"
    action also "codes" and "shown", the browser's text of the span, for `ui.keyboard_coding` to check)
    with code point offsets into the document and "text" the Python slice of the content (the
    browser's own string is ignored). An offset inside a surrogate pair widens outwards; offsets
    beyond the content are clamped. An empty selection gives None.
    """
    if not isinstance(payload, Mapping):
        return None
    ident = payload.get("id")
    if not isinstance(ident, str) or not ident or len(ident) > 200:
        return None
    ordinal = _int(payload.get("turn"))
    turn = next((t for t in turns if int(t["ordinal"]) == ordinal), None) if ordinal is not None else None
    if turn is None:
        return None
    action = payload.get("action") or "select"
    if action not in ACTIONS:
        return None
    content: str = turn["content"]
    t_start, t_end = _turn_range(turn)
    result = {"id": ident, "action": action, "turn": ordinal}
    if action == "turn":
        return {**result, "start": t_start, "end": t_end, "text": content}

    start16, end16 = _int(payload.get("start16")), _int(payload.get("end16"))
    if start16 is None or end16 is None:
        return None
    if end16 < start16:
        start16, end16 = end16, start16
    index = Utf16Index(content)
    start = index.to_codepoint_outward(start16, side="start")
    end = index.to_codepoint_outward(end16, side="end")
    if action == "sentence":
        return {**result, "start": t_start + start, "end": t_start + start, "text": ""}
    if end <= start:
        return None
    result = {**result, "start": t_start + start, "end": t_start + end, "text": content[start:end]}
    if action == "code":  # the picker's write: code keys (or a new code's name), and the text the browser showed
        codes, new = payload.get("codes"), _new_code(payload.get("new"))
        if new is not None and codes in (None, []):
            codes = []
        elif not isinstance(codes, list) or not 0 < len(codes) <= 20 or \
                not all(isinstance(c, str) and 0 < len(c) <= 200 for c in codes):
            return None
        shown = payload.get("text")
        result |= {"codes": list(codes), **({"new": new} if new is not None and not codes else {}),
                   **({"shown": shown} if isinstance(shown, str) else {})}
    return result


def _new_code(value: Any) -> dict[str, str] | None:
    """A new code asked for from the picker: {"label", "codebook"}, both non-empty and short, or None."""
    if not isinstance(value, Mapping):
        return None
    label, book = value.get("label"), value.get("codebook")
    if not isinstance(label, str) or not isinstance(book, str) or not label.strip() or not book:
        return None
    if len(label) > 200 or len(book) > 200:
        return None
    return {"label": label, "codebook": book}


def _component_data(turns: Sequence[Mapping[str, Any]], per_turn: dict[int, list[dict[str, Any]]],
                    focus_turn: int | None, height: int, window: Mapping[str, Any] | None = None,
                    hits: Mapping[int, list[dict[str, Any]]] | None = None, codes: Sequence[Mapping] = (),
                    refused: Mapping[str, str] | None = None,
                    anchor: Mapping[str, int] | None = None, new_code: str | None = None) -> dict[str, Any]:
    hits = hits or {}
    data = {
        # A tuple, not a list: Streamlit checks every top-level list of a component's data for a dataframe (a
        # scan of all turns on every rerun); a tuple is never one, and JSON writes it as the same array.
        "turns": tuple(
            {
                "ordinal": int(t["ordinal"]),
                "label": t.get("label"),
                "role": str(t.get("role") or ""),
                "who": str(t.get("who") or ""),
                "content": t["content"],
                "highlights": per_turn.get(int(t["ordinal"]), []),
                # find's marks, only on the turns that have some (never codable: no segment)
                **({"hits": [{"start16": int(h["start16"]), "end16": int(h["end16"]), "current": bool(h.get("current"))}
                             for h in hits[int(t["ordinal"])]]} if hits.get(int(t["ordinal"])) else {}),
            }
            for t in turns
        ),
        "focus_turn": focus_turn,
        "height": int(height),
        "codes": tuple(codes),  # the keyboard picker's codes (`ui.keyboard_coding.picker_codes`)
    }
    if refused:
        data["refused"] = dict(refused)
    if window is not None:
        data["window"] = {"first": int(window["first"]), "count": int(window["count"]), "step": int(window["step"]),
                          "chars": tuple(window["chars"])}
    if new_code:
        data["new_code"] = {"codebook": new_code}  # the picker offers to make a code there
    if anchor is not None:
        data["anchor"] = {"ordinal": int(anchor["ordinal"]), "jump": int(anchor["jump"])}
    return data


# --- the Streamlit wrapper -----------------------------------------------------------------------

def transcript_view(
    turns: list[dict],
    highlights: list[dict],
    *,
    key: str,
    focus_turn: int | None = None,
    height: int = 640,
    per_turn: dict[int, list[dict[str, Any]]] | None = None,
    window: Mapping[str, Any] | None = None,
    anchor: Mapping[str, int] | None = None,
    hits: Mapping[int, list[dict[str, Any]]] | None = None,
    codes: Sequence[Mapping[str, Any]] = (),
    refused: Mapping[str, str] | None = None,
    new_code: str | None = None,
) -> dict | None:
    """Show a transcript for coding; return the researcher's new selection once, else None.

    See the module docstring for the shapes of `turns`, `highlights` and the result. A caller that
    caches `highlights_for_turns(highlights, turns)` passes it as `per_turn` (then `highlights` is unused).

    `turns` may be a window of a long transcript: then `window` is {"first": index of turns[0] in the document,
    "count": turns in the document, "step", "chars"} (`ui.transcript_window.outline` plus "first"), and `anchor`
    {"ordinal", "jump"} the turn the component puts at the top of its view when it is mounted or "jump" changes.
    Scrolling near the window's ends returns {"id", "action": "window", "index"} once.

    `hits` marks find's hits: {ordinal: [{"start16", "end16", "current": bool}]} (UTF-16 units in the turn's
    content, `ui.document_find.hits_for_turns`), drawn as marks (the current one stronger, scrolled into view).

    `codes` feeds the keyboard picker ({"key", "label", "colour", "terms"?, "recent"?}); a picker coding returns
    {"id", "action": "code", "turn", "start", "end", "text", "shown", "codes"} once. `refused` ({"refused": id,
    "reason"}, one run) removes that coding's pending highlight. With `new_code` (a codebook key) the picker also
    offers to make a code of what was typed in that codebook: the result then has "codes": [] and "new": {"label",
    "codebook"}.
    """
    if per_turn is None:
        per_turn = highlights_for_turns(highlights, turns)
    acknowledge(key, pending_trigger(key))  # what the browser says it holds
    data = pack(key, _component_data(turns, per_turn, focus_turn, height, window, hits, codes, refused, anchor,
                                     new_code))
    result = _transcript_component(key=key, data=data, height="content", on_selection_change=_ignore)
    payload = result.get(TRIGGER)
    if isinstance(payload, Mapping) and payload.get("action") == "resync":
        selection = None  # taken above: this run's payload is whole
    elif isinstance(payload, Mapping) and payload.get("action") == "window":
        selection = window_request(payload, window)
    elif isinstance(payload, Mapping) and payload.get("action") == "segment":
        selection = segment_request(payload, per_turn, turns)
    else:
        selection = selection_from_payload(payload, turns)
    if selection is None:
        return None
    seen_key = f"_kp_transcript_seen::{key}"
    seen: list[str] = st.session_state.get(seen_key, [])
    if selection["id"] in seen:
        return None
    st.session_state[seen_key] = [*seen, selection["id"]][-_SEEN_LIMIT:]
    return selection


def window_request(payload: Mapping[str, Any], window: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The component scrolled near an end of its window: the turn index it wants drawn, if the document has it."""
    ident, index = payload.get("id"), _int(payload.get("index"))
    if not isinstance(ident, str) or not ident or len(ident) > 200 or window is None or index is None:
        return None
    if not 0 <= index < int(window["count"]):
        return None
    return {"id": ident, "action": "window", "index": index}


def segment_request(payload: Mapping[str, Any], per_turn: Mapping[int, Sequence[Mapping[str, Any]]],
                    turns: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """A click on a chip of the code margin: only for a segment highlighted in a turn this component shows."""
    ident, ordinal, segment = payload.get("id"), _int(payload.get("turn")), payload.get("segment")
    if not isinstance(ident, str) or not ident or len(ident) > 200 or ordinal is None or not isinstance(segment, str):
        return None
    if not any(int(t["ordinal"]) == ordinal for t in turns):
        return None
    if not any(h.get("segment") == segment for h in per_turn.get(ordinal, ())):
        return None
    return {"id": ident, "action": "segment", "turn": ordinal, "segment": segment}


def pending_trigger(key: str) -> Any:
    """This run's trigger payload of the component mounted under `key`, read before it is mounted (Streamlit shows
    a v2 component's trigger values in its session state), so the run can act on it (a window, an
    acknowledgement) before drawing; None when there is none."""
    state = st.session_state.get(key)
    return state.get(TRIGGER) if isinstance(state, Mapping) else None


def _ignore() -> None:
    """The trigger needs a callback to be part of the component's result; the value is read after mounting."""
