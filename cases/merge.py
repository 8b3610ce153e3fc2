"""Merging one case into another: its documents, attributes, framework cells, feedback, memos, persons and
value-creation stories move.

Where both cases hold something different for the same slot (an attribute with two values, a framework cell
with two ratings or summaries), that is a conflict: `merge_plan` lists each with both sides, and `merge_cases`
refuses until every conflict is resolved by keeping one side ("from" or "into"); nothing is ever overwritten
silently. Identical slots need no decision. The whole merge is one transaction; every move, every kept or
dropped side and the merged-away case each get an event of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.documents import link_document_to_case, unlink_document_from_case
from store.errors import Refused
from store.events import record_event
from store.models import (
    AttributeDefinition, AttributeValue, Case, CaseDocument, CellQuote, Code, Document, Feedback, FrameworkCell, Memo,
    Person, Project, Story,
)

SIDES = ("from", "into")


@dataclass
class Conflict:
    key: str  # "attribute:country" or "cell:vc.immediate": what --keep KEY=from|into names
    what: str
    source: str  # the merged-away case's side, in words
    target: str


@dataclass
class MergePlan:
    source: str
    target: str
    moves: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)


def _value(row: AttributeValue) -> object:
    return next((v for v in (row.value_text, row.value_bool, row.value_int, row.value_float, row.value_date)
                 if v is not None), None)


def _cell_words(session: Session, cell: FrameworkCell) -> str:
    pins = len(session.scalars(select(CellQuote.id).where(CellQuote.cell_id == cell.id)).all())
    rating = f"rating {cell.rating}" if cell.rating is not None else "no rating"
    return f"{cell.state}, {rating}, {cell.validation}, {pins} pinned; “{cell.summary or '(no summary)'}”"


def _cell_signature(session: Session, cell: FrameworkCell) -> tuple:
    pins = tuple(session.scalars(select(CellQuote.segment_id).where(CellQuote.cell_id == cell.id)
                                 .order_by(CellQuote.position)))
    return cell.state, cell.rating, cell.summary, cell.validation, pins


def _slots(session: Session, source: Case, target: Case):  # type: ignore[no-untyped-def]
    """(attribute pairs by name, cell pairs by code key): each (source row, target row or None)."""
    names = dict(session.execute(select(AttributeDefinition.id, AttributeDefinition.name)).all())
    mine = {names[v.definition_id]: v for v in session.scalars(select(AttributeValue).where(
        AttributeValue.case_id == source.id))}
    theirs = {names[v.definition_id]: v for v in session.scalars(select(AttributeValue).where(
        AttributeValue.case_id == target.id))}
    keys = dict(session.execute(select(Code.id, Code.key)).all())
    my_cells = {keys[c.code_id]: c for c in session.scalars(select(FrameworkCell).where(
        FrameworkCell.case_id == source.id))}
    their_cells = {keys[c.code_id]: c for c in session.scalars(select(FrameworkCell).where(
        FrameworkCell.case_id == target.id))}
    return ({n: (v, theirs.get(n)) for n, v in sorted(mine.items())},
            {k: (c, their_cells.get(k)) for k, c in sorted(my_cells.items())})


def merge_plan(session: Session, project: Project, source: Case, target: Case) -> MergePlan:
    """What merging `source` into `target` moves, and the conflicts a person must resolve first; changes nothing."""
    if source.id == target.id:
        raise Refused("a case cannot be merged into itself")
    plan = MergePlan(source.name, target.name)
    documents = session.scalars(select(Document.title).join(CaseDocument).where(CaseDocument.case_id == source.id)
                                .order_by(Document.title)).all()
    if documents:
        plan.moves.append(f"{len(documents)} document(s): {', '.join(documents)}")
    attributes, cells = _slots(session, source, target)
    for name, (mine, theirs) in attributes.items():
        if theirs is not None and _value(theirs) != _value(mine):
            plan.conflicts.append(Conflict(f"attribute:{name}", f"attribute {name}", str(_value(mine)),
                                           str(_value(theirs))))
    for key, (mine, theirs) in cells.items():
        if theirs is not None and _cell_signature(session, theirs) != _cell_signature(session, mine):
            plan.conflicts.append(Conflict(f"cell:{key}", f"framework cell {key}", _cell_words(session, mine),
                                           _cell_words(session, theirs)))
    for label, model in (("attribute value(s)", AttributeValue), ("framework cell(s)", FrameworkCell),
                         ("focus-group remark(s)", Feedback), ("memo(s)", Memo), ("person(s)", Person),
                         ("value-creation story(ies)", Story)):
        n = len(session.scalars(select(model.id).where(model.case_id == source.id)).all())
        if n:
            plan.moves.append(f"{n} {label}")
    return plan


def merge_cases(session: Session, project: Project, source: Case, target: Case, *,
                keep: dict[str, str] | None = None, actor: str) -> MergePlan:
    """Merge `source` into `target`; `keep` resolves each conflict ({"cell:vc.immediate": "from", ...})."""
    plan = merge_plan(session, project, source, target)
    keep = keep or {}
    wrong = {k: v for k, v in keep.items() if v not in SIDES}
    if wrong:
        raise Refused(f"keep 'from' or 'into', not {', '.join(f'{k}={v}' for k, v in wrong.items())}")
    open_ = [c for c in plan.conflicts if c.key not in keep]
    if open_:
        raise Refused(f"{len(open_)} conflict(s) to resolve first: " + "; ".join(
            f"{c.key} (from '{source.name}': {c.source} | into '{target.name}': {c.target})" for c in open_))
    cause = {"merge": f"'{source.name}' into '{target.name}'"}

    def log(action: str, entity: str, guid, before: dict | None = None, after: dict | None = None) -> None:  # noqa: ANN001
        record_event(session, project_guid=project.guid, actor=actor, action=action, entity=entity, entity_guid=guid,
                     before=before, after={**(after or {}), **cause})

    for document in session.scalars(select(Document).join(CaseDocument).where(CaseDocument.case_id == source.id)):
        link_document_to_case(session, project, document, target, actor=actor)
        unlink_document_from_case(session, project, document, source, actor=actor)
    attributes, cells = _slots(session, source, target)
    for name, (mine, theirs) in attributes.items():
        if theirs is not None and (_value(theirs) == _value(mine) or keep.get(f"attribute:{name}") == "into"):
            log("delete", "attribute_value", mine.guid, before={"attribute": name, "value": _value(mine)})
            session.delete(mine)
            continue
        if theirs is not None:  # keep the merged-away case's value
            log("delete", "attribute_value", theirs.guid, before={"attribute": name, "value": _value(theirs)})
            session.delete(theirs)
            session.flush()
        mine.case_id = target.id
        log("move", "attribute_value", mine.guid, after={"attribute": name, "case": str(target.guid)})
    for key, (mine, theirs) in cells.items():
        same = theirs is not None and _cell_signature(session, theirs) == _cell_signature(session, mine)
        if theirs is not None and (same or keep.get(f"cell:{key}") == "into"):
            log("delete", "framework_cell", mine.guid, before={"code": key, "summary": mine.summary,
                                                               "rating": mine.rating})
            session.delete(mine)
            continue
        if theirs is not None:
            log("delete", "framework_cell", theirs.guid, before={"code": key, "summary": theirs.summary,
                                                                 "rating": theirs.rating})
            session.delete(theirs)
            session.flush()
        mine.case_id = target.id
        log("move", "framework_cell", mine.guid, after={"code": key, "case": str(target.guid)})
    for model, entity in ((Feedback, "feedback"), (Memo, "memo"), (Person, "person"), (Story, "story")):
        for row in session.scalars(select(model).where(model.case_id == source.id)):
            row.case_id = target.id
            log("move", entity, row.guid, after={"case": str(target.guid)})
    session.flush()
    log("merge", "case", source.guid, before={"name": source.name}, after={"into": str(target.guid)})
    session.delete(source)
    session.flush()
    return plan
