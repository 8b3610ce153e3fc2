const INSTANCES = new WeakMap();
// What the server sent, by content hash (ui/transcript_delta.py): a turn or the code list goes whole once, then
// only as its hash. Kept for the page's life across re-mounts, the oldest forgotten first.
const RECEIVED = new Map();
const RECEIVED_LIMIT = 5000;

function remember(h, value) {
  RECEIVED.delete(h);
  RECEIVED.set(h, value);
  if (RECEIVED.size > RECEIVED_LIMIT) { RECEIVED.delete(RECEIVED.keys().next().value); }
}

function recall(h) {
  if (!RECEIVED.has(h)) { return undefined; }
  const value = RECEIVED.get(h);
  remember(h, value);
  return value;
}

// The payload with every hash replaced by what it stands for, or null when something is missing.
function unpack(data) {
  const turns = [];
  for (const t of Array.isArray(data.turns) ? data.turns : []) {
    if (!t || typeof t !== "object") { continue; }
    if (typeof t.content === "string") {
      if (typeof t.h === "string") { remember(t.h, t); }
      turns.push(t);
    } else {
      const known = typeof t.h === "string" ? recall(t.h) : undefined;
      if (!known) { return null; }
      turns.push(known);
    }
  }
  let codes = data.codes;
  if (Array.isArray(codes)) {
    if (typeof data.codes_h === "string") { remember(data.codes_h, codes); }
  } else if (typeof data.codes_h === "string") {
    codes = recall(data.codes_h);
    if (!codes) { return null; }
  }
  return { ...data, turns, codes: Array.isArray(codes) ? codes : [] };
}
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

// Case- and accent-insensitive form for the picker's filter (as coding/picker.py folds).
function fold(s) { return String(s).normalize("NFKD").toLowerCase().replace(/\p{M}/gu, ""); }

