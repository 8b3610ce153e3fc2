"""REFI-QDA selection positions to Kruispunt offsets, per producer, checked against the text.

The standard counts code points, but producers count differently: NVivo for Windows UTF-16 code units over CRLF
text, ATLAS.ti CRLF as one character, Taguette UTF-8 bytes. A position is converted from the producer's convention
over the source file as written to a code-point offset in the stored, normalised text (see `cases.textnorm`).
The origin only suggests the convention, so the one under which most selections fit their names and word
boundaries is chosen, and each selection is then checked against its name and moved to it when needed.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from bisect import bisect_right
from dataclasses import dataclass

from cases.textnorm import normalise_text
from coding.carry import OffsetMap

CONVENTIONS = ("codepoints", "lf", "utf16", "utf8")
SEARCH_WINDOW = 20_000

# A line break; characters normalise_text removes between CR and LF belong to it, as they make one LF there.
_BREAK = re.compile("\r[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\xad\u200b\u2060\ud800-\udfff\ufeff\ufffe\uffff]*\n|\r|\n")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_INTERESTING = re.compile(r"[^\x20-\x7e\t]")  # normalise_text never changes printable ASCII
_SPACES = re.compile(r"\s+")
_SAME = object()


def convention_for_origin(origin: str | None) -> str:
    """The convention a producer (REFI `@origin`, e.g. "NVivo 14", "ATLAS.ti 23") counts positions in."""
    low = (origin or "").casefold()
    return "utf16" if "nvivo" in low else "lf" if "atlas" in low else "utf8" if "taguette" in low else "codepoints"


def _follows(ch: str) -> bool:
    """Whether normalisation may join `ch` to what precedes it: a combining mark, a Hangul vowel or final
    consonant, or a character normalise_text removes."""
    return unicodedata.combining(ch) != 0 or "\u1160" <= ch <= "\u11ff" or not normalise_text(ch)


class SourcePositions:
    """Positions in one source's text file (`raw`, decoded, BOM stripped) as offsets in its stored text (`stored`,
    `normalise_text(raw)`), line by line: per convention the lines' starts, bisected; within a changed line a map
    built on first use."""

    def __init__(self, raw: str, stored: str | None = None) -> None:
        raw = raw[1:] if raw.startswith("\ufeff") else raw  # a BOM is never counted
        self.raw, self.stored = raw, normalise_text(raw) if stored is None else stored
        self._starts, self._ends = array("q", [0]), array("q")  # raw line i is raw[starts[i]:ends[i]]
        for m in _BREAK.finditer(raw):
            self._ends.append(m.start())
            self._starts.append(m.end())
        self._ends.append(len(raw))
        self._stored_starts, at = array("q", [0]), self.stored.find("\n")
        while at >= 0:
            self._stored_starts.append(at + 1)
            at = self.stored.find("\n", at + 1)
        self._aligned = len(self._stored_starts) == len(self._starts)  # false only if stored is not normalise(raw)
        self._identical = raw == self.stored
        self._vendor: dict[str, tuple[array, array]] = {}
        self._wide: dict[tuple[str, int], tuple[list[int], list[int], list[int]]] = {}
        self._maps: dict[int, object] = {}
        self._whole: OffsetMap | None = None
        self._folded: tuple[str, bool] | None = None  # the stored text as searched for names

    def length(self, convention: str) -> int:
        """The text's length in that convention."""
        return self._lines(convention)[1][-1]

    def to_stored(self, position: int, convention: str, *, side: str = "start") -> int | None:
        """The stored-text offset of a position counted in `convention`; None when it is negative or beyond the
        end. A position inside a CRLF or inside one character's units rounds outward: down for a start, up for an
        end (`side="end"`)."""
        if side not in ("start", "end"):
            raise ValueError("side is 'start' or 'end'")
        starts, ends = self._lines(convention)
        if position < 0 or position > ends[-1]:
            return None
        i = bisect_right(starts, position) - 1
        col = position - starts[i]
        if col > ends[i] - starts[i]:  # inside a line break
            return self._stored_at(i + 1, 0, side) if side == "end" else self._stored_at(i, self._width(i), side)
        if ends[i] - starts[i] != self._width(i):  # UTF-16 units or UTF-8 bytes that are not all characters
            col = self._column(i, col, convention, side)
        return self._stored_at(i, col, side)

    def _width(self, i: int) -> int:
        return self._ends[i] - self._starts[i]

    def _lines(self, convention: str) -> tuple[array, array]:
        """Each line's start and end (before its break) counted in `convention`, built once."""
        if convention not in CONVENTIONS:
            raise ValueError(f"unknown position convention {convention!r}")
        if convention not in self._vendor:
            raw, starts, ends = self.raw, self._starts, self._ends
            if (convention == "codepoints" or (convention == "lf" and "\r\n" not in raw)
                    or (convention == "utf16" and not _ASTRAL.search(raw)) or (convention == "utf8" and raw.isascii())):
                self._vendor[convention] = (starts, ends)
                return starts, ends
            size = {"lf": len, "utf16": lambda s: len(s.encode("utf-16-le", "surrogatepass")) // 2,
                    "utf8": lambda s: len(s.encode("utf-8", "surrogatepass"))}[convention]
            v_starts, v_ends, at = array("q"), array("q"), 0
            for i in range(len(starts)):
                width = size(raw[starts[i]:ends[i]])
                v_starts.append(at)
                v_ends.append(at + width)
                if i + 1 < len(starts):
                    brk = raw[ends[i]:starts[i + 1]]
                    at += width + (len(brk) - 1 if convention == "lf" and brk.endswith("\r\n") else size(brk))
            self._vendor[convention] = (v_starts, v_ends)
        return self._vendor[convention]

    def _column(self, i: int, units: int, convention: str, side: str) -> int:
        """A column of UTF-16 units or UTF-8 bytes in raw line i as a code-point column."""
        if (convention, i) not in self._wide:
            v_starts, cols, widths, extra = [], [], [], 0
            for m in (_ASTRAL if convention == "utf16" else _NON_ASCII).finditer(self.raw, self._starts[i],
                                                                                   self._ends[i]):
                o = ord(m.group())
                width = 2 if convention == "utf16" or o < 0x800 else 3 if o < 0x10000 else 4
                v_starts.append(m.start() - self._starts[i] + extra)
                cols.append(m.start() - self._starts[i])
                widths.append(width)
                extra += width - 1
            self._wide[convention, i] = (v_starts, cols, widths)
        v_starts, cols, widths = self._wide[convention, i]
        k = bisect_right(v_starts, units) - 1
        if k < 0:
            return units
        if units < v_starts[k] + widths[k]:  # at or inside the k-th wide character
            return cols[k] + (1 if side == "end" and units > v_starts[k] else 0)
        return cols[k] + 1 + units - v_starts[k] - widths[k]

    def _stored_at(self, i: int, col: int, side: str) -> int:
        """The stored offset of code-point column `col` in raw line i."""
        if self._identical:
            return self._starts[i] + col
        if not self._aligned:
            if self._whole is None:
                self._whole = OffsetMap(self.raw, self.stored)
            return self._whole.position(self._starts[i] + col, after=side == "end")
        if i not in self._maps:
            self._maps[i] = self._line_map(i)
        mapping = self._maps[i]
        col = col if mapping is _SAME else mapping.position(col, after=side == "end")  # type: ignore[attr-defined]
        return self._stored_starts[i] + col

    def _line_map(self, i: int) -> object:
        """_SAME for a line normalisation left alone, else an OffsetMap from the raw line to the stored one. Each
        changed cluster (a character and what normalisation joins to it) is its own stretch, so the text between
        two changes keeps its place (a diff of the whole line merges short runs between changes into one)."""
        line = self.raw[self._starts[i]:self._ends[i]]
        end = self._stored_starts[i + 1] - 1 if i + 1 < len(self._stored_starts) else len(self.stored)
        stored_line = self.stored[self._stored_starts[i]:end]
        if line == stored_line:
            return _SAME
        clusters: list[list[int]] = []
        for m in _INTERESTING.finditer(line):
            j = m.start()
            if clusters and clusters[-1][1] == j and _follows(line[j]):
                clusters[-1][1] = j + 1
            else:
                clusters.append([j - 1 if j > 0 and _follows(line[j]) else j, j + 1])
        stretches = []
        for a, b in clusters:
            c = b
            while c > a + 1 and not normalise_text(line[c - 1]):  # removed characters that end the cluster
                c -= 1
            new = normalise_text(line[a:c])
            stretches += ([(a, c, new)] if new != line[a:c] else []) + [(j, j + 1, "") for j in range(c, b)]
        text, mapping = OffsetMap.of_stretches(line, stretches)
        return mapping if text == stored_line else OffsetMap(line, stored_line)


