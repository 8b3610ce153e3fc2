"""Who is working, in either way Kruispunt runs: local mode asks the name once; a team server signs people in.

Team mode (KRUISPUNT_MODE=team) shows nothing before an OpenID Connect sign-in through Streamlit's `st.login`
(configured under [auth] in .streamlit/secrets.toml), and then only the projects the person is a member of. The
person is their account (issuer + subject); what they do is recorded under their membership's coder, and what they
may do is their role's (`store.privileges`). Nothing typed in the sidebar or the URL says who someone is.
"""

from __future__ import annotations

import os

import streamlit as st

from cases.members import (
    Acting, acting_as_account, local_account, make_owner, projects_of, remember_local_name, signed_in_account,
)
from cases.projects import get_project
from codebooks.service import start_project
from store.db import read_session
from store.errors import Refused
from store.models import Account, Project
from store.privileges import Permission, Role

MODE_ENV = "KRUISPUNT_MODE"
_ACCOUNT = "signed_in_account"  # session-state: (issuer, subject, account id) of whoever signed in here
_ACTING = "acting_in_project"  # session-state: the Acting of this run's open project (set before any page runs)


def team_mode() -> bool:
    mode = os.environ.get(MODE_ENV, "local").strip().lower()
    if mode not in ("local", "team"):
        st.error(f"{MODE_ENV} is '{mode}': it must be 'local' or 'team'.")
        st.stop()
    return mode == "team"


def sign_in_or_stop(engine) -> None:  # type: ignore[no-untyped-def]
    """Team mode: nothing but a sign-in button until the identity provider says who this is. Local mode: the
    researcher's name, asked once."""
    if not team_mode():
        _local_name(engine)
        return
    try:
        configured = "auth" in st.secrets
    except Exception:  # no secrets file at all: Streamlit raises its own "not found" error
        configured = False
    if not configured:
        st.error("This server runs in team mode but .streamlit/secrets.toml has no [auth] section: "
                 "see 'Team server' in the README.")
        st.stop()
    if not st.user.is_logged_in:
        st.title("Kruispunt")
        st.write("Sign in with your institution's account to see your projects.")
        st.button("Sign in", type="primary", on_click=st.login)
        st.stop()
    claims = st.user.to_dict()
    identity = (str(claims.get("iss") or ""), str(claims.get("sub") or ""))
    remembered = st.session_state.get(_ACCOUNT)
    if remembered is None or tuple(remembered[:2]) != identity:
        try:
            account_id = _write(engine, lambda s: signed_in_account(
                s, *identity, name=str(claims.get("name") or ""), email=str(claims.get("email") or ""),
                email_verified=claims.get("email_verified") is not False).id)
            st.session_state[_ACCOUNT] = (*identity, account_id)
        except Refused as exc:
            st.error(_as_text(str(exc)))
            st.stop()
    with st.sidebar:
        with read_session(engine) as s:
            name = _account(s).name
        st.caption("Signed in as")
        st.markdown(_as_text(name))
        st.button("Sign out", on_click=st.logout)


def _local_name(engine) -> None:  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        account = local_account(s)
        name = account.name if account is not None else None
    with st.sidebar:
        if name is None:
            with st.form("your_name", border=False):
                typed = st.text_input("Your name", help="Asked once, and recorded with everything you change.")
                if st.form_submit_button("Remember me"):
                    _remember(engine, typed)
            return
        st.caption("You are")
        st.markdown(_as_text(name))
        with st.popover("Not you? Change the name"):
            with st.form("change_name", border=False):
                typed = st.text_input("Your name", value=name)
                if st.form_submit_button("Save name"):
                    _remember(engine, typed)


def _as_text(name: str) -> str:
    from ui.state import md_escape  # ui.state imports this module: imported when first needed

    return md_escape(name)


def _write(engine, change):  # type: ignore[no-untyped-def]
    from ui.state import write_retrying  # as _as_text: imported when first needed

    return write_retrying(change, engine)


