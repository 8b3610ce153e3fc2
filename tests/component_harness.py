"""A fixed transcript in the transcript component, for AppTest and browser tests (not a test itself).

Run: `python -m streamlit run tests/component_harness.py --server.headless true`. It shows the
component and, below it, the last value `transcript_view` returned (st.json) and how many
values it has returned in this session.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from ui.transcript_component import transcript_view  # noqa: E402

FAMILY = "\U0001F469\u200d\U0001F469\u200d\U0001F467"
LINES = [
    ("I", "interviewer", "I · interviewer (A-I1)", "Wat gebeurde er daarna?"),
    ("R", "respondent", "R · respondent (A-R1)",
     'Iemand typte <script>window.__owned=1</script> in de chat, en ook <img src=x onerror="window.__owned=2">.'),
    ("R", "respondent", "R · respondent (A-R1)",
     "Toen lachten we \U0001F600 om de Straße in Gießen, om het cafe\u0301 en om de ĳssalon; "
     "niemand schrok. Daarna gingen we naar huis."),
    ("I", "interviewer", "I · interviewer (A-I1)", f"En de familie? {FAMILY} Die kwam later, zei je."),
]


def build_document() -> tuple[str, list[dict]]:
    """The document text ("LABEL: content" per line) and its turns with code point offsets."""
    text = ""
    turns: list[dict] = []
    for ordinal, (label, role, who, content) in enumerate(LINES, start=1):
        prefix = f"{label}: "
        turns.append({"ordinal": ordinal, "label": label, "role": role, "who": who, "content": content,
                      "start": len(text) + len(prefix)})
        text += prefix + content + "\n"
    return text, turns


DOCUMENT, TURNS = build_document()


def _span(phrase: str) -> tuple[int, int]:
    start = DOCUMENT.index(phrase)
    return start, start + len(phrase)


H1 = _span("lachten we \U0001F600 om de Straße")
H2 = (DOCUMENT.index("Straße in Gießen"), DOCUMENT.index("En de familie") + len("En de familie"))
HIGHLIGHTS = [
    {"segment": "00000000-0000-4000-8000-000000000001", "start": H1[0], "end": H1[1], "colour": "#E4572E",
     "codes": ["emotion.joy"], "title": "emotion.joy — Joy"},
    {"segment": "00000000-0000-4000-8000-000000000002", "start": H2[0], "end": H2[1], "colour": "#2E86AB",
     "codes": ["place", "network.family"], "title": "place — Place\nnetwork.family — Family"},
]

if __name__ == "__main__":
    st.set_page_config(page_title="Transcript component harness", layout="wide")
    focus = st.query_params.get("focus")
    value = transcript_view(TURNS, HIGHLIGHTS, key="transcript",
                            focus_turn=int(focus) if focus and focus.isdigit() else None, height=420)
    if value is not None:
        st.session_state["last_value"] = value
        st.session_state["received"] = st.session_state.get("received", 0) + 1
    st.markdown(f"received: **{st.session_state.get('received', 0)}**")
    st.json(st.session_state.get("last_value") or {}, expanded=True)
