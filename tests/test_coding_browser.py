"""End to end in a real browser: open the demo, select a phrase with the mouse, apply a code, reload.

The stored segment must hold exactly the selected text, and the highlight must
be there after the reload. Runs `python -m ui.serve` (as `make run` does) and
Debian's Chromium through Playwright.
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

from cases.documents import list_documents
from cases.projects import get_project
from coding.codings import list_codings
from demo.load import DEMO_PROJECT, load_demo
from store.db import get_engine, read_session

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("KRUISPUNT_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
CODER = "Browser Coder"
PHRASE = "via een klant gegaan"

pytestmark = pytest.mark.browser

PHRASE_BOX_JS = """([phrase]) => {
  const host = document.querySelector('[data-testid="stBidiComponentIsolated"]');
  for (const content of host.shadowRoot.querySelectorAll('.kp-content')) {
    const at = content.textContent.indexOf(phrase);
    if (at < 0) continue;
    content.scrollIntoView({block: "center"});
    const range = document.createRange();
    const walker = document.createTreeWalker(content, NodeFilter.SHOW_TEXT);
    let pos = 0, started = false;
    for (let t = walker.nextNode(); t; t = walker.nextNode()) {
      const len = t.data.length;
      if (!started && at < pos + len) { range.setStart(t, at - pos); started = true; }
      if (at + phrase.length <= pos + len) { range.setEnd(t, at + phrase.length - pos); break; }
      pos += len;
    }
    const rects = Array.from(range.getClientRects()).filter((r) => r.width > 0);
    const first = rects[0], last = rects[rects.length - 1];
    return {x1: first.left, y1: first.top + first.height / 2, x2: last.right, y2: last.top + last.height / 2};
  }
  return null;
}"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def demo_server(sqlite_url: str):  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make test` (it installs Debian's chromium)")
    engine = get_engine(sqlite_url)
    load_demo(engine)
    with read_session(engine) as s:
        project = get_project(s, DEMO_PROJECT)
        document = next(d for d in list_documents(s, project) if d.title.startswith("a1_"))
        ids = (str(project.guid), str(document.guid))
    engine.dispose()
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "ui.serve", "--server.port", str(port), "--server.address", "127.0.0.1"],
        cwd=ROOT, env={**os.environ, "KRUISPUNT_DB_URL": sqlite_url},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
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
        yield f"http://127.0.0.1:{port}", ids, sqlite_url
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_select_with_the_mouse_apply_a_code_and_find_it_after_a_reload(demo_server) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect, sync_playwright

    base, (project_guid, document_guid), url = demo_server
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{base}/coding?project={project_guid}&document={document_guid}&coder={CODER.replace(' ', '%20')}")
        expect(page.get_by_role("heading", name="Coding")).to_be_visible(timeout=30_000)
        page.wait_for_selector('[data-testid="stBidiComponentIsolated"]', timeout=30_000)
        page.wait_for_function(
            "() => { const h = document.querySelector('[data-testid=\"stBidiComponentIsolated\"]');"
            " return h && h.shadowRoot && h.shadowRoot.querySelector('.kp-content'); }", timeout=30_000)
        box = page.evaluate(PHRASE_BOX_JS, [PHRASE])
        assert box is not None, "the phrase is not in the rendered transcript"
        page.mouse.move(box["x1"] + 1, box["y1"])
        page.mouse.down()
        page.mouse.move((box["x1"] + box["x2"]) / 2, (box["y1"] + box["y2"]) / 2, steps=6)
        page.mouse.move(box["x2"] - 1, box["y2"], steps=6)
        page.mouse.up()
        expect(page.get_by_text("Selected", exact=False).first).to_be_visible(timeout=15_000)
        expect(page.get_by_text(PHRASE, exact=False).last).to_be_visible()

        picker = page.locator('[data-testid="stMultiSelect"] input').first
        picker.click()
        picker.fill("vc.immediate")
        page.keyboard.press("Enter")
        page.keyboard.press("Escape")
        page.get_by_role("button", name="Apply").click()
        expect(page.get_by_text("Coded with vc.immediate", exact=False)).to_be_visible(timeout=15_000)

        page.reload()
        page.wait_for_function(
            "() => { const h = document.querySelector('[data-testid=\"stBidiComponentIsolated\"]');"
            " return h && h.shadowRoot && Array.from(h.shadowRoot.querySelectorAll('.kp-hl'))"
            f".some((s) => s.textContent.includes({PHRASE!r}.split(' ')[1])); }}", timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "coding-after-reload.png"))
        browser.close()

    engine = get_engine(url)
    with read_session(engine) as s:
        project = get_project(s, project_guid)
        mine = [c for c in list_codings(s, project) if c.coder == CODER]
    assert [(c.code, c.text, c.document) for c in mine] == [("vc.immediate", PHRASE, "a1_interview_hoekstra")]
