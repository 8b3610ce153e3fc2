"""The browser benchmark's in-page timing (bench/coding_browser_bench.py): a watcher injected into the page, the
conditions it waits for, the minimal floor page, and the servers.

Every figure is taken inside the page with ``performance.now()``: a watcher is armed before the action (a
capture-phase listener on ``window`` for the mouse-up, the Enter key or the click that starts it, or navigation
start for a page load), and a MutationObserver on the document and on every component's shadow root, plus a
requestAnimationFrame poll, checks the conditions after each change; each condition's first time is kept. So
Playwright's own latency (its protocol round trips, its waits) is outside every interval.

Selectors are kept tolerant of the transcript component's changes: the transcript is the
``[data-testid="stBidiComponentIsolated"]`` shadow root that holds ``.kp-content``; a turn is
``.kp-turn[data-ordinal=N]``; a highlight is ``.kp-hl`` with ``data-segments``.
"""

from __future__ import annotations

import subprocess
import time
from argparse import Namespace
from collections.abc import Iterator, Mapping
from pathlib import Path

from bench.measure import Server, streamlit_server

# ---------------------------------------------------------------------------------------------
# The in-page watcher (injected with page.add_init_script, so it is there from navigation start)
# ---------------------------------------------------------------------------------------------

WATCHER_JS = r"""
(() => {
  if (window.__kp) { return; }
  const kp = window.__kp = {};
  kp.hosts = () => Array.from(document.querySelectorAll('[data-testid="stBidiComponentIsolated"]'));
  kp.root = () => {
    for (const h of kp.hosts()) { const r = h.shadowRoot; if (r && r.querySelector('.kp-content')) { return r; } }
    return null;
  };
  // Present, laid out and not a stale element of the previous run.
  kp.live = (el) => !!el && !el.closest('[data-stale="true"]') && el.getClientRects().length > 0;
  kp.cond = {
    // (a) the code picker: the Coding page's multiselect `codes_to_apply` (label "Codes"), or a picker inside the
    // component (.kp-picker: the floor page's, and a future in-component picker's)
    picker: () => {
      for (const el of document.querySelectorAll('[data-testid="stMultiSelect"]')) {
        if (!kp.live(el)) { continue; }
        const label = el.querySelector('label');
        if (!el.closest('.st-key-codes_to_apply') && !(label && /^Codes/.test(label.textContent.trim()))) { continue; }
        const input = el.querySelector('input');
        if (input && !input.disabled && el.getAttribute('aria-disabled') !== 'true') { return true; }
      }
      const r = kp.root();
      const p = r && r.querySelector('.kp-picker');
      return !!p && !p.disabled && !p.hidden && p.getClientRects().length > 0;
    },
    // keyboard flow (a): the focus is in the component's picker filter (the shadow root's activeElement)
    pickerFocused: () => {
      const r = kp.root();
      const a = r && r.activeElement;
      return !!a && a.tagName === 'INPUT' && !!a.closest('.kp-picker') && kp.live(a);
    },
    // keyboard flow (b): the pending highlight (drawn before the server answers) in that turn
    pendingHighlight: (a) => {
      const r = kp.root();
      return !!r && !!r.querySelector(`.kp-turn[data-ordinal="${a.turn}"] .kp-hl.kp-pending`);
    },
    // keyboard flow: the stored highlight of a new segment (not a pending one) in that turn
    storedHighlight: (a) => {
      const r = kp.root();
      if (!r) { return false; }
      const before = new Set(a.before);
      for (const s of r.querySelectorAll(`.kp-turn[data-ordinal="${a.turn}"] .kp-hl:not(.kp-pending)`)) {
        for (const id of (s.dataset.segments || '').split(' ')) {
          if (id && !id.startsWith('pending:') && !before.has(id)) { return true; }
        }
      }
      return false;
    },
    // the keyboard picker's highlighted choice (its key), to check what Enter will apply
    activeKey: () => {
      const r = kp.root();
      const k = r && r.querySelector('.kp-picker-item.kp-picker-active .kp-picker-key');
      return k ? k.textContent.trim() : null;
    },
    // today's flow: the Apply button, enabled once a code is chosen (after that choice's rerun)
    apply: () => {
      const buttons = Array.from(document.querySelectorAll('.st-key-apply_codes button'));
      if (!buttons.length) {
        for (const b of document.querySelectorAll('button')) { if (b.textContent.trim() === 'Apply') { buttons.push(b); } }
      }
      return buttons.some((b) => kp.live(b) && !b.disabled && b.getAttribute('aria-disabled') !== 'true');
    },
    // (b) a highlight of a segment that was not in this turn before
    newHighlight: (a) => {
      const r = kp.root();
      if (!r) { return false; }
      const before = new Set(a.before);
      for (const s of r.querySelectorAll(`.kp-turn[data-ordinal="${a.turn}"] .kp-hl`)) {
        for (const id of (s.dataset.segments || '').split(' ')) { if (id && !before.has(id)) { return true; } }
      }
      return false;
    },
    // (c) the confirmation ("Coded with ...") shown by Streamlit
    confirmed: (a) => {
      for (const el of document.querySelectorAll('[data-testid="stAlertContainer"], [data-testid="stAlert"], [data-testid="stMarkdownContainer"], [data-testid="stToast"]')) {
        if (kp.live(el) && el.textContent.includes(a.text)) { return true; }
      }
      return false;
    },
    // the floor page: Python's answer came back to the component as data
    ack: () => { const r = kp.root(); const e = r && r.querySelector('.kp-ack'); return !!e && !!e.dataset.id; },
    // (d) the transcript with its highlights
    transcript: () => { const r = kp.root(); return !!r && !!r.querySelector('.kp-content') && !!r.querySelector('.kp-hl'); },
    // (e) a turn's text on screen: in the component's scroller (between its spacers) and in the window
    turnVisible: (a) => {
      const r = kp.root();
      const c = r && r.querySelector(`.kp-turn[data-ordinal="${a.turn}"] .kp-content`);
      if (!c || !c.textContent.startsWith(a.prefix)) { return false; }
      const box = c.getBoundingClientRect();
      if (box.height <= 0) { return false; }
      const scroller = c.closest('.kp-scroll');
      const s = scroller ? scroller.getBoundingClientRect() : {top: 0, bottom: innerHeight};
      return box.bottom > s.top + 1 && box.top < s.bottom - 1 && box.top < innerHeight && box.bottom > 0;
    },
  };
  kp.holds = (name, args) => { try { return !!kp.cond[name](args); } catch (e) { return false; } };
  // Arm a watcher: start = {type: "nav"} (t0 = navigation start) or {type: event, key?, selector?}; conds = [[name,
  // condition, args]]. Resolves {t0, times: {name: ms after t0}, timedOut, missing}.
  kp.watch = (start, conds, timeoutMs) => new Promise((resolve) => {
    const out = {t0: null, times: {}, timedOut: false, missing: []};
    const pending = new Map(conds.map(([n, c, a]) => [n, () => kp.holds(c, a)]));
    const opts = {subtree: true, childList: true, attributes: true, characterData: true};
    const observed = new WeakSet();
    let raf = 0, listener = null, done = false;
    const mo = new MutationObserver(() => { observeRoots(); check(); });
    const observeRoots = () => {
      for (const h of kp.hosts()) {
        if (h.shadowRoot && !observed.has(h.shadowRoot)) { observed.add(h.shadowRoot); mo.observe(h.shadowRoot, opts); }
      }
    };
    const finish = () => {
      if (done) { return; }
      done = true;
      mo.disconnect();
      cancelAnimationFrame(raf);
      clearTimeout(timer);
      if (listener) { window.removeEventListener(start.type, listener, true); }
      resolve(out);
    };
    const check = () => {
      if (out.t0 === null || done) { return; }
      const now = performance.now();
      for (const [n, f] of pending) { if (f()) { out.times[n] = now - out.t0; pending.delete(n); } }
      if (!pending.size) { finish(); }
    };
    const loop = () => { observeRoots(); check(); if (!done) { raf = requestAnimationFrame(loop); } };
    mo.observe(document, opts);
    observeRoots();
    if (start.type === 'nav') {
      out.t0 = 0;
    } else {
      listener = (e) => {
        if (out.t0 !== null) { return; }
        if (start.key && e.key !== start.key) { return; }
        if (start.selector) {
          const t = e.composedPath()[0];
          if (!(t instanceof Element) || !t.closest(start.selector)) { return; }
        }
        out.t0 = performance.now();
        check();
      };
      window.addEventListener(start.type, listener, true);
    }
    raf = requestAnimationFrame(loop);
    const timer = setTimeout(() => { out.timedOut = true; out.missing = Array.from(pending.keys()); finish(); }, timeoutMs);
  });
  kp.arm = (name, start, conds, timeoutMs) => { kp.runs = kp.runs || {}; kp.runs[name] = kp.watch(start, conds, timeoutMs); };
})();
"""

