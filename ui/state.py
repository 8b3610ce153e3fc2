"""What every page needs: the engine, the open project kept in the URL, messages and one-transaction writes.

The open project and document live in plain session-state keys mirrored to `st.query_params`, so a reload or a
shared link opens the same place; who is working is `ui.identity`'s, never the URL's.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from streamlit.errors import StreamlitAPIException

from cases.projects import get_project, list_projects
from cases.readers import DEFAULT_MAX_IMPORT_BYTES
from store.db import database_url, get_engine, read_session, write_session
from store.errors import Busy, Refused
from store.events import last_event
from store.limits import explain
from store.migrate import current_revision, head_revision
from store.models import Project
from ui.identity import acting, actor  # noqa: F401  (pages import actor from here)

PROJECT_KEY = "project_select"
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&])")


def engine() -> Engine:
    """The process's engine for the configured database (store.db.get_engine keeps one per URL)."""
    return get_engine(database_url())


SCHEMA_RECHECK_S = 30.0
_AT_HEAD: dict[str, float] = {}  # database URL -> when it was last found at the current schema (time.monotonic)


def engine_or_stop() -> Engine:
    """The engine, or a clear stop when the database has not been migrated (`make run` migrates).

    A database found at the current schema is checked again after `SCHEMA_RECHECK_S` seconds, not on every rerun
    (the check opens a connection and runs alembic; migrations only move forward).
    """
    eng = engine()
    url = str(eng.url)
    checked = _AT_HEAD.get(url)
    if checked is not None and time.monotonic() - checked < SCHEMA_RECHECK_S:
        return eng
    try:
        revision = current_revision(eng)
    except Exception as exc:  # connection errors of any driver
        st.error(f"Cannot open the database: {exc}")
        st.stop()
    if revision != head_revision():
        _AT_HEAD.pop(url, None)
        st.error("The database is not at the current schema. Run `make migrate` (or `python -m store`) first.")
        st.stop()
    _AT_HEAD[url] = time.monotonic()
    return eng


def current_project_guid() -> str | None:
    return st.session_state.get(PROJECT_KEY)


PENDING_PROJECT_KEY = "project_pending"


def request_project(guid: str) -> None:
    """Open a project from page code (after the sidebar is drawn): applied at the start of the next run."""
    st.session_state[PENDING_PROJECT_KEY] = guid
    st.rerun()


def close_project_on_next_run() -> None:
    """After the open project was deleted: the sidebar opens none on the next run (page code may call this)."""
    st.session_state[PENDING_PROJECT_KEY] = None


def open_project(guid: str | None) -> None:
    """Use as a button callback: selects the project before the sidebar is drawn."""
    st.session_state[PROJECT_KEY] = guid
    if guid:
        st.query_params["project"] = guid
    else:
        st.query_params.pop("project", None)


_PROJECT_NAMES: dict[str, tuple[tuple, dict[str, str]]] = {}  # database URL -> (newest event, {guid: name})


def _project_names(eng: Engine) -> dict[str, str]:
    """Every project's name by guid, read again only after a change (creating a project logs an event)."""
    latest, url = last_event(eng), str(eng.url)
    cached = _PROJECT_NAMES.get(url)
    if cached is not None and cached[0] == latest:
        return cached[1]
    with read_session(eng) as session:
        names = {str(p.guid): p.name for p in list_projects(session)}
    _PROJECT_NAMES[url] = (latest, names)
    return names


def project_picker(visible: set[str] | None = None) -> None:
    """The sidebar's project choice: every project in local mode, only the person's own on a team server."""
    names = _project_names(engine())
    if visible is not None:
        names = {guid: name for guid, name in names.items() if guid in visible}
    if PENDING_PROJECT_KEY in st.session_state:
        st.session_state[PROJECT_KEY] = st.session_state.pop(PENDING_PROJECT_KEY)
    # The URL decides only on a fresh session (a reload or a shared link); afterwards the selectbox does.
    wanted = st.session_state[PROJECT_KEY] if PROJECT_KEY in st.session_state else st.query_params.get("project")
    if wanted not in names:
        wanted = None
    st.session_state[PROJECT_KEY] = wanted
    options = [None, *names]
    st.sidebar.selectbox("Project", options, format_func=lambda g: names.get(g, "— none —"), key=PROJECT_KEY)
    _set_query_param("project", st.session_state.get(PROJECT_KEY))


