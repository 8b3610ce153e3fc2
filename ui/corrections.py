"""Correcting mistakes from any page: renaming, merging, deleting into the bin; one transaction each, the refusal
or the result in one line.

Names are typed by people, so every label and message shows them literally (escaped), never as Markdown.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from store.privileges import Permission
from sqlalchemy.orm import Session

from ui.state import engine, md_escape, run_write


def rename_form(key: str, what: str, current: str, rename: Callable[[Session, str, str], bool]) -> None:
    """A form to rename `what` (currently `current`); `rename(session, new, shown)` says whether anything changed,
    and refuses when the name is no longer the `shown` one (someone renamed it meanwhile)."""
    with st.form(f"rename_{key}", clear_on_submit=False):
        new = st.text_input(md_escape(f"New name for {what}"), value=current, key=f"rename_{key}_name")
        if st.form_submit_button("Rename"):
            run_write(lambda s: (f"Renamed {what} to '{' '.join(new.split())}'." if rename(s, new, current)
                                 else f"{what.capitalize()} is already called that; nothing changed."))


def delete_section(key: str, project, kind: str, ref: str, name: str) -> None:  # type: ignore[no-untyped-def]
    """Delete into the bin: first what goes with it, then a tick and a button; restorable from the Projects page."""
    from cases.bin import WHAT, delete_to_bin, preview_deletion
    from store.db import read_session
    from ui.state import actor

    if not st.toggle(f"Show what deleting this {WHAT[kind]} takes along", key=f"delete_{key}_open"):
        return  # read only on request: the preview reads every row under it
    with read_session(engine()) as s:
        preview = preview_deletion(s, project, kind, ref)
    st.markdown(md_escape(f"Deleting {WHAT[kind]} '{name}' takes along:"))
    st.text("\n".join(f"• {line}" for line in preview.goes) or "• nothing else")
    if preview.unlinks:
        st.text("and unlinks:\n" + "\n".join(f"• {line}" for line in preview.unlinks))
    sure = st.checkbox("I have read what goes with it", key=f"delete_{key}_sure")
    if st.button(f"Delete this {WHAT[kind]} into the bin", key=f"delete_{key}", disabled=not sure):
        def delete(session: Session) -> str:
            delete_to_bin(session, project, kind, ref, actor=actor(Permission.DELETE))
            return f"Deleted {WHAT[kind]} '{name}' into the bin (restore it from the Projects page)."

        run_write(delete)


def merge_section(project, source: str, others: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Merge a case into another: what moves, each conflict with both sides and a choice, then one button."""
    from cases.merge import merge_cases, merge_plan
    from cases.projects import get_case
    from store.db import read_session
    from ui.state import actor

    if not others:
        st.caption("There is no other case to merge into.")
        return
    target = st.selectbox(md_escape(f"Merge '{source}' into"), others, key=f"merge_{source}_into")
    if not st.toggle("Show what merging moves, and its conflicts", key=f"merge_{source}_open"):
        return  # planned only on request: expander content runs on every rerun of the page
    with read_session(engine()) as s:
        plan = merge_plan(s, project, get_case(s, project, source), get_case(s, project, target))
    st.text("Moves:\n" + "\n".join(f"• {line}" for line in plan.moves) if plan.moves else "Nothing to move.")
    keep: dict[str, str] = {}
    for conflict in plan.conflicts:
        choice = st.radio(
            md_escape(f"Conflict, {conflict.what}: keep which?"), ["from", "into"], index=None, horizontal=True,
            key=f"merge_{source}_{target}_{conflict.key}",
            format_func=lambda side, c=conflict: md_escape(f"'{source}': {c.source}" if side == "from"
                                                            else f"'{target}': {c.target}"))
        if choice:
            keep[conflict.key] = choice
    unresolved = len(plan.conflicts) - len(keep)
    if unresolved:
        st.caption(f"{unresolved} conflict(s) still to resolve: nothing is overwritten without a choice.")
    if st.button(md_escape(f"Merge '{source}' into '{target}'"), key=f"merge_{source}_go", disabled=bool(unresolved)):
        def merge(session: Session) -> str:
            merge_cases(session, project, get_case(session, project, source), get_case(session, project, target),
                        keep=keep, actor=actor(Permission.DELETE))
            return f"Merged case '{source}' into '{target}'."

        run_write(merge)