# A page load's watcher, armed at navigation start (a second init script, after WATCHER_JS).
NAV_JS = "window.__kp.arm('nav', {type: 'nav'}, %s, %d);"

# Respondent turns of the transcript as rendered, with their content's length in words.
TURNS_JS = """() => {
  const r = window.__kp.root();
  return r ? Array.from(r.querySelectorAll('.kp-turn')).map((s) => ({
    ordinal: Number(s.dataset.ordinal), role: s.dataset.role || '',
    words: (s.querySelector('.kp-content') || {textContent: ''}).textContent.split(/\\s+/).filter(Boolean).length,
  })) : [];
}"""

# Scroll turn N to the top of the component's scroller, the scroller into the window; the first `words` words of its
# content: their boxes for a mouse drag, the text, and the segments already highlighted in the turn.
PHRASE_JS = """([turn, words]) => {
  const r = window.__kp.root();
  const section = r && r.querySelector(`.kp-turn[data-ordinal="${turn}"]`);
  const content = section && section.querySelector('.kp-content');
  if (!content) { return null; }
  const scroller = content.closest('.kp-scroll');
  if (scroller) {
    scroller.scrollIntoView({block: 'nearest'});
    scroller.scrollTop += section.getBoundingClientRect().top - scroller.getBoundingClientRect().top - 8;
  }
  const text = content.textContent;
  const m = text.match(new RegExp('^\\\\s*((?:\\\\S+\\\\s+){' + (words - 1) + '}\\\\S+)'));
  if (!m) { return null; }
  const at = text.indexOf(m[1]), phrase = m[1];
  const range = document.createRange();
  const walker = document.createTreeWalker(content, NodeFilter.SHOW_TEXT);
  let pos = 0, started = false;
  for (let t = walker.nextNode(); t; t = walker.nextNode()) {
    const len = t.data.length;
    if (!started && at < pos + len) { range.setStart(t, at - pos); started = true; }
    if (at + phrase.length <= pos + len) { range.setEnd(t, at + phrase.length - pos); break; }
    pos += len;
  }
  const rects = Array.from(range.getClientRects()).filter((b) => b.width > 0);
  const first = rects[0], last = rects[rects.length - 1];
  const before = new Set();
  for (const s of section.querySelectorAll('.kp-hl')) {
    for (const id of (s.dataset.segments || '').split(' ')) { if (id) { before.add(id); } }
  }
  return {x1: first.left, y1: first.top + first.height / 2, x2: last.right, y2: last.top + last.height / 2,
          phrase, before: Array.from(before), innerHeight};
}"""

