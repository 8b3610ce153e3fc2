"""Writing .xlsx files: one small wrapper over XlsxWriter that every Excel export goes through.

XlsxWriter in constant-memory mode writes each row to disk as the next one starts, so no sheet of cells is held.
Its own guessing is switched off: a string is never turned into a formula, a link or a number. Every value passes
through `sheet_value` (the one escaping function, `store.spreadsheet`); a text longer than a cell can hold (32,767
UTF-16 units) is cut with a note saying so, never cut silently. Rows go in order.

A sheet of many plain rows (the tidy coded-segments sheet: a million cells at 100,000 codings) is streamed by
`stream_sheet`: its header, widths, frozen pane and filter come from XlsxWriter, its rows are written here in
exactly the XML XlsxWriter writes for them in constant-memory mode (inline strings, `_xHHHH_` escapes; the tests
compare the two byte for byte), because XlsxWriter's per-cell bookkeeping takes ~3 µs a cell, seven times this
(issue 18's Excel target). One difference: a text shaped like XlsxWriter's own rich-text runs ("<r>...</r>"),
which it would write unescaped, is escaped here like any other (and `append` writes it as plain runs). A sheet
never holds more rows than Excel opens: the rest go on a continuation sheet. Temporary files live in one
directory that goes with the book.
"""

from __future__ import annotations

import io
import math
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain
from typing import IO, TYPE_CHECKING, Any, Self

from store.spreadsheet import spreadsheet_cell, spreadsheet_text, xml_safe

if TYPE_CHECKING:
    from xlsxwriter.worksheet import Worksheet

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MIN_WIDTH, MAX_WIDTH = 8, 60
CELL_LIMIT = 32_767  # UTF-16 code units an Excel cell holds
SHEET_ROWS = 1_048_576  # rows an Excel sheet holds
FORMATS = {"bold": {"bold": True}, "italic": {"italic": True}, "wrap": {"text_wrap": True, "valign": "top"},
           "percent": {"num_format": '0.0"%"'}}  # the cell formats the exports use, by name


def sheet_title(title: str, used: set[str]) -> str:
    """A sheet name Excel accepts (31 characters, none of []:*?/\\), unique in the book without regard to case."""
    base = "".join("_" if ch in '[]:*?/\\' else ch for ch in xml_safe(title)).strip("'") or "sheet"
    base = base[:31]
    name, n = base, 2
    while name.casefold() in used:
        suffix = f" ({n})"
        name, n = base[:31 - len(suffix)] + suffix, n + 1
    used.add(name.casefold())
    return name


def sheet_value(value: Any) -> Any:
    """What an xlsx cell holds (`spreadsheet_cell`, with None left empty and a flag as 0/1)."""
    if value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # "nan", "inf": a cell cannot hold them as numbers
    return int(value) if isinstance(value, bool) else spreadsheet_cell(value)


def _utf16_units(text: str) -> int:
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def fit_to_cell(text: str) -> str:
    """`text` as a cell can hold it: whole when it fits, else cut at the limit with how much was left out."""
    if len(text) <= CELL_LIMIT // 2 or _utf16_units(text) <= CELL_LIMIT:
        return text
    budget, units, keep = CELL_LIMIT - 120, 0, 0  # room for the note
    for keep, ch in enumerate(text):  # the index where the budget runs out is the cut
        units += 2 if ord(ch) > 0xFFFF else 1  # outside the BMP a character is two UTF-16 units
        if units > budget:
            break
    total = len(text)
    return text[:keep] + (f" … [cut: an Excel cell holds {CELL_LIMIT:,} characters, an emoji counting two; "
                           f"{total - keep:,} more left out]")


def column_widths(columns: Sequence[Sequence[Any]]) -> list[int]:
    """A width per column from the longest line of its values, between MIN_WIDTH and MAX_WIDTH."""
    return [max(MIN_WIDTH, min(MAX_WIDTH, max((max((len(line) for line in str(v).split("\n")), default=0)
                                                  for v in values if v is not None), default=0) + 2))
            for values in columns]


# How XlsxWriter writes an inline string in constant-memory mode (xlsxwriter.xmlwriter, 3.3): an existing
# "_xHHHH_" gets its underscore escaped, control characters become _xHHHH_, &<> are entities, and a leading or
# trailing blank asks for xml:space="preserve".
_EXCEL_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")
_LEADING_BLANK, _TRAILING_BLANK = re.compile(r"^\s"), re.compile(r"\s$")


