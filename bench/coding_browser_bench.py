"""Coding in the browser (issue 17): selection, code, highlight, confirmation, page load and a jump, in Chromium.

    .venv/bin/python bench/coding_browser_bench.py [--repeats 20] [--load-repeats N] [--jump-repeats N]
        [--large-mb 20] [--seed 7] [--settle 0.3] [--app head|worktree] [--app-rev HEAD] [--flow keyboard|mouse]

Set-up (untimed): the coding benchmark's database (``bench/coding_kinds.build_database``: project ``Bench``, one
20,000-word transcript with 1,500 codings by 3 coders), local mode's researcher ``Anna`` (whose name the page codes
under), and in the same project the seeded 20 MB plain-text transcript of ``bench/large_files.text_file``. The app
(``python -m ui.serve``) runs from a snapshot of ``--app-rev`` (``git archive``, default HEAD; ``--app worktree``:
the working tree as it is) against that database; the floor page (a minimal ``st.components.v2.component`` rendering the same turns and
highlights as the Coding page's first window, ``ui.transcript_window.window_around(char_starts(rows), 0)``: about
12,000 characters from the first turn, plus a "Go to" text input) runs with ``streamlit run`` beside it. Debian's Chromium through
Playwright (``bench.measure.launch_chromium``), window 1400x1000.

Timed inside the page with ``performance.now()`` (bench/coding_browser_kinds.py: a watcher armed before the action,
resolved by a MutationObserver / requestAnimationFrame check of the condition), app and floor interleaved:

  (a)-(c) ``--flow keyboard`` (default; the app from ``f3d4c21`` on): see bench/coding_browser_keyboard.py. (a)
      mouse-up -> the component's picker filter focused; (b) Enter in it (the key typed before) -> the pending
      highlight; (c) that Enter -> "Coded with <key>." (and the row). ``--flow mouse`` (``--app-rev 5d5486b``):
  (a) selection -> picker usable: mouse-up of a drag over the first 4 words of a respondent turn -> the "Codes"
      multiselect (``codes_to_apply``) visible, not stale, its input enabled. Floor: mouse-up -> the component's own
      picker input shown and enabled (JavaScript only).
  (b) code chosen -> highlight drawn: today's flow is two steps, each timed in the page: Enter in the multiselect
      (the code typed) -> the Apply button enabled (that choice's rerun), then the click on Apply -> a ``.kp-hl`` of a
      new segment in that turn's shadow DOM; (b) is their sum (Playwright's time between the two is left out).
      Floor: Enter in the component's picker -> the span drawn (JavaScript only).
  (c) code chosen -> stored and confirmed: the same, to "Coded with <key>." shown; the row is then checked in the
      database (it is always there: the message follows the commit). Floor: Enter -> ``setTriggerValue`` -> the
      rerun -> "Coded with" shown and the trigger's id back in the component's data.
  (d) page load -> transcript usable: ``page.goto`` of /coding?project=..&document=.. in a fresh browser context ->
      ``.kp-content`` and ``.kp-hl`` in the shadow root (navigation start is performance.now() 0). Floor: the same
      for the floor page. Then, for information, the same with the browser's cache warm (one context kept, a new
      page and session each time): bench/coding_browser_loads.py.
  (e) jump to the last turn of the 20 MB transcript, in the page: the Coding page of the large transcript is loaded
      once (a fresh session: the window at the first turn); each repetition first jumps back to ¶1 (untimed for
      (e), recorded as ``back_s``; it makes the window hold the first turns again, so the measured jump really moves
      the window ~20 MB and is not served by the turns already drawn), settles, then types ``¶<last turn>`` into
      the "Go to ¶" input (untimed), and the Enter keydown in it starts the clock -> the form's rerun sends the
      window around that turn -> that turn's text (its first characters) inside the component's scroller (between
      its spacers) and inside the window (``turnVisible``). Where the turn then stands in the scroller is recorded
      (``landing``). Floor: the same on the floor page: "¶1" then "¶<its last turn>" + Enter in its "Go to" input
      -> the rerun -> the component gets the turn number in its data and scrolls that turn to the top of its
      scroller -> that turn's text visible. The floor draws one window-sized set of turns and never changes it, so
      it stands for Streamlit's own rerun + component update cost only; what the app adds (the window's turns
      chosen and sent, the DOM rebuilt, the spacers sized) is the difference.

Each measured coding is removed again afterwards through ``coding.workspace.remove_coding`` (as the page's Remove
does), and the page is reloaded before the next repetition, so every repetition starts from the same 1,500
codings and a fresh session. Between steps (never inside a timed interval) the bench waits until the app's run is
over and two frames are laid out, then pauses ``--settle`` seconds. One warm-up repetition of each kind is
discarded. p50 and p95 are linear-interpolated percentiles.

Results go to stdout and bench/results/coding_browser_bench.json (git-ignored).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.coding_browser_data import (
    code_taken,
    first_window_turns,
    new_codings,
    newest_segment_id,
    remove_codings,
    setup,
)
from bench.coding_browser_keyboard import app_keyboard_coding
from bench.coding_browser_kinds import (
    PHRASE_JS,
    TURNS_JS,
    WATCHER_JS,
    arm,
    drag,
    holds,
    jump_loop,
    result,
    serve,
    settle,
    snapshot,
    write_floor,
)
from bench.coding_browser_loads import load_loop
from bench.coding_kinds import PAGE_CODER
from bench.measure import (
    CHROMIUM,
    RESULTS,
    describe_machine,
    launch_chromium,
    load,
    machine,
    versions,
    write_json,
)

PHRASE_WORDS = 4
TARGETS_S = {"a": 0.150, "b": 0.100, "c": 1.0, "d": 1.5, "e": 1.0}  # issue 17, p95 on this machine
STEPS = {
    "a": "selection -> picker usable",
    "b": "code chosen -> highlight drawn",
    "c": "code chosen -> stored and confirmed",
    "d": "page load -> transcript usable",
    "e": "Go to the last turn (20 MB transcript)",
}
VIEWPORT = {"width": 1400, "height": 1000}
TIMEOUT_MS = 120_000


def percentile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    xs = sorted(values)
    pos = (len(xs) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def stats(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    return {"n": len(values), "p50_s": percentile(values, 0.5), "p95_s": percentile(values, 0.95),
            "min_s": min(values), "max_s": max(values), "mean_s": statistics.fmean(values), "runs_s": values}


# ---------------------------------------------------------------------------------------------
# Repetitions in the browser
# ---------------------------------------------------------------------------------------------

def wait_transcript(page, pause_s: float) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function("() => window.__kp && window.__kp.cond.transcript()", timeout=TIMEOUT_MS)
    settle(page, pause_s)


def phrase(page, turn: int) -> dict:  # type: ignore[no-untyped-def]
    box = page.evaluate(PHRASE_JS, [turn, PHRASE_WORDS])
    if not box or not (0 < box["y1"] < box["innerHeight"] and 0 < box["y2"] < box["innerHeight"]):
        raise RuntimeError(f"turn {turn}: the phrase is not on screen ({box})")
    return box


def app_coding(page, db: dict, turn: int, key: str, pause_s: float,  # type: ignore[no-untyped-def]
               flow: str = "keyboard") -> dict:
    """One coding on the Coding page: the keyboard picker (bench/coding_browser_keyboard.py), or the mouse flow of
    `5d5486b`: drag, type the code in the multiselect + Enter, click Apply."""
    page.bring_to_front()
    box = phrase(page, turn)
    if flow == "keyboard":
        sample = app_keyboard_coding(page, db, box, turn, key, TIMEOUT_MS)
        page.reload(wait_until="commit")
        wait_transcript(page, pause_s)
        return sample
    if holds(page, "picker") or holds(page, "confirmed", {"text": "Coded with"}):
        raise RuntimeError("the picker or a confirmation is on the page before the selection")
    mark = newest_segment_id(db["path"])
    arm(page, "a", {"type": "mouseup"}, [["picker", "picker", None]], TIMEOUT_MS)
    drag(page, box)
    ra = result(page, "a")
    settle(page, 0)
    selected = page.evaluate("(p) => Array.from(document.querySelectorAll('[data-testid=\"stMarkdownContainer\"]'))"
                             ".some((e) => e.textContent.includes('Selected') && e.textContent.includes(p))",
                             box["phrase"])
    arm(page, "b1", {"type": "keydown", "key": "Enter"}, [["apply", "apply", None]], TIMEOUT_MS)
    picker = page.locator('.st-key-codes_to_apply input').or_(page.locator('[data-testid="stMultiSelect"] input')).first
    picker.click()
    picker.fill(key)
    page.keyboard.press("Enter")
    rb1 = result(page, "b1")
    page.keyboard.press("Escape")
    settle(page, 0)
    arm(page, "b2", {"type": "click", "selector": "button"},
        [["highlight", "newHighlight", {"turn": turn, "before": box["before"]}],
         ["confirmed", "confirmed", {"text": f"Coded with {key}"}]], TIMEOUT_MS)
    page.locator(".st-key-apply_codes button").or_(page.get_by_role("button", name="Apply", exact=True)).first.click()
    rb2 = result(page, "b2")
    rows = new_codings(db["path"], mark)  # right after the confirmation: the row must be there already
    stored = [r for r in rows if r[1] == key and r[4] == PAGE_CODER]
    ok = not (ra["timedOut"] or rb1["timedOut"] or rb2["timedOut"]) and len(stored) == 1 and selected
    sample = {"turn": turn, "phrase": box["phrase"], "ok": ok, "selected_shown": selected,
              "stored_rows": [list(r) for r in rows], "watchers": {"a": ra, "b1": rb1, "b2": rb2}}
    if ok:
        t = rb1["times"]["apply"] / 1e3
        sample |= {"a": ra["times"]["picker"] / 1e3, "b": t + rb2["times"]["highlight"] / 1e3,
                   "c": t + rb2["times"]["confirmed"] / 1e3, "pick_to_apply_enabled": t,
                   "apply_to_highlight": rb2["times"]["highlight"] / 1e3,
                   "apply_to_confirmed": rb2["times"]["confirmed"] / 1e3}
    remove_codings(db, rows)
    page.reload(wait_until="commit")
    wait_transcript(page, pause_s)
    return sample


def floor_coding(page, turn: int, key: str, pause_s: float) -> dict:  # type: ignore[no-untyped-def]
    """The floor: drag, type the code in the component's picker + Enter (span drawn in JS, one trigger to Python)."""
    page.bring_to_front()
    box = phrase(page, turn)
    arm(page, "a", {"type": "mouseup"}, [["picker", "picker", None]], TIMEOUT_MS)
    drag(page, box)
    ra = result(page, "a")
    arm(page, "b", {"type": "keydown", "key": "Enter"},
        [["highlight", "newHighlight", {"turn": turn, "before": box["before"]}],
         ["confirmed", "confirmed", {"text": f"Coded with {key}"}], ["ack", "ack", None]], TIMEOUT_MS)
    picker = page.locator(".kp-picker")
    picker.fill(key)
    picker.press("Enter")
    rb = result(page, "b")
    ok = not (ra["timedOut"] or rb["timedOut"])
    sample = {"turn": turn, "phrase": box["phrase"], "ok": ok, "watchers": {"a": ra, "b": rb}}
    if ok:
        sample |= {"a": ra["times"]["picker"] / 1e3, "b": rb["times"]["highlight"] / 1e3,
                   "c": max(rb["times"]["confirmed"], rb["times"]["ack"]) / 1e3,
                   "confirmed_shown": rb["times"]["confirmed"] / 1e3, "data_back": rb["times"]["ack"] / 1e3}
    page.reload(wait_until="commit")
    wait_transcript(page, pause_s)
    return sample


