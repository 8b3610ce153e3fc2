"""What only a browser can show: a deep link opens the right place, and transcript markup stays text.

Runs the real server (`python -m ui.serve`, as `make run` does) on a free local
port and drives Debian's Chromium with Playwright. `make test` installs Chromium
through apt when it is missing.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from cases.importer import SpeakerDecision, preview_import, store_import
from cases.projects import create_case, create_project
from store.db import get_engine, write_session

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("KRUISPUNT_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
HOSTILE = (
    "I: Wat gebeurde er daarna?\n"
    "R: Iemand typte <script>window.__owned = 1</script> in de chat, en ook <img src=x onerror=\"window.__owned = 2\">.\n"
    "I: En toen?\n"
    "R: Toen lachten we erom. **Niemand** schrok.\n"
)

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served(sqlite_url: str):  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make test` (it installs Debian's chromium)")
    with write_session(get_engine(sqlite_url)) as s:
        project = create_project(s, "Browsertest")
        case = create_case(s, project, "Netwerk Oost")
        preview = preview_import("gesprek.txt", HOSTILE.encode("utf-8"), language="nl")
        document = store_import(s, project, preview, cases=[case], speakers={
            "I": SpeakerDecision("interviewer"), "R": SpeakerDecision("respondent")})
        guids = (str(project.guid), str(document.guid))
    get_engine(sqlite_url).dispose()
    port = _free_port()
    env = {**os.environ, "KRUISPUNT_DB_URL": sqlite_url}
    server = subprocess.Popen(
        [sys.executable, "-m", "ui.serve", "--server.port", str(port), "--server.address", "127.0.0.1"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                pytest.fail("the Streamlit server did not start within 60 s")
            time.sleep(0.3)
        yield f"http://127.0.0.1:{port}", guids
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_deep_link_opens_the_document_and_markup_stays_text(served) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    base, (project_guid, document_guid) = served
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync"])
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(f"{base}/documents?project={project_guid}&document={document_guid}&coder=Sanne")
        expect(page.get_by_role("heading", name="Documents")).to_be_visible(timeout=30_000)
        expect(page.get_by_text("<script>window.__owned = 1</script>", exact=False)).to_be_visible(timeout=15_000)
        expect(page.get_by_text('<img src=x onerror="window.__owned = 2">', exact=False)).to_be_visible()
        expect(page.get_by_text("**Niemand** schrok", exact=False)).to_be_visible()
        assert page.evaluate("window.__owned") is None
        assert dialogs == []
        assert page.locator("img[src='x']").count() == 0
        page.screenshot(path=str(ARTIFACTS / "documents-deep-link.png"))

        page.reload()
        expect(page.get_by_text("Toen lachten we erom", exact=False)).to_be_visible(timeout=30_000)
        assert f"document={document_guid}" in page.url and f"project={project_guid}" in page.url
        assert "coder=Sanne" in page.url
        browser.close()
