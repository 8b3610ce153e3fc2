"""Carrying segments from one text version to the next by a character-level diff (diff-match-patch).

The diff, not the edit's own arithmetic, says where each character went, so an edit anywhere (several places, a
whole passage rewritten) moves every segment right: text inserted inside a segment grows it, text deleted inside
it shrinks it, text inserted exactly at a segment's edge stays outside it, and a segment whose every character was
deleted has nowhere to go: it is reported, never silently dropped or squeezed into a neighbour's text. The diff is
cleaned up semantically first, so a rewritten sentence counts as replaced, not as a few letters it happens to
share with the old one.
Offsets are code points (Python string indices), as everywhere in Kruispunt.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from diff_match_patch import diff_match_patch

DELETE, EQUAL, INSERT = -1, 0, 1


@dataclass(frozen=True)
class Carried:
    """Where a span [start, end) of the old text is in the new one; `gone` when all of it was deleted."""

    start: int
    end: int
    gone: bool = False


class OffsetMap:
    """Old offsets to new ones, from the diff's pieces: runs kept unchanged, and changed stretches (what was
    deleted there, and what was inserted in its place)."""

    def __init__(self, old: str, new: str, *, offset: int = 0) -> None:
        """Diff `old` against `new`: the changed stretch of two texts that agree before it (it starts at `offset`
        in both) and after it."""
        self._build([(offset, offset + len(old), old, new)])

    @classmethod
    def of_stretches(cls, text: str, stretches: list[tuple[int, int, str]]) -> tuple[str, OffsetMap]:
        """The text with each stretch [start, end) replaced (they must not overlap), and the map to it: each
        stretch diffed on its own, the text between them kept."""
        ordered = sorted(stretches)
        for (_, end, _), (start, _, _) in zip(ordered, ordered[1:]):
            if start < end:
                raise ValueError("replacements overlap")
        mapping = cls.__new__(cls)
        mapping._build([(start, end, text[start:end], new) for start, end, new in ordered])
        parts, at = [], 0
        for start, end, new in ordered:
            parts += [text[at:start], new]
            at = end
        return "".join(parts) + text[at:], mapping

    def _build(self, stretches: list[tuple[int, int, str, str]]) -> None:
        matcher = diff_match_patch()
        matcher.Diff_Timeout = 0  # exact, however long it takes: a carried segment must be right
        pieces: list[list] = []  # [kind, old start, old end, new start, new end]
        at_old = at_new = 0
        for start, end, old, new in stretches:
            pieces.append([EQUAL, at_old, start, at_new, at_new + start - at_old])
            at_new += start - at_old
            at_old = start
            diffs = matcher.diff_main(old, new, False)
            matcher.diff_cleanupSemantic(diffs)  # no coincidental single letters kept from a rewritten passage
            for kind, text in diffs:
                step_old, step_new = (len(text) if kind != INSERT else 0), (len(text) if kind != DELETE else 0)
                if kind == EQUAL:
                    pieces.append([EQUAL, at_old, at_old + step_old, at_new, at_new + step_new])
                elif pieces[-1][0] == CHANGED and pieces[-1][2] == at_old and pieces[-1][4] == at_new:
                    pieces[-1][2] += step_old
                    pieces[-1][4] += step_new
                else:
                    pieces.append([CHANGED, at_old, at_old + step_old, at_new, at_new + step_new])
                at_old, at_new = at_old + step_old, at_new + step_new
            assert at_old == end
        pieces.append([EQUAL, at_old, _REST, at_new, _REST + at_new - at_old])  # the rest, shifted
        self._pieces = [tuple(p) for p in pieces if p[0] == CHANGED or p[2] > p[1]]
        self._ends = [p[2] for p in self._pieces]

    def carry(self, start: int, end: int) -> Carried:
        """The span's new place: its unchanged characters, and every change wholly inside it (a typo fixed in
        it, even at its first or last character); text inserted at its edges stays outside."""
        low, high = None, None
        i = bisect_right(self._ends, start - 1) if start > 0 else 0
        for kind, old_a, old_b, new_c, new_d in self._pieces[max(0, i - 1):]:
            if old_a >= end:
                break
            if kind == EQUAL:
                if old_b <= start:
                    continue
                c, d = new_c + max(start, old_a) - old_a, new_c + min(end, old_b) - old_a
            else:
                inside = start <= old_a and old_b <= end and not (old_a == old_b and old_a in (start, end))
                if not inside or new_d == new_c:
                    continue
                c, d = new_c, new_d
            low = c if low is None else min(low, c)
            high = d if high is None else max(high, d)
        if low is None or high is None or high <= low:
            at = self.position(start)
            return Carried(at, at, gone=True)
        return Carried(low, high)

    def position(self, offset: int, *, after: bool = False) -> int:
        """Where an old offset (a point between characters) lands. Text that replaced what stood before the point
        is before it; text inserted exactly at the point, or replacing text around it, is after it for a start
        (`after` False) and before it for an end (`after` True), so a turn or sentence ending there keeps it."""
        for kind, old_a, old_b, new_c, new_d in self._pieces[max(0, bisect_right(self._ends, offset) - 2):]:
            if kind == EQUAL:
                if old_a <= offset < old_b:
                    return new_c + offset - old_a
                continue
            if old_b < offset or (old_b == offset and old_a < old_b):
                continue  # the change lies before the point (the next piece places it)
            if old_a == offset == old_b or old_a < offset < old_b:
                return new_d if after else new_c  # inserted at the point, or the point was inside a change
            if old_a >= offset:
                return new_c
        return offset


CHANGED = 2
_REST = 1 << 62
