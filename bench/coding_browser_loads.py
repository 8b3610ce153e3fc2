"""Measurement (d) of the coding browser benchmark: page load -> transcript usable, with a cold and a warm cache.

Cold (the measurement against the target): a fresh browser context for every load, so Streamlit's scripts, the
component's and every widget's are fetched again, as on a researcher's first visit. Warm (information): one context
per page kept for all loads, so the browser's HTTP cache holds those scripts, as when a researcher comes back; each
load is still a new page, a new Streamlit session and a new run of the page. Timed from navigation start
(performance.now() 0) until the watcher's conditions hold (``NAV_JS``).
"""

from __future__ import annotations

import json
import time
from typing import Any

from bench.coding_browser_kinds import NAV_JS, WATCHER_JS, result
from bench.measure import RESULTS

CONDS = [["transcript", "transcript", None]]


def _context(browser: Any, viewport: dict, conds: list, timeout_ms: int) -> Any:
    context = browser.new_context(viewport=viewport)
    context.add_init_script(WATCHER_JS)
    context.add_init_script(NAV_JS % (json.dumps(conds), timeout_ms))
    return context


def page_load(browser: Any, url: str, conds: list, viewport: dict, timeout_ms: int, context: Any = None) -> dict:
    """One load of `url`: in a fresh context (cold) or in `context` (warm, made by `_context`)."""
    own = context is None
    context = _context(browser, viewport, conds, timeout_ms) if own else context
    page = context.new_page()
    try:
        t0 = time.perf_counter()
        page.goto(url, wait_until="commit")
        page.wait_for_function("() => window.__kp && window.__kp.runs && window.__kp.runs.nav",
                               timeout=timeout_ms + 10_000)
        r = result(page, "nav")
        wall = time.perf_counter() - t0
        if r["timedOut"]:  # keep what the page showed, for the reader
            RESULTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(RESULTS / "coding_browser_timeout.png"))
            r["page_text"] = page.evaluate("() => document.body.innerText.slice(0, 2000)")
    finally:
        page.close()
        if own:
            context.close()
    out = {"ok": not r["timedOut"], "wall_s": wall, "watcher": r}
    if out["ok"]:
        out["s"] = max(r["times"].values()) / 1e3
    return out


def load_loop(browser: Any, app_url: str, floor_url: str, repeats: int, loads: dict[str, list[dict]],
              viewport: dict, timeout_ms: int) -> None:
    """(d) cold, then warm, app and floor interleaved; one warm-up each (for warm: the load that fills the cache)."""
    for warm in (False, True):
        contexts = {who: _context(browser, viewport, CONDS, timeout_ms) for who in ("app", "floor")} if warm else {}
        print(f"(d){' warm' if warm else ''}: page load -> transcript usable; "
              f"{'one context each, its cache warm' if warm else 'fresh context each'}, app and floor interleaved",
              flush=True)
        try:
            for i in range(repeats + 1):
                a = page_load(browser, app_url, CONDS, viewport, timeout_ms, contexts.get("app"))
                f = page_load(browser, floor_url, CONDS, viewport, timeout_ms, contexts.get("floor"))
                a["warmup"] = f["warmup"] = i == 0
                loads["app_dw" if warm else "app_d"].append(a)
                loads["floor_dw" if warm else "floor_d"].append(f)
                print(f"  {'warm-up' if i == 0 else f'{i}/{repeats}':>8}: app {a.get('s', float('nan')):6.2f} s "
                      f"(wall {a['wall_s']:5.2f}) | floor {f.get('s', float('nan')):6.2f} s "
                      f"(wall {f['wall_s']:5.2f})", flush=True)
        finally:
            for context in contexts.values():
                context.close()
