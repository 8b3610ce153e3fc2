"""The open project's members on the Projects page (team mode): who is in, with which role; an owner invites,
changes roles and takes people out. Every change is one transaction and one logged event."""

from __future__ import annotations

import streamlit as st

from cases.members import add_member, list_members, remove_member, set_member_role
from cases.projects import get_project
from store.db import read_session
from store.privileges import Permission, Role
from ui.identity import acting, actor
from ui.state import EMPTY, engine, md_escape, run_write

ROLE_WORDS = {
    "owner": "owner: manages members, deletes, empties the bin, sets primary coders",
    "coder": "coder: codes and writes memos; edits and undoes only their own work",
    "facilitator": "facilitator: presents and records feedback; sees anonymised quotes unless allowed names",
    "viewer": "viewer: reads",
}


def members_section(project_guid: str) -> None:
    with read_session(engine()) as s:
        project = get_project(s, project_guid)
        rows = [{"e-mail": m.email, "coder": c.name, "role": m.role, "signed in": a is not None,
                 "sees names": m.role != Role.FACILITATOR.value or m.show_names}
                for m, c, a in list_members(s, project)]
        name = project.name
    st.subheader(f"Members of '{md_escape(name)}'")
    st.dataframe(rows, hide_index=True, width="stretch", placeholder=EMPTY)
    if not acting().role.can_manage():
        st.caption("Only an owner changes who is in this project.")
        return
    emails = [r["e-mail"] for r in rows]
    with st.form("member_add", clear_on_submit=True):
        st.markdown("**Invite someone**")
        email = st.text_input("E-mail address", help="They join when they first sign in with this address.")
        role = st.selectbox("Role", [r.value for r in Role], index=1, format_func=ROLE_WORDS.get, key="member_add_role")
        coder = st.text_input("Coder name (optional)", help="What their work is recorded as; default: the part of "
                                                            "the e-mail address before @. An existing coder of that "
                                                            "name becomes theirs.")
        if st.form_submit_button("Invite"):
            def invite(s) -> str:  # type: ignore[no-untyped-def]
                member = add_member(s, get_project(s, project_guid), email, role, coder=coder or None,
                                    actor=actor(Permission.MANAGE))
                return f"Invited {member.email} as {member.role}."
            run_write(invite)
    with st.form("member_role"):
        st.markdown("**Change a role**")
        who = st.selectbox("Member", emails, key="member_role_who")
        new_role = st.selectbox("New role", [r.value for r in Role], format_func=ROLE_WORDS.get, key="member_role_new")
        names = st.checkbox("A facilitator may see real names", key="member_role_names")
        if st.form_submit_button("Change role") and who:
            def change(s) -> str:  # type: ignore[no-untyped-def]
                member = set_member_role(s, get_project(s, project_guid), who, new_role, show_names=names,
                                         actor=actor(Permission.MANAGE))
                return f"{member.email} is now {member.role}."
            run_write(change)
    with st.expander("Take someone out of the project"):
        gone = st.selectbox("Member", emails, key="member_remove_who")
        st.caption("Their codings, memos and feedback stay, under their coder name.")
        if st.button("Remove from the project", key="member_remove") and gone:
            run_write(lambda s: f"Removed {remove_member(s, get_project(s, project_guid), gone, actor=actor(Permission.MANAGE))}.")
