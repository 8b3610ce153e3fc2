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
from dataclasses import dataclass

from cases.textnorm import normalise_text
from store.errors import Refused

MB = 1024 * 1024


class ImportRefused(Refused):
    """A file that cannot be imported; ``reason`` is meant for the user."""

    def __init__(self, filename: str, reason: str) -> None:
        super().__init__(f"{filename}: {reason}")
        self.filename = filename
        self.reason = reason


@dataclass(frozen=True)
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


@dataclass
class SourceText:
    """A decoded, normalised transcript with its paragraphs and import remarks."""

    filename: str
    format: str  # 'txt', 'md', 'docx', 'vtt', 'srt', 'odt'
    encoding: str | None
    text: str
    paragraphs: list[Paragraph]
    notices: list[str]


# ---------------------------------------------------------------- building

class ParagraphBuilder:
    """Collects paragraphs into normalised text joined by newlines."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.paragraphs: list[Paragraph] = []
        self.pos = 0

    def add(self, content: str, label: str | None = None,
            start_ms: int | None = None, end_ms: int | None = None) -> None:
        content = clean_inline(content)
        label = clean_inline(label) if label else None
        if not content and not label:
            return
        if self.parts:
            self.pos += 1  # the joining "\n"
        start = self.pos
        if label:
            piece = f"{label}: {content}" if content else f"{label}:"
            content_start = start + len(label) + 2 if content else start + len(piece)
        else:
            piece, content_start = content, None
        self.parts.append(piece)
        self.pos += len(piece)
        self.paragraphs.append(Paragraph(start, self.pos, label, content_start,
                                         start_ms, end_ms))

    def source(self, filename: str, fmt: str, encoding: str | None,
               notices: list[str]) -> SourceText:
        text = "\n".join(self.parts)
        if not text.strip():
            raise ImportRefused(filename, "the file contains no text")
        return SourceText(filename, fmt, encoding, text, self.paragraphs, notices)


def clean_inline(s: str) -> str:
    """Normalise one paragraph: no line breaks inside, no outer whitespace."""
    s = normalise_text(s)
    if "\n" in s or "\u2028" in s or "\u2029" in s:
        s = re.sub(r"[ \t]*[\n\u2028\u2029][ \t]*", " ", s)
    return s.strip()


# ---------------------------------------------------------------- sizes

def format_mb(n: int) -> str:
    return f"{n / MB:.1f}" if n >= MB // 10 else f"{n / MB:.3g}"