SETTLED_JS = "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
TWO_FRAMES_JS = "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"


def arm(page, name: str, start: dict, conds: list, timeout_ms: int = 60_000) -> None:  # type: ignore[no-untyped-def]
    """Arm a named watcher in the page (it runs until its conditions hold or it times out)."""
    page.evaluate("([n, s, c, t]) => window.__kp.arm(n, s, c, t)", [name, start, conds, timeout_ms])


def result(page, name: str) -> dict:  # type: ignore[no-untyped-def]
    """Wait for a watcher armed by `arm` (or NAV_JS) and return it."""
    return page.evaluate("(n) => window.__kp.runs[n]", name)


def holds(page, cond: str, args: object = None) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate("([c, a]) => window.__kp.holds(c, a)", [cond, args])


def settle(page, pause_s: float) -> None:  # type: ignore[no-untyped-def]
    """Between steps, not inside a timed interval: the app's run is over (no "running" widget), two frames are laid
    out, and a short fixed pause lets late work (stripes, the margin's layout) finish, so repetitions start alike."""
    page.wait_for_function(SETTLED_JS, timeout=120_000)
    page.evaluate(TWO_FRAMES_JS)
    if pause_s:
        time.sleep(pause_s)


def drag(page, box: dict) -> None:  # type: ignore[no-untyped-def]
    """A real mouse selection from the start to the end of `box` (as tests/browser_support.drag)."""
    page.mouse.move(box["x1"] + 1, box["y1"])
    page.mouse.down()
    page.mouse.move((box["x1"] + box["x2"]) / 2, (box["y1"] + box["y2"]) / 2, steps=6)
    page.mouse.move(box["x2"] - 1, box["y2"], steps=6)
    page.mouse.up()


