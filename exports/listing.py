"""Listings as an aligned text table, JSON or CSV: one formatter for every CLI listing.

CSV cells go through store.spreadsheet like every other CSV and XLSX Kruispunt writes; the table and JSON are
read by people and programs, not by spreadsheets, and keep the text as it is."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

from store.spreadsheet import spreadsheet_cell, spreadsheet_text

FORMATS = ("table", "json", "csv")


def render_records(records: Sequence[dict[str, Any]], fmt: str, columns: Sequence[str] | None = None) -> str:
    """Render records; `columns` chooses and orders the table/CSV columns (JSON keeps every field)."""
    if fmt == "json":
        return json.dumps(list(records), ensure_ascii=False, indent=2, default=str)
    columns = list(columns or (records[0].keys() if records else []))
    rows = [[_cell(r.get(c)) for c in columns] for r in records]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([spreadsheet_text(c) for c in columns])
        writer.writerows([[_csv(r.get(c)) for c in columns] for r in records])
        return buffer.getvalue().rstrip("\n")
    if fmt != "table":
        raise ValueError(f"unknown format '{fmt}' (use one of: {', '.join(FORMATS)})")
    if not columns:
        return "(none)"
    widths = [min(60, max(len(c), *(len(r[i]) for r in rows))) if rows else len(c) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(_clip(v, w).ljust(w) for v, w in zip(row, widths)).rstrip())
    if not rows:
        lines.append("(none)")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return " ".join(str(value).split()) if isinstance(value, str) else str(value)


def _csv(value: Any) -> Any:
    """A number stays a number (a negative one is no formula); all else is the table's text, escaped."""
    return spreadsheet_cell(value if isinstance(value, (int, float)) else _cell(value))


def _clip(value: str, width: int) -> str:
    return value if len(value) <= width else value[: width - 1] + "…"
