"""Navigation within the open document on the Coding page: go to turn ¶N, and find in this document.

Both move the focused turn, the `turn` query parameter the page already keeps, and jump the transcript's window
there (`ui.transcript_window.jump_to`: the component puts that turn at the top of its view). They act in callbacks
and `navigation_state` reads find's hits before anything is drawn, because the page draws the transcript before
this bar (a page load shows the transcript sooner when no other widget comes before it). Find uses the project's
own search (`coding.search.search_text` for one document: lemma matching, so "leren" finds "leerden"); its hits
go to the component per turn, in UTF-16 units, only for the window shown, as {"start16", "end16", "current": bool}.
They are marks, never codable highlights: no segment, and the selection's offsets do not change.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

from coding.offsets import Utf16Index
from coding.search import search_text
from store.db import read_session
from store.errors import Refused
from ui.state import engine, md_escape
from ui.transcript_window import jump_to

FIND_KEY = "find_in_document"
GOTO_KEY = "goto_turn"
_STATE = "_find_in_document_state"
_GOTO_MESSAGE = "_goto_turn_message"  # "no such turn", from the Go callback to the bar
FIND_LIMIT = 5_000  # hits kept per query; more are counted as "5000+"
_TURN_NUMBER = re.compile(r"\s*¶?\s*(\d{1,9})\s*")


@dataclass(frozen=True)
class Found:
    """The hits of one query in one document: (turn ordinal, start, end) in absolute code points, end exclusive."""

    query: str
    hits: tuple[tuple[int, int, int], ...]
    index: int  # the current hit
    capped: bool  # more hits than FIND_LIMIT

    @property
    def current(self) -> tuple[int, int, int] | None:
        return self.hits[self.index] if self.hits else None

    def count(self) -> str:
        if not self.hits:
            return "no hits"
        return f"hit {self.index + 1} of {len(self.hits)}{'+' if self.capped else ''}"


def turn_number(text: str | None) -> int | None:
    """The turn number people type: "12", "¶12" or "¶ 12" → 12; anything else → None."""
    match = _TURN_NUMBER.fullmatch(text or "")
    return int(match.group(1)) if match else None


def hits_for_turns(found: Found | None, turns: Sequence[Mapping[str, Any]]) -> dict[int, list[dict[str, Any]]]:
    """The hits inside `turns` (the window shown), per turn ordinal, in UTF-16 units relative to the turn's content:
    {ordinal: [{"start16", "end16", "current"}]}; turns without hits are left out."""
    if found is None or not found.hits:
        return {}
    shown = {int(t["ordinal"]): t for t in turns}
    indexes: dict[int, Utf16Index] = {}
    out: dict[int, list[dict[str, Any]]] = {}
    for k, (ordinal, start, end) in enumerate(found.hits):
        turn = shown.get(ordinal)
        if turn is None:
            continue
        index = indexes.get(ordinal)
        if index is None:
            index = indexes[ordinal] = Utf16Index(turn["content"])
        offset = int(turn["start"])
        out.setdefault(ordinal, []).append({"start16": index.to_utf16(start - offset),
                                            "end16": index.to_utf16(end - offset), "current": k == found.index})
    return out


def find_hits(project: Any, document_guid: str, query: str) -> tuple[tuple[tuple[int, int, int], ...], bool]:
    """(hits, capped) of `query` in one document, with the project's lemma matching."""
    with read_session(engine()) as session:
        found = search_text(session, project, query, document=document_guid, limit=FIND_LIMIT + 1)
    hits = tuple((h.turn if h.turn is not None else -1, h.start, h.end) for h in found)
    return hits[:FIND_LIMIT], len(hits) > FIND_LIMIT


def _focus(document_guid: str, ordinal: int) -> None:
    """Focus the turn (the URL's `turn`) and move the transcript's view to it."""
    st.query_params["turn"] = str(ordinal)
    jump_to(document_guid, ordinal)


def navigation_state(project: Any, document_guid: str, revision: int) -> Found | str | None:
    """Find's hits for this run (None without a query; a string when the query cannot be searched), read before the
    bar is drawn: the transcript is drawn first and needs them. "Go to ¶" and ◀ ▶ act in callbacks, before the run."""
    query = " ".join(str(st.session_state.get(FIND_KEY) or "").split())
    return _found(project, document_guid, revision, query)


def navigation_bar(document_guid: str, rows: Sequence[Mapping[str, Any]], state: Found | str | None) -> None:
    """Draw "Go to ¶" and "Find in this document" (above the transcript, into a container made before it)."""
    found = state if isinstance(state, Found) else None
    many = found is not None and len(found.hits) > 0
    with st.container(horizontal=True, vertical_alignment="bottom", gap="small"):
        with st.form("goto_turn_form", border=False, enter_to_submit=True, width=150), \
                st.container(horizontal=True, vertical_alignment="bottom", gap="small"):
            st.text_input("Go to ¶", key=GOTO_KEY, placeholder="¶12", width=84)
            st.form_submit_button("Go", key="goto_go", on_click=_go, args=(document_guid, rows))
        st.text_input("Find in this document", key=FIND_KEY, placeholder="a word; leren also finds leerden")
        st.button("◀", key="find_previous", disabled=not many, help="Previous hit", on_click=_step,
                  args=(document_guid, -1))
        st.button("▶", key="find_next", disabled=not many, help="Next hit", on_click=_step, args=(document_guid, 1))
        note = found.count() if found is not None else state if isinstance(state, str) else None
        st.caption(md_escape(note or " "), width=110)
    message = st.session_state.pop(_GOTO_MESSAGE, None)
    if message:
        st.warning(message)


def _go(document_guid: str, rows: Sequence[Mapping[str, Any]]) -> None:
    """"Go": focus the turn typed, or say which turns there are."""
    if not rows:
        return
    wanted = str(st.session_state.get(GOTO_KEY) or "")
    number = turn_number(wanted)
    ordinals = {int(r["ordinal"]) for r in rows}
    if number is not None and number - 1 in ordinals:
        _focus(document_guid, number - 1)
    else:
        st.session_state[_GOTO_MESSAGE] = (f"No turn {md_escape(wanted.strip() or '(empty)')} here: this document "
                                            f"has turns ¶{min(ordinals) + 1}–¶{max(ordinals) + 1}.")


def _step(document_guid: str, by: int) -> None:
    """◀ / ▶: the previous or next hit becomes the current one, and its turn is focused."""
    kept = st.session_state.get(_STATE)
    if kept is None or not kept[1].hits:
        return
    found = kept[1]
    found = Found(found.query, found.hits, (found.index + by) % len(found.hits), found.capped)
    st.session_state[_STATE] = (kept[0], found)
    _focus(document_guid, found.hits[found.index][0])


def _found(project: Any, document_guid: str, revision: int, query: str) -> Found | str | None:
    """This run's hits: searched again only when the query, the document or the project changed; a new query
    focuses its first hit. A query that cannot be searched gives the reason."""
    if not query:
        st.session_state.pop(_STATE, None)
        return None
    signature = (str(project.guid), document_guid, revision, query)
    kept = st.session_state.get(_STATE)
    if kept is not None and kept[0] == signature:
        return kept[1]
    try:
        hits, capped = find_hits(project, document_guid, query)
    except Refused as exc:
        return str(exc)
    new_query = kept is None or kept[0][1] != document_guid or kept[1].query != query
    index = 0 if new_query else min(kept[1].index, max(len(hits) - 1, 0))
    found = Found(query, hits, index, capped)
    st.session_state[_STATE] = (signature, found)
    if new_query and hits:
        _focus(document_guid, hits[0][0])
    return found
