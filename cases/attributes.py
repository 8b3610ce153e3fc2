"""Typed attributes on cases, documents and persons, and their spreadsheet import.

Values live in typed columns so later filters run in SQL on both databases.
Numbers typed by Dutch researchers ("1.065.000", "6,5") are read as numbers.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from store.bulk import new_guids
from store.errors import Refused
from store.events import record_event
from store.models import (
    ATTRIBUTE_TARGETS,
    ATTRIBUTE_TYPES,
    AttributeDefinition,
    AttributeValue,
    Case,
    Document,
    Person,
    Project,
)

_TRUE = {"true", "yes", "ja", "j", "y", "1", "waar", "wahr"}
_FALSE = {"false", "no", "nee", "n", "0", "onwaar", "nein", "falsch"}
_DUTCH_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$")
_ENGLISH_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")

Entity = Case | Document | Person


def parse_number(text: str) -> int | float:
    """Read a number the way a Dutch, German or English spreadsheet user typed it.

    A dot followed by groups of exactly three digits is a thousands separator
    ("1.065.000"); a comma before the last digits is the decimal mark ("6,5").
    A single comma is always the decimal mark ("0,125", and "1,065" is 1.065);
    "1,065,000", "1,065.5" and "6.5" are read the English way.
    """
    raw = text.strip().replace(" ", "").replace("\u00a0", "")
    if _DUTCH_THOUSANDS.match(raw):
        raw = raw.replace(".", "").replace(",", ".")
    elif _DECIMAL_COMMA.match(raw):  # one comma is a decimal mark: "6,5", "0,125", "1,065"
        raw = raw.replace(",", ".")
    elif _ENGLISH_THOUSANDS.match(raw):  # only with two or more groups ("1,065,000") or a decimal point
        raw = raw.replace(",", "")
    elif not _PLAIN_NUMBER.match(raw):
        raise ValueError(f"'{text}' is not a number")
    return float(raw) if "." in raw else int(raw)


def parse_value(raw: Any, type_: str) -> Any:
    """Convert a typed or textual value to the Python value of the attribute type."""
    if type_ not in ATTRIBUTE_TYPES:
        raise Refused(f"unknown attribute type '{type_}' (use one of: {', '.join(ATTRIBUTE_TYPES)})")
    if raw is None:
        return None
    try:
        if type_ in ("text", "category"):
            return str(raw).strip()
        if type_ == "boolean":
            if isinstance(raw, bool):
                return raw
            word = str(raw).strip().casefold()
            if word in _TRUE:
                return True
            if word in _FALSE:
                return False
            raise ValueError(f"'{raw}' is not yes/no")
        if type_ == "integer":
            value = raw if isinstance(raw, int) and not isinstance(raw, bool) else parse_number(str(raw))
            if isinstance(value, float):
                if not value.is_integer():
                    raise ValueError(f"'{raw}' is not a whole number")
                value = int(value)
            return value
        if type_ == "float":
            return float(raw) if isinstance(raw, (int, float)) and not isinstance(raw, bool) else float(parse_number(str(raw)))
        if type_ == "date":
            if isinstance(raw, datetime):
                return raw.date()
            if isinstance(raw, date):
                return raw
            return _parse_date(str(raw))
    except ValueError as exc:
        raise Refused(f"{exc} (attribute type {type_})") from exc
    raise AssertionError(type_)


def _parse_date(text: str) -> date:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"'{text}' is not a date (use 2025-03-12 or 12-03-2025)")


def infer_type(raw: Any) -> str:
    """The narrowest attribute type a value fits."""
    if isinstance(raw, bool):
        return "boolean"
    if isinstance(raw, int):
        return "integer"
    if isinstance(raw, float):
        return "float"
    if isinstance(raw, (date, datetime)):
        return "date"
    text = str(raw).strip()
    for type_ in ("integer", "float", "date"):
        try:
            parse_value(text, type_)
            return type_
        except Refused:
            continue
    if text.casefold() in ("true", "false", "ja", "nee", "yes", "no"):
        return "boolean"
    return "text"


_COLUMN = {"text": "value_text", "category": "value_text", "boolean": "value_bool", "integer": "value_int",
           "float": "value_float", "date": "value_date"}
_TARGET_COLUMN = {"case": "case_id", "document": "document_id", "person": "person_id"}


def target_of(entity: Entity) -> str:
    return {Case: "case", Document: "document", Person: "person"}[type(entity)]


def get_or_create_definition(
    session: Session, project: Project, target: str, name: str, type_: str, *, actor: str = "system"
) -> AttributeDefinition:
    if target not in ATTRIBUTE_TARGETS:
        raise Refused(f"attributes belong to a case, document or person, not '{target}'")
    name = " ".join(name.split())
    if not name:
        raise Refused("attribute name is empty")
    definition = session.scalar(
        select(AttributeDefinition).where(
            AttributeDefinition.project_id == project.id,
            AttributeDefinition.target == target,
            AttributeDefinition.name == name,
        )
    )
    if definition is not None:
        return definition
    if type_ not in ATTRIBUTE_TYPES:
        raise Refused(f"unknown attribute type '{type_}' (use one of: {', '.join(ATTRIBUTE_TYPES)})")
    definition = AttributeDefinition(project_id=project.id, target=target, name=name, type=type_)
    session.add(definition)
    session.flush()
    record_event(session, project_guid=project.guid, actor=actor, action="create", entity="attribute_definition",
                 entity_guid=definition.guid, after={"name": name, "target": target, "type": type_})
    return definition


def set_attribute(
    session: Session,
    project: Project,
    entity: Entity,
    name: str,
    raw: Any,
    *,
    type_: str | None = None,
    actor: str = "system",
) -> AttributeValue:
    """Set (or replace) one attribute value; the type comes from the definition, the argument or the value."""
    target = target_of(entity)
    definition = get_or_create_definition(session, project, target, name, type_ or infer_type(raw), actor=actor)
    if type_ and type_ != definition.type:
        raise Refused(f"attribute '{definition.name}' is of type {definition.type}, not {type_}")
    value = parse_value(raw, definition.type)
    target_col = _TARGET_COLUMN[target]
    row = session.scalar(
        select(AttributeValue).where(
            AttributeValue.definition_id == definition.id, getattr(AttributeValue, target_col) == entity.id
        )
    )
    before = None
    if row is None:
        row = AttributeValue(definition_id=definition.id, **{target_col: entity.id})
        session.add(row)
    else:
        before = {"value": _jsonable(getattr(row, _COLUMN[definition.type]))}
    setattr(row, _COLUMN[definition.type], value)
    session.flush()
    record_event(session, project_guid=project.guid, actor=actor, action="set", entity="attribute_value",
                 entity_guid=row.guid, before=before,
                 after={"attribute": definition.name, "target": target, "target_guid": str(entity.guid),
                        "value": _jsonable(value)})
    return row


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def attribute_values(session: Session, project: Project, target: str) -> dict[int, dict[str, Any]]:
    """{entity id: {attribute name: value}} for one kind of entity."""
    stmt = (
        select(AttributeDefinition, AttributeValue)
        .join(AttributeValue, AttributeValue.definition_id == AttributeDefinition.id)
        .where(AttributeDefinition.project_id == project.id, AttributeDefinition.target == target)
    )
    out: dict[int, dict[str, Any]] = {}
    for definition, value in session.execute(stmt):
        entity_id = getattr(value, _TARGET_COLUMN[target])
        out.setdefault(entity_id, {})[definition.name] = getattr(value, _COLUMN[definition.type])
    return out


def list_definitions(session: Session, project: Project, target: str | None = None) -> list[AttributeDefinition]:
    stmt = select(AttributeDefinition).where(AttributeDefinition.project_id == project.id)
    if target:
        stmt = stmt.where(AttributeDefinition.target == target)
    return sorted(session.scalars(stmt), key=lambda d: (d.target, d.name.casefold()))


@dataclass
class SheetImportResult:
    rows: int
    values: int
    types: dict[str, str]


def read_sheet(filename: str, data: bytes) -> list[list[Any]]:
    """Rows of a CSV (UTF-8/BOM or cp1252; comma or semicolon) or XLSX sheet."""
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            rows = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
            if any(value is None for row in rows for value in row):
                _refuse_formulas_without_values(filename, data, rows)
        except Refused:
            raise
        except Exception as exc:  # openpyxl raises many kinds on damaged files
            raise Refused(f"{filename}: not a readable .xlsx file ({exc.__class__.__name__})") from exc
        return rows
    if not filename.lower().endswith(".csv"):
        raise Refused(f"{filename}: attribute sheets must be .csv or .xlsx")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252")
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else ",", delimiters=",;\t")
    except csv.Error:  # one column, or nothing to guess from
        dialect = csv.excel
    try:
        return [row for row in csv.reader(io.StringIO(text), dialect)]
    except csv.Error as exc:  # e.g. a cell longer than the csv module's field limit (131,072 characters)
        raise Refused(f"{filename}: not a readable CSV sheet ({' '.join(str(exc).split())})") from None


def _refuse_formulas_without_values(filename: str, data: bytes, rows: list[list[Any]]) -> None:
    """A formula is read as the value the spreadsheet saved with it; one saved without a value (a file written by
    a program rather than a spreadsheet) is refused with its cell named, never read as empty."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=False).worksheets[0]
    for r, row in enumerate(sheet.iter_rows(values_only=True)):
        for c, value in enumerate(row):
            if isinstance(value, str) and value.startswith("=") and rows[r][c] is None:
                raise Refused(f"{filename}: cell {get_column_letter(c + 1)}{r + 1} holds the formula {value[:60]} "
                              "without a saved value; open and save the sheet in a spreadsheet program, or type "
                              "the value")


