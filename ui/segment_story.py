"""What a researcher does with a value-creation segment beside the text (Coding page) or in a retrieval (Retrieve
page): mark a coding aspirational and say who its value is for, and add the segment to one of the case's stories.
Both refuse with one line what the person may not do (someone else's coding, someone else's story)."""

from __future__ import annotations

import streamlit as st

from coding.coding_flags import set_coding_flags
from coding.stories import add_step, cycles_of_segment, get_story, story_cycles
from coding.story_views import stories_for_segment
from coding.workspace import SegmentView
from store.db import read_session
from store.errors import Refused
from store.models import BENEFICIARIES
from ui.identity import acting
from ui.state import engine, md_escape, run_write

NOT_SAID = "(not said)"


def value_creation_panel(project, me: str, segment: SegmentView, rerun) -> None:  # type: ignore[no-untyped-def]
    """For a segment coded with a value-creation cycle: its marks, and adding it to a story of its case."""
    with read_session(engine()) as s:
        try:
            cycles = story_cycles(s, project)
        except Refused:
            return  # no value-creation codebook in this project
    valued = [c for c in segment.codings if any(c.code_id in cycle.members for cycle in cycles)]
    if not valued:
        return
    with st.container(border=True):  # (inside the Coding page's expander, which cannot hold another)
        st.markdown("**Value creation: marks and stories**")
        marks_form(project, me, valued, rerun)
        add_to_story_form(project, me, {segment.text[:60]: str(segment.guid)}, "coding_story", rerun, cycles=cycles)


def marks_form(project, me: str, codings: list, rerun) -> None:  # type: ignore[no-untyped-def]
    """Aspirational and beneficiary of one of these codings (only the person who put it there sets them)."""
    with st.form("coding_marks_form"):
        st.caption("Is it a hope or plan rather than something done, and who is the value for?")
        labels = {c.key: c for c in codings}
        key = st.selectbox("Coding", list(labels), key="marks_coding")
        coding = labels[key]
        aspirational = st.checkbox("Aspirational (a hope or plan, not something done)", value=coding.aspirational,
                                   key=f"marks_aspirational_{coding.guid}")
        options = [NOT_SAID, *BENEFICIARIES]
        beneficiary = st.selectbox("The value is for", options, key=f"marks_beneficiary_{coding.guid}",
                                   index=options.index(coding.beneficiary) if coding.beneficiary in options else 0)
        if st.form_submit_button("Save marks"):
            run_write(lambda s: set_coding_flags(
                s, project, coding.guid, actor=me, aspirational=aspirational,
                beneficiary=None if beneficiary == NOT_SAID else beneficiary,
                shown=(coding.aspirational, coding.beneficiary)), "Marks saved.", rerun=rerun)


def add_to_story_form(project, me: str, segments: dict[str, str], key: str, rerun,  # type: ignore[no-untyped-def]
                      *, cycles: list | None = None) -> None:
    """Add one of `segments` (label -> segment guid) to a story of its case, as the cycle it stands for there
    (`cycles`: the project's, when the caller has them already)."""
    if not segments:
        return
    label = st.selectbox("Segment", list(segments), key=f"{key}_segment") if len(segments) > 1 else next(
        iter(segments))
    guid = segments[label]
    with read_session(engine()) as s:
        try:
            cycles = cycles if cycles is not None else story_cycles(s, project)
        except Refused:
            return  # no value-creation codebook in this project: no stories
        choices = stories_for_segment(s, project, guid)
        coded = cycles_of_segment(s, project, guid, cycles)
    if not choices:
        st.caption("The case of this segment has no story yet: start one on the Stories page.")
        return
    open_ = [c for c in choices if not c.has_segment]
    with st.form(f"{key}_form"):
        names = {c.guid: f"{c.title} ({c.case}, {c.author})" for c in open_}
        story = st.selectbox("Add to story", list(names), format_func=names.get, key=f"{key}_story")
        order = coded + [c for c in cycles if c not in coded]
        cycle = st.selectbox("Standing for", [c.key for c in order], key=f"{key}_cycle",
                             format_func=lambda k: next(c.label for c in cycles if c.key == k)
                             + ("" if any(c.key == k for c in coded) else " (not coded so)"))
        note = st.text_input("How it follows from the step before", key=f"{key}_note")
        done = [c.title for c in choices if c.has_segment]
        if done:
            st.caption(md_escape(f"Already a step of: {', '.join(done)}."))
        if st.form_submit_button("Add to story", disabled=not open_):
            def add(s) -> None:  # type: ignore[no-untyped-def]
                add_step(s, project, get_story(s, project, story), guid, cycle=cycle, note=note, actor=me,
                         as_owner=acting().role.can_delete())
            run_write(add, "Added to the story: see it on the Stories page.", rerun=rerun)
