"""Readers for zipped office documents: DOCX (Word) and ODT (OpenDocument).

Both formats are zip archives of XML, so they share the zip-bomb and path
checks, the defusedxml parsing and the speaker-table detection kept here,
apart from the plain-text and subtitle readers.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from cases.sources import MB, ImportRefused, ParagraphBuilder, SourceText, format_mb

# Zip-bomb limits, checked on the central directory before anything is parsed.
_ZIP_MAX_TOTAL = 200 * MB
_ZIP_MAX_MEMBERS = 10_000
_ZIP_MAX_RATIO = 100
_ZIP_RATIO_MIN_SIZE = 10 * MB
# A speaker label named by the file (bold run, table cell) is short.
_LABEL_MAX_CHARS = 40
_LABEL_MAX_WORDS = 5


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
                                          f"{ratio:.0f}x to {format_mb(info.file_size)} MB "
                                          "(possible zip bomb)")
    if total > _ZIP_MAX_TOTAL:
        raise ImportRefused(filename, f"refused: the archive expands to {format_mb(total)} MB "
                                      f"(limit {format_mb(_ZIP_MAX_TOTAL)} MB)")
    return zf


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


def _add_table(builder: ParagraphBuilder, rows: list[list[str]]) -> None:
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


def _bold_styles(styles: Iterable[Element]) -> set[str]:
    """Character/paragraph style ids whose run properties switch bold on."""
    bold: set[str] = set()
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
        self.builder = ParagraphBuilder()

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
            self.block_element(child)

    def block_element(self, child: Element) -> None:
        """One block of the body: a paragraph, a table, or a wrapper holding more blocks."""
        name = _local(child.tag)
        if name == "p":
            self.paragraph(child)
        elif name == "tbl":
            self.table(child)
        elif name in ("sdt", "sdtContent", "customXml", "ins", "moveTo"):
            self.block(child)


def _xml_blocks(zf: zipfile.ZipFile, filename: str, kind: str, member: str, container: tuple[str, ...],
                missing: str) -> Iterator[Element]:
    """Each child of the `container` element (local names below the root) once it is parsed, then dropped.

    Memory holds one block at a time, not the whole tree (a compressed document.xml of tiny runs cost 695 MB
    as one tree). defusedxml refuses DTDs; `missing` says what is wrong when there is no container.
    """
    try:
        info = zf.getinfo(member)
    except KeyError:
        raise ImportRefused(filename, f"corrupt {kind} file ({member} is missing)") from None
    holder: Element | None = None
    path: list[str] = []
    try:
        with zf.open(info) as fh:
            for event, el in SafeET.iterparse(fh, events=("start", "end"), forbid_dtd=True):
                if event == "start":
                    path.append(_local(el.tag))
                    if holder is None and tuple(path[1:]) == container:
                        holder = el
                    continue
                path.pop()
                if holder is not None and len(path) == len(container) + 1 and tuple(path[1:]) == container:
                    yield el  # a block of the container has ended
                    holder.remove(el)
    except DefusedXmlException:
        raise ImportRefused(filename, f"refused: {member} contains a DTD or entity declarations") from None
    except ParseError as exc:
        raise ImportRefused(filename, f"corrupt {kind} file (XML error in {member}: {exc})") from None
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, RuntimeError) as exc:
        raise ImportRefused(filename, f"corrupt {kind} file (cannot read {member}: {exc})") from None
    if holder is None:
        raise ImportRefused(filename, f"corrupt {kind} file ({missing})")


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


def read_docx(filename: str, data: bytes) -> SourceText:
    zf = _open_zip(filename, data, ".docx")
    counts: dict[str, int] = {}
    changes = 0
    with zf:
        # Read a style at a time too, keeping only the bold ones' ids: Word's styles.xml is megabytes as a tree.
        styles = (_xml_blocks(zf, filename, ".docx", "word/styles.xml", (), "no styles")
                  if "word/styles.xml" in zf.namelist() else ())
        reader = _DocxReader(_bold_styles(styles))
        for block in _xml_blocks(zf, filename, ".docx", "word/document.xml", ("body",), "document has no body"):
            reader.block_element(block)
            changes += _count_changes(block)
            for el in block.iter():
                name = _local(el.tag)
                counts[name] = counts.get(name, 0) + 1
    notices = []
    if changes:
        notices.append(f"{_plural(changes, 'tracked change')}: inserted text kept, "
                       "deleted text dropped")
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


def _odt_block(el: Element, builder: ParagraphBuilder) -> None:
    """One block of the text body: a paragraph or heading, a table, or a wrapper (list, section) holding more."""
    name = _local(el.tag)
    if name in ("p", "h"):
        builder.add(_odt_paragraph(el))
    elif name == "table":
        rows = [[_odt_cell(c) for c in row if _local(c.tag) == "table-cell"]
                for row in _odt_rows(el)]
        _add_table(builder, rows)
    elif name not in _ODT_SKIP:
        for child in el:
            _odt_block(child, builder)


def read_odt(filename: str, data: bytes) -> SourceText:
    builder = ParagraphBuilder()
    counts: dict[str, int] = {}
    with _open_zip(filename, data, ".odt") as zf:
        for block in _xml_blocks(zf, filename, ".odt", "content.xml", ("body", "text"),
                                 "no text body; is this a text document?"):
            _odt_block(block, builder)
            for el in block.iter():
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