def _fold(text: str, *, name: bool = False, casefold: bool = True) -> str:
    """Normalised, whitespace runs as one space, stripped, casefolded; a name also without a trailing ellipsis."""
    text = _SPACES.sub(" ", normalise_text(text)).strip()
    if name:
        text = text[:-1] if text.endswith("…") else text[:-3] if text.endswith("...") else text
    return text.rstrip().casefold() if casefold else text.rstrip()


def name_matches(name: str, selected: str) -> bool:
    """Whether a selection's name fits its text: one is a prefix of the other (names are often the text cut
    short, with or without an ellipsis, or run on past it), ignoring case and whitespace runs."""
    a, b = _fold(name, name=True), _fold(selected)
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return bool(short) and len(short) >= min(3, len(long)) and long.startswith(short)


def on_word_boundaries(text: str, start: int, end: int) -> bool:
    """Whether [start, end) neither starts nor ends inside a word."""
    def edge(at: int) -> bool:
        return at in (0, len(text)) or not text[at - 1].isalnum() or not text[at].isalnum()

    return 0 <= start <= end <= len(text) and edge(start) and edge(end)


def choose_convention(selections: list[tuple[SourcePositions, str, int, int, str | None]],
                      declared: str) -> tuple[str, dict[str, int]]:
    """The convention under which the selections fit best (2 points for each whose name matches the text there,
    1 for each on word boundaries), the declared one on a tie; and every convention's score."""
    if declared not in CONVENTIONS:
        raise ValueError(f"unknown position convention {declared!r}")
    scores = dict.fromkeys(CONVENTIONS, 0)
    for convention in CONVENTIONS:
        for positions, stored, start, end, name in selections:
            s = positions.to_stored(start, convention)
            e = positions.to_stored(end, convention, side="end")
            if s is not None and e is not None and s < e <= len(stored):
                scores[convention] += 2 * bool(name and name_matches(name, stored[s:e]))
                scores[convention] += on_word_boundaries(stored, s, e)
    return max(CONVENTIONS, key=lambda c: (scores[c], c == declared)), scores


