"""What the browser tests share: a Streamlit server on a free local port, Debian's Chromium, mouse selection.

No browser is downloaded: Playwright drives /usr/bin/chromium (installed through
apt by `make test`), started with the flags this machine's closed network needs.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("KRUISPUNT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
ARTIFACTS = ROOT / "test-artifacts"


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make test` (it installs Debian's chromium)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def streamlit_server(*, db_url: str | None = None, script: str | None = None, browser: bool = True,
                     address: str | None = "127.0.0.1", options: tuple[str, ...] = (),
                     env: dict[str, str] | None = None) -> Iterator[str]:
    """Serve the app (`python -m ui.serve`, as `make run` does) or a given script; yields the base URL.
    `browser`: skip the test when there is no Chromium; `address` None: the configuration's own; `options` and
    `env`: more server options and environment (a team server's secrets file and mode)."""
    if browser:
        require_chromium()
    port = _free_port()
    given = options
    options = ["--server.port", str(port), *(["--server.address", address] if address else []),
               "--server.headless", "true", "--browser.gatherUsageStats", "false", *given]
    command = [sys.executable, "-m", "streamlit", "run", script, *options] if script else \
        [sys.executable, "-m", "ui.serve", *options]
    env = {**os.environ, **({"KRUISPUNT_DB_URL": db_url} if db_url else {}), **(env or {})}
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=20)


def launch(playwright):  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(exist_ok=True)
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


# The boxes of a phrase inside a turn's content of the transcript component (in its shadow root);
# with an ordinal only that turn is searched. Scrolls the turn into view first.
PHRASE_BOX_JS = """([phrase, ordinal]) => {
  const host = document.querySelector('[data-testid="stBidiComponentIsolated"]');
  const selector = ordinal === null ? '.kp-content' : `.kp-turn[data-ordinal="${ordinal}"] .kp-content`;
  for (const content of host.shadowRoot.querySelectorAll(selector)) {
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


def open_coding_page(pw, served, coder: str, *, height: int = 1000):  # type: ignore[no-untyped-def]
    """Chromium on the Coding page of the served demo's document, as `coder` (local mode: the name given once);
    returns (browser, page) once the page's heading shows."""
    from playwright.sync_api import expect

    from apptest_support import remember_name

    base, (project_guid, document_guid), url = served
    browser = launch(pw)
    page = browser.new_page(viewport={"width": 1400, "height": height})
    remember_name(url, coder)
    page.goto(f"{base}/coding?project={project_guid}&document={document_guid}")
    expect(page.get_by_role("heading", name="Coding")).to_be_visible(timeout=30_000)
    return browser, page


def settle(page) -> None:  # type: ignore[no-untyped-def]
    """Wait until the app has finished its run (no "running" indicator) and the browser has laid out two frames
    since: a box measured before then can move when the rerun's output lands (seen on a loaded machine)."""
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"], [data-stale=\"true\"]')",
                           timeout=120_000)  # the indicator shows a moment after a run starts; stale elements at once
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")


def phrase_box(page, phrase: str, ordinal: int | None = None) -> dict | None:  # type: ignore[no-untyped-def]
    settle(page)
    return page.evaluate(PHRASE_BOX_JS, [phrase, ordinal])


def drag(page, box: dict, *, to: dict | None = None) -> None:  # type: ignore[no-untyped-def]
    """Select from the start of `box` to the end of `to` (or `box`) with real mouse events."""
    end = to or box
    page.mouse.move(box["x1"] + 1, box["y1"])
    page.mouse.down()
    page.mouse.move((box["x1"] + end["x2"]) / 2, (box["y1"] + end["y2"]) / 2, steps=6)
    page.mouse.move(end["x2"] - 1, end["y2"], steps=6)
    page.mouse.up()


@contextmanager
def demo_served(db_url: str, title: str) -> Iterator[tuple[str, tuple[str, str], str]]:
    """The demo loaded into `db_url` and the app serving it: (base URL, (project guid, guid of the document
    titled `title`), db_url), as the browser tests' fixtures yield it."""
    from cases.documents import list_documents
    from cases.projects import get_project
    from demo.load import DEMO_PROJECT, load_demo
    from store.db import get_engine, read_session

    engine = get_engine(db_url)
    load_demo(engine)
    with read_session(engine) as s:
        project = get_project(s, DEMO_PROJECT)
        document = next(d for d in list_documents(s, project) if d.title == title)
        ids = (str(project.guid), str(document.guid))
    engine.dispose()
    with streamlit_server(db_url=db_url) as base:
        yield base, ids, db_url
