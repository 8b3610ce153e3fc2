"""Offsets at the browser boundary, and word snapping for selections.

The browser counts UTF-16 code units (JavaScript string indices, DOM Range
offsets); the store counts Unicode code points (Python string indices). A
character outside the Basic Multilingual Plane (most emoji, some CJK, historic
scripts) is one code point but two UTF-16 units (a surrogate pair). Everything
else is one of each, so the two counts differ only by the number of astral
characters before an offset.

`Utf16Index` is built once per text (one regex pass, in C) and answers each
conversion with a bisect over the astral positions, so converting many offsets
on a long transcript stays cheap. The module-level functions are thin wrappers
for one-off use.

Pure Python: no Streamlit here.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left

__all__ = [
    "Utf16Index",
    "codepoint_to_utf16",
    "snap_to_words",
    "utf16_length",
    "utf16_to_codepoint",
]

_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


class Utf16Index:
    """Converts offsets within one text between UTF-16 code units and code points.

    Offsets are boundaries (0 … length inclusive), as in slices. A UTF-16 offset
    that falls between the two halves of a surrogate pair is refused, as is any
    offset outside the text.
    """

    __slots__ = ("_astral_cp", "_astral_u16", "length", "length16", "text")

    def __init__(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"text must be str, not {type(text).__name__}")
        self.text = text
        # Code point index of every astral character, ascending.
        self._astral_cp: list[int] = [m.start() for m in _ASTRAL.finditer(text)]
        # UTF-16 index of the high surrogate of every astral character: k astral characters precede the k-th.
        self._astral_u16: list[int] = [cp + k for k, cp in enumerate(self._astral_cp)]
        self.length = len(text)
        self.length16 = len(text) + len(self._astral_cp)

    @property
    def has_astral(self) -> bool:
        return bool(self._astral_cp)

    def to_utf16(self, offset: int) -> int:
        """The UTF-16 offset of code point offset `offset` (0 ≤ offset ≤ len(text))."""
        offset = _as_int(offset, "offset")
        if not 0 <= offset <= self.length:
            raise ValueError(f"code point offset {offset} is outside the text (0–{self.length})")
        return offset + bisect_left(self._astral_cp, offset)

    def to_codepoint(self, offset16: int) -> int:
        """The code point offset of UTF-16 offset `offset16`; refused inside a surrogate pair."""
        offset16 = _as_int(offset16, "offset16")
        if not 0 <= offset16 <= self.length16:
            raise ValueError(f"UTF-16 offset {offset16} is outside the text (0–{self.length16})")
        before = bisect_left(self._astral_u16, offset16)  # astral characters starting before offset16
        if before and self._astral_u16[before - 1] + 1 == offset16:
            cp = self._astral_cp[before - 1]
            raise ValueError(
                f"UTF-16 offset {offset16} falls inside the surrogate pair of U+{ord(self.text[cp]):04X} "
                f"at code point {cp}"
            )
        return offset16 - before

    def to_codepoint_outward(self, offset16: int, *, side: str) -> int:
        """Like `to_codepoint`, but an offset inside a surrogate pair moves to the pair's start
        (side="start") or end (side="end") instead of being refused; out-of-range offsets are clamped."""
        offset16 = min(max(_as_int(offset16, "offset16"), 0), self.length16)
        try:
            return self.to_codepoint(offset16)
        except ValueError:
            return self.to_codepoint(offset16 - 1 if side == "start" else offset16 + 1)


def _as_int(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    return value


def utf16_length(text: str) -> int:
    """len() as JavaScript would count it."""
    return len(text) + sum(1 for _ in _ASTRAL.finditer(text))


def utf16_to_codepoint(text: str, offset16: int) -> int:
    """Code point offset in `text` of the UTF-16 offset `offset16` (ValueError inside a surrogate pair or out of range)."""
    return Utf16Index(text).to_codepoint(offset16)


def codepoint_to_utf16(text: str, offset: int) -> int:
    """UTF-16 offset in `text` of the code point offset `offset` (ValueError out of range)."""
    return Utf16Index(text).to_utf16(offset)


# --- word snapping -------------------------------------------------------------------------------

# Line boundaries a snap must never cross (str.splitlines' set).
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
# Inside a word (a letter or digit on both sides) these join: zo'n, d’r, Noord-Holland, e-mail.
_JOINERS = frozenset("'\u2019\u02bc-\u2010\u2011")
_ZWJ = "\u200d"


def _is_core(ch: str) -> bool:
    return ch.isalnum() or unicodedata.category(ch)[0] == "M"


def _is_word_char(text: str, i: int) -> bool:
    """Whether text[i] belongs to a word: alphanumeric, a combining mark, or a joiner inside a word."""
    ch = text[i]
    if _is_core(ch):
        return True
    return ch in _JOINERS and 0 < i < len(text) - 1 and _is_core(text[i - 1]) and _is_core(text[i + 1])


def _is_regional_indicator(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF


def _cuts(text: str, i: int) -> bool:
    """Whether a boundary at i (0 < i < len) would cut a word or a visible character.

    A word is cut when word characters stand on both sides. Besides words this keeps
    together what the reader sees as one character: a base and its combining marks,
    variation selectors, emoji skin-tone modifiers and tag characters, emoji joined
    by ZERO WIDTH JOINER (👩‍👩‍👧), and regional-indicator pairs (flags). Whitespace
    and line breaks never glue.
    """
    a, b = text[i - 1], text[i]
    if a.isspace() or b.isspace():
        return False
    if _is_word_char(text, i - 1) and _is_word_char(text, i):
        return True
    if a == _ZWJ or b == _ZWJ:
        return True
    cp = ord(b)
    if unicodedata.category(b)[0] == "M" or 0x1F3FB <= cp <= 0x1F3FF or 0xE0020 <= cp <= 0xE007F:
        return True
    if _is_regional_indicator(a) and _is_regional_indicator(b):
        run = 0  # regional indicators before b in this run; b pairs with a when that count is odd
        j = i - 1
        while j >= 0 and _is_regional_indicator(text[j]):
            run += 1
            j -= 1
        return run % 2 == 1
    return False


def snap_to_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen [start, end) so it cuts no word, then trim whitespace from its edges.

    Word characters are letters and digits (str.isalnum), combining marks, and an
    apostrophe or hyphen between two of those. The span also keeps emoji sequences
    and base+mark clusters whole. Punctuation the user selected stays; only
    whitespace is trimmed. Widening never crosses a line break, so the result holds
    no line break the original selection did not. A selection with nothing but
    whitespace (or an empty one) yields the trimmed original: an empty span.
    Offsets are code points; start ≤ end within the text, else ValueError.
    """
    start, end = _as_int(start, "start"), _as_int(end, "end")
    if not 0 <= start <= end <= len(text):
        raise ValueError(f"span {start}–{end} is not within the text (0–{len(text)}, start ≤ end)")
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start == end:
        return start, end
    while start > 0 and text[start - 1] not in _LINE_BREAKS and _cuts(text, start):
        start -= 1
    while end < len(text) and text[end] not in _LINE_BREAKS and _cuts(text, end):
        end += 1
    return start, end
