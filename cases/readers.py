"""Turn uploaded transcript files into normalised text plus paragraph offsets.

Pure functions (no database, no UI): the importer hands over the file name and
bytes and gets a ``SourceText`` back, or an ``ImportRefused`` whose reason can
be shown to the user as is. The returned text has been through
``normalise_text`` and every offset refers to that text, because codings are
character ranges on the frozen normalised text.

This module is the public entry point: it checks size and suffix, decodes
plain text (repairing common encoding damage) and dispatches office documents
to ``cases.office`` and subtitles to ``cases.subtitles``. The shared types live
in ``cases.sources`` and are re-exported here, so callers keep importing from
``cases.readers``.

Paragraph offsets are Unicode code points (Python ``str`` indices), end
exclusive, and exclude surrounding whitespace and the newline.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from cases.office import read_docx, read_odt
from cases.sources import ImportRefused, Paragraph, SourceText, format_mb, line_spans
from cases.subtitles import read_subtitles
from cases.textnorm import normalise_text

__all__ = [
    "DEFAULT_MAX_IMPORT_BYTES",
    "SUPPORTED_SUFFIXES",
    "ImportRefused",
    "Paragraph",
    "SourceText",
    "decode_text_bytes",
    "read_source",
]

SUPPORTED_SUFFIXES = (".txt", ".md", ".docx", ".vtt", ".srt", ".odt", ".pdf")
DEFAULT_MAX_IMPORT_BYTES = 50 * 1024 * 1024


# ---------------------------------------------------------------- decoding

def _cp1252_tables() -> tuple[dict[int, str], dict[int, int]]:
    """Windows-1252 as browsers decode it: undefined bytes map to C1 controls."""
    decode: dict[int, str] = {}
    encode: dict[int, int] = {}
    for b in range(0x80, 0xA0):
        try:
            ch = bytes([b]).decode("cp1252")
        except UnicodeDecodeError:
            ch = chr(b)
        decode[b] = ch
        encode[ord(ch)] = b
    return decode, encode


_CP1252_DECODE, _CP1252_ENCODE = _cp1252_tables()
# Double-decoded UTF-8 as it shows up in European text: "Ã©" (é), "Â " (NBSP),
# "Å¡" (š), "Ä³" (ĳ), "â€™" (’), "ðŸ˜€" (😀).
_MOJIBAKE = re.compile("[\u00c2-\u00c5\u00e2\u00f0][\u0080-\u00bf\u0152\u0153\u0160"
                       "\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014"
                       "\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]")


def _plausible(ch: str) -> bool:
    """Characters a repaired European transcript may contain."""
    o = ord(ch)
    return (o < 0x250 or 0x2000 <= o <= 0x218F or 0x2190 <= o <= 0x27BF
            or 0x1F000 <= o <= 0x1FAFF or o == 0xFE0F)


_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f]")


def _decode_cp1252(data: bytes) -> str:
    return data.decode("latin-1").translate(_CP1252_DECODE)


def _encode_cp1252(text: str) -> bytes | None:
    """Inverse of a Windows-1252 or Latin-1 misreading; None if impossible."""
    out = bytearray()
    for ch in text:
        o = ord(ch)
        if o <= 0xFF:
            out.append(o)
        elif o in _CP1252_ENCODE:
            out.append(_CP1252_ENCODE[o])
        else:
            return None
    return bytes(out)


def _repair_mojibake(text: str) -> str | None:
    """Undo UTF-8 that was decoded as Windows-1252 and saved again, if exact."""
    if not _MOJIBAKE.search(text):
        return None
    raw = _encode_cp1252(text)
    if raw is None:
        return None
    try:
        repaired = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if repaired == text or not all(_plausible(c) for c in repaired if ord(c) >= 0x80):
        return None
    return repaired


def _looks_like_bomless_utf16(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when NULs sit only in every other byte."""
    if len(data) < 4 or len(data) % 2:
        return None
    even, odd = data[0::2], data[1::2]
    half = len(data) // 2
    if odd.count(0) >= 0.9 * half and even.count(0) == 0:
        return "utf-16-le"
    if even.count(0) >= 0.9 * half and odd.count(0) == 0:
        return "utf-16-be"
    return None


