"""Shapes the open document for the transcript component, and keeps the Coding page's selection state.

A selection arrives once from the browser with a client-side id (the component
returns each id once); it becomes the pending selection until codes are applied
to it or it is cancelled.
"""

from __future__ import annotations

import streamlit as st

from cases.documents import TurnView
from coding.workspace import SegmentView

PENDING_KEY = "coding_pending_selection"


def who(turn: TurnView) -> str:
    name = turn.pseudonym or turn.person
    label = turn.label or "—"
    return f"{label} · {turn.role}" + (f" ({name})" if name else "")


def transcript_payload(text: str, turns: list[TurnView], segments: list[SegmentView]) -> tuple[list[dict], list[dict]]:
    """(turns, highlights) in the component's shapes: code points, one highlight per coding for the stripes."""
    turn_rows = [
        {"ordinal": t.ordinal, "label": t.label, "role": t.role, "who": who(t),
         "content": text[t.content_start:t.end], "start": t.content_start}
        for t in turns
    ]
    highlights = [
        {"segment": str(seg.guid), "start": seg.start, "end": seg.end, "colour": coding.colour,
         "codes": [coding.key], "title": f"{coding.label} ({coding.key}) · {seg.coder}"}
        for seg in segments
        for coding in seg.codings
    ]
    return turn_rows, highlights


def take_new_selection(result: dict | None) -> dict | None:
    """Make a selection the browser just reported the pending one."""
    if result:
        st.session_state[PENDING_KEY] = result
    return result


def pending_selection() -> dict | None:
    return st.session_state.get(PENDING_KEY)


def clear_selection() -> None:
    st.session_state.pop(PENDING_KEY, None)