def import_attribute_sheet(
    session: Session, project: Project, target: str, filename: str, data: bytes, *, actor: str = "system"
) -> SheetImportResult:
    """First column names the case/person/document, the header names the attributes; types are inferred per column.

    One transaction and one event for the whole sheet (with every value it set and every value it replaced), plus
    one per attribute it defines; rows are matched and written in bulk, so a 100,000-row sheet takes seconds
    (bench/attribute_sheet_bench.py). A row naming an unknown entity, or one named twice, refuses the sheet."""
    if target not in _TARGET_COLUMN:
        raise Refused(f"attributes belong to a case, document or person, not '{target}'")
    rows = [r for r in read_sheet(filename, data) if any(c not in (None, "") for c in r)]
    if len(rows) < 2:
        raise Refused(f"{filename}: needs a header row and at least one data row")
    header = [" ".join(str(h).split()) if h is not None else "" for h in rows[0]]
    if any(not h for h in header[1:]):
        raise Refused(f"{filename}: every column needs a name in the header row")
    index = _entity_index(session, project, target)
    entities: list[tuple[int, str]] = []
    unknown, twice, first_row = [], [], {}
    for number, row in enumerate(rows[1:], start=2):
        ref = " ".join(str(row[0]).split()) if row and row[0] is not None else ""
        found = index.get(ref) or index.get(ref.strip("{}").lower())
        if found is None:
            unknown.append(f"row {number}: '{ref}'")
        elif found[0] in first_row:
            twice.append(f"rows {first_row[found[0]]} and {number}: '{ref}'")
        else:
            first_row[found[0]] = number
        entities.append(found)
    if unknown:
        raise Refused(f"{filename}: no {target} named " + ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else ""))
    if twice:
        raise Refused(f"{filename}: one row per {target}; named twice in " + ", ".join(twice[:5])
                      + (" …" if len(twice) > 5 else ""))
    types: dict[str, str] = {}
    for col, name in enumerate(header[1:], start=1):
        cells = [r[col] for r in rows[1:] if col < len(r) and r[col] not in (None, "")]
        existing = session.scalar(select(AttributeDefinition.type).where(
            AttributeDefinition.project_id == project.id, AttributeDefinition.target == target,
            AttributeDefinition.name == name))
        types[name] = existing or _column_type(cells)
    target_col = _TARGET_COLUMN[target]
    table = AttributeValue.__table__
    inserts, updates = [], []
    logged_values: dict[str, dict[str, Any]] = {}
    logged_replaced: dict[str, dict[str, Any]] = {}
    guid_of = dict(entities)
    for col, name in enumerate(header[1:], start=1):
        definition = get_or_create_definition(session, project, target, name, types[name], actor=actor)
        value_col = _COLUMN[definition.type]
        parsed: dict[int, Any] = {}
        for number, ((entity_id, entity_guid), row) in enumerate(zip(entities, rows[1:]), start=2):
            cell = row[col] if col < len(row) else None
            if cell in (None, ""):
                continue
            try:
                parsed[entity_id] = parse_value(cell, definition.type)
                if isinstance(parsed[entity_id], str) and "\x00" in parsed[entity_id]:
                    raise Refused("a value cannot hold a NUL character")
            except Refused as exc:
                raise Refused(f"{filename}: row {number}, column '{name}': {exc}") from exc
            logged_values.setdefault(name, {})[entity_guid] = _jsonable(parsed[entity_id])
        current = _current_values(session, definition.id, target_col, value_col, list(parsed))
        guids = new_guids(len(parsed) - len(current))
        for entity_id, value in parsed.items():
            if entity_id in current:
                row_id, before = current[entity_id]
                updates.append({"_id": row_id, "_column": value_col, "_value": value})
                logged_replaced.setdefault(name, {})[guid_of[entity_id]] = _jsonable(before)
            else:
                inserts.append({"guid": uuid.UUID(guids.pop()), "definition_id": definition.id,
                                target_col: entity_id, value_col: value})
    for columns in {tuple(sorted(i)) for i in inserts}:  # one executemany per column set
        session.execute(insert(table), [i for i in inserts if tuple(sorted(i)) == columns])
    for value_col in {u["_column"] for u in updates}:
        session.execute(update(table).where(table.c.id == bindparam("_id")).values({value_col: bindparam("_value")}),
                        [{"_id": u["_id"], "_value": u["_value"]} for u in updates if u["_column"] == value_col])
    count = len(inserts) + len(updates)
    record_event(session, project_guid=project.guid, actor=actor, action="import", entity="attribute_sheet",
                 entity_guid=uuid.UUID(new_guids(1)[0]),
                 after={"filename": filename, "target": target, "rows": len(entities), "values": count,
                        "types": types, "set": logged_values},
                 before={"replaced": logged_replaced} if logged_replaced else None)
    return SheetImportResult(rows=len(entities), values=count, types=types)