# Where turn N stands after a jump (untimed, for the record): its top relative to the scroller's, and the scroller.
LANDING_JS = """(turn) => {
  const r = window.__kp.root();
  const s = r && r.querySelector(`.kp-turn[data-ordinal="${turn}"]`);
  const sc = s && s.closest('.kp-scroll');
  if (!sc) { return null; }
  const a = s.getBoundingClientRect(), b = sc.getBoundingClientRect();
  const turns = Array.from(r.querySelectorAll('.kp-turn')).map((t) => Number(t.dataset.ordinal));
  return {offset_px: a.top - b.top, turn_height_px: a.height, scroll_top: sc.scrollTop,
          max_scroll_top: sc.scrollHeight - sc.clientHeight, scroller_height_px: sc.clientHeight,
          scroller_top_in_window_px: b.top, turns_drawn: turns.length, first_drawn: Math.min(...turns),
          last_drawn: Math.max(...turns), url: location.search};
}"""


def jump(page, field, text: str, conds: list, turn: int, pause_s: float,  # type: ignore[no-untyped-def]
         timeout_ms: int = 60_000) -> dict:
    """Type `text` into the input `field` (untimed), arm a watcher started by the Enter keydown, press Enter; then
    (untimed) where `turn` landed. {"ok", "s", "watcher", "landing"}."""
    field.fill(text)
    settle(page, 0)
    arm(page, "jump", {"type": "keydown", "key": "Enter"}, conds, timeout_ms)
    field.press("Enter")
    r = result(page, "jump")
    settle(page, pause_s)
    out = {"ok": not r["timedOut"], "watcher": r, "landing": page.evaluate(LANDING_JS, turn)}
    if out["ok"]:
        out["s"] = max(r["times"].values()) / 1e3
    return out


def jump_loop(browser, args: Namespace, app_url: str, floor_url: str, large: dict,  # type: ignore[no-untyped-def]
              floor_turns: list[dict], jumps: dict, viewport: dict, timeout_ms: int) -> None:
    """(e): one page each (the app's at the large transcript's first window), then per repetition ¶1, settle, and
    the measured Go to the last turn; app and floor interleaved."""
    first_fl, last_fl = floor_turns[0], floor_turns[-1]
    plan = {"app": (f"¶{large['first_ordinal'] + 1}", large["first_ordinal"], large["first_prefix"],
                    f"¶{large['last_ordinal'] + 1}", large["last_ordinal"], large["last_prefix"]),
            "floor": (f"¶{first_fl['ordinal'] + 1}", first_fl["ordinal"], first_fl["content"][:30],
                      f"¶{last_fl['ordinal'] + 1}", last_fl["ordinal"], last_fl["content"][:30])}
    pages, fields = {}, {}
    for who, url in (("app", app_url), ("floor", floor_url)):
        context = browser.new_context(viewport=viewport)
        context.add_init_script(WATCHER_JS)
        pages[who] = page = context.new_page()
        page.goto(url, wait_until="commit")  # the first load reads the large transcript into the server's caches
        page.wait_for_function("() => window.__kp && !!window.__kp.root()", timeout=300_000)
        settle(page, args.settle)
        fields[who] = (page.get_by_label("Go to ¶", exact=True) if who == "app" else
                       page.get_by_label("Go to", exact=True)).first
    try:
        for i in range(args.jump_repeats + 1):
            row = {}
            for who, page in pages.items():
                page.bring_to_front()
                t1, o1, p1, t2, o2, p2 = plan[who]
                back = jump(page, fields[who], t1, [["turn", "turnVisible", {"turn": o1, "prefix": p1}]], o1,
                            args.settle, timeout_ms)
                s = jump(page, fields[who], t2, [["turn", "turnVisible", {"turn": o2, "prefix": p2}]], o2,
                         args.settle, timeout_ms)
                s |= {"warmup": i == 0, "back": back, "target": t2}
                jumps[who].append(row.setdefault(who, s))
            f = lambda x: f"{x['s'] * 1e3:7.0f} ms" if x["ok"] else "   fail  "
            lf = lambda x: f"{x['landing']['offset_px']:5.0f} px" if x.get("landing") else "   ? px"
            print(f"  {'warm-up' if i == 0 else f'{i}/{args.jump_repeats}':>8}: app {f(row['app'])} (landed "
                  f"{lf(row['app'])}; back to ¶1 {f(row['app']['back'])}) | floor {f(row['floor'])} (landed "
                  f"{lf(row['floor'])}; back {f(row['floor']['back'])})", flush=True)
    finally:
        for page in pages.values():
            page.context.close()


