"""Double coding: documents given to a second coder, blind until an owner reveals them.

While an assignment is blind, its coder sees nobody else's codings on that document, nor anything counted from
them: `BlindScope` is what every read of codings on a page or in the CLI asks, and analyses that pool codings
(matrices, charts, the framework, agreement, reports, the presentation) are closed to that coder until the
owner reveals. The coder says when they have finished; the owner reveals then (or earlier, saying so). Each
assignment, each "finished" and each reveal is a logged event.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.orm import Session

from cases.members import get_member, is_team_project
from cases.projects import get_document, get_or_create_coder
from store.errors import Refused
from store.events import record_event
from store.models import Assignment, Coder, Document, Project, Segment, utcnow


@dataclass(frozen=True)
class BlindScope:
    """The documents a viewer codes blind, and the viewer's coder: on those documents they see only their own."""

    document_ids: frozenset[int] = frozenset()
    coder_id: int | None = None
    titles: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return bool(self.document_ids)

    def visible(self, document_column=Segment.document_id, coder_column=Segment.coder_id) -> ColumnElement[bool]:  # type: ignore[no-untyped-def]
        """A condition keeping only what the viewer may see (always true when nothing is blind)."""
        if not self.active:
            return true()
        return or_(document_column.not_in(sorted(self.document_ids)), coder_column == self.coder_id)

    def closed(self, what: str) -> str:
        """Why an analysis that pools codings is closed to this viewer now."""
        return (f"you are coding {', '.join(repr(t) for t in self.titles)} blind: {what} counts everyone's codings, "
                "so it opens for you when an owner reveals the double coding")


NOT_BLIND = BlindScope()


def blind_scope(session: Session, project: Project, viewer: str | None) -> BlindScope:
    """What `viewer` (a coder name) codes blind in the project now."""
    if not viewer:
        return NOT_BLIND
    rows = session.execute(
        select(Assignment.document_id, Assignment.coder_id, Document.title)
        .join(Coder, Coder.id == Assignment.coder_id).join(Document, Document.id == Assignment.document_id)
        .where(Assignment.project_id == project.id, Assignment.blind.is_(True), Assignment.revealed_at.is_(None),
               Coder.name == " ".join(viewer.split()))).all()
    if not rows:
        return NOT_BLIND
    return BlindScope(frozenset(r[0] for r in rows), rows[0][1], tuple(sorted(r[2] for r in rows)))


@dataclass(frozen=True)
class AssignmentRow:
    guid: str
    document: str
    document_guid: str
    coder: str
    blind: bool
    assigned_by: str
    finished: bool
    revealed: bool
    revealed_by: str | None

    @property
    def state(self) -> str:
        if self.revealed:
            return f"revealed by {self.revealed_by}"
        if not self.blind:
            return "open (not blind)"
        return "finished, waiting to be revealed" if self.finished else "coding blind"


def list_assignments(session: Session, project: Project) -> list[AssignmentRow]:
    rows = session.execute(
        select(Assignment, Document.title, Document.guid, Coder.name)
        .join(Document, Document.id == Assignment.document_id).join(Coder, Coder.id == Assignment.coder_id)
        .where(Assignment.project_id == project.id)).all()
    return sorted((AssignmentRow(str(a.guid), title, str(guid), coder, a.blind, a.assigned_by,
                                 a.finished_at is not None, a.revealed_at is not None, a.revealed_by)
                   for a, title, guid, coder in rows),
                  key=lambda r: (r.document.casefold(), r.coder.casefold()))


