"""The xlsx writer: streamed sheets are what XlsxWriter itself writes, byte for byte; cells hold what was given.

`XlsxBook.stream_sheet` writes the rows of a large plain sheet itself (XlsxWriter's per-cell work is most of an
export's time). XlsxWriter is the reference here: the same rows written through its own `write_string` and
`write_number` in constant-memory mode must give the same sheet part, for text that needs every kind of escape.
"""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
import xlsxwriter

from exports.xlsx_book import CELL_LIMIT, XlsxBook, column_letter, fit_to_cell, sheet_value

HEADER = ("case", "text", "start", "share", "flag")
ROWS = [
    ["Noord", "Ik leerde daar veel", 0, 0.1, True],
    ["Zuid; Oost", "=cmd|' /C calc'!A0", 12, 1 / 3, False],
    ["", " leading blank", 7, None, None],
    ["x", "trailing newline\n", 8, 2.5e-7, 1],
    ["x", "tab\tand\r carriage return", 9, 10**15, 0],
    ["x", "_x0041_ is not an A, and &<> stay text", 10, -0.0, None],
    ["x", "emoji \U0001f600 and \u00e9\u0301 composed", 11, 123456789.125, None],
    ["x", "https://example.org", 12, 7, None],
    [None, "ab" * 20_000, 13, 1e20, None],
    ["x", "\U0001f600" * 17_000, 14, 3, None],
    ["x", "bell\x07 and nul\x00 dropped", 15, 4, None],
    ["x", "trailing blank ", 16, 5, None],  # the rows below: where the plain text's short way must still escape
    ["\u00a0no-break space first", "ends with a no-break space\u00a0", 17, 6, None],
    ["\x07", "a\u2028line separator", 18, 7, None],
    ["  =1+1", "-3 is a formula start", 19, 8, None],
    ["a & b", "x < y > z", 20, 9, None],
    ["\u00dcber \u00e9t\u00e9 \u201cquoted\u201d", "one_x two", 21, 10, None],
]


def _sheet_part(data: bytes, number: int) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return package.read(f"xl/worksheets/sheet{number}.xml")


def _by_xlsxwriter(rows: list[list]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False, "strings_to_numbers": False})
    bold = book.add_format({"bold": True})
    ws = book.add_worksheet("coded segments")
    ws.freeze_panes(1, 0)
    for column, name in enumerate(HEADER):
        ws.write_string(0, column, name, bold)
    for r, line in enumerate(rows, start=1):
        for column, value in enumerate(line):
            value = sheet_value(value)
            if value is None or value == "":
                continue
            if isinstance(value, str):
                ws.write_string(r, column, fit_to_cell(value))
            else:
                ws.write_number(r, column, value)
    ws.autofilter(0, 0, len(rows), len(HEADER) - 1)
    book.close()
    return buffer.getvalue()