# ---------------------------------------------------------------------------------------------
# The floor: a minimal Streamlit page with a minimal v2 component showing the same turns
# ---------------------------------------------------------------------------------------------

FLOOR_SCRIPT = r'''"""The coding browser benchmark's floor page (written by bench/coding_browser_kinds.py at run time)."""
import json
import os
from pathlib import Path

import streamlit as st

st.set_page_config(page_title="Floor", layout="wide")
DATA = json.loads(Path(os.environ["KP_FLOOR_DATA"]).read_text(encoding="utf-8"))
CSS = """
.kp-scroll { max-height: 640px; overflow-y: auto; font: 16px/1.6 sans-serif; }
.kp-turn { margin: 0 0 12px; }
.kp-content { white-space: pre-wrap; }
.kp-hl { background: rgba(230, 170, 0, 0.25); }
"""
JS = r"""
const INSTANCES = new WeakMap();
function view(host) {
  const root = document.createElement('div');
  const picker = document.createElement('input');
  picker.className = 'kp-picker'; picker.placeholder = 'code'; picker.hidden = true; picker.disabled = true;
  const ack = document.createElement('div');
  ack.className = 'kp-ack';
  const scroller = document.createElement('div');
  scroller.className = 'kp-scroll';
  root.append(picker, ack, scroller);
  host.appendChild(root);
  const v = {send: null, built: false, focused: undefined, range: null, turn: null, n: 0};
  const build = (turns) => {
    const fragment = document.createDocumentFragment();
    for (const t of turns) {
      const section = document.createElement('section');
      section.className = 'kp-turn'; section.dataset.ordinal = String(t.ordinal); section.dataset.role = t.role;
      const head = document.createElement('div');
      head.textContent = t.role + ' \u00b6' + (t.ordinal + 1);
      const content = document.createElement('div');
      content.className = 'kp-content';
      const cuts = new Set([0, t.content.length]);
      for (const [a, b] of t.highlights) { cuts.add(a); cuts.add(b); }
      const points = Array.from(cuts).sort((x, y) => x - y);
      for (let i = 0; i + 1 < points.length; i += 1) {
        const a = points[i], b = points[i + 1];
        const active = t.highlights.filter((h) => h[0] <= a && h[1] >= b);
        if (!active.length) { content.appendChild(document.createTextNode(t.content.slice(a, b))); continue; }
        const span = document.createElement('span');
        span.className = 'kp-hl'; span.dataset.segments = active.map((h) => h[2]).join(' ');
        span.textContent = t.content.slice(a, b);
        content.appendChild(span);
      }
      section.append(head, content);
      fragment.appendChild(section);
    }
    scroller.replaceChildren(fragment);
  };
  v.render = (data) => {
    if (!v.built) { build(Array.isArray(data.turns) ? data.turns : []); v.built = true; }
    if (data.ack) { ack.dataset.id = data.ack; ack.textContent = 'stored: ' + data.ack; }
    // (e) floor: a new turn number from the "Go to" input -> that turn at the top of the scroller (8 px below)
    const focus = Number.isInteger(data.focus_turn) ? data.focus_turn : null;
    if (focus !== v.focused) {
      v.focused = focus;
      const s = focus === null ? null : scroller.querySelector(`.kp-turn[data-ordinal="${focus}"]`);
      if (s) { scroller.scrollTop += s.getBoundingClientRect().top - scroller.getBoundingClientRect().top - 8; }
    }
  };
  // (a) floor: mouse-up -> the selection in this shadow root -> a usable picker
  document.addEventListener('mouseup', () => {
    const sel = typeof host.getSelection === 'function' ? host.getSelection() : document.getSelection();
    if (!sel || !sel.rangeCount) { return; }
    const r = sel.getRangeAt(0);
    const node = r.startContainer.nodeType === 1 ? r.startContainer : r.startContainer.parentElement;
    const content = node && node.closest('.kp-content');
    if (r.collapsed || !content) { return; }
    v.range = r.cloneRange(); v.turn = Number(content.parentElement.dataset.ordinal);
    picker.value = ''; picker.hidden = false; picker.disabled = false; picker.focus();
  }, true);
  // (b) floor: Enter in the picker -> the highlight drawn at once; (c) floor: one trigger to Python and back
  picker.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' || !v.range) { return; }
    e.preventDefault();
    const id = 'floor-' + Date.now() + '-' + (v.n++);
    const span = document.createElement('span');
    span.className = 'kp-hl'; span.dataset.segments = id;
    span.appendChild(v.range.extractContents());
    v.range.insertNode(span);
    v.range = null; picker.hidden = true; picker.disabled = true;
    if (v.send) { v.send('pick', {id, turn: v.turn, code: picker.value}); }
  });
  return v;
}
export default function (component) {
  const { data, setTriggerValue, parentElement } = component;
  let v = INSTANCES.get(parentElement);
  if (!v) { v = view(parentElement); INSTANCES.set(parentElement, v); }
  v.send = setTriggerValue;
  v.render(data || {});
}
"""
floor = st.components.v2.component("kp_floor", css=CSS, js=JS)


def _picked() -> None:
    """Before the rerun: the trigger's value is in the component's session state, so this run can send it back."""
    try:
        value = st.session_state["floor"]["pick"]
    except Exception:
        value = None
    if isinstance(value, dict):
        st.session_state["floor_ack"] = value


st.title("Floor")
ack = st.session_state.get("floor_ack")
turn = st.text_input("Go to", key="goto").strip().lstrip("\u00b6")  # "\u00b6N": turn N, ordinal N - 1
result = floor(key="floor", data={"turns": DATA["turns"], "ack": ack["id"] if ack else None,
                                  "focus_turn": int(turn) - 1 if turn.isdigit() and int(turn) > 0 else None},
               height="content", on_pick_change=_picked)
if ack is None and isinstance(result.get("pick"), dict):  # the callback could not read it: the next run sends it
    ack = st.session_state["floor_ack"] = result["pick"]
if ack:
    st.success(f"Coded with {ack['code']}.")
'''


