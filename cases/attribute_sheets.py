"""Attribute values from a spreadsheet, written in short transactions so that nobody else's change waits on them.

Everything that can refuse a sheet (its format, an unknown or repeated name, a value of the wrong type) is checked
before anything is written. The values then go in a few thousand rows at a time, each part its own transaction
with its own event (what it set, and what it replaced as read inside that transaction). If a part fails, or the
import is interrupted, the parts already written are taken back (only where the value is still the one the sheet
set: someone's change in the meantime stays), so a sheet is kept whole or not at all.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from cases.attributes import (
    TARGET_COLUMN,
    VALUE_COLUMN,
    get_or_create_definition,
    infer_type,
    jsonable,
    parse_value,
)
from cases.projects import get_project
from store.bulk import new_guids
from store.db import read_session, write_session
from store.errors import Refused
from store.events import record_event
from store.models import AttributeDefinition, AttributeValue, Case, Document, Person, Project

ROWS_PER_TRANSACTION = 2_000  # about 0.1 s of the write lock on SQLite (bench/attribute_sheet_bench.py)


@dataclass
class SheetImportResult:
    rows: int
    values: int
    types: dict[str, str]


@dataclass
class SheetPlan:
    """A checked sheet: its attributes' types and every parsed value, by entity id in row order."""
    filename: str
    target: str
    types: dict[str, str]
    entities: list[tuple[int, str]]  # (id, guid) of each data row's case, person or document
    values: dict[str, dict[int, Any]] = field(default_factory=dict)  # attribute name → {entity id: value}
    new_attributes: list[str] = field(default_factory=list)  # the attributes this sheet defines


@dataclass
class _Written:
    """What one part wrote, to take it back if a later part fails: new rows, and replaced rows' earlier values."""
    inserted: list[tuple[uuid.UUID, str, Any]] = field(default_factory=list)  # (row guid, value column, value set)
    replaced: list[tuple[int, str, Any, Any]] = field(default_factory=list)  # (row id, column, value set, before)


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


def plan_attribute_sheet(session: Session, project: Project, target: str, filename: str, data: bytes) -> SheetPlan:
    """Read and check a sheet without writing: the first column names the case, person or document, the header
    names the attributes, types come from existing attributes or are inferred per column. A row naming an unknown
    entity, or one named twice, refuses the sheet."""
    if target not in TARGET_COLUMN:
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
    plan = SheetPlan(filename=filename, target=target, types={}, entities=entities)
    for col, name in enumerate(header[1:], start=1):
        cells = [r[col] for r in rows[1:] if col < len(r) and r[col] not in (None, "")]
        existing = session.scalar(select(AttributeDefinition.type).where(
            AttributeDefinition.project_id == project.id, AttributeDefinition.target == target,
            AttributeDefinition.name == name))
        plan.types[name] = type_ = existing or _column_type(cells)
        if existing is None:
            plan.new_attributes.append(name)
        parsed = plan.values.setdefault(name, {})
        for number, ((entity_id, _), row) in enumerate(zip(entities, rows[1:]), start=2):
            cell = row[col] if col < len(row) else None
            if cell in (None, ""):
                continue
            try:
                parsed[entity_id] = parse_value(cell, type_)
                if isinstance(parsed[entity_id], str) and "\x00" in parsed[entity_id]:
                    raise Refused("a value cannot hold a NUL character")
            except Refused as exc:
                raise Refused(f"{filename}: row {number}, column '{name}': {exc}") from exc
    return plan


def write_sheet_part(session: Session, project: Project, plan: SheetPlan, entity_ids: set[int], *, actor: str,
                     sheet_guid: uuid.UUID, part: tuple[int, int] = (1, 1)) -> _Written:
    """Write the plan's values for these entities (inserted in bulk, replaced ones updated in bulk) with one event:
    what it set and what it replaced, read here, inside the writing transaction."""
    table = AttributeValue.__table__
    target_col = TARGET_COLUMN[plan.target]
    guid_of = dict(plan.entities)
    written = _Written()
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    logged_values: dict[str, dict[str, Any]] = {}
    logged_replaced: dict[str, dict[str, Any]] = {}
    for name, type_ in plan.types.items():
        definition = get_or_create_definition(session, project, plan.target, name, type_, actor=actor)
        if definition.type != type_:
            raise Refused(f"{plan.filename}: attribute '{name}' became of type {definition.type} while the sheet "
                          "was being imported")
        value_col = VALUE_COLUMN[type_]
        mine = {e: v for e, v in plan.values[name].items() if e in entity_ids}
        current = _current_values(session, definition.id, target_col, value_col, list(mine))
        guids = new_guids(len(mine) - len(current))
        for entity_id, value in mine.items():
            logged_values.setdefault(name, {})[guid_of[entity_id]] = jsonable(value)
            if entity_id in current:
                row_id, before = current[entity_id]
                updates.append({"_id": row_id, "_column": value_col, "_value": value})
                written.replaced.append((row_id, value_col, value, before))
                logged_replaced.setdefault(name, {})[guid_of[entity_id]] = jsonable(before)
            else:
                inserts.append({"guid": uuid.UUID(guids.pop()), "definition_id": definition.id,
                                target_col: entity_id, value_col: value})
    for columns in {tuple(sorted(i)) for i in inserts}:  # one executemany per column set
        session.execute(insert(table), [i for i in inserts if tuple(sorted(i)) == columns])
    for row in inserts:
        value_col = next(c for c in row if c.startswith("value_"))
        written.inserted.append((row["guid"], value_col, row[value_col]))
    for value_col in {u["_column"] for u in updates}:
        session.execute(update(table).where(table.c.id == bindparam("_id")).values({value_col: bindparam("_value")}),
                        [{"_id": u["_id"], "_value": u["_value"]} for u in updates if u["_column"] == value_col])
    after = {"filename": plan.filename, "target": plan.target, "rows": len(entity_ids),
             "values": len(inserts) + len(updates), "types": plan.types, "set": logged_values}
    if part[1] > 1:
        after["part"], after["parts"] = part[0], part[1]
    record_event(session, project_guid=project.guid, actor=actor, action="import", entity="attribute_sheet",
                 entity_guid=sheet_guid, after=after, before={"replaced": logged_replaced} if logged_replaced else None)
    return written


