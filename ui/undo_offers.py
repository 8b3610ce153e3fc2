"""The Undo and Redo line a page shows for the object it is about: the person's own last change there, in words.

A change that would touch someone else's work is not offered as a button; the reason is shown once instead.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from sqlalchemy.orm import Session

from store.db import read_session
from store.history import Offer, Undoable, do_again, offer, take_back
from store.privileges import Permission
from ui.identity import refusal
from ui.state import engine, md_escape, my_name, run_write


def offer_line(found: Offer, prefix: str, scope: str, shown: Callable[[str], str] = str) -> bool:
    """Show one offer (the whole description beside a short button keyed prefix + "undo"/"redo"); True when its
    button was clicked. `shown` is how the room may read it (e.g. other networks' names hidden)."""
    if found.blocked:
        st.caption(md_escape(shown(f"{found.label} — not offered: {found.blocked}.")))
        return False
    words, button = st.columns([4, 1], vertical_alignment="center")
    words.caption(md_escape(shown(found.label)))  # the whole description, which a button label would cut off
    return button.button("↶ Undo" if found.action == "undo" else "↷ Redo", key=f"{prefix}{found.action}",
                         help=f"Only your own last change {scope}.")


def undo_redo_line(prefix: str, project, kind_of: Callable[[Session], Undoable], scope: str,  # type: ignore[no-untyped-def]
                   shown: Callable[[str], str] = str) -> None:
    """Undo and redo of this person's own changes to what `kind_of` names; nothing for whoever may not undo. What
    it says (the offer and, after it ran, what was done) goes through `shown`."""
    me = my_name()
    if not me or refusal(Permission.UNDO) is not None:
        return
    with read_session(engine()) as s:
        kind = kind_of(s)
        offers = [offer(s, project, me, kind, action) for action in ("undo", "redo")]
    for found in offers:
        if found is not None and offer_line(found, prefix, scope, shown):
            run = take_back if found.action == "undo" else do_again
            done = "Undone" if found.action == "undo" else "Redone"
            run_write(lambda s, run=run, done=done, offered=found.change_id:
                      shown(f"{done}: {run(s, project, me, kind_of(s), shown=offered)}."))