def _set_query_param(key: str, value: str | None) -> None:
    """Set (or, when empty, remove) a URL parameter; unchanged ones are left alone (each change is a message)."""
    if value:
        if st.query_params.get(key) != value:
            st.query_params[key] = value
    elif key in st.query_params:
        st.query_params.pop(key)


UPLOAD_LIMIT_MB = DEFAULT_MAX_IMPORT_BYTES // (1024 * 1024)  # every uploader shows it, the server enforces it


ANONYMOUS = "app"  # who a page is while nobody has said who they are: it may read, never write
EMPTY = "—"  # what every table shows for a missing value (Streamlit's default is the word "None")


def my_name() -> str | None:
    """The name this person's changes are recorded under (None: not given yet, or not a member)."""
    return acting().name


def project_or_stop(session) -> Project:  # type: ignore[no-untyped-def]
    guid = current_project_guid()
    if not guid:
        st.info("Open or create a project on the Projects page first.")
        st.stop()
    return get_project(session, str(uuid.UUID(guid)))


def rerun_fragment() -> None:
    """Rerun just the fragment when a fragment's own widget asked (the browser), else the whole page (AppTest)."""
    try:
        st.rerun(scope="fragment")
    except StreamlitAPIException:
        st.rerun()


def flash(message: str, kind: str = "success") -> None:
    """Keep a message for the next run (a page that saves something reruns to show the new state). The message
    is plain text: it names what people typed, so it is shown escaped, never as Markdown."""
    st.session_state["flash"] = (kind, message)


def show_flash() -> None:
    stored = st.session_state.pop("flash", None)
    if stored:
        {"success": st.success, "error": st.error, "info": st.info}[stored[0]](md_escape(stored[1]))


def md_escape(text: str) -> str:
    """Transcript text is untrusted: shown literally, never as Markdown or HTML."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text).replace("\n", "  \n")


def run_write(change: Callable[[Session], Any], done: str | None = None, *, then: Callable[[], None] | None = None,
              rerun: Callable[[], None] | None = None) -> None:
    """Run one change in its own transaction; on success run `then`, and say `done` (or what `change` returned)
    after the rerun.

    A refusal, or a write the database refuses (a name someone took a moment earlier), is said in one line and
    nothing is written; no traceback reaches the page. A database busy with someone else's long change is tried
    again (BUSY_RETRIES times, saying so) before it is reported."""
    try:
        said = write_retrying(change)
    except Refused as exc:
        st.error(md_escape(str(exc)))
    except SQLAlchemyError as exc:  # what write_session does not already explain (it rolled back: nothing written)
        st.error(md_escape(str(explain(exc))))
    else:
        if then is not None:
            then()
        flash(done if done is not None else said)
        (rerun or st.rerun)()  # a fragment's own write reruns just the fragment


BUSY_RETRIES = 3


def write_retrying(change: Callable[[Session], Any], on: Engine | None = None) -> Any:
    """`change` in one write transaction (on the app's database unless `on` is given), tried again (saying so)
    while the database is busy; returns its result. Refusals are raised for the page to show (run_write shows them
    itself)."""
    def once() -> Any:
        with write_session(on or engine()) as s:
            return change(s)
    return retry_when_busy(once)


def retry_when_busy(write: Callable[[], Any]) -> Any:
    """Run `write` (one whole transaction); when the database was busy, say so and run it again, up to
    BUSY_RETRIES more times (each attempt rolled back whole, so nothing is written twice)."""
    for attempt in range(BUSY_RETRIES + 1):
        try:
            return write()
        except Busy:
            if attempt == BUSY_RETRIES:
                raise
            st.toast(f"The database is busy with someone else's change: retrying ({attempt + 1} of {BUSY_RETRIES})…")
