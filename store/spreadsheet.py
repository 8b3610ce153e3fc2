"""What Kruispunt writes into a cell a spreadsheet or an XML document will read: the one escaping function.

Every CSV and XLSX writer (matrix and coded-segment exports, the codebook CSV, the command line's CSV listings)
passes each text cell through `spreadsheet_text`, so text people typed or transcribed (`=HYPERLINK(...)`,
`@SUM(...)`) is never run as a formula; `from_spreadsheet_text` undoes it where such a file is read back. It lives
at the bottom of the flow because writers in every package need it.
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@")
ESCAPE = "'"  # what spreadsheets themselves put before text that would otherwise be read as a formula

# XML 1.0 allows TAB, LF, CR, U+0020-U+D7FF, U+E000-U+FFFD and U+10000-U+10FFFF.
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str | None) -> str:
    """`text` without the characters an XML 1.0 document cannot hold (controls, lone surrogates, U+FFFE/F)."""
    return _NOT_XML.sub("", text or "")


def _reads_as_formula(value: str) -> bool:
    if value[:1].isalnum():  # most cells: no formula start, no blank before one
        return False
    return value[:1] in ("\t", "\r") or (value.lstrip(" \t\r\n")[:1] or " ") in FORMULA_STARTS


def spreadsheet_text(value: str) -> str:
    """`value` with a leading apostrophe when a spreadsheet would read it as a formula; XML-safe."""
    if not value.isprintable():  # a printable text holds nothing XML forbids (an export's million cells: most)
        value = xml_safe(value)
    return ESCAPE + value if _reads_as_formula(value) else value


def spreadsheet_cell(value: Any) -> Any:
    """A CSV/XLSX cell: numbers stay numbers, None is empty, everything else is escaped text."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    return spreadsheet_text(str(value))


def from_spreadsheet_text(value: str) -> str:
    """The text `spreadsheet_text` was given: its apostrophe taken off again (reading our own CSV back)."""
    if value.startswith(ESCAPE) and _reads_as_formula(value[1:]):
        return value[1:]
    return value