def assign_documents(session: Session, project: Project, coder_name: str, document_refs: Sequence[str] = (), *,
                     sample: int | None = None, seed: int | None = None, blind: bool = True,
                     actor: str) -> list[str]:
    """Give documents (named, or `sample` drawn at random from those someone else has coded and this coder has not
    been given) to a second coder; returns the titles newly assigned."""
    if is_team_project(session, project):
        get_member(session, project, coder_name)  # a team project's second coder is one of its members
    coder, _ = get_or_create_coder(session, project, coder_name, actor=actor)
    given = set(session.scalars(select(Assignment.document_id).where(Assignment.coder_id == coder.id)))
    if document_refs:
        documents = list({d.id: d for d in (get_document(session, project, r) for r in document_refs)}.values())
    elif sample:
        documents = _draw(session, project, coder, given, sample, seed)
    else:
        raise Refused("name the documents to assign, or how many to draw at random")
    made = []
    for document in documents:
        if document.id in given:
            continue
        if blind and session.scalar(select(Segment.id).where(Segment.document_id == document.id,
                                                             Segment.coder_id == coder.id).limit(1)):
            raise Refused(f"{coder.name} has already coded '{document.title}': blind double coding needs a coder "
                          "who starts fresh (assign it open, not blind)")
        assignment = Assignment(project_id=project.id, document_id=document.id, coder_id=coder.id, blind=blind,
                                assigned_by=actor)
        session.add(assignment)
        session.flush()
        record_event(session, project_guid=project.guid, actor=actor, action="assign", entity="assignment",
                     entity_guid=assignment.guid,
                     after={"document": str(document.guid), "coder": coder.name, "blind": blind,
                            **({"sample": sample, "seed": seed} if sample and not document_refs else {})})
        made.append(document.title)
    return made


def _draw(session: Session, project: Project, coder: Coder, given: set[int], sample: int,
          seed: int | None) -> list[Document]:
    if sample < 1:
        raise Refused("draw at least one document")
    coded_by_others = set(session.scalars(select(Segment.document_id).join(Document).where(
        Document.project_id == project.id, Segment.coder_id != coder.id)))
    own = set(session.scalars(select(Segment.document_id).where(Segment.coder_id == coder.id)))
    pool = sorted(session.scalars(select(Document).where(Document.id.in_(coded_by_others - own - given))),
                  key=lambda d: str(d.guid))
    if len(pool) < sample:
        raise Refused(f"only {len(pool)} document(s) coded by someone else are left to give {coder.name}, "
                      f"not {sample}")
    return random.Random(seed).sample(pool, sample)


def _assignment(session: Session, project: Project, document_ref: str, coder_name: str) -> Assignment:
    document = get_document(session, project, document_ref)
    found = session.scalar(select(Assignment).join(Coder, Coder.id == Assignment.coder_id).where(
        Assignment.document_id == document.id, Coder.name == " ".join(coder_name.split()))
        .with_for_update())
    if found is None:
        raise Refused(f"'{document.title}' is not assigned to {coder_name}")
    return found


def finish_assignment(session: Session, project: Project, document_ref: str, *, coder: str, actor: str) -> str:
    """The second coder says they have finished the document (only they can)."""
    if " ".join(coder.split()).casefold() != actor.casefold():
        raise Refused(f"only {coder} can say they finished their double coding")
    assignment = _assignment(session, project, document_ref, coder)
    if assignment.finished_at is None:
        assignment.finished_at = utcnow()
        record_event(session, project_guid=project.guid, actor=actor, action="finish", entity="assignment",
                     entity_guid=assignment.guid, after={"finished": True})
    return session.get_one(Document, assignment.document_id).title


def reveal_assignment(session: Session, project: Project, document_ref: str, *, coder: str, force: bool = False,
                      actor: str) -> str:
    """Lift the blind (an owner's decision): the coder then sees everyone's codings on it, and agreement can be
    discussed. Before the coder has finished, only with `force`."""
    assignment = _assignment(session, project, document_ref, coder)
    title = session.get_one(Document, assignment.document_id).title
    if assignment.revealed_at is not None:
        return title
    if assignment.finished_at is None and not force:
        raise Refused(f"{coder} has not said they finished '{title}'; reveal anyway only if you mean to end the "
                      "blind coding early")
    assignment.revealed_at, assignment.revealed_by = utcnow(), actor
    record_event(session, project_guid=project.guid, actor=actor, action="reveal", entity="assignment",
                 entity_guid=assignment.guid, after={"revealed": True, "early": assignment.finished_at is None})
    return title

