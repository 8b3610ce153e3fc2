"""Readers for subtitle transcripts: WebVTT (.vtt) and SubRip (.srt).

Both are lists of timed cues; this module parses the cues, finds speaker
names (``<v>`` voices or Zoom-style ``Name:`` prefixes) and merges cues into
paragraphs that keep their start and end times.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
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


def _blocks(text: str) -> Iterator[tuple[int, list[str]]]:
    """Runs of non-blank lines with the (1-based) number of their first line, one at a time.

    A million-cue file is read as it is walked: no list of all its lines or cues is ever held.
    """
    block: list[str] = []
    first_line = 0
    for number, line in enumerate(_lines(text), start=1):
        if line.strip():
            if not block:
                first_line = number
            block.append(line)
        elif block:
            yield first_line, block
            block = []
    if block:
        yield first_line, block


def _lines(text: str) -> Iterator[str]:
    pos = 0
    while pos <= len(text):
        end = text.find("\n", pos)
        if end < 0:
            end = len(text)
        yield text[pos:end]
        pos = end + 1


def _parse_cues(filename: str, fmt: str, text: str) -> Iterator[_Cue]:
    blocks = _blocks(text)
    if fmt == "vtt":
        first = text[:text.find("\n")] if "\n" in text else text
        if not first.lstrip().startswith("WEBVTT") or first.lstrip()[6:7] not in ("", " ", "\t"):
            raise ImportRefused(filename, "not a WebVTT file (line 1 must start with 'WEBVTT')")
        next(blocks, None)  # the header block
    cue: _Cue | None = None  # held back one block: a stray blank line inside cue text continues it
    for block_start, block in blocks:
        first = block[0].strip()
        if fmt == "vtt" and re.match(r"^(NOTE|STYLE|REGION)(\s|$)", first):
            continue
        timing_at = next((k for k, line in enumerate(block) if "-->" in line), None)
        if timing_at is None:
            if cue is not None and not first.isdigit():
                cue.lines.extend(block)
                continue
            raise ImportRefused(filename, f"line {block_start}: expected a cue timing line like '00:00:01"
                                          f"{',' if fmt == 'srt' else '.'}000 --> ...'")
        if timing_at > 1:
            raise ImportRefused(filename, f"line {block_start}: unexpected text before the cue timing")
        m = _TIMING.match(block[timing_at])
        start = _ts_ms(m.groups()[:4]) if m else None
        end = _ts_ms(m.groups()[4:]) if m else None
        if start is None or end is None:
            raise ImportRefused(filename, f"line {block_start + timing_at}: malformed timestamp "
                                          f"{block[timing_at].strip()!r}")
        if cue is not None:
            yield cue
        cue = _Cue(start, end, block[timing_at + 1:])
    if cue is None:
        raise ImportRefused(filename, f"line {text.count(chr(10)) + 1}: no subtitle cues found")
    yield cue


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


def _items(filename: str, fmt: str, text: str) -> Iterator[tuple[str | None, str, int, int]]:
    """Every cue's (voice, text, start ms, end ms) runs in file order."""
    for cue in _parse_cues(filename, fmt, text):
        for voice, seg in _cue_segments(cue):
            yield voice, seg, cue.start_ms, cue.end_ms


def _trust_prefixes(filename: str, fmt: str, text: str) -> bool:
    """Zoom writes "Name: text"; only trust it when most unvoiced cues do so (a first, counting pass)."""
    unvoiced = prefixed = 0
    for voice, seg, _, _ in _items(filename, fmt, text):
        if voice is None:
            unvoiced += 1
            prefixed += _PREFIX.match(seg) is not None
    return unvoiced > 0 and prefixed * 2 >= unvoiced


def read_subtitles(filename: str, fmt: str, text: str, encoding: str,
                    notices: list[str]) -> SourceText:
    trust_prefixes = _trust_prefixes(filename, fmt, text)
    # Same speaker: merge. No speaker: merge until a pause or a long paragraph.
    builder = ParagraphBuilder()
    run: _Run | None = None
    for label, seg, start, end in _items(filename, fmt, text):
        if label is None and trust_prefixes and (m := _PREFIX.match(seg)):
            label, seg = m.group(1).strip(), seg[m.end():]
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
