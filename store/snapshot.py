"""A subtree of rows taken out whole and put back exactly: what the bin keeps of a deleted thing.

From one row, every row the database would delete with it is collected by following the schema's foreign keys
(ON DELETE CASCADE), and every reference it would set to NULL (ON DELETE SET NULL) is noted. Removing deletes
exactly those rows (the root row is locked first, so nothing can be added under it meanwhile). Restoring inserts
them again in dependency order, with their own guids and, where still free, their own ids (else new ids, with
the foreign keys inside the subtree mapped), and sets the noted references back where the referring row still
exists. A row whose outside parent has gone since (a code deleted while its codings were in the bin) is left
out with everything under it, and the restore says so.
"""

from __future__ import annotations

import base64
import json
import uuid
import zlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.orm import Session

from store.bulk import in_chunks
from store.models import Base

CHUNK = 5000  # ids per IN (...), well under SQLite's limit on bound parameters


@dataclass
class Snapshot:
    root_table: str
    root_id: int
    rows: dict[str, list[dict[str, Any]]]  # table name -> rows (column name -> value)
    nulled: list[tuple[str, int, str, int]] = field(default_factory=list)  # (table, row id, column, old value)

    def count(self, table: str) -> int:
        return len(self.rows.get(table, []))


@dataclass
class Restored:
    ids: dict[str, dict[int, int]]  # table -> old id -> id now
    left_out: dict[str, int]  # table -> rows left out because what they hung on is gone


def _children() -> dict[str, list[tuple[Table, Any, str]]]:
    found: dict[str, list[tuple[Table, Any, str]]] = defaultdict(list)
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            found[fk.column.table.name].append((table, fk.parent, (fk.ondelete or "").upper()))
    return found


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    return in_chunks(ids, CHUNK)


def collect(session: Session, table_name: str, row_id: int, *, lock: bool = True) -> Snapshot:
    """Every row that goes when row `row_id` of `table_name` is deleted, and every reference that is nulled.

    With `lock` (before a deletion) the root row is locked, so nobody can add a row under it until the deleting
    transaction ends; a preview reads without locking."""
    tables = Base.metadata.tables
    root = tables[table_name]
    stmt = select(root).where(root.c.id == row_id)
    found = session.execute(stmt.with_for_update() if lock else stmt).mappings().first()
    if found is None:
        raise LookupError(f"no {table_name} {row_id}")
    rows: dict[str, dict[tuple, dict]] = {table_name: {(row_id,): dict(found)}}
    nulled: list[tuple[str, int, str, int]] = []
    children = _children()
    stack: list[tuple[str, list[int]]] = [(table_name, [row_id])]
    while stack:
        parent, ids = stack.pop()
        for child, column, ondelete in children[parent]:
            if ondelete == "CASCADE":
                kept = rows.setdefault(child.name, {})
                names = [c.name for c in child.columns]
                key_at = [names.index(c.name) for c in child.primary_key.columns]
                has_id = "id" in child.c
                new_ids = []
                for part in _chunks(ids):
                    for values in session.execute(select(child).where(column.in_(part))):
                        key = tuple(values[i] for i in key_at)
                        if key not in kept:
                            kept[key] = dict(zip(names, values))
                            if has_id:
                                new_ids.append(key[0])
                if new_ids:
                    stack.append((child.name, new_ids))
            elif ondelete == "SET NULL":
                for part in _chunks(ids):
                    for rid, value in session.execute(select(child.c.id, column).where(column.in_(part))):
                        nulled.append((child.name, rid, column.name, value))
    inside = {(t, key[0]) for t, by_key in rows.items() for key in by_key if len(key) == 1}
    nulled = [n for n in nulled if (n[0], n[1]) not in inside]  # restored with the row itself
    return Snapshot(table_name, row_id, {t: list(r.values()) for t, r in rows.items() if r}, nulled)


def remove(session: Session, snapshot: Snapshot) -> None:
    """Delete the snapshot's rows (the database cascades from the root; the nulled references are nulled)."""
    root = Base.metadata.tables[snapshot.root_table]
    session.execute(delete(root).where(root.c.id == snapshot.root_id))
    session.expire_all()


def restore(session: Session, snapshot: Snapshot) -> Restored:
    """Insert the rows again (parents first) and set the nulled references back."""
    ids: dict[str, dict[int, int]] = {}
    inside = {t: {r["id"] for r in rows if "id" in r} for t, rows in snapshot.rows.items()}
    outside: dict[tuple[str, int], bool] = {}
    left_out: dict[str, int] = defaultdict(int)
    for table in Base.metadata.sorted_tables:
        rows = snapshot.rows.get(table.name)
        if not rows:
            continue
        ready = []
        for row in rows:
            mapped = _mapped(session, table, row, ids, inside, outside)
            if mapped is None:
                left_out[table.name] += 1
            else:
                ready.append(mapped)
        ids[table.name] = _insert(session, table, ready)
    for table_name, row_id, column, value in snapshot.nulled:
        table = Base.metadata.tables[table_name]
        target = next(fk.column.table.name for fk in table.c[column].foreign_keys)
        now = ids.get(target, {}).get(value)
        if now is not None:
            session.execute(update(table).where(table.c.id == row_id, table.c[column].is_(None)).values({column: now}))
    session.expire_all()
    return Restored(ids, dict(left_out))