def _entity_index(session: Session, project: Project, target: str) -> dict[str, tuple[int, str]]:
    """{name or title, and guid: (id, guid)} for the project's cases, persons or documents (one query)."""
    model, label = {"case": (Case, Case.name), "person": (Person, Person.name),
                    "document": (Document, Document.title)}[target]
    index: dict[str, tuple[int, str]] = {}
    for row_id, guid, name in session.execute(select(model.id, model.guid, label).where(model.project_id == project.id)):
        index.setdefault(name, (row_id, str(guid)))
        index[str(guid)] = (row_id, str(guid))
    return index


def _current_values(session: Session, definition_id: int, target_col: str, value_col: str,
                    entity_ids: list[int]) -> dict[int, tuple[int, Any]]:
    """{entity id: (value row id, value)} of the values this attribute already has on these entities."""
    table = AttributeValue.__table__
    found: dict[int, tuple[int, Any]] = {}
    for start in range(0, len(entity_ids), 5000):
        part = entity_ids[start:start + 5000]
        for row_id, entity_id, value in session.execute(
                select(table.c.id, table.c[target_col], table.c[value_col])
                .where(table.c.definition_id == definition_id, table.c[target_col].in_(part))):
            found[entity_id] = (row_id, value)
    return found


def _column_type(cells: list[Any]) -> str:
    if not cells:
        return "text"
    kinds = {infer_type(c) for c in cells}
    if len(kinds) == 1:
        return kinds.pop()
    if kinds <= {"integer", "float"}:
        return "float"
    return "text"