def _inline_string(ref: str, text: str) -> str:
    if text.isprintable() and "&" not in text and "<" not in text and ">" not in text and "_x" not in text:
        # Nothing to escape (a printable text has no control character, U+FFFE or U+FFFF), and its only blank is
        # the space: most cells of an export.
        preserve = ' xml:space="preserve"' if text[:1] == " " or text[-1:] == " " else ""
        return f'<c r="{ref}" t="inlineStr"><is><t{preserve}>{text}</t></is></c>'
    if "_x" in text:
        text = _EXCEL_ESCAPE.sub(r"_x005F\1", text)
    if _CONTROL.search(text):
        text = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
    text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    preserve = ' xml:space="preserve"' if _LEADING_BLANK.search(text) or _TRAILING_BLANK.search(text) else ""
    return f'<c r="{ref}" t="inlineStr"><is><t{preserve}>{text}</t></is></c>'


def column_letter(index: int) -> str:
    """Excel's name of the 0-based column `index`: A, ..., Z, AA, ..."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _write_rows(part: IO[bytes], rows: Iterator[Sequence[Any]], first: int, limit: int) -> int:
    """Rows as sheet XML into `part`, from the 0-based row `first` until `limit` rows or the end; how many."""
    letters: list[str] = []
    chunk: list[str] = []
    written = 0
    for written, line in enumerate(rows, start=1):
        number = first + written  # the row's 1-based number
        chunk.append(f'<row r="{number}">')
        while len(letters) < len(line):
            letters.append(column_letter(len(letters)))
        for column, value in enumerate(line):
            # A text goes straight to the escaping function (what sheet_value does with it, without its type checks).
            value = spreadsheet_text(value) if type(value) is str else sheet_value(value)
            if value is None or value == "":
                continue
            ref = f"{letters[column]}{number}"
            if isinstance(value, str):
                chunk.append(_inline_string(ref, fit_to_cell(value)))
            else:
                chunk.append(f'<c r="{ref}"><v>{value:.16G}</v></c>')
        chunk.append("</row>")
        if len(chunk) > 4000:
            part.write("".join(chunk).encode("utf-8"))
            chunk.clear()
        if written == limit:
            break
    part.write("".join(chunk).encode("utf-8"))
    return written


_DIMENSION = re.compile(rb'<dimension ref="[^"]*"/>')


class _Same:
    """The same format for every cell of a row."""

    def __init__(self, cell_format: Any) -> None:
        self.cell_format = cell_format

    def __getitem__(self, _column: int) -> Any:
        return self.cell_format


class XlsxBook:
    """A workbook being written: sheets, formats by name, rows appended in order; `close` gives the file's bytes.

    Use it in a `with` block: whatever happens, the temporary files holding its rows (transcript text) are removed
    when the block ends (XlsxWriter's, and the streamed sheets'; they live in one temporary directory)."""

    def __init__(self) -> None:
        import xlsxwriter

        self._files = tempfile.TemporaryDirectory(prefix="kruispunt-xlsx-")  # removed on cleanup, or when dropped
        self._buffer = io.BytesIO()
        self._book = xlsxwriter.Workbook(self._buffer, {
            "constant_memory": True, "tmpdir": self._files.name, "strings_to_formulas": False,
            "strings_to_urls": False, "strings_to_numbers": False})
        self.formats = {name: self._book.add_format(spec) for name, spec in FORMATS.items()}
        self._used: set[str] = set()
        self._next_row: dict[str, int] = {}
        self._streamed: dict[str, tuple[IO[bytes], str]] = {}  # sheet part -> (its rows, its dimension)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()

    def discard(self) -> None:
        """Remove every temporary file of the book (after `close`, or instead of it)."""
        for part, _ in self._streamed.values():
            part.close()
        self._streamed.clear()
        self._files.cleanup()

    def sheet(self, title: str, widths: Sequence[Sequence[Any]] = (), *,
              freeze: tuple[int, int] | None = None) -> Worksheet:
        """A new sheet named after `title` (made unique), its columns fitted to the sample `widths`."""
        ws = self._book.add_worksheet(sheet_title(title, self._used))
        for index, width in enumerate(column_widths(widths)):
            ws.set_column(index, index, width)
        if freeze is not None:
            ws.freeze_panes(*freeze)
        self._next_row[ws.name] = 0
        return ws

    def append(self, ws: Worksheet, values: Iterable[Any], formats: Sequence[str | None] | str | None = None) -> int:
        """Write one row after the last: each value escaped (`sheet_value`), numbers as numbers, text as text, None
        left empty; `formats` one name for the row or one per cell. Returns the row's index (0-based)."""
        row = self._next_row[ws.name]
        self._next_row[ws.name] = row + 1
        write_string, write_number = ws.write_string, ws.write_number
        if formats is None or isinstance(formats, str):
            cell_formats: Sequence[Any] = _Same(self.formats[formats] if formats else None)
        else:
            cell_formats = [self.formats[name] if name else None for name in formats]
        for column, value in enumerate(values):
            value = sheet_value(value)
            if value is None or value == "":
                if cell_formats[column] is not None:
                    ws.write_blank(row, column, None, cell_formats[column])
            elif isinstance(value, str):
                value = fit_to_cell(value)
                if value.startswith("<r>") and value.endswith("</r>"):
                    # XlsxWriter writes text of this shape unescaped, as its own rich-text runs: three plain runs of
                    # the same text (it wants three) are escaped instead and read as the same text.
                    fmt = cell_formats[column]
                    ws.write_rich_string(row, column, value[:1], value[1:2], value[2:],
                                         *([fmt] if fmt is not None else []))
                else:
                    write_string(row, column, value, cell_formats[column])
            else:
                write_number(row, column, value, cell_formats[column])
        return row

    def stream_sheet(self, title: str, header: Sequence[str], rows: Iterable[Sequence[Any]],
                     widths: Sequence[Sequence[Any]] = (), *, sheet_rows: int = SHEET_ROWS) -> list[str]:
        """Plain rows under a bold `header`, frozen below it, with a filter; as many sheets as Excel needs to hold
        them (a continuation sheet gets the header again). Returns the sheets' names."""
        if not header:
            raise ValueError("a streamed sheet needs a header row")
        rows = iter(rows)
        names = []
        while True:
            ws = self.sheet(title, widths, freeze=(1, 0))
            names.append(ws.name)
            self.append(ws, header, "bold")
            name = f"xl/worksheets/sheet{len(self._book.worksheets())}.xml"  # XlsxWriter's part for it
            part = tempfile.TemporaryFile(dir=self._files.name)  # noqa: SIM115 (closed by close or discard)
            self._streamed[name] = (part, "")
            count = _write_rows(part, rows, 1, sheet_rows - 1)
            if count:
                ws.autofilter(0, 0, count, len(header) - 1)
            self._streamed[name] = (part, f"A1:{column_letter(len(header) - 1)}{count + 1}")
            if count < sheet_rows - 1:
                return names
            following = next(rows, None)
            if following is None:
                return names
            rows = chain((following,), rows)

    def close(self) -> bytes:
        """The file: XlsxWriter's package, with each streamed sheet's rows put into its part; then `discard`."""
        try:
            self._book.close()
            if not self._streamed:
                return self._buffer.getvalue()
            out = io.BytesIO()
            self._buffer.seek(0)
            with zipfile.ZipFile(self._buffer) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
                for info in source.infolist():
                    data = source.read(info)
                    if info.filename in self._streamed:
                        self._splice(target, info, data, *self._streamed.pop(info.filename))
                    else:
                        target.writestr(info, data)
            if self._streamed:
                raise RuntimeError(f"xlsx parts not found in XlsxWriter's package: {sorted(self._streamed)}")
            return out.getvalue()
        finally:
            self.discard()

    @staticmethod
    def _splice(target: zipfile.ZipFile, info: zipfile.ZipInfo, data: bytes, part: IO[bytes],
                dimension: str) -> None:
        """XlsxWriter's sheet part (its header row) with the streamed rows after it."""
        head, tail = data.replace(b"<sheetData/>", b"<sheetData></sheetData>", 1).split(b"</sheetData>", 1)
        head = _DIMENSION.sub(f'<dimension ref="{dimension}"/>'.encode(), head, count=1)
        tail = b"</sheetData>" + tail
        entry = zipfile.ZipInfo(info.filename, info.date_time)
        entry.compress_type = zipfile.ZIP_DEFLATED
        entry.file_size = len(head) + part.tell() + len(tail)  # known: decides whether ZIP64 is needed
        with part, target.open(entry, "w") as stream:
            stream.write(head)
            part.seek(0)
            shutil.copyfileobj(part, stream, 1 << 20)
            stream.write(tail)
