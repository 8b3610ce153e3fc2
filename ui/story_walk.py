"""Presentation mode's story walk: one value-creation story at a time, anonymised, with a remark recordable on
each step. Every text is shown escaped, never as HTML or Markdown."""

from __future__ import annotations

import streamlit as st

from focusgroups.feedback import STANCE_LABELS, STANCES_BY_PURPOSE, feedback_undoable, list_feedback, record_feedback
from focusgroups.presentation import attendee_roles
from focusgroups.sessions import get_session
from store.db import read_session
from store.errors import Refused
from store.privileges import Permission
from ui.analysis_cache import load_story_walk
from ui.identity import show_names_choice
from ui.state import actor, engine, md_escape, run_write, show_flash
from ui.undo_offers import undo_redo_line

PICKED = "pres_story_pick"  # the step the feedback form is about


def _go(step: int) -> None:
    st.session_state["pres_story_step"] = step
    st.session_state[PICKED] = None


def _pick(guid: str) -> None:
    st.session_state[PICKED] = guid


def present_stories(fg, project, revision: int, *, cases: list[str] | None,  # type: ignore[no-untyped-def]
                    own: str | None, language: str) -> None:
    show_names = show_names_choice(st, "pres_story_names")
    try:
        stories, hide = load_story_walk(str(project.guid), revision, tuple(cases) if cases is not None else None,
                                        own, show_names, language)
    except Refused as exc:
        st.info(md_escape(str(exc)))
        return
    if not stories:
        st.info("No value-creation stories of these cases yet: they are written on the Stories page.")
        return
    at = min(int(st.session_state.get("pres_story_step", 0)), len(stories) - 1)
    n1, n2, n3 = st.columns([1, 4, 1], vertical_alignment="center")
    n1.button("◀ Previous story", disabled=at == 0, on_click=_go, args=(at - 1,), key="pres_story_prev",
              width="stretch")
    n2.markdown(f"**Story {at + 1} of {len(stories)}**")
    n3.button("Next story ▶", disabled=at >= len(stories) - 1, on_click=_go, args=(at + 1,), key="pres_story_next",
              width="stretch")
    story = stories[at]
    st.header(md_escape(story.title))
    facts = [story.case_label, *([story.person] if story.person else []),
             "reaches " + ", ".join(story.cycles_reached) if story.cycles_reached else "no steps yet"]
    st.caption(md_escape(" · ".join(facts)))
    picked = st.session_state.get(PICKED)
    if picked not in {s.guid for s in story.steps}:
        picked = story.steps[0].guid if story.steps else None
    for step in story.steps:
        with st.container(border=True):
            left, right = st.columns([5, 1], vertical_alignment="center")
            left.markdown(f"**{md_escape(f'{step.position}. {step.cycle_label}')}**")
            left.markdown(md_escape(step.text))
            left.caption(md_escape(step.where))
            if step.note:
                left.caption(md_escape(f"↳ {step.note}"))
            right.button("Feedback", key=f"pres_story_step_{step.guid}", on_click=_pick, args=(step.guid,),
                         width="stretch", type="primary" if step.guid == picked else "secondary")
    if picked is not None:
        _drawer(fg, project, story, next(s for s in story.steps if s.guid == picked), hide)


def _drawer(fg, project, story, step, hide) -> None:  # type: ignore[no-untyped-def]
    """Record a remark on the step; `hide` keeps other networks' names out of the undo line and the remarks."""
    with st.expander(md_escape(f"Feedback on step {step.position} ({step.cycle_label})"), expanded=True):
        show_flash()
        roles = ["", *attendee_roles(fg)]
        with st.form("story_fb_form", clear_on_submit=True):
            f1, f2 = st.columns(2)
            stance = f1.radio("Stance", STANCES_BY_PURPOSE["validation"], horizontal=True, key="story_fb_stance",
                              format_func=STANCE_LABELS.get)
            role = f2.selectbox("Participant role", roles, key="story_fb_role",
                                format_func=lambda r: r or "unspecified")
            note = st.text_area("What was said", key="story_fb_note", height=90)
            if st.form_submit_button("Record feedback", type="primary"):
                run_write(lambda s: record_feedback(s, project, get_session(s, project, str(fg.guid)), stance=stance,
                                                    story_step=step.guid, participant_role=role, note=note,
                                                    actor=actor(Permission.PRESENT)),
                          f"Feedback recorded on step {step.position} of “{story.title}”.")
        undo_redo_line("story_fb_", project, lambda s: feedback_undoable(s, get_session(s, project, str(fg.guid))),
                       "in this session", shown=hide)
        with read_session(engine()) as s:
            records = list_feedback(s, project, fg=get_session(s, project, str(fg.guid)), story_step=step.guid)
        st.markdown(f"**Recorded in this session on this step: {len(records)}**")
        for record in records:
            st.caption(md_escape(hide(f"{STANCE_LABELS[record.stance]} · {record.participant_role or 'unspecified'}"
                                      + (f" · {record.note}" if record.note else ""))))
