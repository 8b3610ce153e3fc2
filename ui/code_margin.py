"""The code margin beside the transcript: what each highlight carries for it, and opening a segment from it.

The transcript component draws one chip per segment beside its turn (the codes' colours and labels, and the
coder's initials when the page shows several coders' codings); a click on a chip returns
{"id", "action": "segment", "turn", "segment"} once, and `open_segment` then opens that segment in the Coding
page's segment editor (the turn in focus, the editor expanded, the segment chosen).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import streamlit as st

from coding.workspace import SegmentView

SEGMENTS_OPEN = "coding_segments_open"  # the expanded state of "Codings in this document"
SEGMENT_CHOICE = "edit_segment"  # the segment chosen in it
_EDIT_KEYS = ("edit_coding", "edit_new_code", "edit_start", "edit_end")  # its form, reset for another segment


def coder_initials(names: Iterable[str]) -> dict[str, str]:
    """Short, distinct initials per coder name: "Sanne de Wit" → "SdW", "Lieke" → "Li"; two names with the same
    initials get more letters of the first name ("SdW", "SadW"), failing that the whole name."""
    unique = sorted(set(names))

    def initials(name: str, extra: int) -> str:
        words = name.split()
        if not words:
            return "?"
        if len(words) == 1:
            return words[0][:2 + extra]
        return words[0][:1 + extra] + "".join(w[0] for w in words[1:])

    result: dict[str, str] = {}
    for extra in range(4):
        wanted = {n: initials(n, extra) for n in unique if n not in result}
        counts: dict[str, int] = {}
        for short in [*wanted.values(), *result.values()]:
            counts[short] = counts.get(short, 0) + 1
        result.update({n: s for n, s in wanted.items() if counts[s] == 1})
    result.update({n: n for n in unique if n not in result})
    return result


def margin_highlights(segments: Sequence[SegmentView], with_memo: frozenset[uuid.UUID] = frozenset()) -> list[dict]:
    """One highlight per coding, in the component's shape, with what the margin shows: "label" (the code's label in
    the page's label language, the key where it has none) and, only when the segments are by more than one coder,
    "by" (the coder's initials). Nothing else is added, so a one-coder page sends no more than before."""
    several = len({seg.coder for seg in segments}) > 1
    initials = coder_initials(seg.coder for seg in segments) if several else {}
    rows = []
    for seg in segments:
        for coding in seg.codings:
            row = {"segment": str(seg.guid), "start": seg.start, "end": seg.end, "colour": coding.colour,
                   "codes": [coding.key], "label": coding.label or coding.key,
                   "title": f"{coding.label} ({coding.key}) · {seg.coder}", "memo": seg.guid in with_memo}
            if several:
                row["by"] = initials[seg.coder]
            rows.append(row)
    return rows


def segment_choice_label(segment: SegmentView) -> str:
    """How the segment editor lists a segment (its selectbox option)."""
    return f"{segment.start}–{segment.end} · {', '.join(c.key for c in segment.codings)} · {segment.coder}"


def open_segment(result: Mapping[str, Any], segments: Sequence[SegmentView]) -> bool:
    """Open the segment a margin chip was clicked for in the segment editor: its turn in focus (the URL), the editor
    expanded, the segment chosen and its form reset. False when the segment is no longer shown."""
    segment = next((s for s in segments if str(s.guid) == result.get("segment")), None)
    if segment is None:
        return False
    st.query_params["turn"] = str(result["turn"])
    st.session_state[SEGMENTS_OPEN] = True
    st.session_state[SEGMENT_CHOICE] = segment_choice_label(segment)
    for key in _EDIT_KEYS:
        st.session_state.pop(key, None)
    return True
