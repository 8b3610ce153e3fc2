"""Correcting names after the fact: a project, a case, a document's title, a person, an attribute, and moving a
document to another case.

A rename reads the row under a lock, so the event's "before" is the name it replaced; a rename made from a view
that showed an older name (someone renamed it a moment ago) is refused and says who.

Names stay unique where people pick things by name (projects; cases, document titles, persons, pseudonyms and
attributes per project), so a rename onto a name in use is refused with what holds it. Guids never change, so
codings, cells, exports and links keep pointing at the same thing. Each correction is one event with the name
before and after; renaming to the same name changes and logs nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cases.documents import link_document_to_case, unlink_document_from_case
from cases.projects import clean_name
from store.errors import Refused
from store.events import changed_by, record_event
from store.models import AttributeDefinition, Case, CaseDocument, Document, Person, Project

MAX_PSEUDONYM = 100


def _log(session: Session, project: Project, entity: str, guid: Any, before: dict, after: dict, actor: str) -> None:
    record_event(session, project_guid=project.guid, actor=actor, action="rename", entity=entity, entity_guid=guid,
                 before=before, after=after)


def _current(session: Session, row: Any, attribute: str, shown: str | None, what: str, actor: str) -> str:
    """The row's name, read under a lock; refused when the page showed another one."""
    session.refresh(row, [attribute], with_for_update=True)
    value = getattr(row, attribute)
    if shown is not None and value != shown:
        raise Refused(f"{what} was {changed_by(session, row.guid, actor)}: it is now called '{value}'; "
                      "nothing was renamed")
    return value


def rename_project(session: Session, project: Project, new_name: str, *, actor: str, shown: str | None = None) -> bool:
    """True when the name changed; `shown` is the name the person saw."""
    name = clean_name(new_name, "project")
    if name == _current(session, project, "name", shown, "the project", actor):
        return False
    if session.scalar(select(Project.id).where(Project.name == name, Project.id != project.id)) is not None:
        raise Refused(f"a project named '{name}' already exists")
    before = project.name
    project.name = name
    session.flush()
    _log(session, project, "project", project.guid, {"name": before}, {"name": name}, actor)
    return True


def rename_unique(session: Session, project: Project, row: Any, new: str, *, attribute: str, what: str,
                  taken: str, entity: str, actor: str, shown: str | None = None) -> bool:
    """Set a name unique in the project (`attribute` of `row`); `taken` words the refusal ("a case named"),
    `shown` is the name the person saw."""
    value = clean_name(new, what)
    if value == _current(session, row, attribute, shown, f"the {what}", actor):
        return False
    model = type(row)
    if session.scalar(select(model.id).where(model.project_id == project.id, getattr(model, attribute) == value,
                                             model.id != row.id)) is not None:
        raise Refused(f"project '{project.name}' already has {taken} '{value}'")
    before = getattr(row, attribute)
    setattr(row, attribute, value)
    session.flush()
    _log(session, project, entity, row.guid, {attribute: before}, {attribute: value}, actor)
    return True


def rename_case(session: Session, project: Project, case: Case, new_name: str, *, actor: str,
                shown: str | None = None) -> bool:
    return rename_unique(session, project, case, new_name, attribute="name", what="case", taken="a case named",
                         entity="case", actor=actor, shown=shown)


def rename_document(session: Session, project: Project, document: Document, new_title: str, *, actor: str,
                    shown: str | None = None) -> bool:
    return rename_unique(session, project, document, new_title, attribute="title", what="document",
                         taken="a document titled", entity="document", actor=actor, shown=shown)


def rename_person(session: Session, project: Project, person: Person, *, name: str | None = None,
                  pseudonym: str | None = None, actor: str) -> bool:
    """A person's name, pseudonym, or both; a pseudonym names one person only (anonymised quotes rely on it)."""
    changes: dict[str, str] = {}
    if name is not None:
        new = clean_name(name, "person")
        if new != person.name:
            if session.scalar(select(Person.id).where(Person.project_id == project.id, Person.name == new)):
                raise Refused(f"project '{project.name}' already has a person named '{new}'")
            changes["name"] = new
    if pseudonym is not None:
        new = " ".join(pseudonym.split())
        if len(new) > MAX_PSEUDONYM:
            raise Refused(f"a pseudonym is at most {MAX_PSEUDONYM} characters")
        if new != person.pseudonym:
            taken = new and session.scalar(select(Person.name).where(
                Person.project_id == project.id, Person.id != person.id,
                func.lower(Person.pseudonym) == new.lower()))
            if taken:
                raise Refused(f"the pseudonym '{new}' already stands for {taken}")
            changes["pseudonym"] = new
    if not changes:
        return False
    before = {key: getattr(person, key) for key in changes}
    for key, value in changes.items():
        setattr(person, key, value)
    session.flush()
    _log(session, project, "person", person.guid, before, changes, actor)
    return True


def rename_attribute(session: Session, project: Project, target: str, old_name: str, new_name: str, *,
                     actor: str) -> bool:
    """An attribute definition of cases, documents or persons; its values stay with it."""
    definition = session.scalar(select(AttributeDefinition).where(
        AttributeDefinition.project_id == project.id, AttributeDefinition.target == target,
        AttributeDefinition.name == " ".join(old_name.split())))
    if definition is None:
        raise Refused(f"project '{project.name}' has no {target} attribute '{old_name}'")
    name = clean_name(new_name, "attribute")
    if name == definition.name:
        return False
    if session.scalar(select(AttributeDefinition.id).where(
            AttributeDefinition.project_id == project.id, AttributeDefinition.target == target,
            AttributeDefinition.name == name)):
        raise Refused(f"project '{project.name}' already has a {target} attribute '{name}'")
    before = definition.name
    definition.name = name
    session.flush()
    _log(session, project, "attribute_definition", definition.guid, {"name": before, "target": target},
         {"name": name, "target": target}, actor)
    return True


def move_document(session: Session, project: Project, document: Document, case: Case, *, add: bool = False,
                  actor: str) -> list[str]:
    """Put the document in `case`, taking it out of every other case unless `add`; returns the cases it left.

    Each link and unlink is its own logged event, in this one transaction."""
    current = list(session.scalars(select(Case).join(CaseDocument, CaseDocument.case_id == Case.id)
                                   .where(CaseDocument.document_id == document.id).order_by(Case.name)))
    link_document_to_case(session, project, document, case, actor=actor)
    left = []
    if not add:
        for other in current:
            if other.id != case.id:
                unlink_document_from_case(session, project, document, other, actor=actor)
                left.append(other.name)
    return left