function el(tag, className, text) {
  const e = document.createElement(tag);
  e.className = className;
  if (text !== undefined) { e.textContent = text; }
  return e;
}

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
    // One continuous scroll through the whole transcript: the turns of the window the server sent, between two
    // spacers standing for the turns before and after it (transcript_scroll.js).
    this.scroller = el("div", "kp-scroll");
    this.before = el("div", "kp-gap");
    this.list = el("div", "kp-list");
    this.after = el("div", "kp-gap");
    this.scroller.append(this.before, this.list, this.after);
    this.loading = el("div", "kp-loading", "Loading the turns here\u2026");
    this.loading.hidden = true;
    this.root.append(this.scroller, this.loading);
    this.signature = null;
    this.currentHit = null;    // "ordinal:start16:end16" of find's current hit, scrolled to when it changes
    this.turns = [];           // [{ordinal, section, content, stripes, margin, chips, hls, spans, sig, pending}]
    this.lastReported = null;
    this.pressed = false;
    this.pressedOnButton = false;
    this.altPressed = false;
    this.settleTimer = null;
    this.frame = null;
    this.setTriggerValue = null;
    this.codes = [];           // the keyboard picker's codes, recently used first: [{key, label, colour, hay, recent}]
    this.codesSig = null;
    this.picker = null;        // the open picker: {box, input, list, found, matches, index}
    this.raw = new Map();      // ordinal -> the turn's data, to draw it again with its pending highlights
    this.pending = new Map();  // client id -> {turn, h}: codings drawn at once, until the next data (or a refusal)
    this.initScroll();

    this.onMouseDown = (e) => {
      if (this.picker && e.target instanceof Node && this.picker.box.contains(e.target)) { return; }
      this.closePicker();
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
    // Pointing at highlighted text marks its segments' chips in the margin (and their stripes), as a chip marks text.
    this.onOver = (e) => this.hoverText(e, true);
    this.onOut = (e) => this.hoverText(e, false);
    this.onResize = () => this.scheduleStripes();

    this.root.addEventListener("mousedown", this.onMouseDown);
    this.root.addEventListener("click", this.onClick);
    this.list.addEventListener("mouseover", this.onOver);
    this.list.addEventListener("mouseout", this.onOut);
    document.addEventListener("mouseup", this.onMouseUp, true);
    document.addEventListener("selectionchange", this.onSelectionChange);
    this.resizeObserver = (typeof ResizeObserver === "function") ? new ResizeObserver(this.onResize) : null;
    if (this.resizeObserver) { this.resizeObserver.observe(this.scroller); }
    this.cleanup = () => this.destroy();
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
    this.stopScroll();
    if (this.root.parentNode) { this.root.parentNode.removeChild(this.root); }
    INSTANCES.delete(this.host);
  }

  // Every trigger says which payload this view last drew, so the server sends only what it lacks.
  hoverText(event, on) {
    const span = event.target instanceof Element ? event.target.closest(".kp-hl") : null;
    if (!span || !span.dataset.segments) { return; }
    const into = event.relatedTarget instanceof Element ? event.relatedTarget.closest(".kp-hl") : null;
    if (into === span) { return; }  // moving within the same piece of text
    for (const segment of span.dataset.segments.split(" ")) { this.hover(segment, on); }
  }

  send(payload) {
    if (typeof this.setTriggerValue !== "function") { return; }
    this.setTriggerValue("selection", isInt(this.seen) ? { ...payload, seen: this.seen } : payload);
  }

  receive(raw) {
    const data = unpack(raw);
    if (data === null) {  // a hash this page no longer holds: ask once for the whole payload
      if (this.resyncFor !== raw.seq) { this.resyncFor = raw.seq; this.send({ id: newId(), action: "resync" }); }
      return;
    }
    this.render(data);
    if (isInt(raw.seq)) { this.seen = raw.seq; }
    // how many turns came whole (not as a hash) in this payload: for tests and benchmarks to read
    this.root.dataset.wholeTurns = String((Array.isArray(raw.turns) ? raw.turns : []).filter((t) => t && typeof t.content === "string").length);
  }

  // ----- rendering ---------------------------------------------------------------------------

  render(data) {
    this.attach();
    const height = isInt(data.height) && data.height > 0 ? data.height : 640;
    this.scroller.style.maxHeight = height + "px";
    const codes = Array.isArray(data.codes) ? data.codes : [];
    const codesSig = JSON.stringify(codes);
    if (codesSig !== this.codesSig) {
      this.codesSig = codesSig;
      this.codes = codes.filter((c) => c && typeof c.key === "string").map((c) => ({
        key: c.key, label: typeof c.label === "string" ? c.label : c.key,
        colour: (typeof c.colour === "string" && HEX.test(c.colour)) ? c.colour : FALLBACK_COLOUR,
        hay: fold(c.key + " " + c.label + " " + (typeof c.terms === "string" ? c.terms : "")),
        recent: isInt(c.recent) ? c.recent : 0,
      }));
    }
    this.newCodeBook = data.new_code && typeof data.new_code.codebook === "string" ? data.new_code.codebook : null;
    const refused = data.refused && typeof data.refused === "object" ? data.refused.refused : null;
    if (typeof refused === "string" && this.pending.has(refused)) {
      const turn = this.pending.get(refused).turn;
      this.pending.delete(refused);
      this.redrawTurn(turn);
    }
    const turns = Array.isArray(data.turns) ? data.turns : [];
    const anchor = data.anchor && typeof data.anchor === "object" && isInt(data.anchor.ordinal) ? data.anchor : null;
    const jump = anchor && (this.jumpSeen === undefined || anchor.jump !== this.jumpSeen);
    const signature = JSON.stringify([turns.map((t) => t.h || JSON.stringify(t)), height, data.window]);
    if (signature !== this.signature) {
      this.signature = signature;
      this.lastReported = null;
      const keep = jump ? null : this.viewAnchor();  // what the reader sees at the top stays there
      this.setWindow(data.window, turns.length);
      this.build(turns);
      this.layoutWindow();
      this.restoreAnchor(keep);
    }
    if (jump) {
      this.jumpSeen = anchor.jump;
      this.scrollToOrdinal(anchor.ordinal);
    }
    const focus = isInt(data.focus_turn) ? data.focus_turn : null;
    for (const t of this.turns) { t.section.classList.toggle("kp-focus", t.ordinal === focus); }
    const hit = this.currentHitKey();
    const toHit = hit !== this.currentHit && hit !== null;
    this.currentHit = hit;
    if (toHit) { this.scrollToHit(); }
    this.afterRender();
  }

  currentHitKey() {
    for (const turn of this.turns) {
      const h = turn.marks.find((m) => m.current);
      if (h) { return turn.ordinal + ":" + h.start16 + ":" + h.end16; }
    }
    return null;
  }

  // Find's current hit inside the scroller's view (a third from the top), unless it is already in view.
  scrollToHit() {
    const mark = this.scroller.querySelector(".kp-hit-current");
    if (!mark) { return; }
    const box = mark.getBoundingClientRect(), frame = this.scroller.getBoundingClientRect();
    if (box.top >= frame.top + 8 && box.bottom <= frame.bottom - 8) { return; }
    this.scroller.scrollTop += box.top - frame.top - this.scroller.clientHeight / 3;
  }

  // Draw the window's turns, keeping every turn whose data did not change as it is (its nodes, so a selection in it
  // survives): only changed turns are built again, and only added or removed sections touch the DOM.
  build(turns) {
    this.pending.clear();  // new data: a confirmed coding is among its highlights, an unconfirmed one is gone
    this.raw = new Map(turns.filter((t) => t && isInt(t.ordinal)).map((t) => [t.ordinal, t]));
    const old = new Map(this.turns.map((t) => [t.ordinal, t]));
    const next = [];
    let lanes = 0;
    for (const turn of turns) {
      const sig = typeof turn.h === "string" ? turn.h : JSON.stringify(turn);
      const was = old.get(turn.ordinal);
      const built = was && was.sig === sig && !was.pending ? was : this.buildTurn(turn);
      built.sig = sig;
      lanes = Math.max(lanes, built.lanes);
      next.push(built);
    }
    const kept = new Set(next.map((t) => t.section));
    for (const child of Array.from(this.list.children)) {
      if (!kept.has(child)) { child.remove(); }
    }
    let cursor = this.list.firstChild;
    for (const t of next) {
      if (cursor === t.section) { cursor = cursor.nextSibling; continue; }
      this.list.insertBefore(t.section, cursor);
    }
    this.turns = next;
    if (!turns.length) { this.list.appendChild(el("div", "kp-empty", "This document has no turns.")); }
    this.root.style.setProperty("--kp-stripes-width", (Math.max(lanes, 1) * 5 + 6) + "px");
    this.scheduleStripes();
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
    this.openPicker(found);
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
    if (button) {
      const turn = this.turnOf(button);
      if (turn && button.dataset.action === "turn") {
        event.preventDefault();
        this.send({ id: newId(), action: "turn", turn: turn.ordinal });
      } else if (turn && button.dataset.action === "segment" && button.dataset.segment && !button.dataset.pending) {
        event.preventDefault();
        this.send({ id: newId(), action: "segment", turn: turn.ordinal, segment: button.dataset.segment });
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
  view.receive(data && typeof data === "object" ? data : {});
  return view.cleanup;
}
