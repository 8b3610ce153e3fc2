"""Readers for subtitle transcripts: WebVTT (.vtt) and SubRip (.srt).

Both are lists of timed cues; this module parses the cues, finds speaker
names (``<v>`` voices or Zoom-style ``Name:`` prefixes) and merges cues into
paragraphs that keep their start and end times.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from cases.sources import ImportRefused, ParagraphBuilder, SourceText

_TS = r"(?:(\d{1,3}):)?(\d{2}):(\d{2})[.,](\d{3})"
_TIMING = re.compile(rf"^\s*{_TS}\s*-->\s*{_TS}(?:\s.*)?$")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]+?)\s*>")
_TAG = re.compile(r"<[^>]*>|\{\\[^}]*\}")
_PREFIX = re.compile(r"^([^\W\d_][\w.'’\-]*(?:[ \t]+[\w.'’\-]+){0,4})[ \t]*:[ \t]+(?=\S)")
_SRT_GAP_MS = 2000
_SRT_MAX_CHARS = 600


@dataclass
class _Cue:
    start_ms: int
    end_ms: int
    lines: list[str]


@dataclass
class _Run:
    """Consecutive cue texts that become one paragraph."""

    label: str | None
    texts: list[str]
    start_ms: int
    end_ms: int
    chars: int


def _ts_ms(groups: tuple[str | None, ...]) -> int | None:
    h, m, s, ms = groups
    if int(m) >= 60 or int(s) >= 60:
        return None
    return ((int(h or 0) * 60 + int(m)) * 60 + int(s)) * 1000 + int(ms)


def _parse_cues(filename: str, fmt: str, text: str) -> list[_Cue]:
    lines = text.split("\n")
    i = 0
    if fmt == "vtt":
        if not lines[0].lstrip().startswith("WEBVTT") or (
                lines[0].lstrip()[6:7] not in ("", " ", "\t")):
            raise ImportRefused(filename, "not a WebVTT file (line 1 must start with "
                                          "'WEBVTT')")
        while i < len(lines) and lines[i].strip():  # header block
            i += 1
    cues: list[_Cue] = []
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        block_start = i
        block = []
        while i < len(lines) and lines[i].strip():
            block.append(lines[i])
            i += 1
        first = block[0].strip()
        if fmt == "vtt" and re.match(r"^(NOTE|STYLE|REGION)(\s|$)", first):
            continue
        timing_at = next((k for k, line in enumerate(block) if "-->" in line), None)
        if timing_at is None:
            if cues and not first.isdigit():  # a stray blank line inside cue text
                cues[-1].lines.extend(block)
                continue
            raise ImportRefused(filename, f"line {block_start + 1}: expected a cue "
                                          "timing line like '00:00:01"
                                          f"{',' if fmt == 'srt' else '.'}000 --> ...'")
        if timing_at > 1:
            raise ImportRefused(filename, f"line {block_start + 1}: unexpected text "
                                          "before the cue timing")
        lineno = block_start + timing_at + 1
        m = _TIMING.match(block[timing_at])
        start = _ts_ms(m.groups()[:4]) if m else None
        end = _ts_ms(m.groups()[4:]) if m else None
        if start is None or end is None:
            raise ImportRefused(filename, f"line {lineno}: malformed timestamp "
                                          f"{block[timing_at].strip()!r}")
        cues.append(_Cue(start, end, block[timing_at + 1:]))
    if not cues:
        raise ImportRefused(filename, f"line {len(lines)}: no subtitle cues found")
    return cues


def _cue_segments(cue: _Cue) -> list[tuple[str | None, str]]:
    """Split a cue into (voice, text) runs; a <v> voice lasts to the cue end."""
    segs: list[tuple[str | None, str]] = []
    voice: str | None = None
    for line in cue.lines:
        m = _VOICE.search(line)
        if m:
            voice = _TAG.sub("", m.group(1)).strip() or None
        text = html.unescape(_TAG.sub("", line)).strip()
        if not text:
            continue
        if segs and segs[-1][0] == voice:
            segs[-1] = (voice, segs[-1][1] + " " + text)
        else:
            segs.append((voice, text))
    return segs


def read_subtitles(filename: str, fmt: str, text: str, encoding: str,
                    notices: list[str]) -> SourceText:
    cues = _parse_cues(filename, fmt, text)
    items: list[tuple[str | None, str, int, int]] = []
    for cue in cues:
        for voice, seg in _cue_segments(cue):
            items.append((voice, seg, cue.start_ms, cue.end_ms))
    # Zoom writes "Name: text"; only trust it when most unvoiced cues do so.
    unvoiced = [k for k, it in enumerate(items) if it[0] is None]
    prefixed = {k: _PREFIX.match(items[k][1]) for k in unvoiced}
    if unvoiced and sum(1 for m in prefixed.values() if m) * 2 >= len(unvoiced):
        for k, m in prefixed.items():
            if m:
                _, seg, s, e = items[k]
                items[k] = (m.group(1).strip(), seg[m.end():], s, e)
    # Same speaker: merge. No speaker: merge until a pause or a long paragraph.
    builder = ParagraphBuilder()
    run: _Run | None = None
    for label, seg, start, end in items:
        if run is not None and run.label == label and (
                label is not None
                or (start - run.end_ms < _SRT_GAP_MS and run.chars <= _SRT_MAX_CHARS)):
            run.texts.append(seg)
            run.end_ms = max(run.end_ms, end)
            run.chars += len(seg) + 1
            continue
        if run is not None:
            builder.add(" ".join(run.texts), run.label, run.start_ms, run.end_ms)
        run = _Run(label, [seg], start, end, len(seg))
    if run is not None:
        builder.add(" ".join(run.texts), run.label, run.start_ms, run.end_ms)
    return builder.source(filename, fmt, encoding, notices)
