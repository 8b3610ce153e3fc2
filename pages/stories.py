"""Stories: a case's value-creation stories, built from its coded segments cycle by cycle, with the checks the
framework asks for and the value-creation matrix.

Transcript text, titles and notes are shown literally (escaped Markdown), never as HTML.
"""

import streamlit as st

from cases.projects import list_cases
from coding.stories import (
    add_step,
    create_story,
    delete_story,
    edit_step,
    edit_story,
    get_story,
    move_step,
    remove_step,
    story_cycles,
    story_persons,
)
from coding.story_undo import story_undoable
from coding.story_views import story_candidates
from store.db import read_session
from store.errors import Refused
from store.events import latest_event_id
from store.models import Case, Person
from store.privileges import Permission
from ui.analysis_cache import load_story_views
from ui.blind import closed_because, my_blind_scope
from ui.identity import acting, refusal
from ui.state import actor, engine, md_escape, project_or_stop, run_write, show_flash
from ui.stories_view import show_candidates, show_story, show_value_creation_matrix

with read_session(engine()) as s:
    project = project_or_stop(s)
    cases = list_cases(s, project)
    blind = my_blind_scope(s, project)
    missing = "the value-creation codebook has no cycle switched on"  # (when it has none)
    try:
        cycles = story_cycles(s, project)
    except Refused as exc:
        cycles, missing = [], str(exc)

st.title("Stories")
show_flash()
if not cycles:
    st.info(md_escape(missing[:1].upper() + missing[1:] + "."))
    st.stop()
if blind.active:
    st.info(md_escape(closed_because(blind, "a story")))
    st.stop()
if not cases:
    st.info("This project has no cases yet: a story follows value within one case.")
    st.stop()
st.caption("A value-creation story follows one person or group from an activity in the network through what it "
           "gave them, what they did with it and what changed. Each step is a coded segment of the case.")

case_names = {c.name: c for c in cases}
case_name = st.selectbox("Case", list(case_names), key="stories_case")
case = case_names[case_name]
with read_session(engine()) as s:
    revision = latest_event_id(s, project.guid)  # every story, coding or text change logs an event
    persons = {p.name: p.id for p in story_persons(s, project, case)}
views = load_story_views(str(project.guid), revision, case.id)
NO_PERSON = "(no one person)"


def person_of(session, name: str) -> Person | None:  # type: ignore[no-untyped-def]
    """The person a picker's name stands for (None: the story follows no one person)."""
    return session.get(Person, persons[name]) if name in persons else None

may_write = refusal(Permission.CODE) is None
if may_write:
    from ui.undo_offers import undo_redo_line

    undo_redo_line("story_", project, lambda s: story_undoable(), "to a story")


def who() -> tuple[str, bool]:
    """Who writes, and whether they may change anyone's story (an owner; local mode's researcher)."""
    return actor(Permission.CODE), acting().role.can_delete()


def change(done: str, action) -> None:  # type: ignore[no-untyped-def]
    """Run one story change (on the story named by title in its own transaction) and rerun."""
    def write(session) -> None:  # type: ignore[no-untyped-def]
        name, owner = who()
        action(session, name, owner)
    run_write(write, done)


titles = [v.title for v in views]
if st.session_state.get("stories_story_next") in titles:  # a story created a moment ago is the one shown
    st.session_state["stories_story"] = st.session_state.pop("stories_story_next")
st.subheader(md_escape(f"{len(views)} stor{'y' if len(views) == 1 else 'ies'} of {case_name}"))
chosen_title = st.selectbox("Story", titles, key="stories_story") if titles else None
chosen = next((v for v in views if v.title == chosen_title), None)
if chosen is not None:
    step_action = show_story(chosen, cycles, editable=may_write, project_guid=str(project.guid))
    if step_action is not None:
        verb, step_guid, value = step_action
        story_ref = chosen.guid

        def apply(session, name, owner, verb=verb, step_guid=step_guid, value=value):  # type: ignore[no-untyped-def]
            story = get_story(session, project, story_ref)
            if verb == "move":
                move_step(session, project, story, step_guid, value, actor=name, as_owner=owner)
            elif verb == "remove":
                remove_step(session, project, story, step_guid, actor=name, as_owner=owner)
            else:
                note, cycle, shown = value
                edit_step(session, project, story, step_guid, note=note, cycle=cycle, actor=name, as_owner=owner,
                          shown_note=shown)
        change({"move": "Step moved.", "remove": "Step removed (the segment and its codings stay).",
                "edit": "Step saved."}[verb], apply)

    if may_write:
        with st.expander("Add steps from the case's coded segments", expanded=not chosen.steps):
            with read_session(engine()) as s:
                candidates = story_candidates(s, project, case, blind=blind)
            picked = show_candidates(candidates, cycles, chosen)
            if picked is not None:
                segment, cycle, position = picked
                change("Step added.", lambda session, name, owner: add_step(
                    session, project, get_story(session, project, chosen.guid), segment, cycle=cycle,
                    position=position, actor=name, as_owner=owner))
        with st.expander("Rename, change the person, or delete this story"):
            with st.form("story_edit"):
                new_title = st.text_input("Title", value=chosen.title, key=f"story_title_{chosen.guid}")
                person_names = [NO_PERSON, *persons]
                person = st.selectbox("Person", person_names, key=f"story_person_{chosen.guid}",
                                      index=person_names.index(chosen.person) if chosen.person in persons else 0)
                if st.form_submit_button("Save story"):
                    def save(session, name, owner) -> None:  # type: ignore[no-untyped-def]
                        story = edit_story(session, project, get_story(session, project, chosen.guid),
                                           title=new_title, actor=name, as_owner=owner,
                                           person=person_of(session, person))
                        st.session_state["stories_story_next"] = story.title  # still the one shown, renamed
                    change("Story saved.", save)
            sure = st.checkbox("Yes, move this story to the bin", key=f"story_delete_sure_{chosen.guid}")
            if st.button("Delete story", key=f"story_delete_{chosen.guid}", disabled=not sure):
                change("Story moved to the bin (restore it on the Projects page's bin).",
                       lambda session, name, owner: delete_story(
                           session, project, get_story(session, project, chosen.guid), actor=name, as_owner=owner))
elif not titles:
    st.info(md_escape(f"{case_name} has no stories yet."))

if may_write:
    with st.form("story_new", clear_on_submit=True):
        st.markdown("**New story**")
        title = st.text_input("Title of the new story", key="story_new_title",
                              placeholder="e.g. Petra's pilot with German clients")
        person_names = [NO_PERSON, *persons]
        person = st.selectbox("Whose story", person_names, key="story_new_person")
        if st.form_submit_button("Create story"):
            def create(session, name, owner):  # type: ignore[no-untyped-def]
                story = create_story(session, project, session.get(Case, case.id), title,
                                     person=person_of(session, person),
                                     actor=name)
                st.session_state["stories_story_next"] = story.title  # shown on the next run
            change("Story created: add its steps below.", create)

show_value_creation_matrix(project, case)
