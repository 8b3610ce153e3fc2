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
    this.currentHit = null;    // "ordinal:start16:end16" of find's current hit, scrolled to when it changes
    this.turns = [];           // [{ordinal, section, content, stripes, margin, chips, hls, spans: Map(highlight -> [span])}]
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
    const refused = data.refused && typeof data.refused === "object" ? data.refused.refused : null;
    if (typeof refused === "string" && this.pending.has(refused)) {
      const turn = this.pending.get(refused).turn;
      this.pending.delete(refused);
      this.redrawTurn(turn);
    }
    const signature = JSON.stringify([data.turns, height]);
    if (signature !== this.signature) {
      this.signature = signature;
      this.lastReported = null;
      this.build(Array.isArray(data.turns) ? data.turns : []);
    }
    this.renderPart(data.part);
    const focus = isInt(data.focus_turn) ? data.focus_turn : null;
    for (const t of this.turns) { t.section.classList.toggle("kp-focus", t.ordinal === focus); }
    const hit = this.currentHitKey();
    const toTurn = focus !== this.focused && focus !== null;
    const toHit = hit !== this.currentHit && hit !== null;
    this.focused = focus;
    this.currentHit = hit;
    if (toTurn || toHit) {
      requestAnimationFrame(() => {
        if (toTurn) { this.scrollToTurn(focus); }
        if (toHit) { this.scrollToHit(); }
      });
    }
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

  build(turns) {
    const keepScroll = this.scroller.scrollTop;
    const fragment = document.createDocumentFragment();
    this.turns = [];
    this.pending.clear();  // new data: a confirmed coding is among its highlights, an unconfirmed one is gone
    this.raw = new Map(turns.filter((t) => t && isInt(t.ordinal)).map((t) => [t.ordinal, t]));
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
    // The code margin sits beside the content, never inside it: a selection of the text holds no label.
    const margin = document.createElement("div");
    margin.className = "kp-margin";
    body.append(stripes, text, margin);
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
        memo: h.memo === true,
        label: typeof h.label === "string" && h.label ? h.label : (Array.isArray(h.codes) ? h.codes.map(String).join(", ") : ""),
        by: typeof h.by === "string" ? h.by : "",
        pending: h.pending === true,
      }));
    const lanes = assignLanes(hls);
    const byLane = hls.slice().sort((a, b) => a.lane - b.lane);
    const spans = new Map(hls.map((h) => [h, []]));

    // Find's hits: marks around text nodes, never highlights (no segment, not clickable, offsets unchanged).
    const marks = (Array.isArray(turn.hits) ? turn.hits : [])
      .filter((h) => h && isInt(h.start16) && isInt(h.end16) && 0 <= h.start16 && h.start16 < h.end16 && h.end16 <= length)
      .map((h) => ({ start16: h.start16, end16: h.end16, current: h.current === true }));

    const cuts = new Set([0, length]);
    for (const h of hls) { cuts.add(h.start16); cuts.add(h.end16); }
    for (const m of marks) { cuts.add(m.start16); cuts.add(m.end16); }
    const points = Array.from(cuts).sort((a, b) => a - b);
    for (let i = 0; i + 1 < points.length; i += 1) {
      const a = points[i], b = points[i + 1];
      const piece = content.slice(a, b);
      const active = byLane.filter((h) => h.start16 <= a && h.end16 >= b);
      let node = document.createTextNode(piece);
      const mark = marks.find((m) => m.start16 <= a && m.end16 >= b);
      if (mark) {
        const hit = document.createElement("span");
        hit.className = mark.current ? "kp-hit kp-hit-current" : "kp-hit";
        hit.appendChild(node);
        node = hit;
      }
      if (!active.length) {
        text.appendChild(node);
        continue;
      }
      const span = document.createElement("span");
      span.className = active.some((h) => h.pending) ? "kp-hl kp-pending" : "kp-hl";
      span.appendChild(node);
      span.dataset.segments = active.map((h) => h.segment).join(" ");
      const titles = [];
      for (const h of active) {
        const t = h.title || h.codes.join(", ");
        if (t && !titles.includes(t)) { titles.push(t); }
      }
      span.title = titles.join("\n");
      // A segment with a memo ends in a pencil mark: CSS generated content, so no text node changes any offset.
      if (active.some((h) => h.memo && h.end16 === b)) {
        span.classList.add("kp-memo-end");
        span.title += "\n(this segment has a memo: see Memos beside the text)";
      }
      // Blended translucent fills, plus one underline per highlight stacked from the baseline up.
      span.style.backgroundImage = active
        .map((h) => "linear-gradient(" + rgba(h.colour, 0.2) + ", " + rgba(h.colour, 0.2) + ")").join(", ");
      span.style.boxShadow = active
        .map((h, k) => "inset 0 -" + (2 * (k + 1)) + "px 0 " + rgba(h.colour, 0.85)).join(", ");
      text.appendChild(span);
      for (const h of active) { spans.get(h).push(span); }
    }
    const chips = this.buildMargin(margin, hls, ordinal);
    return { ordinal, section, content: text, stripes, margin, chips, hls, spans, lanes, marks };
  }

  // One chip per segment in text order: a colour bar per code, the labels and (several coders shown) the initials.
  buildMargin(margin, hls, ordinal) {
    const bySegment = new Map();
    for (const h of hls) {
      let group = bySegment.get(h.segment);
      if (!group) { group = { segment: h.segment, hls: [] }; bySegment.set(h.segment, group); }
      group.hls.push(h);
    }
    const groups = Array.from(bySegment.values());
    const first = (g) => Math.min(...g.hls.map((h) => h.start16));
    const last = (g) => Math.max(...g.hls.map((h) => h.end16));
    groups.sort((a, b) => first(a) - first(b) || last(b) - last(a));
    const chips = [];
    for (const group of groups) {
      const chip = document.createElement("button");
      chip.type = "button";
      chip.className = "kp-chip";
      chip.dataset.action = "segment";
      chip.dataset.segment = group.segment;
      if (group.hls.some((h) => h.pending)) { chip.classList.add("kp-pending"); chip.dataset.pending = "1"; }
      const bars = document.createElement("span");
      bars.className = "kp-chip-bars";
      const labels = [], titles = [], initials = [];
      for (const h of group.hls) {
        const bar = document.createElement("span");
        bar.className = "kp-chip-bar";
        bar.style.backgroundColor = h.colour;
        bars.appendChild(bar);
        if (h.label && !labels.includes(h.label)) { labels.push(h.label); }
        const t = h.title || h.label;
        if (t && !titles.includes(t)) { titles.push(t); }
        if (h.by && !initials.includes(h.by)) { initials.push(h.by); }
      }
      const label = document.createElement("span");
      label.className = "kp-chip-label";
      label.textContent = labels.join(", ");
      chip.append(bars, label);
      if (initials.length) {
        const by = document.createElement("span");
        by.className = "kp-chip-by";
        by.textContent = initials.join(" ");
        chip.appendChild(by);
      }
      chip.title = titles.join("\n") + "\nClick to open this segment (edit, recode, memo, remove)";
      chip.setAttribute("aria-label", labels.join(", ") + (initials.length ? " (" + initials.join(" ") + ")" : ""));
      const on = () => this.hover(group.segment, true);
      const off = () => this.hover(group.segment, false);
      chip.addEventListener("mouseenter", on);
      chip.addEventListener("mouseleave", off);
      chip.addEventListener("focus", on);
      chip.addEventListener("blur", off);
      margin.appendChild(chip);
      chips.push({ chip, hls: group.hls, ordinal });
    }
    return chips;
  }

  // Mark (or unmark) one segment's highlights, stripes and chips in every turn it touches.
  hover(segment, on) {
    for (const turn of this.turns) {
      for (const h of turn.hls) {
        if (h.segment !== segment) { continue; }
        for (const span of turn.spans.get(h)) { span.classList.toggle("kp-hover", on); }
      }
      for (const bar of turn.stripes.children) {
        if (bar.dataset.segment === segment) { bar.classList.toggle("kp-hover", on); }
      }
      for (const c of turn.chips) {
        if (c.chip.dataset.segment === segment) { c.chip.classList.toggle("kp-hover", on); }
      }
    }
  }

  scheduleStripes() {
    if (this.frame) { cancelAnimationFrame(this.frame); }
    this.frame = requestAnimationFrame(() => { this.frame = null; this.layoutStripes(); });
  }

  layoutStripes() {
    // Read every box first, then write: one layout for the whole part, not one per turn.
    const measured = this.turns.map((turn) => {
      const origin = turn.stripes.getBoundingClientRect();
      const boxes = new Map();
      for (const h of turn.hls) {
        let top = Infinity, bottom = -Infinity;
        for (const span of turn.spans.get(h)) {
          for (const rect of span.getClientRects()) {
            top = Math.min(top, rect.top);
            bottom = Math.max(bottom, rect.bottom);
          }
        }
        if (bottom > top) { boxes.set(h, { top: top - origin.top, bottom: bottom - origin.top }); }
      }
      const chips = turn.chips.map((c) => c.chip.offsetHeight);
      return { boxes, chips };
    });
    this.turns.forEach((turn, k) => this.placeTurn(turn, measured[k]));
  }

  placeTurn(turn, measured) {
    // Each chip beside the first line of its span, pushed down below the chip before it when that needs the room.
    let below = 0;
    turn.chips.forEach((c, k) => {
      const tops = c.hls.map((h) => measured.boxes.get(h)).filter(Boolean).map((b) => b.top);
      const top = Math.max(tops.length ? Math.min(...tops) : below, below);
      c.chip.style.top = top + "px";
      below = top + measured.chips[k] + 2;
    });
    turn.margin.style.minHeight = below + "px";
    const bars = document.createDocumentFragment();
    for (const h of turn.hls) {
      const box = measured.boxes.get(h);
      if (!box) { continue; }
      const bar = document.createElement("div");
      bar.className = "kp-bar";
      bar.style.left = (1 + h.lane * 5) + "px";
      bar.style.top = box.top + "px";
      bar.style.height = (box.bottom - box.top) + "px";
      bar.style.backgroundColor = h.colour;
      bar.title = h.title || h.codes.join(", ");
      bar.dataset.segment = h.segment;
      bars.appendChild(bar);
    }
    turn.stripes.replaceChildren(bars);
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
    this.openPicker(found);
  }

  // ----- the keyboard picker: type to filter, ↑/↓, Enter, 1–9 recent codes, Esc -------------------

  openPicker(found) {
    this.closePicker();
    const range = this.currentRange();
    if (!this.codes.length || !range) { return; }
    const box = el("div", "kp-picker");
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-label", "Code the selection");
    const input = el("input", "kp-picker-input");
    input.type = "text";
    input.placeholder = "Find a code\u2026 (Enter applies, 1\u20139 recent, Esc cancels)";
    input.setAttribute("aria-label", "Find a code");
    const list = el("div", "kp-picker-list");
    list.setAttribute("role", "listbox");
    box.append(input, list);
    const at = range.getBoundingClientRect(), root = this.root.getBoundingClientRect();
    box.style.top = Math.max(at.bottom - root.top + 4, 0) + "px";
    box.style.left = Math.max(Math.min(at.left - root.left, root.width - 300), 0) + "px";
    this.picker = { box, input, list, found, matches: [], index: 0 };
    input.addEventListener("input", () => this.filterPicker());
    input.addEventListener("keydown", (e) => this.pickerKey(e));
    input.addEventListener("focusout", (e) => {
      if (e.relatedTarget && this.picker && !this.picker.box.contains(e.relatedTarget)) { this.closePicker(); }
    });
    list.addEventListener("mousedown", (e) => e.preventDefault());  // keep the focus in the filter
    list.addEventListener("click", (e) => {
      const item = e.target instanceof Element ? e.target.closest(".kp-picker-item") : null;
      if (item && this.picker) { this.applyCode(this.picker.matches[Number(item.dataset.index)]); }
    });
    this.root.appendChild(box);
    this.filterPicker();
    input.focus({ preventScroll: true });
  }

  filterPicker() {
    const p = this.picker;
    const words = fold(p.input.value).split(/\s+/).filter(Boolean);
    p.matches = this.codes.filter((c) => words.every((w) => c.hay.includes(w))).slice(0, 8);
    p.index = 0;
    this.drawPicker();
  }

  drawPicker() {
    const p = this.picker;
    const items = p.matches.map((c, k) => {
      const item = el("div", k === p.index ? "kp-picker-item kp-picker-active" : "kp-picker-item");
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", String(k === p.index));
      item.dataset.index = String(k);
      const swatch = el("span", "kp-picker-swatch");
      swatch.style.backgroundColor = c.colour;
      const num = el("span", "kp-picker-num", c.recent && c.recent <= 9 ? String(c.recent) : "");
      item.append(swatch, num, el("span", "kp-picker-label", c.label), el("span", "kp-picker-key", c.key));
      return item;
    });
    if (!items.length) { items.push(el("div", "kp-picker-none", "No code matches")); }
    p.list.replaceChildren(...items);
  }

  pickerKey(e) {
    e.stopPropagation();  // the app's own shortcuts never see what is typed here
    const p = this.picker;
    if (!p) { return; }
    if (e.key === "Escape") {
      e.preventDefault();
      this.closePicker();
    } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const n = p.matches.length;
      if (n) { p.index = (p.index + (e.key === "ArrowDown" ? 1 : n - 1)) % n; this.drawPicker(); }
    } else if (e.key === "Enter") {
      e.preventDefault();
      if (p.matches[p.index]) { this.applyCode(p.matches[p.index]); }
    } else if (/^[1-9]$/.test(e.key) && !p.input.value && !e.ctrlKey && !e.metaKey && !e.altKey) {
      const code = this.codes.find((c) => c.recent === Number(e.key));
      if (code) { e.preventDefault(); this.applyCode(code); }
    }
  }

  closePicker() {
    if (!this.picker) { return; }
    const box = this.picker.box;
    this.picker = null;
    if (box.parentNode) { box.parentNode.removeChild(box); }
  }

  // Draw the coding at once (pending) and send the one write; the next data confirms it or refuses it.
  applyCode(code) {
    const p = this.picker;
    if (!p || !code) { return; }
    this.closePicker();
    const { turn, start16, end16, text } = p.found;
    const id = newId();
    this.pending.set(id, { turn, h: { segment: "pending:" + id, start16, end16, colour: code.colour, codes: [code.key],
      title: code.label + " \u00b7 " + code.key + " (saving\u2026)", label: code.label, pending: true } });
    this.redrawTurn(turn);
    const sel = (typeof this.host.getSelection === "function" && this.host.getSelection()) || document.getSelection();
    if (sel) { sel.removeAllRanges(); }
    this.lastReported = null;
    this.send({ id, action: "code", turn, start16, end16, text, codes: [code.key] });
  }

  // Build one turn again from its data plus its pending highlights.
  redrawTurn(ordinal) {
    const index = this.turns.findIndex((t) => t.ordinal === ordinal);
    const raw = this.raw.get(ordinal);
    if (index < 0 || !raw) { return; }
    const extra = Array.from(this.pending.values()).filter((p) => p.turn === ordinal).map((p) => p.h);
    const highlights = (Array.isArray(raw.highlights) ? raw.highlights : []).concat(extra);
    const built = this.buildTurn({ ...raw, highlights });
    const old = this.turns[index];
    built.section.classList.toggle("kp-focus", old.section.classList.contains("kp-focus"));
    old.section.replaceWith(built.section);
    this.turns[index] = built;
    this.scheduleStripes();
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
  view.render(data && typeof data === "object" ? data : {});
  return view.cleanup;
}
