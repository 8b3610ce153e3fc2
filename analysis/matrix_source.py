"""Where a matrix reads its codings: the normalised tables, or matrix_coding, the read path that store.matrix_facts
keeps equal to them (issue 18). The read path has the row keys, the primary-coder flag and the quote in one row per
coding and case; the tables serve what it does not carry (rows by role, person or attribute; role and attribute
scopes) and any moment its marks wait to be rebuilt.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from analysis.matrix_rows import RowDimension
from analysis.matrix_scope import Scope, scope_conditions
from coding.retrieval import speaker_key
from store.errors import Refused
from store.matrix_facts import FACT, facts_ready
from store.models import Coding, Document, Person, Project, Segment, Speaker, Turn

if TYPE_CHECKING:
    from analysis.matrix import MatrixSpec


@dataclass(frozen=True)
class Source:
    """The columns a matrix reads, over one source."""

    facts: bool
    key: Any  # the row key over this source (set per matrix)
    segment: Any
    guid: Any
    document: Any
    coder: Any
    code: Any
    version: Any
    start: Any
    end: Any
    turn: Any
    speaker: Any
    codebook: int | None = None  # set per matrix (the read path filters on it)


TABLES = Source(False, None, Segment.id, Segment.guid, Segment.document_id, Segment.coder_id, Coding.code_id,
                Segment.text_version_id, Segment.start, Segment.end, Turn.ordinal, Turn.speaker_id)
FACTS = Source(True, None, FACT.segment_id, FACT.segment_guid, FACT.document_id, FACT.coder_id, FACT.code_id,
               FACT.text_version_id, FACT.start, FACT.end, FACT.turn, FACT.speaker_id)
READ_PATHS = ("auto", "facts", "tables")


def matrix_source(session: Session, project: Project, spec: MatrixSpec, dim: RowDimension, codebook_id: int,
                  read_path: str = "auto") -> Source:
    """The read path serves case, document and coder rows under coder and document-kind scopes, once every mark
    of the project's documents is rebuilt (always, after a commit through a Session); the tables serve the rest."""
    if not facts_serve(session, project, spec.scope, read_path, dim.fact_key is not None, f"rows '{spec.rows}'"):
        return replace(TABLES, key=dim.key_expr)
    return replace(FACTS, key=dim.fact_key, codebook=codebook_id)


def facts_serve(session: Session, project: Project, scope: Scope | None, read_path: str = "auto",
                rows_served: bool = True, what: str = "these rows") -> bool:
    """Whether to read the read path: it carries no speaker roles or attributes to filter on, and it is read only
    once every mark of the project's documents is rebuilt. `read_path` "facts" refuses where it cannot serve."""
    if read_path not in READ_PATHS:
        raise Refused(f"unknown read path '{read_path}' (use one of: {', '.join(READ_PATHS)})")
    servable = rows_served and (scope is None or (not scope.roles and not scope.attributes))
    if read_path == "tables" or (read_path == "auto" and not servable):
        return False
    if not servable:
        raise Refused(f"the matrices' read path does not serve {what} with this scope")
    if not facts_ready(session, project.id):
        if read_path == "facts":
            raise Refused("the matrices' read path has changes waiting to be rebuilt")
        return False
    return True


def facts_scope_conditions(session: Session, project: Project, scope: Scope) -> list[Any]:
    """The scope's WHERE conditions over the read path's columns (its primary-coder flag, not a lookup)."""
    return scope_conditions(session, project, scope, document=FACT.document_id, coder=FACT.coder_id,
                            is_primary=FACT.is_primary)


def speakers_by_id(session: Session, project: Project) -> dict[int, tuple[str, str | None, str | None, int]]:
    """Each speaker of the project once (role, label, pseudonym, speaker key), for rows that carry a speaker id."""
    speaker, person, document = Speaker.__table__, Person.__table__, Document.__table__
    return {r[0]: (r[1] or "unknown", r[2], r[3] or None, r[4]) for r in session.execute(
        select(speaker.c.id, speaker.c.role, speaker.c.label, person.c.pseudonym, speaker_key(speaker.c))
        .outerjoin(person, person.c.id == speaker.c.person_id).join(document, document.c.id == speaker.c.document_id)
        .where(document.c.project_id == project.id))}
