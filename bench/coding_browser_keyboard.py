"""The keyboard flow of the coding browser benchmark (bench/coding_browser_bench.py, ``--flow keyboard``): a mouse
drag opens the transcript component's own picker with its filter focused; the code's key is typed; Enter draws a
pending highlight (``.kp-hl.kp-pending``) at once and sends one write; "Coded with <key>." then shows.

  (a) mouse-up of the drag -> the shadow root's ``activeElement`` is the picker's filter input (condition
      ``pickerFocused``).
  (b) Enter in the picker -> the pending highlight in that turn's shadow DOM (``pendingHighlight``). The key is
      typed before the watcher is armed; only the Enter keydown starts the clock.
  (c) the same Enter -> "Coded with <key>." shown (``confirmed``); the row is then checked in the database.
      Also recorded: Enter -> the stored highlight (a new segment id, not pending) drawn from the server's data.
"""

from __future__ import annotations

import contextlib

from bench.coding_browser_data import new_codings, newest_segment_id, remove_codings
from bench.coding_browser_kinds import arm, drag, holds, result, settle
from bench.coding_kinds import PAGE_CODER

ACTIVE_KEY_JS = "() => window.__kp.cond.activeKey()"


def app_keyboard_coding(page, db: dict, box: dict, turn: int, key: str, timeout_ms: int) -> dict:  # type: ignore[no-untyped-def]
    """One coding on the Coding page with the keyboard picker; `box` is the phrase to drag over (on screen)."""
    if holds(page, "pickerFocused") or holds(page, "confirmed", {"text": "Coded with"}):
        raise RuntimeError("the picker or a confirmation is on the page before the selection")
    mark = newest_segment_id(db["path"])
    arm(page, "a", {"type": "mouseup"}, [["picker", "pickerFocused", None]], timeout_ms)
    drag(page, box)
    ra = result(page, "a")
    settle(page, 0)  # the selection's own rerun (the panel beside the text) is over; the filter keeps the focus
    focused = holds(page, "pickerFocused")
    page.keyboard.type(key)
    with contextlib.suppress(Exception):  # a wrong or missing choice is recorded as a failed repetition below
        page.wait_for_function("(k) => window.__kp.cond.activeKey() === k", arg=key, timeout=10_000)
    active = page.evaluate(ACTIVE_KEY_JS)
    rb = {"timedOut": True, "times": {}}
    if focused and active == key:
        arm(page, "b", {"type": "keydown", "key": "Enter"},
            [["pending", "pendingHighlight", {"turn": turn}],
             ["confirmed", "confirmed", {"text": f"Coded with {key}."}],
             ["stored", "storedHighlight", {"turn": turn, "before": box["before"]}]], timeout_ms)
        page.keyboard.press("Enter")
        rb = result(page, "b")
    else:
        page.keyboard.press("Escape")
    rows = new_codings(db["path"], mark)  # right after the confirmation: the row must be there already
    stored = [r for r in rows if r[1] == key and r[4] == PAGE_CODER]
    ok = not (ra["timedOut"] or rb["timedOut"]) and focused and active == key and len(stored) == 1
    sample = {"turn": turn, "phrase": box["phrase"], "ok": ok, "focused_after_rerun": focused,
              "active_key": active, "stored_rows": [list(r) for r in rows], "watchers": {"a": ra, "b": rb}}
    if ok:
        t = rb["times"]
        sample |= {"a": ra["times"]["picker"] / 1e3, "b": t["pending"] / 1e3, "c": t["confirmed"] / 1e3,
                   "enter_to_stored_highlight": t["stored"] / 1e3}
    remove_codings(db, rows)
    return sample
