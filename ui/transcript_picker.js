// The keyboard picker: type to filter, ↑/↓, Enter, 1–9 recent codes, Esc; the coding drawn at once (pending).
// (Concatenated after transcript_component.js by ui/transcript_component.py: the class is defined there.)

Object.assign(TranscriptView.prototype, {
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
  },

  filterPicker() {
    const p = this.picker;
    const words = fold(p.input.value).split(/\s+/).filter(Boolean);
    p.matches = this.codes.filter((c) => words.every((w) => c.hay.includes(w))).slice(0, 8);
    // What was typed names no code exactly: the last line offers to make it (where the server said new codes go).
    const typed = p.input.value.split(/\s+/).filter(Boolean).join(" ");
    if (typed && this.newCodeBook && !this.codes.some((c) => fold(c.label) === fold(typed) || c.key === typed)) {
      p.matches.push({ create: true, key: "", label: typed, colour: FALLBACK_COLOUR, recent: 0 });
    }
    p.index = 0;
    this.drawPicker();
  },

  drawPicker() {
    const p = this.picker;
    const items = p.matches.map((c, k) => {
      const item = el("div", k === p.index ? "kp-picker-item kp-picker-active" : "kp-picker-item");
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", String(k === p.index));
      item.dataset.index = String(k);
      if (c.create) {
        item.classList.add("kp-picker-new");
        item.title = "Make a new code of this name in " + this.newCodeBook + " and apply it to the selection";
        item.append(el("span", "kp-picker-num", "+"), el("span", "kp-picker-label", "New code \u201c" + c.label + "\u201d"),
          el("span", "kp-picker-key", "in " + this.newCodeBook));
        return item;
      }
      const swatch = el("span", "kp-picker-swatch");
      swatch.style.backgroundColor = c.colour;
      const num = el("span", "kp-picker-num", c.recent && c.recent <= 9 ? String(c.recent) : "");
      item.append(swatch, num, el("span", "kp-picker-label", c.label), el("span", "kp-picker-key", c.key));
      return item;
    });
    if (!items.length) { items.push(el("div", "kp-picker-none", "No code matches")); }
    p.list.replaceChildren(...items);
  },

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
  },

  closePicker() {
    if (!this.picker) { return; }
    const box = this.picker.box;
    this.picker = null;
    if (box.parentNode) { box.parentNode.removeChild(box); }
  },

  // Draw the coding at once (pending) and send the one write; the next data confirms it or refuses it.
  applyCode(code) {
    const p = this.picker;
    if (!p || !code) { return; }
    this.closePicker();
    const { turn, start16, end16, text } = p.found;
    const id = newId();
    this.pending.set(id, { turn, h: { segment: "pending:" + id, start16, end16, colour: code.colour,
      codes: code.create ? [] : [code.key], title: code.label + (code.create ? "" : " \u00b7 " + code.key) + " (saving\u2026)",
      label: code.label, pending: true } });
    this.redrawTurn(turn);
    const sel = (typeof this.host.getSelection === "function" && this.host.getSelection()) || document.getSelection();
    if (sel) { sel.removeAllRanges(); }
    this.lastReported = null;
    this.send(code.create
      ? { id, action: "code", turn, start16, end16, text, codes: [], new: { label: code.label, codebook: this.newCodeBook } }
      : { id, action: "code", turn, start16, end16, text, codes: [code.key] });
  },
});