def _mapped(session: Session, table: Table, row: dict, ids: dict[str, dict[int, int]], inside: dict[str, set[int]],
            outside: dict[tuple[str, int], bool]) -> dict | None:
    """The row with its references mapped to the ids now; None when something it needs is gone."""
    out = dict(row)
    for fk in table.foreign_keys:
        column, target = fk.parent.name, fk.column.table.name
        value = out[column]
        if value is None:
            continue
        if value in ids.get(target, {}):
            out[column] = ids[target][value]
        elif value in inside.get(target, ()):
            return None  # its parent in the snapshot was left out
        else:
            key = (target, value)
            if key not in outside:
                parent = Base.metadata.tables[target]
                outside[key] = session.scalar(select(parent.c.id).where(parent.c.id == value)) is not None
            if not outside[key]:
                if not fk.parent.nullable:
                    return None
                out[column] = None
    return out


def _insert(session: Session, table: Table, rows: list[dict]) -> dict[int, int]:
    """Insert with the rows' own ids where none of them is taken, else with new ids; old id -> id now."""
    if not rows:
        return {}
    if "id" not in table.c:
        session.execute(insert(table), rows)
        return {}
    old = [r["id"] for r in rows]
    taken = set()
    for part in _chunks(old):
        taken.update(session.scalars(select(table.c.id).where(table.c.id.in_(part))))
    if not taken:
        session.execute(insert(table), rows)
        return {i: i for i in old}
    mapping = {}
    for row in rows:
        fresh = {k: v for k, v in row.items() if k != "id"}
        mapping[row["id"]] = session.execute(insert(table).values(fresh).returning(table.c.id)).scalar_one()
    return mapping


# --- stored form -----------------------------------------------------------------------------------------------

_PLAIN = frozenset((int, str, float, bool, type(None)))  # stored as JSON has them, untagged


def to_json(snapshot: Snapshot) -> dict[str, Any]:
    """The snapshot as plain JSON values (what an undo event keeps of a row it removed)."""
    rows = {t: [{k: v if type(v) in _PLAIN else _tag(v) for k, v in row.items()} for row in rows]
            for t, rows in snapshot.rows.items()}
    return {"root_table": snapshot.root_table, "root_id": snapshot.root_id, "nulled": snapshot.nulled, "rows": rows}


def from_json(data: dict[str, Any]) -> Snapshot:
    rows = {t: [{k: _untag(v) if type(v) is dict else v for k, v in row.items()} for row in rows]
            for t, rows in data["rows"].items()}
    return Snapshot(data["root_table"], data["root_id"], rows, [tuple(n) for n in data["nulled"]])


def encode(snapshot: Snapshot) -> bytes:
    return zlib.compress(json.dumps(to_json(snapshot), ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 6)


def decode(content: bytes) -> Snapshot:
    return from_json(json.loads(zlib.decompress(content).decode("utf-8")))


def _tag(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$": "datetime", "v": value.isoformat()}
    if isinstance(value, date):
        return {"$": "date", "v": value.isoformat()}
    if isinstance(value, uuid.UUID):
        return {"$": "uuid", "v": value.hex}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$": "bytes", "v": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, (dict, list)):
        return {"$": "json", "v": value}
    return value


def _untag(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    kind, raw = value["$"], value["v"]
    if kind == "datetime":
        return datetime.fromisoformat(raw)
    if kind == "date":
        return date.fromisoformat(raw)
    if kind == "uuid":
        return uuid.UUID(raw)
    if kind == "bytes":
        return base64.b64decode(raw)
    return raw


def take_out(session: Session, table_name: str, row_id: int) -> dict[str, Any]:
    """Delete a row with everything under it; returns it as JSON, for an undo event to keep."""
    snapshot = collect(session, table_name, row_id)
    remove(session, snapshot)
    return to_json(snapshot)


def put_back(session: Session, data: dict[str, Any]) -> Restored:
    """Insert again what `take_out` returned, with its own guids."""
    return restore(session, from_json(data))


def parents_present(session: Session, data: dict[str, Any]) -> bool:
    """Whether every row the root row of `take_out`'s result hangs on (not null, or deleted with it) is still there."""
    table = Base.metadata.tables[data["root_table"]]
    row = next(r for r in data["rows"][data["root_table"]] if r.get("id") == data["root_id"])
    for fk in table.foreign_keys:
        value = row.get(fk.parent.name)
        if value is not None and (not fk.parent.nullable or fk.ondelete == "CASCADE"):
            parent = fk.column.table
            if session.scalar(select(parent.c.id).where(parent.c.id == value)) is None:
                return False
    return True