def usable_turns(page, db: dict | None, key: str) -> list[int]:  # type: ignore[no-untyped-def]
    """Respondent turns of the rendered window long enough for the phrase (and, on the app, not already coded by Anna
    with `key` from the turn's first word, which Apply would refuse)."""
    starts = {t.ordinal: t.content_start for t in db["turns"]} if db else {}
    return [t["ordinal"] for t in page.evaluate(TURNS_JS)
            if t["role"] == "respondent" and t["words"] >= PHRASE_WORDS + 2
            and not (db and code_taken(db, starts[t["ordinal"]], key))]


def pick_key(keys: list[str]) -> str:
    """A code key no other key contains, so typing it into the multiselect offers that code first."""
    for k in keys:
        if not any(k != other and k in other for other in keys):
            return k
    return keys[0]


# ---------------------------------------------------------------------------------------------
# Run
# ---------------------------------------------------------------------------------------------

def measure(args: argparse.Namespace) -> dict:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise SystemExit(f"Chromium not found at {CHROMIUM}")
    started = datetime.now(UTC)
    load_before = load()
    tmp = tempfile.mkdtemp(prefix="kruispunt-coding-browser-")
    db: dict | None = None
    try:
        print(f"setup: the coding benchmark's database (20,000 words, 1,500 codings) and a {args.large_mb} MB "
              "transcript ...", flush=True)
        t0 = time.perf_counter()
        db = setup(tmp, args)
        setup_s = time.perf_counter() - t0
        large = db.get("large")
        print(f"  setup {setup_s:.0f} s" + (f"; large transcript {large['bytes'] / 1e6:.1f} MB, {large['turns']:,} turns, "
                                            f"~{large['windows_of_12000_chars']:,} windows, last turn ¶{large['last_ordinal'] + 1}"
                                            if large else ""), flush=True)
        key = pick_key(db["codable_keys"])
        floor_turns = first_window_turns(db)
        floor_script, floor_data = write_floor(tmp, floor_turns)
        if args.app == "head":
            app_dir = Path(tmp) / "app"
            commit = snapshot(ROOT, args.app_rev, app_dir)
        else:
            app_dir, commit = ROOT, "working tree"
        env = {"KRUISPUNT_DB_URL": db["url"]}
        samples: dict[str, list] = {f"{w}_{k}": [] for w in ("app", "floor") for k in "abcde"}
        coding_samples: dict[str, list[dict]] = {"app": [], "floor": []}
        loads: dict[str, list[dict]] = {"app_d": [], "floor_d": [], "app_dw": [], "floor_dw": []}
        jumps: dict[str, list[dict]] = {"app": [], "floor": []}
        with serve(["-m", "ui.serve"], app_dir, env, "kruispunt-coding-browser-app-") as app, \
                serve(["-m", "streamlit", "run", str(floor_script)], Path(tmp),
                      {"KP_FLOOR_DATA": str(floor_data)}, "kruispunt-coding-browser-floor-") as fl:
            if app.url is None or fl.url is None:
                raise SystemExit(f"a server did not start: see {app.log} and {fl.log}")
            base = f"{app.url}/coding?project={db['project_guid']}"
            app_url = f"{base}&document={db['document_guid']}"
            with sync_playwright() as pw:
                browser = launch_chromium(pw)
                try:
                    pages = {}
                    for who, url in (("app", app_url), ("floor", fl.url)):
                        context = browser.new_context(viewport=VIEWPORT)
                        context.add_init_script(WATCHER_JS)
                        pages[who] = context.new_page()
                        pages[who].goto(url, wait_until="commit")
                        wait_transcript(pages[who], args.settle)
                    app_turns = usable_turns(pages["app"], db, key)
                    floor_turns_ok = usable_turns(pages["floor"], None, key)
                    print(f"  code {key!r}; {len(app_turns)} respondent turns to select in on the app, "
                          f"{len(floor_turns_ok)} on the floor page", flush=True)
                    print("(a)-(c): select, choose a code, apply; app and floor interleaved", flush=True)
                    for i in range(args.repeats + 1):
                        label = "warm-up" if i == 0 else f"{i}/{args.repeats}"
                        s_app = app_coding(pages["app"], db, app_turns[i % len(app_turns)], key, args.settle,
                                           args.flow)
                        s_fl = floor_coding(pages["floor"], floor_turns_ok[i % len(floor_turns_ok)], key, args.settle)
                        for who, s in (("app", s_app), ("floor", s_fl)):
                            s["warmup"] = i == 0
                            coding_samples[who].append(s)
                        fmt = lambda s, k: f"{s[k] * 1e3:7.1f}" if s.get("ok") else "  fail "
                        extra = (f"Enter->stored highlight {fmt(s_app, 'enter_to_stored_highlight')}"
                                 if args.flow == "keyboard" else
                                 f"pick->Apply enabled {fmt(s_app, 'pick_to_apply_enabled')}, Apply->highlight "
                                 f"{fmt(s_app, 'apply_to_highlight')}")
                        print(f"  {label:>8}: app a {fmt(s_app, 'a')} b {fmt(s_app, 'b')} c {fmt(s_app, 'c')} ms "
                              f"({extra}) | floor a {fmt(s_fl, 'a')} b {fmt(s_fl, 'b')} c {fmt(s_fl, 'c')} ms",
                              flush=True)
                    for context in {p.context for p in pages.values()}:
                        context.close()
                    load_loop(browser, app_url, fl.url, args.load_repeats, loads, VIEWPORT, TIMEOUT_MS)
                    if large:
                        print("(e): Go to the last turn, in the page (after a jump back to the first); app and floor "
                              "interleaved", flush=True)
                        jump_loop(browser, args, f"{base}&document={large['guid']}", fl.url, large, floor_turns,
                                  jumps, VIEWPORT, TIMEOUT_MS)
                finally:
                    browser.close()
        load_after = load()
        for log in (app.log, fl.log):
            os.unlink(log)
    finally:
        if db is not None:
            db["engine"].dispose()
        shutil.rmtree(tmp, ignore_errors=True)

    for who in ("app", "floor"):
        timed = [s for s in coding_samples[who] if not s["warmup"] and s["ok"]]
        for k in "abc":
            samples[f"{who}_{k}"] = [s[k] for s in timed]
        samples[f"{who}_d"] = [x["s"] for x in loads[f"{who}_d"] if not x["warmup"] and x["ok"]]
        samples[f"{who}_dw"] = [x["s"] for x in loads[f"{who}_dw"] if not x["warmup"] and x["ok"]]
        samples[f"{who}_e"] = [x["s"] for x in jumps[who] if not x["warmup"] and x["ok"]]
    part_keys = (("enter_to_stored_highlight",) if args.flow == "keyboard" else
                 ("pick_to_apply_enabled", "apply_to_highlight", "apply_to_confirmed"))
    parts = {k: stats([s[k] for s in coding_samples["app"] if not s["warmup"] and s["ok"]]) for k in part_keys}
    floor_parts = {k: stats([s[k] for s in coding_samples["floor"] if not s["warmup"] and s["ok"]])
                   for k in ("confirmed_shown", "data_back")}
    steps = {}
    for k in "abcde":
        app_s, floor_s = stats(samples[f"app_{k}"]), stats(samples[f"floor_{k}"])
        row = {"what": STEPS[k], "app": app_s, "floor": floor_s, "target_p95_s": TARGETS_S[k]}
        if app_s["n"] and floor_s["n"]:
            row |= {"ratio_p50": app_s["p50_s"] / floor_s["p50_s"], "ratio_p95": app_s["p95_s"] / floor_s["p95_s"],
                    "meets_target": app_s["p95_s"] <= TARGETS_S[k]}
        steps[k] = row
    failures = {who: sum(1 for s in v if not s["ok"]) for who, v in coding_samples.items()} | {
        k: sum(1 for x in v if not x["ok"]) for k, v in loads.items()} | {
        f"{who}_e": sum(1 for x in v if not (x["ok"] and x["back"]["ok"])) for who, v in jumps.items()}
    jump_back = {who: stats([x["back"]["s"] for x in v if not x["warmup"] and x["back"]["ok"]])
                 for who, v in jumps.items()}
    return {
        "date": started.date().isoformat(), "started_utc": started.isoformat(timespec="seconds"),
        "args": vars(args), "app_source": commit, "machine": machine(),
        "versions": versions("streamlit", "playwright"), "chromium": CHROMIUM,
        "load_before": load_before, "load_after": load_after, "setup_s": setup_s,
        "document": db["corpus"] | {"codings": db["stored"]["coding"], "first_window_turns": len(floor_turns),
                                    "first_window_highlights": sum(len(t["highlights"]) for t in floor_turns),
                                    "first_window_chars": sum(len(t["content"]) for t in floor_turns)},
        "large": large, "code": key, "steps": steps, "app_parts": parts, "floor_parts": floor_parts,
        "jump_back_to_first": jump_back, "failures": failures,
        "warm_load": {who: stats(samples[f"{who}_dw"]) for who in ("app", "floor")},
        "coding_samples": coding_samples, "load_samples": loads, "jump_samples": jumps,
        "method": __doc__,
    }


