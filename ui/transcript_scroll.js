// One continuous scroll through any transcript (issue 17): the server sends a window of turns (ui/transcript_window.py)
// and an outline of the whole document (the characters before every `step`-th turn); the turns before and after the
// window are spacers of estimated height, so the scrollbar stands for the whole transcript. Near a spacer the
// component asks for the window there; a new window is put in place so that what the reader sees stays where it is.
// The turn at the top of the view is kept in the URL as `at` (a reload or a shared link opens there).
// (Concatenated after transcript_component.js by ui/transcript_component.py: the class is defined there.)

const TURN_CHARS = 120;         // a turn's head and padding, in characters of text (the estimate's per-turn cost)
const MAX_SCROLL_PX = 8000000;  // browsers cap an element's height; estimates are scaled to stay far below it

Object.assign(TranscriptView.prototype, {
  initScroll() {
    this.first = 0;            // index (in the whole document) of the window's first turn
    this.count = 0;            // turns in the whole document
    this.step = 1;
    this.chars = [0];          // characters before turn k * step (the last entry: the total)
    this.unit = 0.3;           // pixels per character, measured on every window drawn
    this.requested = null;     // {index, at}: the window asked for and not yet received
    this.requestTimer = null;
    this.urlTimer = null;
    this.scrollFrame = null;
    this.onScroll = () => {
      if (this.scrollFrame) { return; }
      this.scrollFrame = requestAnimationFrame(() => {
        this.scrollFrame = null;
        this.checkWindow();
        clearTimeout(this.urlTimer);
        this.urlTimer = setTimeout(() => this.writeUrl(), 250);
      });
    };
    this.scroller.addEventListener("scroll", this.onScroll, { passive: true });
  },

  stopScroll() {
    this.scroller.removeEventListener("scroll", this.onScroll);
    clearTimeout(this.requestTimer);
    clearTimeout(this.urlTimer);
    if (this.scrollFrame) { cancelAnimationFrame(this.scrollFrame); }
  },

  setWindow(win, shown) {
    const ok = win && typeof win === "object" && isInt(win.first) && isInt(win.count) && isInt(win.step) &&
      win.step > 0 && Array.isArray(win.chars) && win.chars.length > 0 && win.chars.every(isInt);
    this.first = ok ? win.first : 0;
    this.count = ok ? Math.max(win.count, win.first + shown) : shown;
    this.step = ok ? win.step : 1;
    this.chars = ok ? win.chars : [0];
    this.requested = null;
  },

  // Characters before turn i, interpolated between the outline's points.
  charsBefore(i) {
    if (this.chars.length < 2) { return 0; }
    const k = Math.min(Math.floor(i / this.step), this.chars.length - 1);
    if (k + 1 >= this.chars.length) { return this.chars[k]; }
    const from = k * this.step, to = Math.min((k + 1) * this.step, this.count);
    return this.chars[k] + (this.chars[k + 1] - this.chars[k]) * (to > from ? (i - from) / (to - from) : 0);
  },

  // The estimated height of turns [a, b) outside the window.
  span(a, b) {
    return b > a ? this.unit * (this.charsBefore(b) - this.charsBefore(a) + TURN_CHARS * (b - a)) : 0;
  },

  // Size the spacers: the window's own height tells how tall a character is here.
  layoutWindow() {
    const shown = this.turns.length;
    const height = this.list.offsetHeight;
    const text = this.turns.reduce((n, t) => n + (this.raw.get(t.ordinal)?.content?.length || 0), 0);
    if (shown && height > 0) { this.unit = height / (text + TURN_CHARS * shown); }
    const whole = this.span(0, this.count);
    if (whole > MAX_SCROLL_PX) { this.unit *= MAX_SCROLL_PX / whole; }
    this.before.style.height = this.span(0, this.first) + "px";
    this.after.style.height = this.span(this.first + shown, this.count) + "px";
  },

  // The top of turn i in the scroll's content: measured inside the window, estimated outside it.
  topOf(i) {
    const shown = this.turns.length;
    if (i < this.first) { return this.span(0, i); }
    if (i < this.first + shown) { return this.turns[i - this.first].section.offsetTop; }
    return this.after.offsetTop + this.span(this.first + shown, i);
  },

  // The turn at height y of the scroll's content (the last whose top is at or above it).
  indexAt(y) {
    let lo = 0, hi = Math.max(this.count - 1, 0);
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.topOf(mid) <= y) { lo = mid; } else { hi = mid - 1; }
    }
    return lo;
  },

  // What is at the top of the view: {index, offset} (offset: that turn's top minus the view's top).
  viewAnchor() {
    if (!this.count) { return null; }
    const top = this.scroller.scrollTop, index = this.indexAt(top);
    return { index, offset: this.topOf(index) - top };
  },

  restoreAnchor(keep) {
    if (keep) { this.scroller.scrollTop = this.topOf(Math.min(keep.index, Math.max(this.count - 1, 0))) - keep.offset; }
  },

  scrollToOrdinal(ordinal) {
    const k = this.turns.findIndex((t) => t.ordinal === ordinal);
    if (k >= 0) { this.scroller.scrollTop = this.turns[k].section.offsetTop - 8; }
  },

  // After new data: the view may still stand in a spacer (a fast scroll), and the URL names the turn at the top.
  afterRender() {
    this.checkWindow();
    setTimeout(() => this.writeUrl(), 0);
  },

  // Ask for the window around the middle of the view when the view comes within half its height of a spacer.
  checkWindow() {
    const shown = this.turns.length;
    if (!this.count || !shown) { this.loading.hidden = true; return; }
    const top = this.scroller.scrollTop, view = this.scroller.clientHeight;
    const start = this.list.offsetTop, end = start + this.list.offsetHeight;
    // a spacer in view: its turns are on their way (or will be asked for below)
    const gap = (this.before.offsetHeight > 0 && top < this.before.offsetTop + this.before.offsetHeight) ||
      (this.after.offsetHeight > 0 && top + view > this.after.offsetTop);
    this.loading.hidden = !gap;
    const early = this.first > 0 && top < start + view / 2;
    const late = this.first + shown < this.count && top + view > end - view / 2;
    if (!early && !late) { return; }
    clearTimeout(this.requestTimer);
    this.requestTimer = setTimeout(() => this.requestWindow(), this.requested ? 150 : 30);
  },

  requestWindow() {
    const index = this.indexAt(this.scroller.scrollTop + this.scroller.clientHeight / 2);
    const now = performance.now();
    if (this.requested && this.requested.index === index && now - this.requested.at < 5000) { return; }
    this.requested = { index, at: now };
    this.send({ id: newId(), action: "window", index });
  },

  // The turn at the top of the view, as `at` in the URL (replaced, not pushed: scrolling makes no history).
  writeUrl() {
    const top = this.scroller.scrollTop;
    // the first turn of which more than a sliver shows (a jump leaves 8 px of the turn before)
    const turn = this.turns.find((t) => t.section.offsetTop + t.section.offsetHeight > top + 16);
    if (!turn || top < this.list.offsetTop - 1) { return; }
    try {
      const url = new URL(window.location.href);
      if (url.searchParams.get("at") === String(turn.ordinal)) { return; }
      url.searchParams.set("at", String(turn.ordinal));
      window.history.replaceState(window.history.state, "", url.toString());
    } catch (e) { /* a sandboxed page may refuse: the position then stays unsaved */ }
  },
});
