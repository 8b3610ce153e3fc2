"""Projects: create or open one, adopt codebooks, load the demo study."""

import streamlit as st

from cases.bin import WHAT, delete_project, empty_bin, list_bin, restore_from_bin
from cases.documents import project_counts
from cases.projects import get_project, list_projects
from cases.renames import rename_project
from codebooks.service import DEFAULT_CODEBOOKS, adopt_codebook, list_project_codebooks, list_templates
from coding.assignments import blind_scope
from demo.load import DEMO_PROJECT, load_demo
from store.db import read_session
from store.errors import Refused
from store.privileges import Permission
from ui.corrections import rename_form
from ui.exchange_view import export_section, import_section
from ui.identity import own_if_team, start_my_project, team_mode, visible_project_guids
from ui.members_view import members_section
from ui.state import (
    actor,
    close_project_on_next_run,
    current_project_guid,
    engine,
    flash,
    md_escape,
    my_name,
    open_project,
    request_project,
    run_write,
    show_flash,
    write_retrying,
)


def current_in(session):  # type: ignore[no-untyped-def]
    return get_project(session, current_project_guid())


def restore_said(session, guid: str) -> str:  # type: ignore[no-untyped-def]
    item, left = restore_from_bin(session, current_in(session), guid, actor=actor(Permission.DELETE))
    return f"Restored {WHAT[item.kind]} '{item.name}'." + (f" Left out: {'; '.join(left)}." if left else "")


def deleted_said(session, typed: str) -> str:  # type: ignore[no-untyped-def]
    project = current_in(session)
    name = project.name
    counts = delete_project(session, project, confirm=typed, actor=actor(Permission.DELETE))
    return (f"Deleted project '{name}' for good ({counts.get('document', 0)} documents, "
            f"{counts.get('coding', 0)} codings).")


def own_demo(session):  # type: ignore[no-untyped-def]
    """Whoever loads the demo owns it on a team server."""
    demo = next(p for p in list_projects(session) if p.name == DEMO_PROJECT)
    own_if_team(session, demo)
    return demo


st.title("Kruispunt")
st.caption("Qualitative interview coding and cross-case analysis for multiple-case studies.")

visible = visible_project_guids(engine())  # a team server lists only the person's own projects
with read_session(engine()) as s:
    everyone = list_projects(s)
    projects = [(p, project_counts(s, p, blind_scope(s, p, my_name()).visible()))
                for p in everyone if visible is None or str(p.guid) in visible]
    templates = [(t.key, t.name_en) for t in list_templates(s)]
    demo_exists = any(p.name == DEMO_PROJECT for p in everyone)

if not demo_exists:
    with st.container(border=True):
        st.markdown("**New here?** Load the demo study: three regional networks (a Dutch–German business club, "
                    "a health cooperative, 21 municipalities), interviews in Dutch and German, coded by three "
                    "researchers with value-creation cycles and enabling conditions.")
        if st.button("Load demo project", type="primary", key="load_demo"):
            with st.spinner("Importing and coding the demo transcripts…"):
                try:
                    summary = load_demo(engine(), actor=my_name() or "demo")  # no person's change
                except Refused as exc:
                    st.error(md_escape(str(exc)))
                else:
                    flash(
                        f"Demo loaded: {summary['cases']} cases, {summary['documents']} documents, "
                        f"{summary['persons']} persons, {summary['codings']} codings, {summary['memos']} memos.")
                    demo = write_retrying(own_demo)
                    request_project(str(demo.guid))

show_flash()
st.subheader("Projects")
if not projects:
    st.write("No projects yet.")
for project, counts in projects:
    is_open = str(project.guid) == current_project_guid()
    cols = st.columns([4, 4, 1])
    cols[0].markdown(f"**{md_escape(project.name)}**" + (" · open" if is_open else ""))
    cols[1].caption(f"{counts['cases']} cases · {counts['documents']} documents · {counts['persons']} persons · "
                    f"{counts['codings']} codings")
    cols[2].button("Open", key=f"open_{project.guid}", on_click=open_project, args=(str(project.guid),),
                   disabled=is_open)

with st.form("create_project", clear_on_submit=True):
    st.markdown("**New project**")
    name = st.text_input("Name")
    keys = st.multiselect("Codebooks", [k for k, _ in templates], default=list(DEFAULT_CODEBOOKS),
                          format_func=dict(templates).get)
    if st.form_submit_button("Create project"):
        try:
            guid = str(write_retrying(lambda s: start_my_project(s, name, keys).guid))
        except Refused as exc:
            st.error(md_escape(str(exc)))
        else:
            request_project(guid)

import_section(current_project_guid())

if current_project_guid():
    with read_session(engine()) as s:
        current = next(p for p, _ in projects if str(p.guid) == current_project_guid())
        adopted = {b.key for b in list_project_codebooks(s, current)}
    with st.expander(f"Rename '{md_escape(current.name)}'"):
        rename_form("project", "the project", current.name,
                    lambda s, new, shown: rename_project(s, get_project(s, str(current.guid)), new,
                                                         actor=actor(Permission.MANAGE), shown=shown))
    available = [k for k, _ in templates if k not in adopted]
    if available:
        with st.form("adopt"):
            st.markdown(f"**Adopt a codebook into '{md_escape(current.name)}'**")
            key = st.selectbox("Codebook", available, format_func=dict(templates).get)
            if st.form_submit_button("Adopt"):
                try:
                    write_retrying(lambda s: adopt_codebook(s, current, key, actor=actor(Permission.BUILD)))
                except Refused as exc:
                    st.error(md_escape(str(exc)))
                else:
                    flash(f"Adopted codebook '{key}'.")
                    st.rerun()

if current_project_guid():
    export_section(current_project_guid())

if current_project_guid() and team_mode():
    members_section(current_project_guid())

if current_project_guid():
    with read_session(engine()) as s:
        current = get_project(s, current_project_guid())
        binned = list_bin(s, current)
    st.subheader(f"Bin of '{md_escape(current.name)}'")
    if not binned:
        st.caption("Nothing deleted. Deleted documents, cases, persons, attributes and focus-group sessions wait "
                   "here, whole, until they are restored or the bin is emptied.")
    for item in binned:
        cols = st.columns([5, 1])
        cols[0].markdown(md_escape(f"{WHAT[item.kind].capitalize()} '{item.name}' · deleted by {item.deleted_by} "
                                   f"on {item.deleted_at:%Y-%m-%d %H:%M} UTC"))
        cols[0].caption(md_escape("; ".join(item.summary.get("goes", [])) or "nothing else went with it"))
        if cols[1].button("Restore", key=f"restore_{item.guid}"):
            run_write(lambda s, guid=str(item.guid): restore_said(s, guid))
    if binned:
        with st.expander("Empty the bin for good"):
            typed = st.text_input("Type the project's name to confirm", key="empty_bin_confirm")
            if st.button("Empty the bin", key="empty_bin", disabled=not typed):
                run_write(lambda s: f"Emptied the bin: {empty_bin(s, current_in(s), confirm=typed, actor=actor(Permission.DELETE))}"
                                         " item(s) deleted for good.")
    with st.expander(f"Delete '{md_escape(current.name)}' for good"):
        st.caption("A whole project does not go to a bin: its documents, codings, memos and cells are deleted for "
                   "good. Export what you need first.")
        typed_name = st.text_input("Type the project's name to confirm", key="delete_project_confirm")
        if st.button("Delete the project", key="delete_project", disabled=not typed_name):
            run_write(lambda s: deleted_said(s, typed_name), then=close_project_on_next_run)
