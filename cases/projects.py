"""Projects, coders, cases and persons: the containers everything else hangs on."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from store.bulk import insert_unless_present
from store.errors import Refused
from store.events import record_event
from store.models import Case, CaseDocument, Coder, Document, Person, Project

MAX_NAME = 200


def clean_name(name: str, what: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise Refused(f"{what} name is empty")
    if len(name) > MAX_NAME:
        raise Refused(f"{what} name is longer than {MAX_NAME} characters")
    return name


def _as_guid(ref: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(ref.strip().strip("{}"))
    except (ValueError, AttributeError):
        return None


def find_by_name_or_guid(session: Session, project: Project, model: Any, name_column: Any, ref: str) -> Any:
    """A row of `model` in the project by its exact name (spaces folded) or, failing that, its guid; else None."""
    stmt = select(model).where(model.project_id == project.id)
    found = session.scalar(stmt.where(name_column == " ".join(ref.split())))
    guid = _as_guid(ref) if found is None else None
    return session.scalar(stmt.where(model.guid == guid)) if guid else found


def create_project(session: Session, name: str, *, description: str = "", actor: str = "system") -> Project:
    name = clean_name(name, "project")
    if name.startswith(STAGING_PREFIX):
        raise Refused(f"a project name cannot start with '{STAGING_PREFIX}'")
    if session.scalar(select(Project.id).where(Project.name == name)) is not None:
        raise Refused(f"a project named '{name}' already exists")
    project = Project(name=name, description=description)
    session.add(project)
    session.flush()
    record_event(session, project_guid=project.guid, actor=actor, action="create", entity="project",
                 entity_guid=project.guid, after={"name": name})
    return project


STAGING_PREFIX = "⧗ importing "  # a project that holds a document while it is imported (cases.staged_import)


def list_projects(session: Session) -> list[Project]:
    projects = session.scalars(select(Project).where(Project.name.not_like(f"{STAGING_PREFIX}%")))
    return sorted(projects, key=lambda p: (p.name.casefold(), p.name))


def get_project(session: Session, ref: str) -> Project:
    """A project by exact name or guid."""
    guid = _as_guid(ref)
    stmt = select(Project).where(Project.guid == guid) if guid else select(Project).where(Project.name == ref.strip())
    project = session.scalar(stmt)
    if project is None:
        raise Refused(f"no project '{ref}'")
    return project


def get_or_create_coder(session: Session, project: Project, name: str, *, actor: str | None = None,
                        guid: uuid.UUID | None = None) -> tuple[Coder, bool]:
    name = clean_name(name, "coder")
    found = select(Coder).where(Coder.project_id == project.id, Coder.name == name)
    coder = session.scalar(found)
    if coder is not None:
        return coder, False
    # Two people may start with the same new name at once: one row is made, the other reads it, neither fails.
    made = insert_unless_present(session, Coder, ("project_id", "name"), project_id=project.id, name=name,
                                 **({"guid": guid} if guid is not None else {}))
    if made is None:
        return session.scalars(found.execution_options(populate_existing=True)).one(), False
    coder = session.get_one(Coder, made)
    record_event(session, project_guid=project.guid, actor=actor or name, action="create", entity="coder",
                 entity_guid=coder.guid, after={"name": name})
    return coder, True


def list_coders(session: Session, project: Project) -> list[Coder]:
    coders = session.scalars(select(Coder).where(Coder.project_id == project.id))
    return sorted(coders, key=lambda c: (c.name.casefold(), c.name))


def create_case(session: Session, project: Project, name: str, *, description: str = "", actor: str = "system",
                guid: uuid.UUID | None = None) -> Case:
    name = clean_name(name, "case")
    made = insert_unless_present(session, Case, ("project_id", "name"), project_id=project.id, name=name,
                                 description=description, **({"guid": guid} if guid is not None else {}))
    if made is None:  # taken before, or by someone else a moment ago: the same answer either way
        raise Refused(f"project '{project.name}' already has a case named '{name}'")
    case = session.get_one(Case, made)
    record_event(session, project_guid=project.guid, actor=actor, action="create", entity="case",
                 entity_guid=case.guid, after={"name": name})
    return case


def find_case(session: Session, project: Project, ref: str) -> Case | None:
    guid = _as_guid(ref)
    cond = Case.guid == guid if guid else Case.name == " ".join(ref.split())
    return session.scalar(select(Case).where(Case.project_id == project.id, cond))


def get_case(session: Session, project: Project, ref: str) -> Case:
    case = find_case(session, project, ref)
    if case is None:
        raise Refused(f"project '{project.name}' has no case '{ref}'")
    return case


def list_cases(session: Session, project: Project) -> list[Case]:
    cases = session.scalars(select(Case).where(Case.project_id == project.id))
    return sorted(cases, key=lambda c: (c.name.casefold(), c.name))


def case_document_counts(session: Session, project: Project) -> dict[int, int]:
    stmt = (
        select(CaseDocument.case_id, func.count())
        .join(Case, Case.id == CaseDocument.case_id)
        .where(Case.project_id == project.id)
        .group_by(CaseDocument.case_id)
    )
    return {case_id: n for case_id, n in session.execute(stmt)}


def create_person(
    session: Session,
    project: Project,
    name: str,
    *,
    pseudonym: str = "",
    role: str = "",
    case: Case | None = None,
    actor: str = "system",
) -> Person:
    name = clean_name(name, "person")
    if session.scalar(select(Person.id).where(Person.project_id == project.id, Person.name == name)) is not None:
        raise Refused(f"project '{project.name}' already has a person named '{name}'")
    person = Person(project_id=project.id, name=name, pseudonym=pseudonym.strip(), role=role.strip(),
                    case_id=case.id if case else None)
    session.add(person)
    session.flush()
    record_event(session, project_guid=project.guid, actor=actor, action="create", entity="person",
                 entity_guid=person.guid, after={"pseudonym": person.pseudonym, "role": person.role,
                                                 "case": str(case.guid) if case else None})
    return person


def find_person(session: Session, project: Project, ref: str) -> Person | None:
    guid = _as_guid(ref)
    cond = Person.guid == guid if guid else Person.name == " ".join(ref.split())
    return session.scalar(select(Person).where(Person.project_id == project.id, cond))


def get_person(session: Session, project: Project, ref: str) -> Person:
    person = find_person(session, project, ref)
    if person is None:
        raise Refused(f"project '{project.name}' has no person '{ref}'")
    return person


def list_persons(session: Session, project: Project) -> list[Person]:
    persons = session.scalars(select(Person).where(Person.project_id == project.id))
    return sorted(persons, key=lambda p: (p.name.casefold(), p.name))


def get_document(session: Session, project: Project, ref: str) -> Document:
    """A document by title or guid."""
    guid = _as_guid(ref)
    cond = Document.guid == guid if guid else Document.title == ref.strip()
    doc = session.scalar(select(Document).where(Document.project_id == project.id, cond))
    if doc is None:
        raise Refused(f"project '{project.name}' has no document '{ref}'")
    return doc
