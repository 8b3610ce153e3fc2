"""Turn uploaded transcript files into normalised text plus paragraph offsets.

Pure functions (no database, no UI): the importer hands over the file name and
bytes and gets a ``SourceText`` back, or an ``ImportRefused`` whose reason can
be shown to the user as is. The returned text has been through
``normalise_text`` and every offset refers to that text, because codings are
character ranges on the frozen normalised text.

Paragraph offsets are Unicode code points (Python ``str`` indices), end
exclusive, and exclude surrounding whitespace and the newline.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from cases.textnorm import normalise_text
from store.errors import Refused

SUPPORTED_SUFFIXES = (".txt", ".md", ".docx", ".vtt", ".srt", ".odt")
DEFAULT_MAX_IMPORT_BYTES = 50 * 1024 * 1024

_MB = 1024 * 1024
# Zip-bomb limits, checked on the central directory before anything is parsed.
_ZIP_MAX_TOTAL = 200 * _MB
_ZIP_MAX_MEMBERS = 10_000
_ZIP_MAX_RATIO = 100
_ZIP_RATIO_MIN_SIZE = 10 * _MB
# A speaker label named by the file (bold run, table cell) is short.
_LABEL_MAX_CHARS = 40
_LABEL_MAX_WORDS = 5


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


# ---------------------------------------------------------------- building

class _Builder:
    """Collects paragraphs into normalised text joined by newlines."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.paragraphs: list[Paragraph] = []
        self.pos = 0

    def add(self, content: str, label: str | None = None,
            start_ms: int | None = None, end_ms: int | None = None) -> None:
        content = _clean_inline(content)
        label = _clean_inline(label) if label else None
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


def _clean_inline(s: str) -> str:
    """Normalise one paragraph: no line breaks inside, no outer whitespace."""
    s = normalise_text(s)
    if "\n" in s or "\u2028" in s or "\u2029" in s:
        s = re.sub(r"[ \t]*[\n\u2028\u2029][ \t]*", " ", s)
    return s.strip()


def _line_paragraphs(text: str) -> list[Paragraph]:
    """Each line with non-whitespace becomes a paragraph (trimmed)."""
    paragraphs = []
    pos = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            start = pos + (len(line) - len(line.lstrip()))
            paragraphs.append(Paragraph(start, start + len(stripped)))
        pos += len(line) + 1
    return paragraphs


# ---------------------------------------------------------------- dispatch

def _mb(n: int) -> str:
    return f"{n / _MB:.1f}" if n >= _MB // 10 else f"{n / _MB:.3g}"


def read_source(filename: str, data: bytes, *,
                max_bytes: int = DEFAULT_MAX_IMPORT_BYTES) -> SourceText:
    """Read one uploaded file into a ``SourceText`` or raise ``ImportRefused``."""
    if not data:
        raise ImportRefused(filename, "the file is empty (0 bytes)")
    if len(data) > max_bytes:
        raise ImportRefused(filename, f"the file is {_mb(len(data))} MB, over the "
                                      f"import limit of {_mb(max_bytes)} MB")
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        shown = f"'{suffix}'" if suffix else "without an extension"
        raise ImportRefused(filename, f"unsupported file type {shown}; supported: "
                                      + ", ".join(SUPPORTED_SUFFIXES))
    if suffix in (".docx", ".odt"):
        reader = _read_docx if suffix == ".docx" else _read_odt
        return reader(filename, data)
    raw, encoding, notices = _decode(data, filename)
    text = normalise_text(raw)
    if not text.strip():
        raise ImportRefused(filename, "the file contains only whitespace")
    if suffix in (".vtt", ".srt"):
        return _read_subtitles(filename, suffix[1:], text, encoding, notices)
    return SourceText(filename, suffix[1:], encoding, text,
                      _line_paragraphs(text), notices)


# ---------------------------------------------------------------- zip safety

