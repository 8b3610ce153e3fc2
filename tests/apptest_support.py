"""Running the real app under Streamlit's AppTest against a test database.

Streamlit 1.67's AppTest re-detects the legacy `pages/` directory before every
run and then executes the page file instead of app.py (the real server does not:
`st.navigation` switches that mode off for the session). Until AppTest keeps the
flag, `fix_pages_directory_detection` keeps it off after each detection.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from cases.members import local_account, remember_local_name
from store.db import write_session
from store.migrate import upgrade

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def fix_pages_directory_detection(monkeypatch: pytest.MonkeyPatch) -> None:
    original = PagesManager.__init__

    def init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


def make_app(monkeypatch: pytest.MonkeyPatch, db_url: str, *, project_guid: str | None = None,
             coder: str | None = "Tester") -> AppTest:
    """An AppTest of app.py in local mode on `db_url`, optionally with a project open, and the researcher's name
    remembered as `coder` (as local mode keeps it once given; pages write only with a name, so tests have one
    unless they pass coder=None, which forgets it)."""
    fix_pages_directory_detection(monkeypatch)
    monkeypatch.setenv("KRUISPUNT_DB_URL", db_url)
    monkeypatch.delenv("KRUISPUNT_MODE", raising=False)
    remember_name(db_url, coder)
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=60)
    if project_guid:
        at.query_params["project"] = project_guid
    return at


def remember_name(db_url: str, name: str | None) -> None:
    """Local mode's researcher, as if they had typed `name` once (None: as if nobody had yet)."""
    with write_session(upgrade(db_url)) as s:
        if name:
            remember_local_name(s, name)
        elif (account := local_account(s)) is not None:
            s.delete(account)


def shown(elements) -> list[str]:  # type: ignore[no-untyped-def]
    """What a person reads in these messages: the Markdown source with its escapes taken out (every user text
    and every message is shown escaped, so the source has a backslash before each special character)."""
    return [re.sub(r"\\(.)", r"\1", str(e.value)) for e in elements]
