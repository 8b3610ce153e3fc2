"""A team server for real: two app instances on one PostgreSQL database behind a real OpenID Connect provider
(`oidc-provider-mock`, started here), signed into through Streamlit's own `st.login` in Debian's Chromium.

Nothing shows before sign-in; each person sees only their projects; two coders on two instances each see the
other's coding after one rerun and nothing is stored twice; a viewer is refused in words; a facilitator sees
only the presentation; signing out closes everything again.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

import cli
from browser_support import ARTIFACTS, drag, launch, phrase_box, settle, streamlit_server
from cases.documents import list_documents
from conftest import _truncate_pg as truncate_pg
from cases.projects import get_project, list_cases
from coding.codings import list_codings
from store.db import get_engine, read_session
from store.models import Account, Event

pytestmark = pytest.mark.browser

PEOPLE = {  # subject at the provider -> (name, e-mail)
    "anna-1": ("Anna de Wit", "anna@uni.nl"),
    "bram-2": ("Bram Bos", "bram@uni.nl"),
    "vera-3": ("Vera Visser", "vera@uni.nl"),
    "fien-4": ("Fien Faber", "fien@uni.nl"),
}
TRANSCRIPT = ("I: Wat leverde de bijeenkomst op?\n"
              "R: We leerden elkaar kennen en wisselden meteen ideeën uit over de grensregio.\n"
              "I: En daarna?\n"
              "R: Daarna hebben we samen een subsidie aangevraagd voor een gezamenlijke cursus.\n")
ANNAS, BRAMS = "wisselden meteen ideeën uit", "samen een subsidie aangevraagd"
HIGHLIGHTS_JS = """(phrase) => { const h = document.querySelector('[data-testid="stBidiComponentIsolated"]');
  return !!h && !!h.shadowRoot && Array.from(h.shadowRoot.querySelectorAll('.kp-hl'))
    .some((s) => s.textContent.includes(phrase.split(' ')[1])); }"""


def cli_ok(db_url: str, *args: str) -> None:
    assert cli.main(["--db", db_url, *args]) == 0, args


@pytest.fixture
def team(pg_database: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The provider, a team project shared with four people (and one they are not in), two app instances."""
    from oidc_provider_mock import User, run_server_in_thread

    url = pg_database
    truncate_pg(url)  # the session's database: whatever an earlier test left goes
    (tmp_path / "gesprek.txt").write_text(TRANSCRIPT, encoding="utf-8")
    cli_ok(url, "project-create", "Grensregio", "--codebooks", "value-creation")
    cli_ok(url, "case-create", "--project", "Grensregio", "Alfa")
    cli_ok(url, "import", "--project", "Grensregio", "--case", "Alfa", str(tmp_path / "gesprek.txt"))
    cli_ok(url, "member-add", "--project", "Grensregio", "olga@uni.nl", "--role", "owner", "--coder", "Olga")
    for email, role, coder in (("anna@uni.nl", "coder", "Anna"), ("bram@uni.nl", "coder", "Bram"),
                               ("vera@uni.nl", "viewer", "Vera"), ("fien@uni.nl", "facilitator", "Fien")):
        cli_ok(url, "--as", "Olga", "member-add", "--project", "Grensregio", email, "--role", role, "--coder", coder)
    cli_ok(url, "project-create", "Geheim", "--codebooks", "")
    cli_ok(url, "member-add", "--project", "Geheim", "olga@uni.nl", "--role", "owner")
    cli_ok(url, "project-create", "Lokaal", "--codebooks", "")  # nobody's: a team server shows it to no one
    users = [User(sub=sub, claims={"name": name, "email": email, "email_verified": True})
             for sub, (name, email) in PEOPLE.items()]
    with run_server_in_thread(user_claims=users) as provider:
        secrets = tmp_path / "secrets.toml"
        secrets.write_text(
            '[auth]\nredirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
            'cookie_secret = "a test cookie secret that is long enough 0123456789"\n'
            'client_id = "kruispunt"\nclient_secret = "kruispunt-secret"\n'
            f'server_metadata_url = "http://localhost:{provider.server_port}/.well-known/openid-configuration"\n',
            encoding="utf-8")
        options, env = ("--secrets.files", str(secrets)), {"KRUISPUNT_MODE": "team"}
        with streamlit_server(db_url=url, options=options, env=env) as one, \
                streamlit_server(db_url=url, options=options, env=env) as two:
            yield url, one, two


def sign_in(browser, base: str, subject: str):  # type: ignore[no-untyped-def]
    """A new browser session signed in as `subject` at the provider's own form."""
    from playwright.sync_api import expect

    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.goto(base)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name=subject).click()  # the provider's form: this person authorises
    expect(page.get_by_text("Signed in as")).to_be_visible(timeout=60_000)
    expect(page.get_by_text(PEOPLE[subject][0], exact=True)).to_be_visible()
    return page