def print_report(r: dict) -> None:
    print()
    print(f"Kruispunt coding in the browser (issue 17)  {r['started_utc']}  app: {r['app_source']}  "
          f"flow: {r['args']['flow']}")
    print(describe_machine(r))
    v = r["versions"]
    print(f"versions: Python {v['python']}, Streamlit {v['streamlit']}, Playwright {v['playwright']}; {r['chromium']}")
    d = r["document"]
    print(f"document: {d['words']:,} words, {d['codings']:,} codings; first window {d['first_window_turns']} turns, "
          f"{d['first_window_chars']:,} characters, {d['first_window_highlights']} highlights; code {r['code']!r}")
    if r["large"]:
        lg = r["large"]
        print(f"large: {lg['bytes'] / 1e6:.1f} MB, {lg['turns']:,} turns, last turn ¶{lg['last_ordinal'] + 1}")
    print()
    print(f"  {'step':44} {'n':>3} {'p50':>9} {'p95':>9} {'floor p50':>10} {'floor p95':>10} {'x p50':>7} "
          f"{'x p95':>7} {'target p95':>11}")
    for k, row in r["steps"].items():
        a, f = row["app"], row["floor"]
        if not a["n"]:
            print(f"  ({k}) {row['what']:40} not measured")
            continue
        ms = lambda x: f"{x * 1e3:7.0f}ms"
        fl = f"{ms(f['p50_s']):>10} {ms(f['p95_s']):>10}" if f["n"] else f"{'-':>10} {'-':>10}"
        rx = lambda x: f"{x:6.1f}x" if x < 10 else f"{x:6.0f}x"
        ratio = f"{rx(row['ratio_p50'])} {rx(row['ratio_p95'])}" if "ratio_p50" in row else f"{'':7} {'':7}"
        verdict = "meets" if row.get("meets_target") else "misses"
        print(f"  ({k}) {row['what']:40} {a['n']:>3} {ms(a['p50_s']):>9} {ms(a['p95_s']):>9} {fl} {ratio} "
              f"{'<= ' + ms(row['target_p95_s']).strip():>11} {verdict}")
    p = r["app_parts"]
    if p.get("enter_to_stored_highlight", {}).get("n"):
        q = p["enter_to_stored_highlight"]
        print(f"  app (keyboard) part, p50 / p95: Enter -> the stored highlight (the server's data) "
              f"{q['p50_s'] * 1e3:.0f} / {q['p95_s'] * 1e3:.0f} ms")
    if p.get("pick_to_apply_enabled", {}).get("n"):
        print(f"  app (b)/(c) parts, p50: Enter in the multiselect -> Apply enabled "
              f"{p['pick_to_apply_enabled']['p50_s'] * 1e3:.0f} ms; click on Apply -> highlight "
              f"{p['apply_to_highlight']['p50_s'] * 1e3:.0f} ms, -> confirmation "
              f"{p['apply_to_confirmed']['p50_s'] * 1e3:.0f} ms")
    fp = r["floor_parts"]
    if fp["data_back"]["n"]:
        print(f"  floor (c) parts, p50: Enter -> 'Coded with' shown {fp['confirmed_shown']['p50_s'] * 1e3:.0f} ms, "
              f"-> the id back in the component's data {fp['data_back']['p50_s'] * 1e3:.0f} ms")
    warm = r.get("warm_load", {})
    if warm.get("app", {}).get("n") and warm.get("floor", {}).get("n"):
        print("  (d) with the browser's cache warm (a returning researcher: new page, new session), p50 / p95: app "
              + " / ".join(f"{warm['app'][k] * 1e3:.0f}" for k in ("p50_s", "p95_s")) + " ms; floor "
              + " / ".join(f"{warm['floor'][k] * 1e3:.0f}" for k in ("p50_s", "p95_s")) + " ms")
    back = r.get("jump_back_to_first", {})
    if back.get("app", {}).get("n"):
        fb = back["floor"]
        print(f"  (e) the untimed-for-(e) jump back to ¶1 before each, p50 / p95: app {back['app']['p50_s'] * 1e3:.0f} / "
              f"{back['app']['p95_s'] * 1e3:.0f} ms; floor " + (f"{fb['p50_s'] * 1e3:.0f} / {fb['p95_s'] * 1e3:.0f} ms"
                                                              if fb.get("n") else "-"))
        for who, v in r["jump_samples"].items():
            lands = [x["landing"] for x in v if not x["warmup"] and x["ok"] and x.get("landing")]
            if lands:
                offs = sorted({round(x["offset_px"]) for x in lands})
                x = lands[-1]
                print(f"  (e) {who}: the last turn lands {offs} px below the scroller's top (scrollTop "
                      f"{x['scroll_top']:.0f} of max {x['max_scroll_top']:.0f}; scroller {x['scroller_height_px']:.0f} "
                      f"px, {x['turns_drawn']} turns drawn ¶{x['first_drawn'] + 1}-¶{x['last_drawn'] + 1})")
    if any(r["failures"].values()):
        print(f"  failed repetitions (left out): {r['failures']}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeats", type=int, default=20, help="codings (a)-(c), after one warm-up")
    p.add_argument("--load-repeats", type=int, default=None, help="page loads (d); default --repeats")
    p.add_argument("--jump-repeats", type=int, default=None, help="jumps (e); default --repeats")
    p.add_argument("--large-mb", type=float, default=20, help="size of the large transcript; 0: no (e)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--settle", type=float, default=0.3, help="pause between steps, seconds (never inside a timing)")
    p.add_argument("--app", choices=("head", "worktree"), default="head",
                   help="run the app from a snapshot of --app-rev (default) or from the working tree as it is")
    p.add_argument("--app-rev", default="HEAD", help="the commit whose app is measured (git archive)")
    p.add_argument("--flow", choices=("keyboard", "mouse"), default="keyboard",
                   help="(a)-(c) through the component's picker (default; HEAD) or the multiselect + Apply "
                        "(the app before the picker: --app-rev 5d5486b needs --flow mouse)")
    args = p.parse_args(argv)
    args.load_repeats = args.repeats if args.load_repeats is None else args.load_repeats
    args.jump_repeats = args.repeats if args.jump_repeats is None else args.jump_repeats
    r = measure(args)
    print_report(r)
    print(f"\nwrote {write_json(RESULTS / 'coding_browser_bench.json', r)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