def _remember(engine, typed: str) -> None:  # type: ignore[no-untyped-def]
    try:
        _write(engine, lambda s: remember_local_name(s, typed))
    except Refused as exc:
        st.error(str(exc))
        return
    st.rerun()


def _account(session) -> Account | None:  # type: ignore[no-untyped-def]
    if not team_mode():
        return local_account(session)
    remembered = st.session_state.get(_ACCOUNT)
    return session.get(Account, remembered[2]) if remembered else None


def visible_project_guids(engine) -> set[str] | None:  # type: ignore[no-untyped-def]
    """The projects this person may open: in team mode, theirs; in local mode, all (None)."""
    if not team_mode():
        return None
    with read_session(engine) as s:
        account = _account(s)
        return {str(p.guid) for p in projects_of(s, account)} if account is not None else set()


def establish(engine, project_guid: str | None) -> Acting:  # type: ignore[no-untyped-def]
    """Who this run acts as in the open project (or with no project open), read before any page runs, so a change
    of role or membership counts from the next click on."""
    with read_session(engine) as s:
        account = _account(s)
        if project_guid is None:
            me = Acting(account.name if account is not None else None, Role.OWNER)
        else:
            try:
                me = acting_as_account(s, get_project(s, project_guid), account)
            except Refused as exc:
                me = Acting(None, Role.VIEWER, False, refused=f"{exc}: you can read it here but change nothing")
    st.session_state[_ACTING] = me
    return me


def acting() -> Acting:
    return st.session_state.get(_ACTING) or Acting(None, Role.VIEWER, False, refused="nobody is signed in")


def actor(permission: Permission) -> str:
    """The name a change is recorded under, once the role allows it; else a refusal saying why."""
    me = acting()
    if me.name is None and not me.refused and not team_mode():
        raise Refused("give your name under 'Your name' in the sidebar first: every change records who made it")
    return me.require(permission)


def actor_for_work_of(author: str | None, permission: Permission, what: str) -> str:
    """The name to record when changing `what`, written by `author`: a coder changes only their own work; an
    owner (or, in local mode, the machine's researcher) anyone's."""
    name = actor(permission)
    if author and author != name and not acting().role.can_delete():
        raise Refused(f"{what} is {author}'s: only they (or an owner) can change it")
    return name


def show_names_choice(container, key: str) -> bool:  # type: ignore[no-untyped-def]
    """Presentation mode's "Show names" switch: only for whoever may see names (a facilitator sees anonymised
    quotes unless an owner allowed names); everyone else is told why it is not there."""
    if acting().role.sees_names(acting().show_names):
        return bool(container.toggle("Show names", value=False, key=key,
                                     help="For the facilitator only: speakers and documents by name, nothing masked."))
    container.caption("Quotes are anonymised: an owner can allow you names.")
    return False


def refusal(permission: Permission) -> str | None:
    """Why this person may not do this here (to say before they start a long task), or None."""
    try:
        actor(permission)
    except Refused as exc:
        return str(exc)
    return None


def creator_name(session) -> str:  # type: ignore[no-untyped-def]
    """The name a new project (made here or imported) is recorded under; a refusal when nobody is named."""
    account = _account(session)
    if account is None:
        raise Refused("give your name under 'Your name' in the sidebar first: every change records who made it")
    return account.name


def start_my_project(session, name: str, codebook_keys: list[str]) -> Project:  # type: ignore[no-untyped-def]
    """A new project, recorded under this person's name; on a team server they become its owner (and the project
    is then theirs alone until they add members). In local mode it stays local."""
    project = start_project(session, name, codebook_keys, actor=creator_name(session))
    own_if_team(session, project)
    return project


def own_if_team(session, project: Project) -> None:  # type: ignore[no-untyped-def]
    """On a team server, whoever made a project (or loaded the demo) is its owner."""
    account = _account(session)
    if team_mode() and account is not None:
        make_owner(session, project, account, actor=account.name)