@dataclass(frozen=True)
class Placement:
    """Where a selection goes in the stored text, how sure that is (exact, adjusted, unverified, outside) and why."""

    start: int
    end: int
    status: str
    reason: str


def _searchable(text: str) -> tuple[str, bool]:
    """`text` with tabs and line breaks as spaces, casefolded when that keeps every offset; and whether it was."""
    text = text.replace("\n", " ").replace("\t", " ")
    folded = text.casefold()
    return (folded, True) if len(folded) == len(text) else (text, False)


def _nearest(text: str, needle: str, target: int, offset: int = 0) -> int | None:
    """The offset + index of the occurrence of `needle` in `text` nearest to `target`."""
    best, at = None, text.find(needle)
    while at >= 0:
        if best is None or abs(offset + at - target) < abs(best - target):
            best = offset + at
        elif offset + at > target:
            break  # every later one is farther
        at = text.find(needle, at + 1)
    return best


def _find_name(positions: SourcePositions, stored: str, name: str, near: int) -> tuple[int, int] | None:
    """The occurrence of the name nearest to `near` (within SEARCH_WINDOW first, then anywhere) and its length."""
    folded_name, plain_name = _fold(name, name=True), _fold(name, name=True, casefold=False)
    if len(folded_name) < 3:
        return None  # too short to say where it is
    lo, hi = max(0, near - SEARCH_WINDOW), min(len(stored), near + SEARCH_WINDOW + len(plain_name))
    window, folded = _searchable(stored[lo:hi])
    found = _nearest(window, folded_name if folded else plain_name, near, lo)
    if found is None:
        if stored is not positions.stored:
            whole, folded = _searchable(stored)
        else:
            positions._folded = positions._folded or _searchable(stored)
            whole, folded = positions._folded
        found = _nearest(whole, folded_name if folded else plain_name, near)
    return None if found is None else (found, len(folded_name if folded else plain_name))


def place_selection(positions: SourcePositions, stored: str, start: int, end: int, name: str | None,
                    convention: str) -> Placement:
    """One selection converted and checked against its name: exact, adjusted (moved to its name, or cut at the
    text's end), unverified (its name is nowhere in the text) or outside (nothing of it lies in the text)."""
    s = positions.to_stored(start, convention)
    if s is None or s >= len(stored):
        why = "its start position is negative" if start < 0 else "it starts at or beyond the end of the text"
        return Placement(0, 0, "outside", why)
    e = positions.to_stored(end, convention, side="end")
    cut = e is None and end >= 0
    e = len(stored) if cut else min(len(stored), e if e is not None else s)
    if e <= s:
        return Placement(s, s, "outside", "its end is not after its start, so it holds no text")
    cut_reason = "its end lay beyond the end of the text and was cut to it"
    named = bool(name and _fold(name, name=True))
    if not name or not named or name_matches(name, stored[s:e]):
        if cut:
            return Placement(s, e, "adjusted", cut_reason)
        return Placement(s, e, "exact", "its name matches the text" if named else "it has no name to check")
    found = _find_name(positions, stored, name, s)
    if found is None:
        reason = "its name does not match the text at this position and was not found elsewhere"
        return Placement(s, e, "unverified", reason + ("; " + cut_reason if cut else ""))
    at, length = found
    shown = _fold(name, casefold=False)
    shown = shown if len(shown) <= 60 else shown[:59] + "…"
    end_at = min(len(stored), at + max(length, e - s))  # the name's length, unless it is shorter than the span
    if at == s:
        return Placement(at, end_at, "adjusted", f"resized to the length of its name '{shown}'")
    moved = abs(at - s)
    reason = f"moved {moved} character{'s' * (moved != 1)} to where its name '{shown}' is"
    return Placement(at, end_at, "adjusted", reason)
