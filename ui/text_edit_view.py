"""Correcting a turn on the Documents page: preview which segments the edit changes (before and after, side by
side), confirm other coders' ones, save, and undo; and the segments an edit left without text, for review.
Transcript text is shown with st.text, never as Markdown or HTML."""

from __future__ import annotations

import streamlit as st

from cases.documents import TurnView
from coding.text_edits import TextEdit, edit_turn, join_turns, review_list, split_turn, undo_edit
from coding.workspace import delete_segment
from store.db import read_session
from store.errors import Refused
from store.models import Project
from store.privileges import Permission
from ui.identity import refusal
from ui.state import actor, engine, md_escape, my_name, run_write


def edit_section(project: Project, document_guid: str, turns: list[TurnView], text: str) -> None:
    if refusal(Permission.BUILD) is not None:
        return
    with st.expander("Correct a turn's text"):
        st.caption("Every segment follows the text: a word inserted inside a segment grows it, text deleted from "
                   "it shrinks it, and a segment whose whole text goes is kept for review, never lost. Other "
                   "coders' segments change only after you have looked at them.")
        number = st.number_input("Turn", 1, len(turns), 1, key=f"edit_turn_{document_guid}")
        turn = turns[number - 1]
        current = text[turn.content_start:turn.end]
        new = st.text_area("Text", value=current, key=f"edit_text_{document_guid}_{number}", height=150)
        preview: TextEdit | None = None
        if new != current:
            try:
                with read_session(engine()) as s:  # a preview writes nothing
                    preview = edit_turn(s, project, document_guid, number, new, dry_run=True, actor=my_name() or "")
            except Refused as exc:
                st.error(md_escape(str(exc)))
        if preview is not None:
            show_touched(preview)
            others = preview.others(my_name() or "")
            sure = True
            if others:
                sure = st.checkbox(md_escape(f"I have looked at the {len(others)} segment(s) of "
                                             f"{', '.join(sorted({t.coder for t in others}))} this changes"),
                                   key=f"edit_sure_{document_guid}")
            if st.button("Save the edit", type="primary", disabled=not sure, key=f"edit_save_{document_guid}"):
                run_write(lambda s: _saved(edit_turn(s, project, document_guid, number, new, actor=actor(
                    Permission.BUILD), confirm_others=bool(others))))
        s1, s2, s3 = st.columns([2, 1, 1])
        at = s1.number_input("Split this turn after character", 1, max(1, len(current) - 1), max(1, len(current) // 2),
                             key=f"split_at_{document_guid}_{number}",
                             help="The rest starts a new turn of the same speaker.")
        others_ok = st.checkbox("Other coders' segments across the split or join may change (they are listed "
                                "after it)", key=f"split_others_{document_guid}")
        if s2.button("Split", key=f"split_{document_guid}", disabled=len(current) < 2):
            run_write(lambda s: _saved(split_turn(s, project, document_guid, number, int(at),
                                                  actor=actor(Permission.BUILD), confirm_others=others_ok)))
        if s3.button("Join with the next", key=f"join_{document_guid}", disabled=number >= len(turns)):
            run_write(lambda s: _saved(join_turns(s, project, document_guid, number,
                                                  actor=actor(Permission.BUILD), confirm_others=others_ok)))
        if st.button("Undo my last edit of this document", key=f"edit_undo_{document_guid}"):
            def undo(session) -> str:  # type: ignore[no-untyped-def]
                undone = undo_edit(session, project, document_guid, actor=actor(Permission.BUILD))
                return f"Undid the edit of {undone.where}: the previous text and every segment are back."

            run_write(undo)


def _saved(result: TextEdit) -> str:
    review = sum(t.needs_review for t in result.touched)
    return (f"Saved {result.where}: {result.carried} segment(s) carried, {len(result.touched)} changed"
            + (f", {review} kept for review (their text was deleted)." if review else "."))


def show_touched(preview: TextEdit) -> None:
    if not preview.touched:
        st.caption(f"No segment's text changes; {preview.carried} segment(s) move with the text.")
        return
    st.markdown(f"**{len(preview.touched)} segment(s) change:**")
    for t in preview.touched:
        left, right = st.columns(2)
        left.caption(md_escape(f"{t.coder}, before ({t.before[0]}–{t.before[1]})"))
        left.text(t.before_text)
        if t.after is None:
            right.caption("after: all of its text is deleted; it is kept for review")
        else:
            right.caption(f"after ({t.after[0]}–{t.after[1]})")
            right.text(t.after_text)


def review_section(project: Project, document_guid: str) -> None:
    """Segments an edit left without text: who made them, their codes, the text they had; a coder removes theirs."""
    with read_session(engine()) as s:
        waiting = review_list(s, project, document_guid)
    if not waiting:
        return
    with st.expander(f"{len(waiting)} segment(s) need review after an edit", expanded=True):
        st.caption("Their whole text was deleted by an edit. They still count in the matrices, with the text they "
                   "had, until their coder removes them (or recodes the new text and removes them).")
        for item in waiting:
            st.markdown(md_escape(f"{item.coder} · {', '.join(item.codes)}"))
            st.text(item.text)
            if item.coder == my_name() and st.button("Remove it", key=f"review_remove_{item.guid}"):
                def remove(session, guid: str = item.guid) -> str:  # type: ignore[no-untyped-def]
                    delete_segment(session, project, guid, actor=actor(Permission.CODE))
                    return "Removed the segment."

                run_write(remove)


def speaker_section(project: Project, document_guid: str, speakers: list, persons: list[str]) -> None:  # type: ignore[type-arg]
    """Correct a speaker's role, person or label (the label is rewritten in the transcript too)."""
    from coding.speaker_edits import set_speaker
    from store.models import SPEAKER_ROLES

    if not speakers or refusal(Permission.BUILD) is not None:
        return
    with st.expander("Correct a speaker"), st.form(f"speaker_{document_guid}"):
        labels = [sp.label for sp, _ in speakers]
        c1, c2, c3, c4 = st.columns(4)
        label = c1.selectbox("Speaker", labels, key=f"speaker_label_{document_guid}")
        current = next(sp for sp, _ in speakers if sp.label == label)
        role = c2.selectbox("Role", SPEAKER_ROLES, index=SPEAKER_ROLES.index(current.role)
                            if current.role in SPEAKER_ROLES else 0, key=f"speaker_role_{document_guid}")
        linked = next((p.name for sp, p in speakers if sp.label == label and p is not None), "none")
        choices = ["none", *persons]
        person = c3.selectbox("Person", choices, index=choices.index(linked) if linked in choices else 0,
                              key=f"speaker_person_{document_guid}")
        new_label = c4.text_input("New label", value="", key=f"speaker_new_{document_guid}",
                                  help="Also written into the transcript where this speaker's turns begin.")
        if st.form_submit_button("Save speaker"):
            def change(session) -> str:  # type: ignore[no-untyped-def]
                done = set_speaker(session, project, document_guid, label, role=role,
                                   person=person if person != linked else None,  # unchanged: left as it is
                                   new_label=new_label or None, actor=actor(Permission.BUILD))
                return f"Speaker '{done.label}': " + ", ".join(f"{k} {v}" for k, v in done.changes.items()) + "."

            run_write(change)
