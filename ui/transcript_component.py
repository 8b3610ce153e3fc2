"""The transcript panel for coding: a Streamlit v2 component (inline HTML/CSS/JS, no build step).

Python side
-----------
`transcript_view(turns, highlights, *, key, focus_turn=None, height=640)` mounts the
component and returns None, or — on the one rerun after the researcher selected a
span, pressed "code turn" or Alt+clicked a word — a dict with absolute code point
offsets into the document:

    {"id": str, "action": "select" | "turn" | "sentence", "turn": int,
     "start": int, "end": int, "text": str}

"text" is the Python slice of the turn's content, never the browser's string. When `turns` is one
part of a long transcript (`part=` given), the component also shows buttons to the parts before and
after it, and a click returns {"id", "action": "page", "turn": first turn of that part} once. A
"sentence" result is a click position (start == end, text ""); the caller expands it
to the sentence around it. Selections are not snapped: call
`coding.offsets.snap_to_words(content, start - turn_start, end - turn_start)` on the
turn's content when snapping is on.

The two conversions are pure functions (no Streamlit), tested on their own:
`highlights_for_turns` (absolute code points → per-turn UTF-16 ranges) and
`selection_from_payload` (the browser's UTF-16 payload → the dict above).

Browser side
------------
Transcript text is untrusted. It reaches the browser only as `data` and is put on
the page with `document.createTextNode` / `textContent`; no HTML is ever built from
it, so `<script>` or `<img onerror=…>` in a transcript shows as text. Selections are
reported with `setTriggerValue` (reset after one rerun) and carry a client-side id;
the wrapper also drops an id it has already returned, so a rerun can never apply a
coding twice.

Streamlit 1.67 calls the component's JavaScript again, with the same `parentElement`
(the shadow root, since style isolation is on), whenever `data` changes, and only
runs the cleanup returned by the *last* call when the element unmounts. The
JavaScript therefore keeps one instance per shadow root and re-renders it.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from coding.offsets import Utf16Index

__all__ = ["highlights_for_turns", "selection_from_payload", "transcript_view"]

COMPONENT_NAME = "kruispunt_transcript_view"
TRIGGER = "selection"
ACTIONS = {"select", "turn", "sentence"}
DEFAULT_COLOUR = "#8A8F98"
_HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")
_SEEN_LIMIT = 64

CSS = """
:host { display: block; }
.kp-root {
  font-family: var(--st-font, "Source Sans Pro", "Segoe UI", system-ui, sans-serif);
  font-size: var(--st-base-font-size, 16px);
  color: var(--st-text-color, #262730);
  --kp-lane: 5px;
}
.kp-scroll {
  overflow-y: auto;
  border: 1px solid var(--st-border-color, rgba(49, 51, 63, 0.2));
  border-radius: var(--st-base-radius, 0.5rem);
  background: var(--st-background-color, #ffffff);
  padding: 0.25rem 0.9rem 0.25rem 0.35rem;
}
.kp-turn {
  padding: 0.55rem 0 0.65rem 0;
  border-bottom: 1px solid var(--st-border-color-light, rgba(49, 51, 63, 0.1));
}
.kp-turn:last-child { border-bottom: none; }
.kp-turn.kp-focus { background: rgba(255, 196, 0, 0.09); }
.kp-head {
  display: flex;
  align-items: center;
  gap: 0.5rem;
  margin: 0 0 0.15rem var(--kp-stripes-width, 8px);
  font-size: 0.85em;
  user-select: none;
  -webkit-user-select: none;
}
.kp-who { font-weight: 700; }
.kp-turn[data-role="interviewer"] .kp-who { color: var(--st-gray-text-color, #555867); }
.kp-num { opacity: 0.5; font-variant-numeric: tabular-nums; }
.kp-spacer { flex: 1 1 auto; }
.kp-btn {
  font: inherit;
  font-size: 0.82em;
  line-height: 1.4;
  padding: 0 0.55rem;
  border: 1px solid var(--st-border-color, rgba(49, 51, 63, 0.2));
  border-radius: var(--st-button-radius, 0.4rem);
  background: var(--st-secondary-background-color, #f0f2f6);
  color: inherit;
  cursor: pointer;
  opacity: 0.75;
}
.kp-btn:hover, .kp-btn:focus-visible {
  opacity: 1;
  border-color: var(--st-primary-color, #ff4b4b);
  color: var(--st-primary-color, #ff4b4b);
}
.kp-body { display: flex; align-items: stretch; }
.kp-stripes {
  position: relative;
  flex: 0 0 var(--kp-stripes-width, 8px);
  user-select: none;
  -webkit-user-select: none;
}
.kp-bar { position: absolute; width: 3px; border-radius: 2px; opacity: 0.9; }
.kp-content {
  flex: 1 1 auto;
  min-width: 0;
  white-space: pre-wrap;
  overflow-wrap: anywhere;
  line-height: 1.75;
  cursor: text;
}
.kp-turn[data-role="interviewer"] .kp-content { color: var(--st-gray-text-color, #3d4050); }
.kp-hl {
  border-radius: 2px;
  -webkit-box-decoration-break: clone;
  box-decoration-break: clone;
  padding-bottom: 1px;
}
.kp-content::selection, .kp-content ::selection { background: rgba(38, 110, 240, 0.32); }
.kp-empty { padding: 1rem; opacity: 0.6; font-style: italic; }
.kp-part {
  display: flex;
  align-items: center;
  gap: 0.5rem;
  margin: 0 0 0.35rem 0;
  font-size: 0.85em;
  user-select: none;
  -webkit-user-select: none;
}
.kp-part[hidden] { display: none; }
.kp-part-label { flex: 1 1 auto; text-align: center; opacity: 0.7; }
.kp-btn:disabled { opacity: 0.3; cursor: default; pointer-events: none; }
"""

JS = r"""
const INSTANCES = new WeakMap();
const HEX = /^#[0-9a-fA-F]{6}$/;
const FALLBACK_COLOUR = "#8A8F98";
let counter = 0;

function newId() {
  counter += 1;
  try {
    if (globalThis.crypto && typeof globalThis.crypto.randomUUID === "function") {
      return globalThis.crypto.randomUUID();
    }
  } catch (e) { /* not a secure context */ }
  return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12) + "-" + counter;
}

function rgba(hex, alpha) {
  const c = (typeof hex === "string" && HEX.test(hex)) ? hex : FALLBACK_COLOUR;
  const r = parseInt(c.slice(1, 3), 16), g = parseInt(c.slice(3, 5), 16), b = parseInt(c.slice(5, 7), 16);
  return "rgba(" + r + ", " + g + ", " + b + ", " + alpha + ")";
}

function isInt(v) { return typeof v === "number" && Number.isInteger(v); }

// UTF-16 offset of the boundary point (node, offset) within the text of `content`,
// counted by walking the content's text nodes.
function offsetIn(content, node, offset) {
  const upto = document.createRange();
  upto.setStart(content, 0);
  upto.setEnd(node, offset);
  let total = 0;
  const walker = document.createTreeWalker(content, NodeFilter.SHOW_TEXT);
  for (let t = walker.nextNode(); t; t = walker.nextNode()) {
    if (t === node) { return total + offset; }
    if (!upto.intersectsNode(t)) { break; }
    total += t.data.length;
  }
  return total;
}

function textLength(content) {
  let total = 0;
  const walker = document.createTreeWalker(content, NodeFilter.SHOW_TEXT);
  for (let t = walker.nextNode(); t; t = walker.nextNode()) { total += t.data.length; }
  return total;
}

function assignLanes(hls) {
  // Greedy interval colouring: overlapping highlights get different lanes.
  const order = hls.slice().sort((a, b) => a.start16 - b.start16 || b.end16 - a.end16);
  const laneEnds = [];
  for (const h of order) {
    let lane = laneEnds.findIndex((end) => end <= h.start16);
    if (lane < 0) { lane = laneEnds.length; laneEnds.push(0); }
    laneEnds[lane] = h.end16;
    h.lane = lane;
  }
  return laneEnds.length;
}

class TranscriptView {
  constructor(host) {
    this.host = host;
    this.root = document.createElement("div");
    this.root.className = "kp-root";
    // A long transcript arrives one part at a time: earlier / later part, and which turns this part holds.
    this.partBar = document.createElement("div");
    this.partBar.className = "kp-part";
    this.partBar.hidden = true;
    this.earlier = this.partButton("\u25c0 Earlier turns", "Show the part of the transcript before this one");
    this.partLabel = document.createElement("span");
    this.partLabel.className = "kp-part-label";
    this.later = this.partButton("Later turns \u25b6", "Show the part of the transcript after this one");
    this.partBar.append(this.earlier, this.partLabel, this.later);
    this.root.appendChild(this.partBar);
    this.scroller = document.createElement("div");
    this.scroller.className = "kp-scroll";
    this.root.appendChild(this.scroller);
    this.signature = null;
    this.focused = undefined;
    this.turns = [];           // [{ordinal, section, content, stripes, hls, spans: Map(segment -> [span])}]
    this.lastReported = null;
    this.pressed = false;
    this.pressedOnButton = false;
    this.altPressed = false;
    this.settleTimer = null;
    this.frame = null;
    this.setTriggerValue = null;

    this.onMouseDown = (e) => {
      this.pressed = true;
      this.altPressed = !!e.altKey;
      this.pressedOnButton = e.target instanceof Element && !!e.target.closest("button");
    };
    this.onMouseUp = (e) => {
      if (!this.pressed) { return; }
      this.pressed = false;
      if (e.altKey || this.altPressed || this.pressedOnButton) { return; }
      setTimeout(() => this.reportSelection(), 0);
    };
    this.onSelectionChange = () => {
      if (this.pressed) { return; }
      clearTimeout(this.settleTimer);
      this.settleTimer = setTimeout(() => this.reportSelection(), 450);
    };
    this.onClick = (e) => this.handleClick(e);
    this.onResize = () => this.scheduleStripes();

    this.root.addEventListener("mousedown", this.onMouseDown);
    this.root.addEventListener("click", this.onClick);
    document.addEventListener("mouseup", this.onMouseUp, true);
    document.addEventListener("selectionchange", this.onSelectionChange);
    this.resizeObserver = (typeof ResizeObserver === "function") ? new ResizeObserver(this.onResize) : null;
    if (this.resizeObserver) { this.resizeObserver.observe(this.scroller); }
    this.cleanup = () => this.destroy();
  }

  partButton(text, title) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "kp-btn";
    button.dataset.action = "page";
    button.textContent = text;
    button.title = title;
    return button;
  }

  renderPart(part) {
    const valid = part && typeof part === "object";
    this.partBar.hidden = !valid;
    if (!valid) { return; }
    this.partLabel.textContent = typeof part.label === "string" ? part.label : "";
    for (const [button, target] of [[this.earlier, part.before], [this.later, part.after]]) {
      button.disabled = !isInt(target);
      button.dataset.turn = isInt(target) ? String(target) : "";
    }
  }

  attach() {
    if (this.root.parentNode !== this.host) { this.host.appendChild(this.root); }
  }

  destroy() {
    this.root.removeEventListener("mousedown", this.onMouseDown);
    this.root.removeEventListener("click", this.onClick);
    document.removeEventListener("mouseup", this.onMouseUp, true);
    document.removeEventListener("selectionchange", this.onSelectionChange);
    if (this.resizeObserver) { this.resizeObserver.disconnect(); }
    clearTimeout(this.settleTimer);
    if (this.frame) { cancelAnimationFrame(this.frame); }
    if (this.root.parentNode) { this.root.parentNode.removeChild(this.root); }
    INSTANCES.delete(this.host);
  }

  send(payload) {
    if (typeof this.setTriggerValue === "function") { this.setTriggerValue("selection", payload); }
  }

  // ----- rendering ---------------------------------------------------------------------------

  render(data) {
    this.attach();
    const height = isInt(data.height) && data.height > 0 ? data.height : 640;
    this.scroller.style.maxHeight = height + "px";
    const signature = JSON.stringify([data.turns, height]);
    if (signature !== this.signature) {
      this.signature = signature;
      this.lastReported = null;
      this.build(Array.isArray(data.turns) ? data.turns : []);
    }
    this.renderPart(data.part);
    const focus = isInt(data.focus_turn) ? data.focus_turn : null;
    if (focus !== this.focused) {
      this.focused = focus;
      if (focus !== null) { requestAnimationFrame(() => this.scrollToTurn(focus)); }
    }
  }

  build(turns) {
    const keepScroll = this.scroller.scrollTop;
    const fragment = document.createDocumentFragment();
    this.turns = [];
    let lanes = 0;
    for (const turn of turns) {
      const built = this.buildTurn(turn);
      lanes = Math.max(lanes, built.lanes);
      this.turns.push(built);
      fragment.appendChild(built.section);
    }
    if (!turns.length) {
      const empty = document.createElement("div");
      empty.className = "kp-empty";
      empty.textContent = "This document has no turns.";
      fragment.appendChild(empty);
    }
    this.root.style.setProperty("--kp-stripes-width", (Math.max(lanes, 1) * 5 + 6) + "px");
    this.scroller.replaceChildren(fragment);
    this.scroller.scrollTop = keepScroll;
    this.scheduleStripes();
  }

  buildTurn(turn) {
    const content = typeof turn.content === "string" ? turn.content : "";
    const ordinal = isInt(turn.ordinal) ? turn.ordinal : 0;
    const section = document.createElement("section");
    section.className = "kp-turn";
    section.dataset.ordinal = String(ordinal);
    section.dataset.role = typeof turn.role === "string" ? turn.role : "";

    const head = document.createElement("header");
    head.className = "kp-head";
    const who = document.createElement("span");
    who.className = "kp-who";
    who.textContent = typeof turn.who === "string" ? turn.who : "";
    const num = document.createElement("span");
    num.className = "kp-num";
    num.textContent = "\u00b6" + (ordinal + 1);  // people count turns from 1
    const spacer = document.createElement("span");
    spacer.className = "kp-spacer";
    const button = document.createElement("button");
    button.type = "button";
    button.className = "kp-btn";
    button.dataset.action = "turn";
    button.textContent = "code turn";
    button.title = "Code this whole turn (without the speaker label)";
    head.append(who, num, spacer, button);

    const body = document.createElement("div");
    body.className = "kp-body";
    const stripes = document.createElement("div");
    stripes.className = "kp-stripes";
    stripes.setAttribute("aria-hidden", "true");
    const text = document.createElement("div");
    text.className = "kp-content";
    body.append(stripes, text);
    section.append(head, body);

    const length = content.length;
    const hls = (Array.isArray(turn.highlights) ? turn.highlights : [])
      .filter((h) => h && isInt(h.start16) && isInt(h.end16) && 0 <= h.start16 && h.start16 < h.end16 && h.end16 <= length)
      .map((h) => ({
        segment: String(h.segment ?? ""),
        start16: h.start16,
        end16: h.end16,
        colour: (typeof h.colour === "string" && HEX.test(h.colour)) ? h.colour : FALLBACK_COLOUR,
        title: typeof h.title === "string" ? h.title : "",
        codes: Array.isArray(h.codes) ? h.codes.map(String) : [],
      }));
    const lanes = assignLanes(hls);
    const byLane = hls.slice().sort((a, b) => a.lane - b.lane);
    const spans = new Map(hls.map((h) => [h, []]));

    const cuts = new Set([0, length]);
    for (const h of hls) { cuts.add(h.start16); cuts.add(h.end16); }
    const points = Array.from(cuts).sort((a, b) => a - b);
    for (let i = 0; i + 1 < points.length; i += 1) {
      const a = points[i], b = points[i + 1];
      const piece = content.slice(a, b);
      const active = byLane.filter((h) => h.start16 <= a && h.end16 >= b);
      if (!active.length) {
        text.appendChild(document.createTextNode(piece));
        continue;
      }
      const span = document.createElement("span");
      span.className = "kp-hl";
      span.textContent = piece;
      span.dataset.segments = active.map((h) => h.segment).join(" ");
      const titles = [];
      for (const h of active) {
        const t = h.title || h.codes.join(", ");
        if (t && !titles.includes(t)) { titles.push(t); }
      }
      span.title = titles.join("\n");
      // Blended translucent fills, plus one underline per highlight stacked from the baseline up.
      span.style.backgroundImage = active
        .map((h) => "linear-gradient(" + rgba(h.colour, 0.2) + ", " + rgba(h.colour, 0.2) + ")").join(", ");
      span.style.boxShadow = active
        .map((h, k) => "inset 0 -" + (2 * (k + 1)) + "px 0 " + rgba(h.colour, 0.85)).join(", ");
      text.appendChild(span);
      for (const h of active) { spans.get(h).push(span); }
    }
    return { ordinal, section, content: text, stripes, hls, spans, lanes };
  }

  scheduleStripes() {
    if (this.frame) { cancelAnimationFrame(this.frame); }
    this.frame = requestAnimationFrame(() => { this.frame = null; this.layoutStripes(); });
  }

  layoutStripes() {
    for (const turn of this.turns) {
      const bars = document.createDocumentFragment();
      const origin = turn.stripes.getBoundingClientRect();
      for (const h of turn.hls) {
        let top = Infinity, bottom = -Infinity;
        for (const span of turn.spans.get(h)) {
          for (const rect of span.getClientRects()) {
            top = Math.min(top, rect.top);
            bottom = Math.max(bottom, rect.bottom);
          }
        }
        if (!(bottom > top)) { continue; }
        const bar = document.createElement("div");
        bar.className = "kp-bar";
        bar.style.left = (1 + h.lane * 5) + "px";
        bar.style.top = (top - origin.top) + "px";
        bar.style.height = (bottom - top) + "px";
        bar.style.backgroundColor = h.colour;
        bar.title = h.title || h.codes.join(", ");
        bar.dataset.segment = h.segment;
        bars.appendChild(bar);
      }
      turn.stripes.replaceChildren(bars);
    }
  }

  scrollToTurn(ordinal) {
    const turn = this.turns.find((t) => t.ordinal === ordinal);
    if (!turn) { return; }
    for (const t of this.turns) { t.section.classList.toggle("kp-focus", t === turn); }
    const top = turn.section.getBoundingClientRect().top - this.scroller.getBoundingClientRect().top;
    this.scroller.scrollTop += top - 8;
  }

  // ----- selection ---------------------------------------------------------------------------

  currentRange() {
    const host = this.host;
    let sel = null;
    if (host && typeof host.getSelection === "function") {
      sel = host.getSelection();   // Chromium: the selection as seen inside this shadow root
    }
    if (!sel) { sel = document.getSelection(); }
    if (!sel) { return null; }
    let source = null;
    if (typeof sel.getComposedRanges === "function" && typeof ShadowRoot !== "undefined" && host instanceof ShadowRoot) {
      try {
        const ranges = sel.getComposedRanges({ shadowRoots: [host] });
        if (ranges && ranges.length) { source = ranges[0]; }
      } catch (e) {
        try {
          const ranges = sel.getComposedRanges(host);
          if (ranges && ranges.length) { source = ranges[0]; }
        } catch (e2) { /* older signature missing too */ }
      }
    }
    if (!source && sel.rangeCount) { source = sel.getRangeAt(0); }
    if (!source || source.collapsed) { return null; }
    try {
      const range = document.createRange();
      range.setStart(source.startContainer, source.startOffset);
      range.setEnd(source.endContainer, source.endOffset);
      return range.collapsed ? null : range;
    } catch (e) {
      return null;
    }
  }

  // The selected span in the first turn it touches: {turn, start16, end16, text} or null.
  selectionInTurn() {
    const range = this.currentRange();
    if (!range) { return null; }
    for (const turn of this.turns) {
      const content = turn.content;
      let touches = false;
      try { touches = range.intersectsNode(content); } catch (e) { touches = false; }
      if (!touches) { continue; }
      const length = textLength(content);
      const start16 = content.contains(range.startContainer)
        ? offsetIn(content, range.startContainer, range.startOffset) : 0;
      const end16 = content.contains(range.endContainer)
        ? offsetIn(content, range.endContainer, range.endOffset) : length;
      if (end16 > start16) {
        const whole = content.textContent;
        return { turn: turn.ordinal, start16, end16, text: whole.slice(start16, end16) };
      }
    }
    return null;
  }

  reportSelection() {
    if (this.pressed) { return; }
    const found = this.selectionInTurn();
    if (!found) { this.lastReported = null; return; }  // collapsed or elsewhere: the next selection is new
    const signature = found.turn + ":" + found.start16 + ":" + found.end16;
    if (signature === this.lastReported) { return; }
    this.lastReported = signature;
    this.send({ id: newId(), action: "select", turn: found.turn, start16: found.start16, end16: found.end16, text: found.text });
  }

  turnOf(node) {
    return this.turns.find((t) => t.section.contains(node)) || null;
  }

  caretOffset(turn, event) {
    const content = turn.content;
    let node = null, offset = 0;
    if (typeof document.caretPositionFromPoint === "function") {
      try {
        const pos = document.caretPositionFromPoint(event.clientX, event.clientY, { shadowRoots: [this.host] });
        if (pos) { node = pos.offsetNode; offset = pos.offset; }
      } catch (e) { node = null; }
    }
    if ((!node || !content.contains(node)) && typeof document.caretRangeFromPoint === "function") {
      const r = document.caretRangeFromPoint(event.clientX, event.clientY);
      if (r) { node = r.startContainer; offset = r.startOffset; }
    }
    if (!node || !content.contains(node)) {
      const target = event.target;
      if (target && target !== content && content.contains(target)) { return offsetIn(content, target, 0); }
      return null;
    }
    return offsetIn(content, node, offset);
  }

  handleClick(event) {
    const target = event.target;
    if (!(target instanceof Element)) { return; }
    const button = target.closest("button[data-action]");
    if (button && button.dataset.action === "page") {
      event.preventDefault();
      const turn = Number.parseInt(button.dataset.turn || "", 10);
      if (!button.disabled && Number.isInteger(turn)) { this.send({ id: newId(), action: "page", turn }); }
      return;
    }
    if (button) {
      const turn = this.turnOf(button);
      if (turn && button.dataset.action === "turn") {
        event.preventDefault();
        this.send({ id: newId(), action: "turn", turn: turn.ordinal });
      }
      return;
    }
    if (!event.altKey) { return; }
    const turn = this.turnOf(target);
    if (!turn || !turn.content.contains(target)) { return; }
    const offset = this.caretOffset(turn, event);
    if (offset === null) { return; }
    event.preventDefault();
    this.send({ id: newId(), action: "sentence", turn: turn.ordinal, start16: offset, end16: offset });
  }
}

export default function (component) {
  const { data, setTriggerValue, parentElement } = component;
  let view = INSTANCES.get(parentElement);
  if (!view) {
    view = new TranscriptView(parentElement);
    INSTANCES.set(parentElement, view);
  }
  view.setTriggerValue = setTriggerValue;
  view.render(data && typeof data === "object" ? data : {});
  return view.cleanup;
}
"""

# Registered once, when the module is imported; pages only mount it.
_transcript_component = st.components.v2.component(COMPONENT_NAME, css=CSS, js=JS)


# --- pure conversions ----------------------------------------------------------------------------

def _turn_range(turn: Mapping[str, Any]) -> tuple[int, int]:
    start = int(turn["start"])
    return start, start + len(turn["content"])


def _colour(value: Any) -> str:
    return value if isinstance(value, str) and _HEX.match(value) else DEFAULT_COLOUR


def highlights_for_turns(
    highlights: Sequence[Mapping[str, Any]], turns: Sequence[Mapping[str, Any]]
) -> dict[int, list[dict[str, Any]]]:
    """Cut document-level highlights (absolute code points, end exclusive) per turn, in UTF-16 units.

    Returns {turn ordinal: [{"segment", "start16", "end16", "colour", "codes", "title"}]}, every
    turn present (possibly with an empty list). A highlight spanning several turns appears in each,
    cut to that turn's content; the speaker labels between turns are never highlighted. Offsets are
    relative to the turn's content, as the browser counts them.
    """
    result: dict[int, list[dict[str, Any]]] = {int(t["ordinal"]): [] for t in turns}
    ordered = sorted(turns, key=lambda t: int(t["start"]))
    starts = [int(t["start"]) for t in ordered]
    indexes: dict[int, Utf16Index] = {}
    for h in sorted(highlights, key=lambda h: (int(h["start"]), -int(h["end"]))):
        h_start, h_end = int(h["start"]), int(h["end"])
        if h_end <= h_start:
            continue
        codes = [str(c) for c in (h.get("codes") or [])]
        title = str(h.get("title") or ", ".join(codes))
        # Turns are disjoint and ordered: start with the last turn that begins at or before h_start.
        i = max(bisect_right(starts, h_start) - 1, 0)
        while i < len(ordered) and starts[i] < h_end:
            turn = ordered[i]
            i += 1
            t_start, t_end = _turn_range(turn)
            lo, hi = max(h_start, t_start), min(h_end, t_end)
            if lo >= hi:
                continue
            ordinal = int(turn["ordinal"])
            index = indexes.get(ordinal)
            if index is None:
                index = indexes[ordinal] = Utf16Index(turn["content"])
            result[ordinal].append({
                "segment": str(h.get("segment", "")),
                "start16": index.to_utf16(lo - t_start),
                "end16": index.to_utf16(hi - t_start),
                "colour": _colour(h.get("colour")),
                "codes": codes,
                "title": title,
            })
    return result


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def selection_from_payload(payload: Any, turns: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The browser's trigger payload as absolute code points, or None when it is unusable.

    `payload` is {"id", "turn", "action"?, "start16"?, "end16"?, "text"?} with UTF-16 offsets
    relative to the turn's content. The result is {"id", "action", "turn", "start", "end", "text"}
    with code point offsets into the document and "text" the Python slice of the content (the
    browser's own string is ignored). An offset inside a surrogate pair widens outwards; offsets
    beyond the content are clamped. An empty selection gives None.
    """
    if not isinstance(payload, Mapping):
        return None
    ident = payload.get("id")
    if not isinstance(ident, str) or not ident or len(ident) > 200:
        return None
    ordinal = _int(payload.get("turn"))
    turn = next((t for t in turns if int(t["ordinal"]) == ordinal), None) if ordinal is not None else None
    if turn is None:
        return None
    action = payload.get("action") or "select"
    if action not in ACTIONS:
        return None
    content: str = turn["content"]
    t_start, t_end = _turn_range(turn)
    result = {"id": ident, "action": action, "turn": ordinal}
    if action == "turn":
        return {**result, "start": t_start, "end": t_end, "text": content}

    start16, end16 = _int(payload.get("start16")), _int(payload.get("end16"))
    if start16 is None or end16 is None:
        return None
    if end16 < start16:
        start16, end16 = end16, start16
    index = Utf16Index(content)
    start = index.to_codepoint_outward(start16, side="start")
    end = index.to_codepoint_outward(end16, side="end")
    if action == "sentence":
        return {**result, "start": t_start + start, "end": t_start + start, "text": ""}
    if end <= start:
        return None
    return {**result, "start": t_start + start, "end": t_start + end, "text": content[start:end]}


def _component_data(turns: Sequence[Mapping[str, Any]], per_turn: dict[int, list[dict[str, Any]]],
                    focus_turn: int | None, height: int, part: Mapping[str, Any] | None = None) -> dict[str, Any]:
    data = {
        # A tuple, not a list: Streamlit checks every top-level list of a component's data for a dataframe (a
        # scan of all turns on every rerun); a tuple is never one, and JSON writes it as the same array.
        "turns": tuple(
            {
                "ordinal": int(t["ordinal"]),
                "label": t.get("label"),
                "role": str(t.get("role") or ""),
                "who": str(t.get("who") or ""),
                "content": t["content"],
                "highlights": per_turn.get(int(t["ordinal"]), []),
            }
            for t in turns
        ),
        "focus_turn": focus_turn,
        "height": int(height),
    }
    if part is not None:
        data["part"] = {"label": str(part.get("label") or ""), "before": part.get("before"),
                        "after": part.get("after")}
    return data


# --- the Streamlit wrapper -----------------------------------------------------------------------

def transcript_view(
    turns: list[dict],
    highlights: list[dict],
    *,
    key: str,
    focus_turn: int | None = None,
    height: int = 640,
    per_turn: dict[int, list[dict[str, Any]]] | None = None,
    part: Mapping[str, Any] | None = None,
) -> dict | None:
    """Show a transcript for coding; return the researcher's new selection once, else None.

    See the module docstring for the shapes of `turns`, `highlights` and the result. A caller that
    caches `highlights_for_turns(highlights, turns)` passes it as `per_turn` (then `highlights` is unused).

    `turns` may be one part of a long transcript: then `part` is {"label": str, "before": ordinal or None,
    "after": ordinal or None}, shown above the text with buttons to the parts before and after, and a click
    on one returns {"id", "action": "page", "turn": that ordinal} once.
    """
    if per_turn is None:
        per_turn = highlights_for_turns(highlights, turns)
    data = _component_data(turns, per_turn, focus_turn, height, part)
    result = _transcript_component(key=key, data=data, height="content", on_selection_change=_ignore)
    payload = result.get(TRIGGER)
    if isinstance(payload, Mapping) and payload.get("action") == "page":
        selection = _page_request(payload, part)
    else:
        selection = selection_from_payload(payload, turns)
    if selection is None:
        return None
    seen_key = f"_kp_transcript_seen::{key}"
    seen: list[str] = st.session_state.get(seen_key, [])
    if selection["id"] in seen:
        return None
    st.session_state[seen_key] = [*seen, selection["id"]][-_SEEN_LIMIT:]
    return selection


def _page_request(payload: Mapping[str, Any], part: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A click on "earlier" or "later": only to a part this component offered."""
    ident, turn = payload.get("id"), _int(payload.get("turn"))
    if not isinstance(ident, str) or not ident or len(ident) > 200 or part is None or turn is None:
        return None
    if turn not in (part.get("before"), part.get("after")):
        return None
    return {"id": ident, "action": "page", "turn": turn}


def _ignore() -> None:
    """The trigger needs a callback to be part of the component's result; the value is read after mounting."""
