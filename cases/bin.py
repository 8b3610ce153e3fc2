"""Deleting a document, case, person, attribute, focus-group session or story into the project's bin, and
restoring it.

Before anything goes, `preview_deletion` says exactly what goes with it (segments and codings by whom, memos,
framework cells, pinned quotes, feedback, attribute values) and what merely loses a link. Deleting is one
transaction: the rows are kept whole in a bin item (`store.snapshot`) and removed, one "delete" event names the
bin item, and every effect on something that stays (a quote unpinned from another cell, a document taken out of
a case, a person no longer in a case) is an event of its own. Restoring puts the same rows back with the same
guids, so matrices, reports and exports equal those before the deletion; emptying the bin, or deleting a whole
project, needs the project's name typed.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cases.projects import find_by_name_or_guid, get_case, get_document, get_person
from store import snapshot as snap
from store.errors import Refused
from store.events import record_event
from store.models import (
    AttributeDefinition, Base, BinItem, Case, Coder, Document, FocusGroupSession, FrameworkCell, Person, Project, Story,
)

TABLES = {"document": "document", "case": "case", "person": "person", "attribute": "attribute_definition",
          "session": "focus_group_session", "story": "story"}
WHAT = {"document": "document", "case": "case", "person": "person", "attribute": "attribute",
        "session": "focus-group session", "story": "story"}


@dataclass
class DeletionPreview:
    kind: str
    name: str
    guid: uuid.UUID
    goes: list[str]  # what is deleted with it, in words
    unlinks: list[str]  # what stays but loses its link to it
    counts: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "guid": str(self.guid), "goes": self.goes,
                "unlinks": self.unlinks, "counts": self.counts}


def _target(session: Session, project: Project, kind: str, ref: str) -> tuple[Any, str]:
    if kind == "document":
        row = get_document(session, project, ref)
        return row, row.title
    if kind == "case":
        row = get_case(session, project, ref)
        return row, row.name
    if kind == "person":
        row = get_person(session, project, ref)
        return row, row.name
    if kind == "attribute":
        target, _, name = ref.partition(":")
        row = session.scalar(select(AttributeDefinition).where(
            AttributeDefinition.project_id == project.id, AttributeDefinition.target == target.strip(),
            AttributeDefinition.name == " ".join(name.split())))
        if row is None:
            raise Refused(f"project '{project.name}' has no attribute '{ref}' (write TARGET:NAME, e.g. case:land)")
        return row, f"{row.target}:{row.name}"
    if kind == "session":
        row = find_by_name_or_guid(session, project, FocusGroupSession, FocusGroupSession.name, ref)
        if row is None:
            raise Refused(f"project '{project.name}' has no focus-group session '{ref}'")
        return row, row.name
    if kind == "story":
        row = find_by_name_or_guid(session, project, Story, Story.title, ref)
        if row is None:
            raise Refused(f"project '{project.name}' has no story '{ref}'")
        return row, row.title
    raise Refused(f"cannot delete a '{kind}' (one of {', '.join(TABLES)})")


def _describe(session: Session, kind: str, taken: snap.Snapshot) -> tuple[list[str], list[str], dict[str, int]]:
    counts = {table: len(rows) for table, rows in taken.rows.items()}
    goes: list[str] = []
    segments = taken.rows.get("segment", [])
    if segments:
        coders = dict(session.execute(select(Coder.id, Coder.name).where(
            Coder.id.in_({s["coder_id"] for s in segments}))).all())
        by_segment = {s["id"]: coders.get(s["coder_id"], "?") for s in segments}
        by_coder = Counter(by_segment[c["segment_id"]] for c in taken.rows.get("coding", []))
        goes.append(f"{len(segments)} coded segment(s) with {sum(by_coder.values())} coding(s): "
                    + ", ".join(f"{n} by {who}" for who, n in sorted(by_coder.items())))
    for table, label in (("memo", "memo(s)"), ("framework_cell", "framework cell(s) with their ratings and summaries"),
                         ("cell_quote", "pinned quote(s)"), ("feedback", "focus-group remark(s)"),
                         ("attribute_value", "attribute value(s)"), ("speaker", "speaker label(s)"),
                         ("story", "value-creation story(ies)"), ("story_step", "story step(s)")):
        if taken.count(table):
            goes.append(f"{taken.count(table)} {label}")
    unlinks: list[str] = []
    links = taken.rows.get("case_document", [])
    if kind == "case" and links:
        unlinks.append(f"{len(links)} document(s) leave this case (the documents stay)")
    if kind == "document" and links:
        names = dict(session.execute(select(Case.id, Case.name).where(
            Case.id.in_({link["case_id"] for link in links}))).all())
        unlinks.append("leaves case(s) " + ", ".join(sorted(names.get(link["case_id"], "?") for link in links)))
    nulled = Counter(table for table, *_ in taken.nulled)
    if nulled.get("person"):
        unlinks.append(f"{nulled['person']} person(s) no longer in this case (they stay)")
    if nulled.get("speaker"):
        unlinks.append(f"{nulled['speaker']} speaker label(s) no longer linked to this person")
    if nulled.get("turn"):
        unlinks.append(f"{nulled['turn']} turn(s) no longer linked to a speaker")
    return goes, unlinks, counts


def _take(session: Session, project: Project, kind: str, ref: str, *, lock: bool
          ) -> tuple[snap.Snapshot, DeletionPreview]:
    row, name = _target(session, project, kind, ref)
    taken = snap.collect(session, TABLES[kind], row.id, lock=lock)
    return taken, DeletionPreview(kind, name, row.guid, *_describe(session, kind, taken))


def preview_deletion(session: Session, project: Project, kind: str, ref: str) -> DeletionPreview:
    """What deleting it would take along; changes nothing (and locks nothing)."""
    return _take(session, project, kind, ref, lock=False)[1]


def delete_to_bin(session: Session, project: Project, kind: str, ref: str, *, actor: str) -> DeletionPreview:
    """Delete it with everything under it into the bin, in this one transaction; returns what went."""
    taken, preview = _take(session, project, kind, ref, lock=True)
    name, goes, unlinks, counts = preview.name, preview.goes, preview.unlinks, preview.counts
    item = BinItem(project_id=project.id, kind=kind, entity_guid=preview.guid, name=name[:200], deleted_by=actor,
                   summary={"goes": goes, "unlinks": unlinks, "counts": counts}, content=snap.encode(taken))
    session.add(item)
    session.flush()
    side_effects = _side_effects(session, taken)
    snap.remove(session, taken)
    record_event(session, project_guid=project.guid, actor=actor, action="delete", entity=TABLES[kind],
                 entity_guid=preview.guid, before={"name": name, "bin_item": str(item.guid), "counts": counts})
    _log_side_effects(session, project, side_effects, actor, cause=f"deleting {WHAT[kind]} '{name}'", undo=False)
    return preview


def _side_effects(session: Session, taken: snap.Snapshot) -> list[tuple[str, uuid.UUID, dict]]:
    """(entity, guid, change) for what stays but is touched: unpinned quotes, unlinked documents, persons, ..."""
    effects: list[tuple[str, uuid.UUID, dict]] = []
    cells_inside = {c["id"] for c in taken.rows.get("framework_cell", [])}
    segment_guids = {s["id"]: s["guid"] for s in taken.rows.get("segment", [])}
    outside = [q for q in taken.rows.get("cell_quote", []) if q["cell_id"] not in cells_inside]
    cells = dict(session.execute(select(FrameworkCell.id, FrameworkCell.guid).where(
        FrameworkCell.id.in_({q["cell_id"] for q in outside}))).all()) if outside else {}
    for quote in outside:
        effects.append(("framework_cell", cells[quote["cell_id"]],
                        {"unpin": str(segment_guids.get(quote["segment_id"], ""))}))
    stories_inside = {s["id"] for s in taken.rows.get("story", [])}
    steps_outside = [s for s in taken.rows.get("story_step", []) if s["story_id"] not in stories_inside]
    stories = dict(session.execute(select(Story.id, Story.guid).where(
        Story.id.in_({s["story_id"] for s in steps_outside}))).all()) if steps_outside else {}
    for step in steps_outside:
        effects.append(("story", stories[step["story_id"]],
                        {"unstep": str(segment_guids.get(step["segment_id"], ""))}))
    links = taken.rows.get("case_document", [])
    documents = dict(session.execute(select(Document.id, Document.guid).where(
        Document.id.in_({link["document_id"] for link in links}))).all()) if links else {}
    cases = dict(session.execute(select(Case.id, Case.guid).where(
        Case.id.in_({link["case_id"] for link in links}))).all()) if links else {}
    for link in links:
        if taken.root_table == "case":
            effects.append(("document", documents[link["document_id"]], {"unlink": str(cases[link["case_id"]])}))
        else:
            effects.append(("case", cases[link["case_id"]], {"unlink": str(documents[link["document_id"]])}))
    by_table: dict[str, list[tuple[int, str]]] = {}
    for table_name, row_id, column, _value in taken.nulled:
        by_table.setdefault(table_name, []).append((row_id, column))
    for table_name, nulled in by_table.items():  # one look-up per table, not per row
        table = Base.metadata.tables[table_name]
        guids = dict(session.execute(select(table.c.id, table.c.guid).where(
            table.c.id.in_({row_id for row_id, _ in nulled}))).all())
        effects += [(table_name, guids[row_id], {"unset": column}) for row_id, column in nulled]
    return effects


def _log_side_effects(session: Session, project: Project, effects: list[tuple[str, uuid.UUID, dict]], actor: str,
                      *, cause: str, undo: bool) -> None:
    for entity, guid, change in effects:
        verb = next(iter(change))
        action = {"unpin": "pin", "unlink": "link", "unset": "set", "unstep": "step"}[verb] if undo else verb
        body = {**change, "cause": cause}
        record_event(session, project_guid=project.guid, actor=actor, action=action, entity=entity, entity_guid=guid,
                     before=None if undo else body, after=body if undo else None)


def list_bin(session: Session, project: Project) -> list[BinItem]:
    return list(session.scalars(select(BinItem).where(BinItem.project_id == project.id)
                                .order_by(BinItem.deleted_at.desc(), BinItem.id.desc())))


def _bin_item(session: Session, project: Project, ref: str) -> BinItem:
    stmt = select(BinItem).where(BinItem.project_id == project.id)
    try:
        guid = uuid.UUID(ref.strip())
        item = session.scalar(stmt.where((BinItem.guid == guid) | (BinItem.entity_guid == guid)))
    except ValueError:
        found = session.scalars(stmt.where(BinItem.name == " ".join(ref.split()))).all()
        if len(found) > 1:
            raise Refused(f"the bin holds {len(found)} things named '{ref}'; name one by its guid") from None
        item = found[0] if found else None
    if item is None:
        raise Refused(f"the bin of project '{project.name}' holds nothing '{ref}'")
    return item


def restore_from_bin(session: Session, project: Project, ref: str, *, actor: str) -> tuple[BinItem, list[str]]:
    """Put a deleted thing back whole; returns the bin item and what could not come back (and why)."""
    item = _bin_item(session, project, ref)
    taken = snap.decode(item.content)
    root = taken.rows[taken.root_table][0]
    clash = _name_clash(session, project, item.kind, root)
    if clash:
        raise Refused(f"cannot restore {WHAT[item.kind]} '{item.name}': {clash}")
    try:
        restored = snap.restore(session, taken)
    except IntegrityError as exc:  # the whole transaction rolls back: nothing is half restored
        raise Refused(f"cannot restore {WHAT[item.kind]} '{item.name}': it clashes with something added since "
                      f"({' '.join(str(exc.orig).split())[:160]})") from None
    left = [f"{n} {table.replace('_', ' ')} row(s) whose code, case or document is gone"
            for table, n in sorted(restored.left_out.items())]
    record_event(session, project_guid=project.guid, actor=actor, action="restore", entity=TABLES[item.kind],
                 entity_guid=item.entity_guid, after={"name": item.name, "bin_item": str(item.guid),
                                                      "counts": item.summary.get("counts", {}), "left_out": left})
    _log_side_effects(session, project, _side_effects(session, taken), actor,
                      cause=f"restoring {WHAT[item.kind]} '{item.name}'", undo=True)
    session.delete(item)
    session.flush()
    return item, left


def _name_clash(session: Session, project: Project, kind: str, root: dict) -> str | None:
    checks = {
        "document": (Document, Document.title, root.get("title"), "a document titled"),
        "case": (Case, Case.name, root.get("name"), "a case named"),
        "person": (Person, Person.name, root.get("name"), "a person named"),
        "session": (FocusGroupSession, FocusGroupSession.name, root.get("name"), "a focus-group session named"),
        "story": (Story, Story.title, root.get("title"), "a story titled"),
    }
    if kind == "attribute":
        if session.scalar(select(AttributeDefinition.id).where(
                AttributeDefinition.project_id == project.id, AttributeDefinition.target == root["target"],
                AttributeDefinition.name == root["name"])):
            return f"there is a {root['target']} attribute '{root['name']}' again; rename it first"
        return None
    model, column, value, words = checks[kind]
    if session.scalar(select(model.id).where(model.project_id == project.id, column == value)):
        return f"there is {words} '{value}' again; rename it first"
    if kind == "document" and session.scalar(select(Document.title).where(
            Document.project_id == project.id, Document.sha256 == root.get("sha256"))):
        return "the same file was imported again since; delete that copy first"
    return None


def empty_bin(session: Session, project: Project, *, confirm: str, actor: str) -> int:
    """Delete the bin's contents for good; `confirm` must be the project's name."""
    if " ".join(confirm.split()) != project.name:
        raise Refused(f"to empty the bin for good, type the project's name '{project.name}'")
    items = list_bin(session, project)
    for item in items:
        session.delete(item)
    session.flush()
    record_event(session, project_guid=project.guid, actor=actor, action="empty_bin", entity="project",
                 entity_guid=project.guid, before={"items": [f"{i.kind} '{i.name}'" for i in items]})
    return len(items)


def delete_project(session: Session, project: Project, *, confirm: str, actor: str) -> dict[str, int]:
    """Delete a whole project for good (no bin holds a project); `confirm` must be its name."""
    if " ".join(confirm.split()) != project.name:
        raise Refused(f"to delete project '{project.name}' for good, type its name")
    guid, name = project.guid, project.name
    taken = snap.collect(session, "project", project.id)
    counts = {table: len(rows) for table, rows in taken.rows.items() if table != "project"}
    snap.remove(session, taken)
    record_event(session, project_guid=guid, actor=actor, action="delete", entity="project", entity_guid=guid,
                 before={"name": name, "counts": counts})
    return counts