def test_streamed_rows_are_the_xml_xlsxwriter_writes():
    book = XlsxBook()
    assert book.stream_sheet("coded segments", HEADER, iter(ROWS)) == ["coded segments"]
    ours = book.close()
    assert _sheet_part(ours, 1) == _sheet_part(_by_xlsxwriter(ROWS), 1)
    sheet = openpyxl.load_workbook(io.BytesIO(ours))["coded segments"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == f"A1:E{len(ROWS) + 1}"
    assert sheet.max_row == len(ROWS) + 1 and all(c.font.b for c in sheet[1]) and not sheet["A2"].font.b
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert values[0] == ["Noord", "Ik leerde daar veel", 0, 0.1, 1]
    assert values[1][1] == "'=cmd|' /C calc'!A0" and values[1][3] == 1 / 3 and values[1][4] == 0
    assert values[2][:2] == [None, " leading blank"] and values[3][1] == "trailing newline\n"
    assert values[4][3] == 10**15 and values[6][1] == "emoji \U0001f600 and \u00e9\u0301 composed"
    assert values[7][1] == "https://example.org"  # text, not a link
    assert values[8][1].startswith("abab") and values[8][1].endswith("more left out]")
    assert values[10][1] == "bell and nul dropped"
    assert values[11][1] == "trailing blank " and values[13][0] is None and values[13][1] == "a\u2028line separator"
    assert values[14][:2] == ["'  =1+1", "'-3 is a formula start"] and values[15][:2] == ["a & b", "x < y > z"]
    assert values[12] == ["\u00a0no-break space first", "ends with a no-break space\u00a0", 17, 6, None]
    assert values[5][1] == "_x005F_x0041_ is not an A, and &<> stay text"  # Excel undoes its escape; openpyxl not


def test_text_shaped_like_xlsxwriters_rich_runs_stays_text():
    """XlsxWriter writes a string that starts with <r> and ends with </r> into the sheet unescaped (its own rich
    text): a transcript line shaped so would add cells of its own. Both paths keep it text."""
    hostile = '<r><t>x</t></r></is></c><c r="Z9"><f>1+1</f></c><is><r><t>y</t></r>'
    with XlsxBook() as book:
        plain = book.sheet("plain")
        book.append(plain, [hostile, "after"], "bold")
        book.append(plain, ["<r>", hostile])
        book.stream_sheet("streamed", HEADER, [["x", hostile, 1, None, None]])
        workbook = openpyxl.load_workbook(io.BytesIO(book.close()))
    assert [[c.value for c in row] for row in workbook["plain"].iter_rows()] == [[hostile, "after"], ["<r>", hostile]]
    assert workbook["plain"]["A1"].font.b
    assert [c.value for c in workbook["streamed"][2]] == ["x", hostile, 1, None, None]
    assert all(sheet.max_column <= 5 and sheet["Z9"].value is None for sheet in workbook.worksheets)


def test_no_temporary_file_outlives_the_book(tmp_path, monkeypatch):
    """Rows of transcript text wait in temporary files while a book is written: they are gone when it is closed,
    and when writing stops half-way."""
    import tempfile

    from exports.matrix_tables import build_xlsx

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def failing():  # type: ignore[no-untyped-def]
        yield from ROWS
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError), XlsxBook() as book:
        book.append(book.sheet("first"), ["confidential label"])
        book.stream_sheet("coded segments", HEADER, failing())
    assert list(tmp_path.iterdir()) == []
    with XlsxBook() as book:
        book.stream_sheet("coded segments", HEADER, ROWS)
        assert list(tmp_path.iterdir())  # while it is written
        book.close()
        assert list(tmp_path.iterdir()) == []
    assert build_xlsx([])  # the export itself, too
    assert list(tmp_path.iterdir()) == []
    assert sheet_value(float("nan")) == "nan" and sheet_value(float("-inf")) == "-inf"


def test_a_sheet_holds_no_more_rows_than_excel_opens():
    """Past the sheet's last row the rows go on, under the header again, on a continuation sheet."""
    rows = [[f"case {i}", f"text {i}", i, None, None] for i in range(7)]
    book = XlsxBook()
    names = book.stream_sheet("coded segments", HEADER, rows, sheet_rows=3)
    assert names == ["coded segments", "coded segments (2)", "coded segments (3)", "coded segments (4)"]
    workbook = openpyxl.load_workbook(io.BytesIO(book.close()))
    got = [[[c.value for c in row] for row in workbook[name].iter_rows()] for name in names]
    assert [len(sheet) for sheet in got] == [3, 3, 3, 2]
    assert all(sheet[0] == list(HEADER) for sheet in got)
    assert [row[2] for sheet in got for row in sheet[1:]] == list(range(7))
    assert workbook[names[3]].auto_filter.ref == "A1:E2"

    with XlsxBook() as exact:  # exactly full: no empty continuation sheet
        assert exact.stream_sheet("t", HEADER, rows[:2], sheet_rows=3) == ["t"]
    with XlsxBook() as empty:
        assert empty.stream_sheet("t", HEADER, []) == ["t"]
        data = empty.close()
    sheet = openpyxl.load_workbook(io.BytesIO(data))["t"]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [list(HEADER)] and sheet.auto_filter.ref is None


def test_column_letters_and_the_cell_limit():
    assert [column_letter(i) for i in (0, 11, 25, 26, 51, 701, 702)] == ["A", "L", "Z", "AA", "AZ", "ZZ", "AAA"]
    assert fit_to_cell("x" * CELL_LIMIT) == "x" * CELL_LIMIT
    cut = fit_to_cell("\U0001f600" * CELL_LIMIT)
    assert len(cut.encode("utf-16-le")) // 2 <= CELL_LIMIT
    assert cut.endswith(f"{CELL_LIMIT - len(cut.split(' … ')[0]):,} more left out]")
