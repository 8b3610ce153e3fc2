"""Team mode's pages under AppTest: who someone is comes from the sign-in (AppTest's own `user`, the claims a
provider would give; the sign-in itself is driven for real in test_sign_in_browser.py), never from the sidebar or
the URL; what they may do is their role's."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import select

from apptest_support import make_app, shown
from cases.members import add_member, signed_in_account
from cases.projects import create_case, create_project, get_project, list_cases
from focusgroups.sessions import create_session
from store.db import get_engine, read_session, write_session
from store.events import list_events
from store.models import Member

ISSUER = "https://idp.example.nl"
SESSIONS: dict[str, str] = {}  # project guid -> its focus-group session's guid
PEOPLE = {"olga": "owner", "anna": "coder", "vera": "viewer", "fien": "facilitator"}


def claims(who: str) -> dict:
    return {"is_logged_in": True, "iss": ISSUER, "sub": f"{who}-sub", "name": who.capitalize(),
            "email": f"{who}@uni.nl", "email_verified": True}


@pytest.fixture
def team(sqlite_url):  # type: ignore[no-untyped-def]
    with write_session(get_engine(sqlite_url)) as s:
        project = create_project(s, "Grensregio")
        create_case(s, project, "Alfa")
        for who, role in PEOPLE.items():
            add_member(s, project, f"{who}@uni.nl", role, coder=who.capitalize(), actor="test")
        fg = create_session(s, project, "Terugkoppeling", date(2026, 11, 20), actor="test")
        hidden = create_project(s, "Geheim")
        add_member(s, hidden, "olga@uni.nl", "owner", actor="test")
        guid = str(project.guid)
        SESSIONS[guid] = str(fg.guid)
    return sqlite_url, guid


def team_app(monkeypatch, url: str, guid: str, who: str | None):  # type: ignore[no-untyped-def]
    at = make_app(monkeypatch, url, project_guid=guid, coder=None)
    monkeypatch.setenv("KRUISPUNT_MODE", "team")
    at.secrets["auth"] = {"client_id": "kruispunt"}
    at.user = claims(who) if who else {"is_logged_in": False}
    return at


def test_nothing_shows_before_sign_in(monkeypatch, team) -> None:  # type: ignore[no-untyped-def]
    url, guid = team
    at = team_app(monkeypatch, url, guid, None)
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.sidebar.selectbox and not at.dataframe


def test_each_person_sees_only_their_projects_and_a_typed_name_says_nothing(monkeypatch, team) -> None:  # type: ignore[no-untyped-def]
    url, guid = team
    at = team_app(monkeypatch, url, guid, "anna")
    at.query_params["coder"] = "Olga"
    at.run()
    assert not at.exception
    picker = at.sidebar.selectbox[0]
    assert (picker.value, picker.options) == (guid, ["— none —", "Grensregio"])
    listed = [m.value for m in at.main.markdown]  # the Projects page lists hers only, not Olga's "Geheim"
    assert any("Grensregio" in text for text in listed) and not any("Geheim" in text for text in listed)
    assert "Anna" in [m.value for m in at.sidebar.markdown]
    at.switch_page("pages/cases.py").run()
    next(t for t in at.text_input if t.label == "Case name").input("Beta")
    next(b for b in at.button if b.label == "Create case").click().run()
    assert not at.exception
    with read_session(get_engine(url)) as s:
        events = [e for e in list_events(s, uuid.UUID(guid)) if e.entity == "case"]
        assert [(e.actor, e.after["name"]) for e in events if e.after["name"] == "Beta"] == [("Anna", "Beta")]


def test_a_viewer_is_refused_in_words_and_nothing_is_written(monkeypatch, team) -> None:  # type: ignore[no-untyped-def]
    url, guid = team
    at = team_app(monkeypatch, url, guid, "vera")
    at.run()
    at.switch_page("pages/cases.py").run()
    next(t for t in at.text_input if t.label == "Case name").input("Beta")
    next(b for b in at.button if b.label == "Create case").click().run()
    assert shown(at.error) == ["Vera is a viewer in this project and may not change the project's documents, "
                               "cases, attributes or codebooks; ask an owner"]
    with read_session(get_engine(url)) as s:
        assert [c.name for c in list_cases(s, get_project(s, guid))] == ["Alfa"]


def test_an_owner_invites_and_a_facilitator_sees_anonymised_quotes_only(monkeypatch, team) -> None:  # type: ignore[no-untyped-def]
    url, guid = team
    at = team_app(monkeypatch, url, guid, "olga")
    at.run()
    assert not at.exception
    form = [t for t in at.text_input if t.form_id == "member_add"]
    next(t for t in form if t.label == "E-mail address").input("Tom@Uni.nl")
    at.selectbox(key="member_add_role").set_value("facilitator")
    next(b for b in at.button if b.label == "Invite").click().run()
    assert not at.exception
    assert shown(at.success) == ["Invited tom@uni.nl as facilitator."]
    with write_session(get_engine(url)) as s:  # Tom signs in for the first time: the invitation is his
        account = signed_in_account(s, ISSUER, "tom-sub", name="Tom", email="tom@uni.nl")
        member = s.scalar(select(Member).where(Member.email == "tom@uni.nl"))
        assert (member.account_id, member.role) == (account.id, "facilitator")

    tom = team_app(monkeypatch, url, guid, "tom")
    tom.user = {**claims("tom"), "sub": "tom-sub"}
    tom.query_params.update(present="1", fg=SESSIONS[guid])
    tom.run()
    tom.switch_page("pages/presentation.py").run()
    assert not tom.exception
    assert not [t for t in tom.toggle if t.label == "Show names"]
    assert "Quotes are anonymised: an owner can allow you names." in [c.value for c in tom.caption]
    # an owner allows names
    at.selectbox(key="member_role_who").set_value("tom@uni.nl")
    at.selectbox(key="member_role_new").set_value("facilitator")
    at.checkbox(key="member_role_names").check()
    next(b for b in at.button if b.label == "Change role").click().run()
    assert shown(at.success) == ["tom@uni.nl is now facilitator."]
    tom.run()
    assert [t.label for t in tom.toggle if t.label == "Show names"] == ["Show names"]


def test_a_coder_cannot_manage_members(monkeypatch, team) -> None:  # type: ignore[no-untyped-def]
    url, guid = team
    at = team_app(monkeypatch, url, guid, "anna")
    at.run()
    assert not [b for b in at.button if b.label == "Invite"]
    assert "Only an owner changes who is in this project." in [c.value for c in at.caption]


def test_a_coder_changes_only_their_own_memos_and_an_owner_anyones(monkeypatch, team) -> None:  # type: ignore[no-untyped-def]
    from cases.projects import get_or_create_coder
    from coding.memos import add_memo, list_memos

    url, guid = team
    with write_session(get_engine(url)) as s:
        project = get_project(s, guid)
        add_memo(s, project, "Olga's gedachte", author=get_or_create_coder(s, project, "Olga")[0], actor="Olga")
    anna = team_app(monkeypatch, url, guid, "anna")
    anna.run()
    anna.switch_page("pages/memos.py").run()
    anna.text_area(key=next(t.key for t in anna.text_area if t.label == "Memo text")).input("Anna's versie")
    next(b for b in anna.button if b.label == "Save memo").click().run()
    assert shown(anna.error) == ["this memo is Olga's: only they (or an owner) can change it"]
    olga = team_app(monkeypatch, url, guid, "olga")
    olga.run()
    olga.switch_page("pages/memos.py").run()
    olga.text_area(key=next(t.key for t in olga.text_area if t.label == "Memo text")).input("Olga's tweede gedachte")
    next(b for b in olga.button if b.label == "Save memo").click().run()
    assert not olga.error
    with read_session(get_engine(url)) as s:
        assert [m.text for m in list_memos(s, get_project(s, guid))] == ["Olga's tweede gedachte"]


def test_team_mode_without_a_sign_in_configuration_says_so(monkeypatch, team) -> None:  # type: ignore[no-untyped-def]
    url, guid = team
    at = make_app(monkeypatch, url, project_guid=guid, coder=None)
    monkeypatch.setenv("KRUISPUNT_MODE", "team")  # and no [auth] in the secrets
    at.run()
    assert not at.exception
    assert shown(at.error) == ["This server runs in team mode but .streamlit/secrets.toml has no [auth] section: "
                               "see 'Team server' in the README."]
    assert not at.sidebar.selectbox
