"""Where a matrix reads its codings: the normalised tables, or matrix_coding, the read path that store.matrix_facts
keeps equal to them (issue 18). The read path has the row keys, the primary-coder flag and the quote in one row per
coding and case; the tables serve what it does not carry (rows by role, person or attribute; role and attribute
scopes) and any moment its marks wait to be rebuilt.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from analysis.matrix_rows import RowDimension
from store.errors import Refused
from store.matrix_facts import facts_ready
from store.models import Coding, MatrixCoding, Project, Segment, Turn

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
FACTS = Source(True, None, MatrixCoding.segment_id, MatrixCoding.segment_guid, MatrixCoding.document_id,
               MatrixCoding.coder_id, MatrixCoding.code_id, MatrixCoding.text_version_id, MatrixCoding.start,
               MatrixCoding.end, MatrixCoding.turn, MatrixCoding.speaker_id)
READ_PATHS = ("auto", "facts", "tables")


def matrix_source(session: Session, project: Project, spec: MatrixSpec, dim: RowDimension, codebook_id: int,
                  read_path: str = "auto") -> Source:
    """The read path serves case, document and coder rows under coder and document-kind scopes, once every mark
    of the project's documents is rebuilt (always, after a commit through a Session); the tables serve the rest."""
    if read_path not in READ_PATHS:
        raise Refused(f"unknown read path '{read_path}' (use one of: {', '.join(READ_PATHS)})")
    servable = dim.fact_key is not None and not spec.scope.roles and not spec.scope.attributes
    if read_path == "tables" or (read_path == "auto" and not servable):
        return replace(TABLES, key=dim.key_expr)
    if not servable:
        raise Refused(f"the matrices' read path does not serve rows '{spec.rows}' with this scope")
    if not facts_ready(session, project.id):
        if read_path == "facts":
            raise Refused("the matrices' read path has changes waiting to be rebuilt")
        return replace(TABLES, key=dim.key_expr)
    return replace(FACTS, key=dim.fact_key, codebook=codebook_id)


def driver_rows(session: Session, stmt: Any) -> list[tuple]:
    """The driver's own tuples, for columns that need no conversion (integers and strings): at 25,000 quotes
    SQLAlchemy's Row objects cost as much again as the query, and reading fields from them more."""
    result = session.connection().execute(stmt)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()