def open_coding(page, base: str, project: str, document: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/coding?project={project}&document={document}")
    page.wait_for_function(
        "() => { const h = document.querySelector('[data-testid=\"stBidiComponentIsolated\"]');"
        " return h && h.shadowRoot && h.shadowRoot.querySelector('.kp-content'); }", timeout=60_000)


def code_phrase(page, phrase: str, code: str) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    box = phrase_box(page, phrase)
    assert box is not None, phrase
    drag(page, box)
    expect(page.get_by_text("Selected", exact=False).first).to_be_visible(timeout=30_000)
    picker = page.locator('[data-testid="stMultiSelect"] input').first
    picker.click()
    picker.fill(code)
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text(f"Coded with {code}", exact=False)).to_be_visible(timeout=30_000)


def test_team_server_sign_in_roles_and_two_instances(team) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    url, one, two = team
    with read_session(get_engine(url)) as s:
        project = get_project(s, "Grensregio")
        project_guid = str(project.guid)
        document_guid = str(list_documents(s, project)[0].guid)
        secret_guid = str(get_project(s, "Geheim").guid)
    with sync_playwright() as pw:
        browser = launch(pw)
        # before sign-in: a button, and nothing of any project, whatever the link says
        stranger = browser.new_context().new_page()
        stranger.goto(f"{one}/cases?project={project_guid}")
        expect(stranger.get_by_role("button", name="Sign in")).to_be_visible(timeout=60_000)
        settle(stranger)
        body = stranger.locator("body").inner_text()
        assert "Grensregio" not in body and "Alfa" not in body and "Cases" not in body
        stranger.screenshot(path=str(ARTIFACTS / "team-sign-in.png"))

        anna = sign_in(browser, one, "anna-1")
        anna.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").click()
        options = anna.get_by_role("option").all_inner_texts()
        assert options == ["— none —", "Grensregio"]  # not Geheim (Olga's), not Lokaal (nobody's)
        anna.keyboard.press("Escape")
        anna.goto(f"{one}/?project={secret_guid}")  # a link to someone else's project opens nothing
        expect(anna.get_by_role("heading", name="Projects")).to_be_visible(timeout=60_000)
        expect(anna.get_by_text("Grensregio", exact=True).first).to_be_visible()  # her own is listed
        settle(anna)
        body = anna.locator("body").inner_text()
        assert "Geheim" not in body and "Lokaal" not in body

        bram = sign_in(browser, two, "bram-2")
        open_coding(anna, one, project_guid, document_guid)
        code_phrase(anna, ANNAS, "vc.immediate")
        open_coding(bram, two, project_guid, document_guid)  # the other instance, one rerun later
        bram.wait_for_function(HIGHLIGHTS_JS, arg=ANNAS, timeout=60_000)
        code_phrase(bram, BRAMS, "vc.applied")
        anna.reload()
        anna.wait_for_function(HIGHLIGHTS_JS, arg=BRAMS, timeout=60_000)
        anna.screenshot(path=str(ARTIFACTS / "team-two-instances.png"))

        vera = sign_in(browser, two, "vera-3")
        open_coding(vera, two, project_guid, document_guid)
        expect(vera.get_by_text("Vera is a viewer in this project and may not code and write memos",
                                exact=False)).to_be_visible(timeout=30_000)
        vera.goto(f"{two}/cases?project={project_guid}")
        vera.get_by_label("Case name").fill("Stiekem")
        vera.get_by_role("button", name="Create case").click()
        expect(vera.get_by_text("Vera is a viewer in this project and may not change the project's documents",
                                exact=False)).to_be_visible(timeout=30_000)

        fien = sign_in(browser, one, "fien-4")
        fien.goto(f"{one}/?project={project_guid}")
        settle(fien)
        nav = fien.get_by_test_id("stSidebarNav").inner_text()
        assert "Presentation" in nav and "Coding" not in nav and "Documents" not in nav and "Retrieve" not in nav

        anna.get_by_role("button", name="Sign out").click()
        anna.get_by_role("button", name="End session").click()  # the provider ends its session too
        expect(anna.get_by_role("button", name="Sign in")).to_be_visible(timeout=60_000)
        browser.close()

    with read_session(get_engine(url)) as s:
        project = get_project(s, "Grensregio")
        codings = sorted((c.coder, c.code, c.text) for c in list_codings(s, project))
        accounts = {(a.subject, a.name, a.email) for a in s.scalars(select(Account))}
        cases = [c.name for c in list_cases(s, project)]
        actors = [e.actor for e in s.scalars(select(Event).where(Event.project_guid == project.guid,
                                                                   Event.entity == "segment"))]
    assert codings == [("Anna", "vc.immediate", ANNAS), ("Bram", "vc.applied", BRAMS)]  # each once
    assert sorted(actors) == ["Anna", "Bram"]
    assert accounts == {(sub, name, email) for sub, (name, email) in PEOPLE.items()}
    assert cases == ["Alfa"]  # the viewer's case was refused, not half-made
