// How one turn is drawn: its text with highlights and find's marks, the stripes and the code margin beside it.
// (Concatenated after transcript_component.js by ui/transcript_component.py: the class is defined there.)

Object.assign(TranscriptView.prototype, {
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
    return { ordinal, section, content: text, stripes, margin, chips, hls, spans, lanes, marks,
      pending: hls.some((h) => h.pending), sig: null };
  },

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
      if (group.hls.some((h) => h.memo)) {  // a pencil after the labels, as after the segment's text
        chip.classList.add("kp-chip-memo");
        chip.title += "\n(this segment has a memo: see Memos beside the text)";
      }
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
  },

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
  },

  scheduleStripes() {
    if (this.frame) { cancelAnimationFrame(this.frame); }
    this.frame = requestAnimationFrame(() => { this.frame = null; this.layoutStripes(); });
  },

  layoutStripes() {
    // Read every box first, then write: one layout for the whole window, not one per turn.
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
  },

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
      bar.addEventListener("mouseenter", () => this.hover(h.segment, true));
      bar.addEventListener("mouseleave", () => this.hover(h.segment, false));
      bars.appendChild(bar);
    }
    turn.stripes.replaceChildren(bars);
  },

  // Build one turn again from its data plus its pending highlights.
  redrawTurn(ordinal) {
    const index = this.turns.findIndex((t) => t.ordinal === ordinal);
    const raw = this.raw.get(ordinal);
    if (index < 0 || !raw) { return; }
    const extra = Array.from(this.pending.values()).filter((p) => p.turn === ordinal).map((p) => p.h);
    const highlights = (Array.isArray(raw.highlights) ? raw.highlights : []).concat(extra);
    const built = this.buildTurn({ ...raw, highlights });
    built.sig = typeof raw.h === "string" ? raw.h : JSON.stringify(raw);
    const old = this.turns[index];
    built.section.classList.toggle("kp-focus", old.section.classList.contains("kp-focus"));
    old.section.replaceWith(built.section);
    this.turns[index] = built;
    this.scheduleStripes();
  },

});
