"""Projects: create or open one, adopt codebooks, load the demo study."""

import streamlit as st

from cases.documents import project_counts
from cases.projects import list_projects
from codebooks.service import DEFAULT_CODEBOOKS, adopt_codebook, list_project_codebooks, list_templates, start_project
from demo.load import DEMO_PROJECT, load_demo
from store.db import read_session, write_session
from store.errors import Refused
from ui.state import actor, current_project_guid, engine, flash, md_escape, open_project, request_project, show_flash

st.title("Kruispunt")
st.caption("Qualitative interview coding and cross-case analysis for multiple-case studies.")

with read_session(engine()) as s:
    projects = [(p, project_counts(s, p)) for p in list_projects(s)]
    templates = [(t.key, t.name_en) for t in list_templates(s)]
    demo_exists = any(p.name == DEMO_PROJECT for p, _ in projects)

if not demo_exists:
    with st.container(border=True):
        st.markdown("**New here?** Load the demo study: three regional networks (a Dutch–German business club, "
                    "a health cooperative, 21 municipalities), interviews in Dutch and German, coded by three "
                    "researchers with value-creation cycles and enabling conditions.")
        if st.button("Load demo project", type="primary", key="load_demo"):
            with st.spinner("Importing and coding the demo transcripts…"):
                try:
                    summary = load_demo(engine(), actor=actor())
                except Refused as exc:
                    st.error(str(exc))
                else:
                    flash(
                        f"Demo loaded: {summary['cases']} cases, {summary['documents']} documents, "
                        f"{summary['persons']} persons, {summary['codings']} codings, {summary['memos']} memos.")
                    with read_session(engine()) as s:
                        demo = next(p for p in list_projects(s) if p.name == DEMO_PROJECT)
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
            with write_session(engine()) as s:
                guid = str(start_project(s, name, keys, actor=actor()).guid)
        except Refused as exc:
            st.error(str(exc))
        else:
            request_project(guid)

if current_project_guid():
    with read_session(engine()) as s:
        current = next(p for p, _ in projects if str(p.guid) == current_project_guid())
        adopted = {b.key for b in list_project_codebooks(s, current)}
    available = [k for k, _ in templates if k not in adopted]
    if available:
        with st.form("adopt"):
            st.markdown(f"**Adopt a codebook into '{md_escape(current.name)}'**")
            key = st.selectbox("Codebook", available, format_func=dict(templates).get)
            if st.form_submit_button("Adopt"):
                try:
                    with write_session(engine()) as s:
                        adopt_codebook(s, current, key, actor=actor())
                except Refused as exc:
                    st.error(str(exc))
                else:
                    flash(f"Adopted codebook '{key}'.")
                    st.rerun()
