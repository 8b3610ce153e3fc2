"""Shared types and helpers for the transcript readers.

Every reader (plain text, office documents, subtitles) produces the same
``SourceText`` made of ``Paragraph`` offsets and refuses files with the same
``ImportRefused``; this module holds those pieces, plus the paragraph builder
and inline cleaning they share, so the format modules need not import each
other or the public entry point in ``cases.readers``.

Paragraph offsets are Unicode code points (Python ``str`` indices), end
exclusive, and exclude surrounding whitespace and the newline.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import TypeVar, overload

from cases.textnorm import normalise_text
from store.errors import Refused

MB = 1024 * 1024
R = TypeVar("R")


class ImportRefused(Refused):
    """A file that cannot be imported; ``reason`` is meant for the user."""

    def __init__(self, filename: str, reason: str) -> None:
        super().__init__(f"{filename}: {reason}")
        self.filename = filename
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Paragraph:
    """A paragraph of ``SourceText.text``.

    ``label``/``content_start`` are only set when the file format itself names
    the speaker; the paragraph text is then ``"Name: text"`` and
    ``content_start`` points just after ``"Name: "``.
    """

    start: int
    end: int
    label: str | None = None
    content_start: int | None = None
    start_ms: int | None = None
    end_ms: int | None = None


_NONE = -1  # an absent value in the columns below


class RecordColumns(Sequence[R]):
    """Records of small whole numbers (or None) and one optional ``label``, kept as columns of 32-bit integers
    and made into record objects only when read.

    A subtitle file of a million cues has a million paragraphs and a million turns: as objects they took
    about 600 bytes each, as columns they take 24 (plus one shared string per distinct label). Offsets fit:
    an accepted file holds far fewer than 2**31 characters, and 2**31 ms is 24 days.
    """

    __slots__ = ("_columns", "_label_index", "_labels")
    record: type[R]
    _width: int
    _label_at: int  # which field is the label (-1: none)
    _values: Callable[[R], tuple[int | str | None, ...]]

    def __init_subclass__(cls) -> None:
        names = [f.name for f in fields(cls.record)]  # type: ignore[arg-type]
        cls._width, cls._label_at = len(names), names.index("label") if "label" in names else -1
        cls._values = attrgetter(*names)

    def __init__(self, records: Iterable[R] = ()) -> None:
        self._columns = tuple(array("i") for _ in range(self._width))
        self._labels: list[str] = []
        self._label_index: dict[str, int] = {}
        for r in records:
            self.append(r)

    def append(self, record: R) -> None:
        self.add(*self._values(record))

    def add(self, *values: int | str | None) -> None:
        """Append one record, given its fields in order (the label as a string or None; missing ones None)."""
        values += (None,) * (self._width - len(values))
        for at, (column, value) in enumerate(zip(self._columns, values)):
            if value is None:
                value = _NONE
            elif at == self._label_at:
                value = self._label_id(value)  # type: ignore[arg-type]
            column.append(value)  # type: ignore[arg-type]

    def _label_id(self, label: str) -> int:
        found = self._label_index.get(label)
        if found is None:
            found = self._label_index[label] = len(self._labels)
            self._labels.append(label)
        return found

    def _record(self, row: Iterable[int]) -> R:
        values: list[int | str | None] = [None if v == _NONE else v for v in row]
        if self._label_at >= 0 and values[self._label_at] is not None:
            values[self._label_at] = self._labels[values[self._label_at]]  # type: ignore[index]
        return self.record(*values)

    def __len__(self) -> int:
        return len(self._columns[0])

    @overload
    def __getitem__(self, i: int) -> R: ...
    @overload
    def __getitem__(self, i: slice) -> list[R]: ...
    def __getitem__(self, i: int | slice) -> R | list[R]:
        if isinstance(i, slice):
            return [self[k] for k in range(*i.indices(len(self)))]
        return self._record([column[i] for column in self._columns])

    def __iter__(self) -> Iterator[R]:
        return map(self._record, zip(*self._columns))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, RecordColumns | list):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self)!r})"


class ParagraphList(RecordColumns[Paragraph]):
    """A reader's paragraphs, in text order."""

    __slots__ = ()
    record = Paragraph


@dataclass
class SourceText:
    """A decoded, normalised transcript with its paragraphs and import remarks."""

    filename: str
    format: str  # 'txt', 'md', 'docx', 'vtt', 'srt', 'odt'
    encoding: str | None
    text: str
    paragraphs: Sequence[Paragraph]  # in text order; a ParagraphList from every reader
    notices: list[str]
    pages: tuple[int, ...] = ()  # a PDF's page start offsets (page 1 first)
    warnings: list = field(default_factory=list)  # damage the reader saw in the layout (cases.damage.DamageWarning)


# ---------------------------------------------------------------- building

class ParagraphBuilder:
    """Collects paragraphs into normalised text joined by newlines."""

    _JOIN_EVERY = 4096  # pieces joined into one string at a time: a million short strings held once took ~60 MB

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.joined: list[str] = []
        self.paragraphs = ParagraphList()
        self.pos = 0

    def add(self, content: str, label: str | None = None,
            start_ms: int | None = None, end_ms: int | None = None) -> None:
        content = clean_inline(content)
        label = clean_inline(label) if label else None
        if not content and not label:
            return
        if self.paragraphs:
            self.pos += 1  # the joining "\n"
        start = self.pos
        if label:
            piece = f"{label}: {content}" if content else f"{label}:"
            content_start = start + len(label) + 2 if content else start + len(piece)
        else:
            piece, content_start = content, None
        self.parts.append(piece)
        if len(self.parts) >= self._JOIN_EVERY:
            self.joined.append("\n".join(self.parts))
            self.parts = []
        self.pos += len(piece)
        self.paragraphs.add(start, self.pos, label, content_start, start_ms, end_ms)

    def source(self, filename: str, fmt: str, encoding: str | None,
               notices: list[str]) -> SourceText:
        text = "\n".join(self.joined + ["\n".join(self.parts)] if self.parts else self.joined)
        if not text.strip():
            raise ImportRefused(filename, "the file contains no text")
        return SourceText(filename, fmt, encoding, text, self.paragraphs, notices)


def line_spans(text: str) -> ParagraphList:
    """Every line with non-whitespace, trimmed, walked one line at a time (no list of all lines is made)."""
    spans = ParagraphList()
    for line in re.finditer(r"[^\n]+", text):
        start, end = trimmed(text, *line.span())
        if start < end:
            spans.add(start, end)
    return spans


def trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """`text[start:end]` without its surrounding whitespace, as offsets (start == end: only whitespace)."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def clean_inline(s: str) -> str:
    """Normalise one paragraph: no line breaks inside, no outer whitespace."""
    s = normalise_text(s)
    if "\n" in s or "\u2028" in s or "\u2029" in s:
        s = re.sub(r"[ \t]*[\n\u2028\u2029][ \t]*", " ", s)
    return s.strip()


# ---------------------------------------------------------------- sizes

def format_mb(n: int) -> str:
    return f"{n / MB:.1f}" if n >= MB // 10 else f"{n / MB:.3g}"
