"""Undo and redo on the Framework page: the person's own last change to the cell they are looking at.

Every cell change (save, pin, unpin) logs the cell as it was before and after, so taking one back is putting the
"before" back and doing it again is putting the "after" back. That is only safe while the cell is still exactly
as the change left it (or, for redo, as the undo left it) and nobody else touched it since; otherwise the offer
says why and nothing runs. A pinned quote comes back only while its segment is still one of the cell's own.
"""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from analysis.framework_matrix import NO_CELL, cell_segment_candidates, cell_snapshot
from cases.projects import get_case
from codebooks.service import code_label, find_code
from coding.undo import segment_place
from store.history import Undoable
from store.models import Case, CellQuote, Code, Event, FrameworkCell, Project, Segment, utcnow

CELL_ACTIONS = frozenset({"update", "pin", "unpin"})
FIELDS = ("state", "rating", "summary", "validation", "quotes")


def cell_undoable(session: Session, project: Project, case_ref: str, code_ref: str,
                  language: str = "en") -> Undoable:
    """Undo and redo for the changes to one case x code cell (the cell need not be stored now)."""
    case = get_case(session, project, case_ref)
    code = find_code(session, project, code_ref)
    current = session.scalar(select(FrameworkCell.guid).where(FrameworkCell.case_id == case.id,
                                                              FrameworkCell.code_id == code.id))

    def in_scope(session: Session, changes: list[Event]) -> set[int]:
        return {e.id for e in changes if e.entity_guid == current
                or ((e.after or {}).get("case_guid"), (e.after or {}).get("code_guid")) == (str(case.guid),
                                                                                             str(code.guid))}

    def describe(session: Session, project: Project, change: Event) -> str:
        return f"{_what(session, project, change)} on {case.name} × {code_label(code, language)}"

    return Undoable("framework_cell", CELL_ACTIONS, in_scope, describe, _undo_blocker, _redo_blocker,
                    _reverse, _replay)


def _what(session: Session, project: Project, change: Event) -> str:
    after, before = _after(session, change), change.before or NO_CELL
    segment = (change.after or {}).get("segment")
    if change.action in ("pin", "unpin") and segment:
        place = segment_place(session, project, uuid.UUID(segment))
        return f"{'pinning' if change.action == 'pin' else 'unpinning'} {place}"
    parts = []
    for field in ("state", "rating", "validation"):
        was, now = before.get(field), after.get(field)
        if field == "validation":  # a new cell starts "proposed": not worth saying
            was, now = was or "proposed", now or "proposed"
        if was != now:
            parts.append(f"{field} {_shown(was)} → {_shown(now)}")
    if before.get("summary") != after.get("summary"):
        parts.append("the summary")
    return "saving " + (", ".join(parts) if parts else "the cell")


def _shown(value: object) -> str:
    return "–" if value in (None, "") else str(value).replace("_", " ")


def _after(session: Session, change: Event) -> dict:
    """The cell after the change; an unpin logged before snapshots were kept is worked out from its before."""
    after = change.after or {}
    if "quotes" in after:
        return {f: after.get(f) for f in FIELDS}
    before = change.before or NO_CELL
    gone = session.scalar(select(Segment.id).where(Segment.guid == uuid.UUID(after["segment"])))
    return {**{f: before.get(f) for f in FIELDS}, "quotes": [q for q in before.get("quotes", []) if q != str(gone)]}


def _cell(session: Session, change: Event) -> FrameworkCell | None:
    return session.scalar(select(FrameworkCell).where(FrameworkCell.guid == change.entity_guid))


def _now(session: Session, change: Event) -> dict:
    return {f: cell_snapshot(_cell(session, change)).get(f) for f in FIELDS}


def _blocker(session: Session, project: Project, change: Event, expected: dict, target: dict) -> str | None:
    """Why the cell cannot go from `expected` (what it must be now) to `target`; None when it can."""
    now = _now(session, change)
    if now != {f: expected.get(f) for f in FIELDS}:
        if now["state"] is None:
            return "the cell is no longer there (its case or code may be in the bin)"
        return "the cell has changed since"
    missing = [q for q in target.get("quotes") or [] if q not in now["quotes"]]
    if missing:
        cell_ids = _case_and_code(session, change)
        if cell_ids is None:
            return "the cell's case or code is gone"
        case, code = cell_ids
        allowed = cell_segment_candidates(session, project, case.id, code)
        if any(int(q) not in allowed for q in missing):
            return "a quote it would pin back is no longer coded in this cell"
    return None


def _undo_blocker(session: Session, project: Project, change: Event) -> str | None:
    return _blocker(session, project, change, _after(session, change), change.before or NO_CELL)


def _redo_blocker(session: Session, project: Project, change: Event, undo_event: Event) -> str | None:
    return _blocker(session, project, change, change.before or NO_CELL, _after(session, change))


def _case_and_code(session: Session, change: Event) -> tuple[Case, Code] | None:
    after = change.after or {}
    cell = _cell(session, change)
    if cell is not None:
        return session.get(Case, cell.case_id), session.get(Code, cell.code_id)
    if not after.get("case_guid") or not after.get("code_guid"):
        return None
    case = session.scalar(select(Case).where(Case.guid == uuid.UUID(after["case_guid"])))
    code = session.scalar(select(Code).where(Code.guid == uuid.UUID(after["code_guid"])))
    return (case, code) if case is not None and code is not None else None


def _put(session: Session, project: Project, change: Event, target: dict, actor: str) -> None:
    """Make the cell exactly `target`: no row for a cell that was not stored, else its fields and pins."""
    cell = _cell(session, change)
    if target.get("state") is None:
        if cell is not None:
            session.delete(cell)
        return
    if cell is None:
        case, code = _case_and_code(session, change)  # the blocker made sure both exist
        cell = FrameworkCell(project_id=project.id, case_id=case.id, code_id=code.id)
        cell.guid = change.entity_guid
        session.add(cell)
    cell.state, cell.rating, cell.summary = target["state"], target["rating"], target["summary"]
    cell.validation = target["validation"]
    cell.updated_by, cell.updated_at = actor, utcnow()
    session.flush()
    session.execute(delete(CellQuote).where(CellQuote.cell_id == cell.id))
    for position, segment_id in enumerate(target.get("quotes") or []):
        session.add(CellQuote(cell_id=cell.id, segment_id=int(segment_id), position=position))
    session.flush()
    session.expire(cell, ["quotes"])


def _reverse(session: Session, project: Project, change: Event) -> None:
    _put(session, project, change, change.before or NO_CELL, change.actor)


def _replay(session: Session, project: Project, change: Event, undo_event: Event) -> None:
    _put(session, project, change, _after(session, change), change.actor)
