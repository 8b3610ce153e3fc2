"""Which codings a matrix counts: coder scope, document kinds, speaker roles, attribute conditions.

The default coder scope is each document's primary coder (set on the document, or else the coder who coded
it first), so a double-coded transcript does not double its case's counts. Pooling several coders is a choice
the result states (`Scope.describe`), and cells where one document contributes codings of several coders are
marked pooled.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, literal, or_, select, true, tuple_
from sqlalchemy.orm import Session

from cases.projects import list_coders
from coding.retrieval import AttributeFilter, attribute_condition, attribute_match
from store.errors import Refused
from store.events import record_event
from store.matrix_facts import primary_coder_ids
from store.models import DOCUMENT_KINDS, SPEAKER_ROLES, Document, Project, Segment, Speaker

DOCUMENT = Document.__table__.c  # Core columns: see documents_in_scope_query
PRIMARY = "primary"
ALL = "all"
INTERVIEWEE_ROLES = ("respondent", "participant")


@dataclass(frozen=True)
class Scope:
    """`coders` is "primary", "all", or a tuple of coder names; empty tuples mean no filter."""

    coders: str | tuple[str, ...] = PRIMARY
    kinds: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    attributes: tuple[AttributeFilter, ...] = ()

    def pools(self) -> bool:
        return self.coders == ALL or (isinstance(self.coders, tuple) and len(self.coders) > 1)

    def describe(self) -> str:
        if self.coders == PRIMARY:
            who = "each document's primary coder (double-coded documents counted once)"
        elif self.coders == ALL:
            who = "all coders pooled"
        elif len(self.coders) == 1:
            who = f"coder {self.coders[0]}"
        else:
            who = "coders " + ", ".join(self.coders) + " pooled"
        parts = [f"Codings of {who}"]
        if self.kinds:
            parts.append("documents: " + ", ".join(self.kinds))
        if self.roles:
            parts.append("speakers: " + ", ".join(self.roles))
        for target, name, value in self.attributes:
            parts.append(f"{target} {name} = {value}")
        return "; ".join(parts) + "."

    def needs_speaker(self) -> bool:
        return bool(self.roles) or any(target == "person" for target, _, _ in self.attributes)


def parse_coders(value: str | None) -> str | tuple[str, ...]:
    """CLI/page spelling: None or "primary", "all", or "name[,name...]"."""
    if value is None or value.strip().lower() in ("", PRIMARY):
        return PRIMARY
    if value.strip().lower() == ALL:
        return ALL
    return tuple(dict.fromkeys(n.strip() for n in value.split(",") if n.strip()))


def primary_coders(session: Session, project: Project) -> dict[int, int]:
    """{document id: primary coder id} for documents with codings or a primary coder set."""
    return primary_coder_ids(session, select(Document.id).where(Document.project_id == project.id))


def set_primary_coder(session: Session, project: Project, document: Document, coder_name: str | None,
                      *, actor: str = "system") -> None:
    """Choose whose codings of this document count by default; None goes back to 'who coded it first'."""
    before = document.primary_coder_id
    coder_id = None
    if coder_name:
        coder = next((c for c in list_coders(session, project) if c.name == coder_name.strip()), None)
        if coder is None:
            raise Refused(f"project '{project.name}' has no coder '{coder_name}'")
        coder_id = coder.id
    document.primary_coder_id = coder_id
    record_event(session, project_guid=project.guid, actor=actor, action="update", entity="document",
                 entity_guid=document.guid, before={"primary_coder_id": before},
                 after={"primary_coder": coder_name or None})


def scope_conditions(session: Session, project: Project, scope: Scope, *, document: Any = Segment.document_id,
                     coder: Any = Segment.coder_id, is_primary: Any = None) -> list[ColumnElement[bool]]:
    """WHERE conditions over Segment (and Speaker, when `scope.needs_speaker()`) for the scope; over another source
    of codings (the matrices' read path) when given its document and coder columns and its primary-coder flag."""
    conditions: list[ColumnElement[bool]] = []
    if scope.coders == PRIMARY and is_primary is not None:
        conditions.append(is_primary == true())
    elif scope.coders == PRIMARY:
        primary = primary_coders(session, project)
        if not primary:
            conditions.append(literal(False))
        else:
            # A row-value IN is planned as a lookup; a CASE over every document would be evaluated per row.
            conditions.append(tuple_(document, coder).in_(sorted(primary.items())))
    elif scope.coders != ALL:
        by_name = {c.name: c.id for c in list_coders(session, project)}
        missing = [n for n in scope.coders if n not in by_name]
        if missing:
            raise Refused(f"project '{project.name}' has no coder '{missing[0]}'")
        conditions.append(coder.in_([by_name[n] for n in scope.coders]))
    if scope.kinds:
        unknown = [k for k in scope.kinds if k not in DOCUMENT_KINDS]
        if unknown:
            raise Refused(f"unknown document kind '{unknown[0]}' (use one of: {', '.join(DOCUMENT_KINDS)})")
        conditions.append(document.in_(
            select(Document.id).where(Document.project_id == project.id, Document.kind.in_(scope.kinds))))
    if scope.roles:
        unknown = [r for r in scope.roles if r not in SPEAKER_ROLES]
        if unknown:
            raise Refused(f"unknown speaker role '{unknown[0]}' (use one of: {', '.join(SPEAKER_ROLES)})")
        conditions.append(or_(Speaker.role.in_(scope.roles),
                              and_(Speaker.id.is_(None), literal("unknown" in scope.roles))))
    for attribute in scope.attributes:
        conditions.append(attribute_condition(session, project, attribute))
    return conditions


def documents_in_scope(session: Session, project: Project, scope: Scope) -> list[int]:
    """Documents the scope admits (kinds and case/document attribute conditions), coded or not."""
    return list(session.scalars(documents_in_scope_query(session, project, scope)))


def documents_in_scope_query(session: Session, project: Project, scope: Scope) -> Select:
    """SELECT document.id of the documents the scope admits (a caller may add columns and joins, over DOCUMENT:
    the table's columns, so that the statement skips the ORM's compile step)."""
    stmt = select(DOCUMENT.id).where(DOCUMENT.project_id == project.id)
    if scope.kinds:
        stmt = stmt.where(DOCUMENT.kind.in_(scope.kinds))
    for attribute in scope.attributes:
        kind, ids = attribute_match(session, project, attribute)
        if kind == "document":
            stmt = stmt.where(DOCUMENT.id.in_(ids))
    return stmt
