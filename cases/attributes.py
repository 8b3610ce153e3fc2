"""Typed attributes on cases, documents and persons (their spreadsheet import: cases.attribute_sheets).

Values live in typed columns so later filters run in SQL on both databases.
Numbers typed by Dutch researchers ("1.065.000", "6,5") are read as numbers.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

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
            if not -2**63 <= value < 2**63:  # what both databases' BIGINT holds
                raise ValueError(f"'{raw}' is too large a whole number")
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


VALUE_COLUMN = {"text": "value_text", "category": "value_text", "boolean": "value_bool", "integer": "value_int",
                "float": "value_float", "date": "value_date"}
TARGET_COLUMN = {"case": "case_id", "document": "document_id", "person": "person_id"}


def target_of(entity: Entity) -> str:
    return {Case: "case", Document: "document", Person: "person"}[type(entity)]


def get_or_create_definition(
    session: Session, project: Project, target: str, name: str, type_: str, *, actor: str = "system",
    guid: uuid.UUID | None = None,
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
    if guid is not None:
        definition.guid = guid
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
    target_col = TARGET_COLUMN[target]
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
        before = {"value": jsonable(getattr(row, VALUE_COLUMN[definition.type]))}
    setattr(row, VALUE_COLUMN[definition.type], value)
    session.flush()
    record_event(session, project_guid=project.guid, actor=actor, action="set", entity="attribute_value",
                 entity_guid=row.guid, before=before,
                 after={"attribute": definition.name, "target": target, "target_guid": str(entity.guid),
                        "value": jsonable(value)})
    return row


def jsonable(value: Any) -> Any:
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
        entity_id = getattr(value, TARGET_COLUMN[target])
        out.setdefault(entity_id, {})[definition.name] = getattr(value, VALUE_COLUMN[definition.type])
    return out


def list_definitions(session: Session, project: Project, target: str | None = None) -> list[AttributeDefinition]:
    stmt = select(AttributeDefinition).where(AttributeDefinition.project_id == project.id)
    if target:
        stmt = stmt.where(AttributeDefinition.target == target)
    return sorted(session.scalars(stmt), key=lambda d: (d.target, d.name.casefold()))