def _open_zip(filename: str, data: bytes, kind: str) -> zipfile.ZipFile:
    """Open a docx/odt container after checking it is not hostile."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError):
        raise ImportRefused(filename, f"corrupt {kind} file (not a valid zip "
                                      "archive)") from None
    if len(infos) > _ZIP_MAX_MEMBERS:
        raise ImportRefused(filename, f"refused: the archive has {len(infos)} "
                                      f"members (limit {_ZIP_MAX_MEMBERS})")
    total = 0
    for info in infos:
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", name):
            raise ImportRefused(filename, f"refused: unsafe path in archive ({name!r})")
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _ZIP_RATIO_MIN_SIZE and ratio > _ZIP_MAX_RATIO:
            raise ImportRefused(filename, f"refused: archive member {name!r} expands "
                                          f"{ratio:.0f}x to {_mb(info.file_size)} MB "
                                          "(possible zip bomb)")
    if total > _ZIP_MAX_TOTAL:
        raise ImportRefused(filename, f"refused: the archive expands to {_mb(total)} MB "
                                      f"(limit {_mb(_ZIP_MAX_TOTAL)} MB)")
    return zf


def _zip_xml(zf: zipfile.ZipFile, member: str, filename: str, kind: str,
             required: bool = True) -> Element | None:
    """Parse one archive member with defusedxml (no DTDs, no entities)."""
    try:
        info = zf.getinfo(member)
    except KeyError:
        if required:
            raise ImportRefused(filename, f"corrupt {kind} file ({member} is "
                                          "missing)") from None
        return None
    try:
        with zf.open(info) as fh:
            raw = fh.read(info.file_size + 1)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, RuntimeError) as exc:
        raise ImportRefused(filename, f"corrupt {kind} file (cannot read {member}: "
                                      f"{exc})") from None
    if len(raw) > info.file_size:
        raise ImportRefused(filename, f"refused: {member} is larger than declared")
    try:
        return SafeET.fromstring(raw, forbid_dtd=True)
    except DefusedXmlException:
        raise ImportRefused(filename, f"refused: {member} contains a DTD or entity "
                                      "declarations") from None
    except ParseError as exc:
        raise ImportRefused(filename, f"corrupt {kind} file (XML error in {member}: "
                                      f"{exc})") from None


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


# ---------------------------------------------------------------- tables

_TIME_CELL = re.compile(r"^[\[(]?(?:(\d{1,2}):)?(\d{1,2}):(\d{2})(?:[.,](\d{1,3}))?[\])]?$")
_HEADER_WORDS = {"spreker", "speaker", "sprecher", "sprecherin", "naam", "name", "wie",
                 "who", "persoon", "person", "rol", "role", "rolle"}
_TERMINAL = tuple(".?!…")


def _clock_ms(s: str) -> int | None:
    m = _TIME_CELL.match(s.strip())
    if not m:
        return None
    h, mi, se, frac = m.groups()
    if int(mi) >= 60 and h is not None or int(se) >= 60:
        return None
    ms = int(frac.ljust(3, "0")) if frac else 0
    return ((int(h or 0) * 60 + int(mi)) * 60 + int(se)) * 1000 + ms


def _speaker_table(rows: list[list[str]]) -> tuple[int, bool] | None:
    """(first data row, has time column) when rows look like speaker | [time |] text.

    The first column must hold short, repeated names, the last column the
    longer text; a middle column is only accepted when it holds times.
    """
    widths = {len(r) for r in rows}
    if len(widths) != 1 or (width := widths.pop()) not in (2, 3):
        return None
    first = 1 if rows[0][0].strip().casefold() in _HEADER_WORDS else 0
    body = rows[first:]
    names = [r[0].strip() for r in body if r[0].strip()]
    if len(body) < 2 or len(names) < 2:
        return None
    if not all(len(n) <= _LABEL_MAX_CHARS and len(n.split()) <= _LABEL_MAX_WORDS
               and not n.endswith(_TERMINAL) for n in names):
        return None
    if len(set(names)) == len(names):
        return None
    if sum(len(r[-1]) for r in body) <= sum(len(r[0]) for r in body):
        return None
    if width == 3:
        times = [r[1] for r in body if r[1].strip()]
        if not times or any(_clock_ms(t) is None for t in times):
            return None
    return first, width == 3


def _add_table(builder: _Builder, rows: list[list[str]]) -> None:
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        return
    shape = _speaker_table(rows)
    if shape is None:
        for row in rows:
            builder.add("\t".join(c.strip() for c in row if c.strip()))
        return
    first, has_time = shape
    for row in rows[first:]:
        label = row[0].strip() or None
        start_ms = _clock_ms(row[1]) if has_time else None
        builder.add(row[-1], label, start_ms)


# ---------------------------------------------------------------- docx

_W_SKIP = {"del", "moveFrom", "instrText", "delInstrText", "delText", "fldData",
           "rPr", "pPr", "sectPr", "txbxContent", "footnoteReference",
           "endnoteReference", "commentReference", "annotationRef", "drawing", "pict",
           "object", "AlternateContent"}
_W_OFF = {"0", "false", "off", "none"}


def _w_attr(el: Element, name: str) -> str | None:
    for key, value in el.attrib.items():
        if _local(key) == name:
            return value
    return None


def _bold_styles(styles: Element | None) -> set[str]:
    """Character/paragraph style ids whose run properties switch bold on."""
    bold: set[str] = set()
    if styles is None:
        return bold
    for style in styles:
        if _local(style.tag) != "style":
            continue
        for rpr in (c for c in style if _local(c.tag) == "rPr"):
            for b in rpr:
                if _local(b.tag) == "b" and (_w_attr(b, "val") or "1") not in _W_OFF:
                    sid = _w_attr(style, "styleId")
                    if sid:
                        bold.add(sid)
    return bold


class _DocxReader:
    """Walks the body of word/document.xml in document order."""

    def __init__(self, bold_styles: set[str]) -> None:
        self.bold_styles = bold_styles
        self.builder = _Builder()

    def run_bold(self, run: Element) -> bool:
        """Direct <w:b> wins over a bold character style."""
        styled = False
        for rpr in (c for c in run if _local(c.tag) == "rPr"):
            for prop in rpr:
                name = _local(prop.tag)
                if name == "b":
                    return (_w_attr(prop, "val") or "1") not in _W_OFF
                if name == "rStyle" and _w_attr(prop, "val") in self.bold_styles:
                    styled = True
        return styled

    def segments(self, el: Element, bold: bool, out: list[tuple[str, bool]]) -> None:
        for child in el:
            name = _local(child.tag)
            if name in _W_SKIP:
                continue
            if name == "r":
                self.segments(child, self.run_bold(child), out)
            elif name == "t":
                out.append((child.text or "", bold))
            elif name == "tab":
                out.append(("\t", bold))
            elif name in ("br", "cr"):
                out.append((" ", bold))
            elif name == "noBreakHyphen":
                out.append(("-", bold))
            else:
                self.segments(child, bold, out)

    def paragraph(self, p: Element) -> None:
        segs: list[tuple[str, bool]] = []
        self.segments(p, False, segs)
        label, content = _bold_label(segs)
        if label:
            self.builder.add(content, label)
        else:
            self.builder.add("".join(t for t, _ in segs))

    def cell_text(self, tc: Element) -> str:
        parts: list[str] = []
        for p in tc.iter():
            if _local(p.tag) == "p":
                segs: list[tuple[str, bool]] = []
                self.segments(p, False, segs)
                parts.append("".join(t for t, _ in segs))
        return " ".join(s.strip() for s in parts if s.strip())

    def table(self, tbl: Element) -> None:
        rows = []
        for tr in (c for c in tbl if _local(c.tag) == "tr"):
            rows.append([self.cell_text(tc) for tc in tr if _local(tc.tag) == "tc"])
        _add_table(self.builder, rows)

    def block(self, container: Element) -> None:
        for child in container:
            name = _local(child.tag)
            if name == "p":
                self.paragraph(child)
            elif name == "tbl":
                self.table(child)
            elif name in ("sdt", "sdtContent", "customXml", "ins", "moveTo"):
                self.block(child)


def _bold_label(segs: list[tuple[str, bool]]) -> tuple[str | None, str]:
    """Split off a short bold lead label ending in ':' (the colon may follow it)."""
    i = 0
    while i < len(segs) and not segs[i][0].strip():
        i += 1
    j = i
    while j < len(segs) and segs[j][1]:
        j += 1
    bold_text = "".join(t for t, _ in segs[i:j]).strip()
    rest = "".join(t for t, _ in segs[j:])
    if not bold_text:
        return None, ""
    colon = bold_text.find(":")
    if colon >= 0:
        label, rest = bold_text[:colon], bold_text[colon + 1:] + rest
    elif rest.lstrip().startswith(":"):
        label, rest = bold_text, rest.lstrip()[1:]
    else:
        return None, ""
    label = label.strip()
    if (not label or not rest.strip() or len(label) > _LABEL_MAX_CHARS
            or len(label.split()) > _LABEL_MAX_WORDS or not label[0].isalpha()
            or rest[:1].isdigit() or rest.startswith("//")):
        return None, ""
    return label, rest


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "es" if word.endswith("x") else "s")


def _count_changes(root: Element) -> int:
    """Tracked insertions/deletions that carry runs (not formatting marks)."""
    return sum(1 for el in root.iter()
               if _local(el.tag) in ("ins", "del", "moveFrom", "moveTo") and len(el))


def _read_docx(filename: str, data: bytes) -> SourceText:
    zf = _open_zip(filename, data, ".docx")
    with zf:
        doc = _zip_xml(zf, "word/document.xml", filename, ".docx")
        styles = _zip_xml(zf, "word/styles.xml", filename, ".docx", required=False)
    assert doc is not None
    body = next((c for c in doc if _local(c.tag) == "body"), None)
    if body is None:
        raise ImportRefused(filename, "corrupt .docx file (document has no body)")
    reader = _DocxReader(_bold_styles(styles))
    reader.block(body)
    notices = []
    changes = _count_changes(body)
    if changes:
        notices.append(f"{_plural(changes, 'tracked change')}: inserted text kept, "
                       "deleted text dropped")
    counts: dict[str, int] = {}
    for el in body.iter():
        name = _local(el.tag)
        counts[name] = counts.get(name, 0) + 1
    for tag, what in (("commentReference", "comment"), ("footnoteReference", "footnote"),
                      ("endnoteReference", "endnote")):
        if counts.get(tag):
            notices.append(f"{_plural(counts[tag], what)} ignored")
    if counts.get("txbxContent"):
        notices.append("text boxes ignored")
    return reader.builder.source(filename, "docx", None, notices)


# ---------------------------------------------------------------- odt

_ODT_SKIP = {"note", "annotation", "annotation-end", "tracked-changes", "frame",
             "soft-page-break", "sequence-decls", "variable-decls", "user-field-decls",
             "forms", "bookmark", "bookmark-start", "bookmark-end"}


def _odt_inline(el: Element, out: list[str]) -> None:
    if el.text:
        out.append(re.sub(r"[ \t\r\n]+", " ", el.text))
    for child in el:
        name = _local(child.tag)
        if name not in _ODT_SKIP:
            if name == "s":
                out.append(" " * int(_w_attr(child, "c") or "1"))
            elif name == "tab":
                out.append("\t")
            elif name == "line-break":
                out.append(" ")
            else:
                _odt_inline(child, out)
        if child.tail:
            out.append(re.sub(r"[ \t\r\n]+", " ", child.tail))


def _odt_paragraph(p: Element) -> str:
    out: list[str] = []
    _odt_inline(p, out)
    return "".join(out)


def _odt_rows(table: Element) -> Iterator[Element]:
    """Rows of one table, including header/row groups but not nested tables."""
    for child in table:
        name = _local(child.tag)
        if name == "table-row":
            yield child
        elif name in ("table-header-rows", "table-rows", "table-row-group"):
            yield from _odt_rows(child)


def _odt_cell(cell: Element) -> str:
    parts = (_odt_paragraph(p).strip() for p in cell.iter() if _local(p.tag) in ("p", "h"))
    return " ".join(part for part in parts if part)


def _odt_block(el: Element, builder: _Builder) -> None:
    for child in el:
        name = _local(child.tag)
        if name in ("p", "h"):
            builder.add(_odt_paragraph(child))
        elif name == "table":
            rows = [[_odt_cell(c) for c in row if _local(c.tag) == "table-cell"]
                    for row in _odt_rows(child)]
            _add_table(builder, rows)
        elif name not in _ODT_SKIP:
            _odt_block(child, builder)


def _read_odt(filename: str, data: bytes) -> SourceText:
    zf = _open_zip(filename, data, ".odt")
    with zf:
        content = _zip_xml(zf, "content.xml", filename, ".odt")
    assert content is not None
    body = next((c for c in content if _local(c.tag) == "body"), None)
    text_el = None if body is None else next(
        (c for c in body if _local(c.tag) == "text"), None)
    if text_el is None:
        raise ImportRefused(filename, "corrupt .odt file (no text body; is this a "
                                      "text document?)")
    builder = _Builder()
    _odt_block(text_el, builder)
    counts: dict[str, int] = {}
    for el in text_el.iter():
        name = _local(el.tag)
        counts[name] = counts.get(name, 0) + 1
    notices = []
    if counts.get("changed-region"):
        notices.append(f"{_plural(counts['changed-region'], 'tracked change')}: "
                       "inserted text kept, deleted text dropped")
    if counts.get("annotation"):
        notices.append(f"{_plural(counts['annotation'], 'comment')} ignored")
    if counts.get("note"):
        notices.append(f"{_plural(counts['note'], 'footnote')} ignored")
    return builder.source(filename, "odt", None, notices)


# ---------------------------------------------------------------- subtitles

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


def _read_subtitles(filename: str, fmt: str, text: str, encoding: str,
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
    builder = _Builder()
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