def write_floor(tmp: str, turns: list[dict]) -> tuple[Path, Path]:
    """The floor page and its data file in `tmp`; returns (script, data)."""
    import json

    script, data = Path(tmp) / "floor_page.py", Path(tmp) / "floor_data.json"
    script.write_text(FLOOR_SCRIPT, encoding="utf-8")
    data.write_text(json.dumps({"turns": turns}), encoding="utf-8")
    return script, data


# ---------------------------------------------------------------------------------------------
# Servers: the app from a given source tree, or a script (bench.measure.streamlit_server runs ui.serve from the
# working tree; here the app can run from a snapshot of HEAD while someone edits the working tree)
# ---------------------------------------------------------------------------------------------

def serve(command: list[str], cwd: Path, env: Mapping[str, str], log_prefix: str,
          timeout_s: float = 90) -> Iterator[Server]:
    """`python <command>` in `cwd` until healthy (bench.measure.streamlit_server), not rerun on file changes."""
    return streamlit_server(env, log_prefix, timeout_s, command=command, cwd=cwd,
                            options=("--server.runOnSave", "false"))


def snapshot(root: Path, rev: str, into: Path) -> str:
    """`git archive <rev>` of the repository unpacked into `into`; returns the commit."""
    commit = subprocess.run(["git", "-C", str(root), "rev-parse", rev], check=True, capture_output=True,
                            text=True).stdout.strip()
    into.mkdir(parents=True, exist_ok=True)
    archive = subprocess.Popen(["git", "-C", str(root), "archive", commit], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(into)], stdin=archive.stdout, check=True)
    archive.wait()
    return commit
