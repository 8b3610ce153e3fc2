"""Keeps `matrix_coding`, the matrices' read path, equal to what the normalised tables say (issue 18).

Database triggers (migration 0013) mark in `matrix_dirty` every segment, document or primary-coder choice that a
write touched, whichever path wrote it (the ORM, a bulk insert, a foreign-key cascade, the bin's restore). Before
every commit through a Session, `refresh_marked` rebuilds what is marked in the same transaction, so a committed
database never holds stale rows; a reader that finds marks left by a write outside a Session falls back to the
normalised tables (`facts_ready`). The rows are derived: `rebuild_all` makes them again from nothing.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Collection, Iterator
from typing import Any

from sqlalchemy import Connection, and_, delete, event, exists, func, inspect, literal, or_, select, update
from sqlalchemy.orm import Session

from store.bulk import in_chunks, insert_rows
from store.models import (
    CaseDocument, Code, Coding, Document, MatrixCoding, MatrixDirty, Segment, TextVersion, Turn,
    dashed_guid, guid_text,
)

# The read path as the table (Core) for readers: a statement with no mapped-class attribute in it skips the ORM's
# compile step, a third of what a fresh process spends compiling a count matrix's statements.
FACT_TABLE = MatrixCoding.__table__
FACT = FACT_TABLE.c

WHOLE_DOCUMENT = 0  # matrix_dirty.segment_id: every row of the document
PRIMARY_ONLY = -1  # matrix_dirty.segment_id: only which coder is the document's primary coder
DOCUMENTS_PER_PASS = 20  # documents rebuilt per pass (bounds the memory of a bulk import's refresh)
SEGMENTS_AS_WHOLE = 200  # a document with more marked segments is rebuilt whole
SUBSTR_ROWS = 20  # a version with at most this many rows to write has its quotes cut by the database
CHUNK = 500  # ids per IN list

TURN_OF_SEGMENT = and_(Turn.text_version_id == Segment.text_version_id, Turn.start <= Segment.start,
                       Segment.start < Turn.end)  # the turn holding a segment's start
COLUMNS = ("codebook_id", "code_id", "coding_id", "segment_id", "segment_guid", "document_id",
           "case_id", "coder_id", "is_primary", "text_version_id", "start", "end", "turn", "speaker_id", "page",
           "text")


# One new segment's rows derived by the database in one statement (placeholders: the dashed guid, the segment id),
# and its marks cleared: for the Coding page's Apply, which writes on the driver's connection and commits without a
# Session (coding.codings.code_span). The page is left to `SEGMENT_PAGE_SQL` for a PDF. `tests/conftest.py` compares
# what this writes with `derived_rows` after every test.
SEGMENT_ROWS_SQL = (
    'INSERT INTO matrix_coding (codebook_id, code_id, coding_id, segment_id, segment_guid, document_id, case_id, '
    'coder_id, is_primary, text_version_id, start, "end", turn, speaker_id, page, text) '
    "SELECT code.codebook_id, coding.code_id, coding.id, segment.id, ?, segment.document_id, case_document.case_id, "
    "segment.coder_id, segment.coder_id = coalesce(document.primary_coder_id, (SELECT earliest.coder_id FROM segment "
    "AS earliest WHERE earliest.id = (SELECT min(other.id) FROM segment AS other "
    "WHERE other.document_id = segment.document_id))), "
    'segment.text_version_id, segment.start, segment."end", turn.ordinal, turn.speaker_id, NULL, '
    'substr(text_version.text, segment.start + 1, segment."end" - segment.start) '
    "FROM coding JOIN segment ON segment.id = coding.segment_id JOIN code ON code.id = coding.code_id "
    "JOIN document ON document.id = segment.document_id "
    "JOIN text_version ON text_version.id = segment.text_version_id "
    "LEFT JOIN case_document ON case_document.document_id = segment.document_id "
    "LEFT JOIN turn ON turn.text_version_id = segment.text_version_id AND turn.start <= segment.start "
    'AND segment.start < turn."end" WHERE segment.id = ?'
)
SEGMENT_PDF_SQL = ("SELECT text_version.pages, segment.start FROM segment "
                   "JOIN document ON document.id = segment.document_id "
                   "JOIN text_version ON text_version.id = segment.text_version_id "
                   "WHERE segment.id = ? AND document.source_format = 'pdf'")
SEGMENT_PAGE_SQL = "UPDATE matrix_coding SET page = ? WHERE segment_id = ?"
UNMARK_SQL = "DELETE FROM matrix_dirty WHERE document_id = ? AND segment_id = ?"


def page_at(pages: list[int] | None, offset: int) -> int | None:
    """The page (from 1) a text offset lies on, for a text version with page starts; None without pages."""
    if not pages:
        return None
    return max(1, bisect_right(pages, offset))


def primary_coder_ids(executor: Session | Connection, document_ids: Any) -> dict[int, int]:
    """{document id: its primary coder}: the one chosen, else whoever coded it first (its lowest segment id).

    `document_ids` is a collection of ids or a SELECT of them."""
    first = dict(executor.execute(select(Segment.document_id, Segment.coder_id).where(Segment.id.in_(
        select(func.min(Segment.id)).where(Segment.document_id.in_(document_ids)).group_by(Segment.document_id))
    )).all())
    first.update(dict(executor.execute(select(Document.id, Document.primary_coder_id).where(
        Document.id.in_(document_ids), Document.primary_coder_id.is_not(None))).all()))
    return first


def _chunks(ids: Collection[int]) -> Iterator[list[int]]:
    return in_chunks(ids, CHUNK)


def derived_rows(conn: Connection, documents: Collection[int], segments: Collection[int] = ()) -> list[tuple]:
    """The matrix_coding rows (COLUMNS order) of every coding of `documents` and of the `segments`."""
    picked = []
    for ids in _chunks(documents):
        picked.append(Segment.document_id.in_(ids))
    for ids in _chunks(segments):
        picked.append(Segment.id.in_(ids))
    if not picked:
        return []
    found = conn.execute(
        select(Code.codebook_id, Coding.code_id, Coding.id, Segment.id, guid_text(Segment.guid), Segment.document_id,
               Segment.coder_id, Segment.text_version_id, Segment.start, Segment.end, Turn.ordinal, Turn.speaker_id,
               Document.source_format)
        .select_from(Coding).join(Segment, Coding.segment_id == Segment.id).join(Code, Coding.code_id == Code.id)
        .join(Document, Segment.document_id == Document.id).outerjoin(Turn, TURN_OF_SEGMENT)
        .where(or_(*picked))).all()
    if not found:
        return []
    doc_ids = {r[5] for r in found}
    cases: dict[int, list[int | None]] = {}
    for ids in _chunks(doc_ids):
        for doc_id, case_id in conn.execute(select(CaseDocument.document_id, CaseDocument.case_id)
                                            .where(CaseDocument.document_id.in_(ids))):
            cases.setdefault(doc_id, []).append(case_id)
    primary: dict[int, int] = {}
    for ids in _chunks(doc_ids):
        primary.update(primary_coder_ids(conn, ids))
    quotes = _quotes(conn, found)
    rows = []
    for (codebook_id, code_id, coding_id, segment_id, guid, doc_id, coder_id, version_id, start, end, turn,
         speaker_id, _), (text, page) in zip(found, quotes):
        dashed = dashed_guid(guid)
        for case_id in cases.get(doc_id, [None]):
            rows.append((codebook_id, code_id, coding_id, segment_id, dashed, doc_id, case_id, coder_id,
                         primary.get(doc_id) == coder_id, version_id, start, end, turn, speaker_id, page, text))
    return rows


def _quotes(conn: Connection, found: list) -> list[tuple[str, int | None]]:
    """(text, page) of each found row: a few quotes of a version cut by the database, many from its text read once
    (a substr per row would make PostgreSQL decompress the whole text each time)."""
    per_version = Counter(r[7] for r in found)
    many = [v for v, n in per_version.items() if n > SUBSTR_ROWS]
    texts: dict[int, str] = {}
    for ids in _chunks(many):
        texts.update(conn.execute(select(TextVersion.id, TextVersion.text).where(TextVersion.id.in_(ids))).all())
    few = [r[3] for r in found if r[7] not in texts]
    cut: dict[int, str] = {}
    for ids in _chunks(few):
        cut.update(conn.execute(
            select(Segment.id, func.substr(TextVersion.text, Segment.start + 1, Segment.end - Segment.start))
            .join(TextVersion, TextVersion.id == Segment.text_version_id).where(Segment.id.in_(ids))).all())
    pdf_versions = {r[7] for r in found if r[12] == "pdf"}
    pages: dict[int, list[int] | None] = {}
    for ids in _chunks(pdf_versions):
        pages.update(conn.execute(select(TextVersion.id, TextVersion.pages).where(TextVersion.id.in_(ids))).all())
    return [(texts[r[7]][r[8]:r[9]] if r[7] in texts else cut[r[3]], page_at(pages.get(r[7]), r[8]))
            for r in found]


def _update_primary(conn: Connection, documents: Collection[int]) -> None:
    primary: dict[int, int] = {}
    for ids in _chunks(documents):
        primary.update(primary_coder_ids(conn, ids))
    for doc_id, coder_id in primary.items():
        flag = MatrixCoding.coder_id == coder_id
        conn.execute(update(MatrixCoding).where(MatrixCoding.document_id == doc_id, MatrixCoding.is_primary != flag)
                     .values(is_primary=flag))


def refresh_marked(conn: Connection) -> int:
    """Rebuild every marked segment and document and clear the marks; returns the number of documents handled.

    A few documents at a time (a bulk import marks every segment it writes); a document with many marked segments
    is rebuilt whole."""
    handled = 0
    while True:
        docs = conn.execute(select(MatrixDirty.document_id).distinct().order_by(MatrixDirty.document_id)
                            .limit(DOCUMENTS_PER_PASS)).scalars().all()
        if not docs:
            return handled
        if conn.dialect.name == "postgresql":
            # Two transactions coding one document at once would each see only their own segments when deciding
            # who coded it first; the second waits here for the first's commit and then sees both.
            conn.execute(select(Document.id).where(Document.id.in_(docs)).order_by(Document.id)
                         .with_for_update(key_share=True))
        marked: dict[int, set[int]] = {}
        for doc_id, segment_id in conn.execute(select(MatrixDirty.document_id, MatrixDirty.segment_id)
                                               .where(MatrixDirty.document_id.in_(docs))):
            marked.setdefault(doc_id, set()).add(segment_id)
        whole = {d for d, s in marked.items() if WHOLE_DOCUMENT in s or len(s) > SEGMENTS_AS_WHOLE}
        segments = {s for d, found in marked.items() if d not in whole for s in found
                    if s not in (WHOLE_DOCUMENT, PRIMARY_ONLY)}
        if whole:
            conn.execute(delete(MatrixCoding).where(MatrixCoding.document_id.in_(whole)))
        for ids in _chunks(segments):
            conn.execute(delete(MatrixCoding).where(MatrixCoding.segment_id.in_(ids)))
        insert_rows(conn, MatrixCoding.__table__, COLUMNS, derived_rows(conn, whole, segments))
        _update_primary(conn, set(docs) - whole)
        conn.execute(delete(MatrixDirty).where(MatrixDirty.document_id.in_(docs)))
        handled += len(docs)


def rebuild_all(conn: Connection) -> int:
    """Mark every document and rebuild (after the upgrade that adds the table, or to repair by hand)."""
    conn.execute(delete(MatrixDirty))
    conn.execute(MatrixDirty.__table__.insert().from_select(
        ["document_id", "segment_id"], select(Document.id, literal(WHOLE_DOCUMENT))))
    return refresh_marked(conn)


def facts_ready(session: Session, project_id: int) -> bool:
    """True when no mark is pending for the project's documents (always, after a commit through a Session)."""
    mark, document = MatrixDirty.__table__.c, Document.__table__.c  # Core, as FACT
    return not session.scalar(select(exists().where(mark.document_id == document.id,
                                                    document.project_id == project_id)))


def stale_rows(conn: Connection) -> tuple[set[tuple], set[tuple]]:
    """(rows the table lacks, rows it should not have), against a derivation from nothing: both empty when right."""
    table = MatrixCoding.__table__
    have = {(*r[:8], bool(r[8]), *r[9:]) for r in conn.execute(select(*[table.c[c] for c in COLUMNS]))}
    want = set(derived_rows(conn, conn.execute(select(Document.id)).scalars().all()))
    return want - have, have - want


def _tables_present(conn: Connection) -> bool:
    cache = conn.engine.__dict__.setdefault("_kruispunt_matrix_facts", {})
    if not cache.get("present"):
        cache["present"] = inspect(conn).has_table(MatrixDirty.__tablename__)
    return cache["present"]


@event.listens_for(Session, "before_commit")
def _refresh_before_commit(session: Session) -> None:
    """Every commit through a Session leaves matrix_coding equal to the normalised tables."""
    session.flush()
    conn = session.connection()
    if _tables_present(conn) and conn.execute(select(exists().select_from(MatrixDirty))).scalar():
        refresh_marked(conn)