def _decode(data: bytes, filename: str) -> tuple[str, str, list[str]]:
    notices: list[str] = []
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        encoding = "utf-16-le" if data.startswith(b"\xff\xfe") else "utf-16-be"
        try:
            text = data[2:].decode(encoding)
        except UnicodeDecodeError as exc:
            raise ImportRefused(filename, f"invalid {encoding.upper()} text "
                                          f"at byte {exc.start + 2}") from None
        notices.append(f"decoded as {encoding.upper()}")
    elif b"\x00" in data:
        encoding = _looks_like_bomless_utf16(data)
        if encoding is None:
            raise ImportRefused(filename, "binary content (contains NUL bytes); "
                                          "this is not a text file")
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            raise ImportRefused(filename, "binary content (contains NUL bytes); "
                                          "this is not a text file") from None
        notices.append(f"decoded as {encoding.upper()} (no byte order mark)")
    else:
        try:
            if data.startswith(b"\xef\xbb\xbf"):
                encoding, text = "utf-8-sig", data[3:].decode("utf-8")
            else:
                encoding, text = "utf-8", data.decode("utf-8")
        except UnicodeDecodeError:
            encoding, text = "cp1252", _decode_cp1252(data)
            notices.append("decoded as Windows-1252 (the file is not valid UTF-8)")
        else:
            repaired = _repair_mojibake(text)
            if repaired is not None:
                text = repaired
                notices.append("repaired double-encoded UTF-8 (e.g. 'CafÃ©' -> 'Café')")
    controls = len(_CONTROL.findall(text))
    if controls and controls > 0.05 * len(text):
        raise ImportRefused(filename, f"binary content ({controls} control "
                                      "characters); this is not a text file")
    return text, encoding, notices


def decode_text_bytes(data: bytes, filename: str) -> tuple[str, str]:
    """Decode plain-text bytes, returning ``(text, encoding)``.

    Tries UTF-16 (by BOM), strict UTF-8 with or without BOM (BOM dropped), and
    falls back to Windows-1252. Double-encoded UTF-8 is repaired only when it
    round-trips exactly. Binary data raises ``ImportRefused``. The text is not
    normalised yet.
    """
    text, encoding, _ = _decode(data, filename)
    return text, encoding


# ---------------------------------------------------------------- dispatch

def read_source(filename: str, data: bytes, *,
                max_bytes: int = DEFAULT_MAX_IMPORT_BYTES) -> SourceText:
    """Read one uploaded file into a ``SourceText`` or raise ``ImportRefused``."""
    if not filename.isprintable():  # a NUL or another control character: no database stores it the same way
        shown = "".join(ch if ch.isprintable() else "?" for ch in filename)
        raise ImportRefused(shown, "the file name holds a control character (shown as ?); rename the file")
    if not data:
        raise ImportRefused(filename, "the file is empty (0 bytes)")
    if len(data) > max_bytes:
        raise ImportRefused(filename, f"the file is {format_mb(len(data))} MB, over the "
                                      f"import limit of {format_mb(max_bytes)} MB")
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        shown = f"'{suffix}'" if suffix else "without an extension"
        raise ImportRefused(filename, f"unsupported file type {shown}; supported: "
                                      + ", ".join(SUPPORTED_SUFFIXES))
    if suffix == ".pdf":
        from cases.pdf import read_pdf

        return read_pdf(filename, data)
    if suffix in (".docx", ".odt"):
        reader = read_docx if suffix == ".docx" else read_odt
        return reader(filename, data)
    raw, encoding, notices = _decode(data, filename)
    text = normalise_text(raw)
    del raw  # a large file's text is held once, not twice
    if not text.strip():
        raise ImportRefused(filename, "the file contains only whitespace")
    if suffix in (".vtt", ".srt"):
        return read_subtitles(filename, suffix[1:], text, encoding, notices)
    return SourceText(filename, suffix[1:], encoding, text,
                      line_spans(text), notices)
