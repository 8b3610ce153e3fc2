"""Blind double coding on the pages: what this person codes blind, and closing what would show others' work."""

from __future__ import annotations

import streamlit as st

from coding.assignments import BlindScope, blind_scope
from store.models import Project
from ui.state import md_escape, my_name


def my_blind_scope(session, project: Project) -> BlindScope:  # type: ignore[no-untyped-def]
    """The documents this person codes blind in the project (none when they code nothing blind)."""
    return blind_scope(session, project, my_name())


def closed_because(scope: BlindScope, what: str) -> str:
    """The reason, as a sentence."""
    reason = scope.closed(what)
    return reason[:1].upper() + reason[1:] + "."


def close_if_blind(session, project: Project, what: str) -> BlindScope:  # type: ignore[no-untyped-def]
    """Stop a page that counts or quotes everyone's codings while this person codes a document blind."""
    scope = my_blind_scope(session, project)
    if scope.active:
        st.info(md_escape(closed_because(scope, what)))
        st.stop()
    return scope


def blind_here(project: Project, document_guid: str, me: str | None) -> None:
    """On a document this person codes blind: say so, and let them say when they have finished."""
    from coding.assignments import finish_assignment, list_assignments
    from store.db import read_session
    from store.privileges import Permission
    from ui.state import actor, engine, run_write

    if not me:
        return
    with read_session(engine()) as s:
        mine = [a for a in list_assignments(s, project)
                if a.document_guid == document_guid and a.coder == me and a.blind and not a.revealed]
    if not mine:
        return
    title = mine[0].document
    if mine[0].finished:
        st.info(md_escape(f"You code '{title}' blind: the other coders' codings on it are hidden. You said you "
                          "finished; an owner reveals it."))
        return
    st.info(md_escape(f"You code '{title}' blind: the other coders' codings on it, and the analyses that count "
                      "them, are hidden until an owner reveals it."))
    if st.button("I have finished coding this document", key=f"finish_{document_guid}"):
        run_write(lambda s: finish_assignment(s, project, document_guid, coder=me, actor=actor(Permission.CODE)),
                  f"You finished '{title}'; an owner can reveal it now.")
