"""Keyboard coding in the transcript: the component's own code picker, and the one write it sends.

With a mouse selection in the transcript, the component opens a small picker beside it (a filter field, the codes
in the order below, recently used ones first). Enter, a click or a digit 1–9 (the recently used codes) draws the
highlight at once in a "pending" style and sends one trigger

    {"id": client id, "action": "code", "turn", "start16", "end16", "text", "codes": [key]}

which `ui.transcript_component.transcript_view` returns once (as code points, like a selection, with "codes").
When what was typed names no code, the picker's last line offers "+ New code": Enter on it sends "codes": [] and
"new": {"label", "codebook"} instead, and `apply_code` makes the code and applies it in one transaction (the "New
code for this selection" form's own write), in the codebook of the most recently used code (`new_code_book`).
`apply_code` then snaps it as the Apply button would and writes it through `write_coding`, the Apply button's own
write (`coding.codings.code_span`, origin "manual"). On success the rerun draws the stored highlight; on a refusal
the page says why and the component receives {"refused": id, "reason"} for one run, which removes the pending one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from cases.projects import get_document, get_or_create_coder
from coding.codings import code_span, code_with_a_new_code
from coding.offsets import snap_to_words
from coding.picker import fold_for_search as fold
from coding.picker import pick_order
from store.errors import Refused
from ui.state import engine, flash, retry_when_busy, write_retrying

SHORTCUTS = ("Select text, then type to find a code (or a new name to make one) · Enter applies · 1–9 recent codes · "
             "Esc cancels · Alt+click codes a sentence")
_TERMS_LIMIT = 160  # characters of the other labels sent per code for the picker's filter
NOT_NAMED = "You cannot apply codes here (see the note at the top of the page)."
STALE = "The text changed since it was shown: select the passage again."


def picker_codes(choices: Sequence[Any], recent: Sequence[str]) -> tuple[dict[str, Any], ...]:
    """The compact code list for the component's picker, recently used first (as `coding.picker.pick_order`):
    {"key", "label", "colour", "terms"? (the key and every language's label, folded), "recent"? (1 for the most
    recent code, 2 for the next, …)}. A tuple: Streamlit scans no tuple for a dataframe."""
    rank = {key: i + 1 for i, key in enumerate(recent)}
    codes = []
    for choice in pick_order(list(choices), recent=list(recent)):
        # the folded haystack ends in the folded definition: keep only the key and the labels
        labels = choice.searchable.removesuffix(fold(choice.definition)).strip()
        code: dict[str, Any] = {"key": choice.key, "label": choice.label, "colour": choice.colour}
        if labels:
            code["terms"] = labels[:_TERMS_LIMIT]
        if choice.key in rank:
            code["recent"] = rank[choice.key]
        codes.append(code)
    return tuple(codes)


def new_code_book(choices: Sequence[Any], recent: Sequence[str]) -> str | None:
    """Where a code made from the picker goes: the codebook of the most recently used code, else the first one."""
    books = {choice.key: choice.codebook for choice in choices}
    for key in recent:
        if key in books:
            return books[key]
    return choices[0].codebook if choices else None


def refused_key(document_guid: str) -> str:
    return f"_kp_code_refused::{document_guid}"


def take_refusal(document_guid: str) -> dict[str, str] | None:
    """The refusal of the last keyboard coding, given to the component for one run."""
    return st.session_state.pop(refused_key(document_guid), None)


def write_coding(o: Any, start: int, end: int, keys: list[str]) -> str | None:
    """Apply `keys` to [start, end) of the open document as the page's coder: the Apply button's write. Returns
    None when stored, else the one-line reason it was refused."""
    if not o.named:
        return NOT_NAMED
    try:
        retry_when_busy(lambda: code_span(engine(), o.project.guid, o.guid, o.me, start, end, keys, actor=o.me))
    except Refused as exc:
        return str(exc)
    return None


def coding_request(request: Mapping[str, Any], text: str, *, snap: bool) -> tuple[int, int] | str:
    """The span a keyboard coding asks for, snapped as the Apply button's selection is, or why it cannot be used:
    the browser's text of the span must still be the document's (else the text changed since it was shown)."""
    start, end = int(request["start"]), int(request["end"])
    shown = request.get("shown")
    if isinstance(shown, str) and shown != text[start:end]:
        return STALE
    if snap:
        start, end = snap_to_words(text, start, end)
    return start, end


def apply_code(o: Any, request: Mapping[str, Any], text: str) -> bool:
    """Write one keyboard coding (from `transcript_view`'s "code" result); say what happened on the next run.
    Returns True when stored."""
    span = coding_request(request, text, snap=o.snap)
    keys = list(request["codes"])
    if isinstance(span, str):
        reason: str | None = span
    elif request.get("new"):
        reason, keys = _new_code(o, span, request["new"])
    else:
        reason = write_coding(o, span[0], span[1], keys)
    if reason is None:
        flash(f"New code {keys[0]} created and applied." if request.get("new") else f"Coded with {', '.join(keys)}.")
        return True
    flash(reason, "error")
    st.session_state[refused_key(o.guid)] = {"refused": str(request["id"]), "reason": reason}
    return False


def _new_code(o: Any, span: tuple[int, int], new: Mapping[str, str]) -> tuple[str | None, list[str]]:
    """Make the code the picker named and apply it to the span, in one transaction: (None, [its key]) or (why not,
    [])."""
    if not o.named:
        return NOT_NAMED, []

    def write(s) -> str:  # type: ignore[no-untyped-def]
        coder, _ = get_or_create_coder(s, o.project, o.me, actor=o.me)
        code, _segment = code_with_a_new_code(s, o.project, get_document(s, o.project, o.guid), coder, span[0], span[1],
                                              codebook=new["codebook"], label=new["label"], language=o.language)
        return code.key

    try:
        return None, [write_retrying(write)]
    except Refused as exc:
        return str(exc), []