def import_attribute_sheet(session: Session, project: Project, target: str, filename: str, data: bytes, *,
                           actor: str = "system") -> SheetImportResult:
    """A whole sheet in the caller's one transaction, with one event (plus one per attribute it defines)."""
    plan = plan_attribute_sheet(session, project, target, filename, data)
    write_sheet_part(session, project, plan, {e for e, _ in plan.entities}, actor=actor,
                     sheet_guid=uuid.UUID(new_guids(1)[0]))
    return _result(plan)


def import_attribute_sheet_in_steps(
    engine: Engine, project_ref: str, target: str, filename: str, data: bytes, *, actor: str = "system",
    rows_per_step: int = ROWS_PER_TRANSACTION, on_step: Callable[[int, int], None] | None = None,
) -> SheetImportResult:
    """The sheet checked first (nothing written if it is refused), then written `rows_per_step` rows per
    transaction, each part with its own event under one sheet guid; `on_step(done, of)` after each part. A failure
    or interruption takes back what the earlier parts wrote, logged, and is raised."""
    with read_session(engine) as session:
        plan = plan_attribute_sheet(session, get_project(session, project_ref), target, filename, data)
    ids = [e for e, _ in plan.entities]
    parts = [set(ids[i:i + rows_per_step]) for i in range(0, len(ids), rows_per_step)]
    sheet_guid = uuid.UUID(new_guids(1)[0])
    done: list[_Written] = []
    try:
        for number, entity_ids in enumerate(parts, start=1):
            with write_session(engine) as session:
                project = get_project(session, project_ref)
                done.append(write_sheet_part(session, project, plan, entity_ids, actor=actor, sheet_guid=sheet_guid,
                                             part=(number, len(parts))))
            if on_step:
                on_step(min(len(ids), number * rows_per_step), len(ids))
    except BaseException:
        if done:
            with write_session(engine) as session:
                _take_back(session, get_project(session, project_ref), plan, done, sheet_guid, actor)
        raise
    return _result(plan)


def _take_back(session: Session, project: Project, plan: SheetPlan, done: list[_Written], sheet_guid: uuid.UUID,
               actor: str) -> None:
    """Undo the written parts of an unfinished sheet: new values deleted and replaced ones restored, each only
    where it still holds what the sheet set (someone's change in the meantime is theirs)."""
    table = AttributeValue.__table__
    removed = restored = kept = 0
    for written in done:
        for guid, column, value in written.inserted:
            gone = session.execute(delete(table).where(table.c.guid == guid, table.c[column] == value)).rowcount
            removed += gone
            kept += 1 - gone
        for row_id, column, value, before in written.replaced:
            back = session.execute(update(table).where(table.c.id == row_id, table.c[column] == value)
                                   .values({column: before})).rowcount
            restored += back
            kept += 1 - back
    for name in plan.new_attributes:  # an attribute the sheet defined goes too, unless someone gave it a value
        definition = session.scalar(select(AttributeDefinition).where(
            AttributeDefinition.project_id == project.id, AttributeDefinition.target == plan.target,
            AttributeDefinition.name == name))
        if definition is not None and session.scalar(
                select(table.c.id).where(table.c.definition_id == definition.id).limit(1)) is None:
            record_event(session, project_guid=project.guid, actor=actor, action="delete",
                         entity="attribute_definition", entity_guid=definition.guid,
                         before={"name": name, "target": plan.target, "type": definition.type})
            session.delete(definition)
    record_event(session, project_guid=project.guid, actor=actor, action="revert", entity="attribute_sheet",
                 entity_guid=sheet_guid, after={"filename": plan.filename, "removed": removed, "restored": restored,
                                                "changed_since": kept})


def _result(plan: SheetPlan) -> SheetImportResult:
    return SheetImportResult(rows=len(plan.entities), values=sum(len(v) for v in plan.values.values()),
                             types=plan.types)


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
