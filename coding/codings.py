"""Apply codes to spans and list codings: the one write path every coding goes through.

`apply_coding` (inside a caller's session: CLI, suggestions, search hits, the demo) and `code_span` (the Coding
page's Apply button, a transaction of its own) share the same checks and the same rows, written on the driver's
cursor: the span lies within the current text, every code exists once in the project, is codable and enabled,
the coder has not coded exactly this span with these codes yet; then the segment, one coding per code and the
"create segment" event, in the caller's single transaction.
"""

from __future__ import annotations

import json
import uuid
import weakref
from dataclasses import dataclass

from sqlalchemy import Connection, Dialect, Engine, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from cases.projects import clean_name
from codebooks.service import add_code, default_parent, find_code, key_for_label, split_code_ref
from coding.assignments import NOT_BLIND, BlindScope
from store.bulk import new_guids
from store.db import write_session
from store.errors import Refused
from store.limits import explain
from store.matrix_facts import SEGMENT_PDF_SQL, SEGMENT_PAGE_SQL, SEGMENT_ROWS_SQL, UNMARK_SQL, page_at
from store.models import (
    CODING_ORIGINS,
    Case,
    CaseDocument,
    Code,
    Coder,
    Coding,
    Document,
    Event,
    Project,
    Segment,
    TextVersion,
    dashed_guid,
    utcnow,
)


def apply_coding(
    session: Session,
    project: Project,
    document: Document,
    coder: Coder,
    start: int,
    end: int,
    code_keys: list[str],
    *,
    actor: str | None = None,
    origin: str = "manual",
    matched_term: str | None = None,
) -> Segment:
    """One segment over [start, end) of the current text with one coding per code.

    `origin` is "manual" or "suggestion" (accepted from an auto-code suggestion; `matched_term` says why).
    The checks and rows are those of `code_span` (the Coding page's Apply button), on this session's transaction.
    """
    keys, matched_term = _check_arguments(code_keys, origin, matched_term)
    session.flush()  # rows the session still holds (a coder just made, its event) go in first, in order
    writer = _Writer.of(session.connection())
    version = writer.text_version(document.id, document.current_version)
    if version is None:
        raise Refused(f"document '{document.title}' has no text version {document.current_version}")
    version_id, version_number, length = version
    if not (0 <= start < end <= length):
        raise Refused(f"span {start}–{end} is outside document '{document.title}' (0–{length}, start before end)")
    writer.lock_span_checks(document.id, coder.id)
    codes = writer.codes(project.id, keys, document.id, version_id, coder.id, start, end)
    if codes is None:  # a missing, ambiguous, folder or switched-off code: say which, as find_code does
        _refuse_codes(session, project, keys)
    if all(c.done for c in codes):
        raise Refused(f"{coder.name} already coded {start}–{end} of '{document.title}' with "
                      f"{', '.join(sorted(c.key for c in codes))}")
    segment_id, _ = writer.insert(
        project_guid=project.guid.hex, document_id=document.id, document_guid=str(document.guid),
        version_id=version_id, version=version_number, coder_id=coder.id, coder_name=coder.name,
        start=start, end=end, codes=codes, actor=actor or coder.name, origin=origin, matched_term=matched_term)
    return session.get(Segment, segment_id)


def code_with_a_new_code(
    session: Session,
    project: Project,
    document: Document,
    coder: Coder,
    start: int,
    end: int,
    *,
    codebook: str,
    label: str,
    parent: str | None = None,
    definition: str = "",
    language: str = "en",
) -> tuple[Code, Segment]:
    """Make a code while coding (name, parent, optional definition) and apply it to the span: one transaction and
    two events (the code, the coding), so a refused span leaves no orphan code behind."""
    label = " ".join(label.split())
    if not label:
        raise Refused("a new code needs a name")
    if parent is None:
        parent = default_parent(session, project, codebook)
    key = key_for_label(session, project, codebook, label, parent)
    labels = {"label_nl": label} if language == "nl" else {"label_de": label} if language == "de" else {}
    code = add_code(session, project, codebook, key, label, parent_key=parent, definition=definition.strip(),
                    actor=coder.name, **labels)
    return code, apply_coding(session, project, document, coder, start, end, [code.key], actor=coder.name)


def code_span(
    engine: Engine,
    project_guid: uuid.UUID | str,
    document_guid: uuid.UUID | str,
    coder_name: str,
    start: int,
    end: int,
    code_keys: list[str],
    *,
    actor: str | None = None,
    origin: str = "manual",
    matched_term: str | None = None,
) -> uuid.UUID:
    """The Coding page's Apply: one transaction that looks up project, document, text version, coder and codes,
    checks them as `apply_coding` does, writes the segment, its codings and the event, and commits.

    Returns the new segment's guid. It goes to the driver (two lookups, three inserts), because the ORM's
    per-statement work cost 40 times a bare insert (bench/coding_bench.py). Anything out of the ordinary (a
    coder's first coding, a code reference with a codebook, a refusal) is rolled back and done again through
    `apply_coding` in a `write_session`, which creates the coder or refuses with the usual message.
    """
    keys, matched_term = _check_arguments(code_keys, origin, matched_term)
    name = clean_name(coder_name, "coder")
    project_hex, document = _guid_hex(project_guid), _guid(document_guid)
    if project_hex and document:
        # The pool's connection itself: SQLAlchemy's per-statement machinery would cost more than SQLite does here.
        pooled = engine.raw_connection()
        try:
            d = _Dialect.of(engine.dialect)
            writer = _Writer(pooled.cursor(), d)
            if d.begin:
                writer.cursor.execute(d.begin)
            found = writer.target(project_hex, document.hex, name, keys, start, end)
            if found is not None and d.lock_sql:  # the check again once no other Apply of this coder can run
                writer.lock_span_checks(found[0].document_id, found[0].coder_id)
                found = writer.target(project_hex, document.hex, name, keys, start, end)
            if found is not None and 0 <= start < end <= found[0].length and not all(c.done for c in found[1]):
                target, codes = found
                _, segment_guid = writer.insert(
                    project_guid=project_hex, document_id=target.document_id, document_guid=str(document),
                    version_id=target.version_id, version=target.version, coder_id=target.coder_id,
                    coder_name=name, start=start, end=end, codes=codes, actor=actor or name, origin=origin,
                    matched_term=matched_term)
                pooled.commit()
                return uuid.UUID(segment_guid)
            pooled.rollback()
        except engine.dialect.loaded_dbapi.Error as exc:  # busy, or refused: said in one line, as write_session does
            pooled.rollback()
            raise explain(DBAPIError.instance(None, None, exc, engine.dialect.loaded_dbapi.Error)) from exc
        except BaseException:
            pooled.rollback()
            raise
        finally:
            pooled.close()
    from cases.projects import get_document, get_or_create_coder, get_project

    with write_session(engine) as session:
        project = get_project(session, str(project_guid))
        document = get_document(session, project, str(document_guid))
        coder, _ = get_or_create_coder(session, project, name, actor=actor or name)
        segment = apply_coding(session, project, document, coder, start, end, keys, actor=actor,
                               origin=origin, matched_term=matched_term)
        return segment.guid


def lock_coder_document(session: Session, document_id: int, coder_id: int) -> None:
    """Hold this coder's codings of this document until the transaction ends (see _Writer.lock_span_checks)."""
    _Writer.of(session.connection()).lock_span_checks(document_id, coder_id)


def _check_arguments(code_keys: list[str], origin: str, matched_term: str | None) -> tuple[list[str], str | None]:
    if not code_keys:
        raise Refused("no code given")
    if origin not in CODING_ORIGINS:
        raise Refused(f"coding origin '{origin}' is not one of {', '.join(CODING_ORIGINS)}")
    if matched_term is not None:
        matched_term = matched_term.strip()[:200] or None
    return list(dict.fromkeys(code_keys)), matched_term


def _guid(ref: uuid.UUID | str) -> uuid.UUID | None:
    if isinstance(ref, uuid.UUID):
        return ref
    try:
        return uuid.UUID(str(ref).strip().strip("{}"))
    except ValueError:
        return None  # a title or name: the ORM path looks it up


def _guid_hex(ref: uuid.UUID | str) -> str | None:
    guid = _guid(ref)
    return guid.hex if guid is not None else None


def _refuse_codes(session: Session, project: Project, keys: list[str]) -> None:
    for key in keys:
        code = find_code(session, project, key)
        if not code.codable:
            raise Refused(f"code '{code.key}' is a folder and cannot be applied; use one of its children")
        if not code.enabled:
            raise Refused(f"code '{code.key}' is switched off in this project")
    raise Refused(f"the codes {', '.join(keys)} cannot be applied in project '{project.name}'")  # not reached


# --- the driver-level rows ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Code:
    id: int
    key: str
    done: bool  # this coder already has a segment on exactly this span with this code key


@dataclass(frozen=True)
class _Target:
    project_id: int
    document_id: int
    version_id: int
    version: int
    length: int
    coder_id: int


# Everything `code_span` checks, in one statement: project, document and its current text version, coder, and per
# requested key the project's codes with that key (several rows: ambiguous), codable, enabled, and whether this
# coder already coded exactly this span with that key (apply_coding's duplicate refusal compares keys).
# The unary + keeps SQLite on the (document_id, start) index: without statistics it would rather walk all
# segments of the text version (80 µs against 4 µs for 1,500 codings).
_DONE_SQL = (
    "EXISTS (SELECT 1 FROM segment JOIN coding ON coding.segment_id = segment.id "
    "JOIN code AS done ON done.id = coding.code_id WHERE segment.document_id = {document} "
    "AND +segment.text_version_id = {version} AND +segment.coder_id = {coder} AND segment.start = ? "
    "AND segment.\"end\" = ? AND done.key = code.key)"
)
_TARGET_SQL = (
    "SELECT project.id, document.id, text_version.id, text_version.version, text_version.length, coder.id, "
    "code.id, code.key, codebook.key, code.codable, code.enabled, "
    + _DONE_SQL.format(document="document.id", version="text_version.id", coder="coder.id") +
    " FROM project JOIN document ON document.project_id = project.id "
    "JOIN text_version ON text_version.document_id = document.id AND text_version.version = document.current_version "
    "JOIN coder ON coder.project_id = project.id "
    "JOIN codebook ON codebook.project_id = project.id JOIN code ON code.codebook_id = codebook.id "
    "WHERE project.guid = ? AND document.guid = ? AND coder.name = ? AND code.key IN ({keys})"
)
_VERSION_SQL = "SELECT id, version, length FROM text_version WHERE document_id = ? AND version = ?"
# The same per-key facts for `apply_coding`, whose project, document and coder are known.
_CODES_SQL = (
    "SELECT code.id, code.key, codebook.key, code.codable, code.enabled, "
    + _DONE_SQL.format(document="?", version="?", coder="?")
    + " FROM code JOIN codebook ON codebook.id = code.codebook_id WHERE codebook.project_id = ? "
    "AND code.key IN ({keys})"
)
_SEGMENT_SQL = ('INSERT INTO segment (guid, document_id, text_version_id, coder_id, start, "end", created_at) '
                "VALUES (?, ?, ?, ?, ?, ?, ?)")
_CODING_SQL = ("INSERT INTO coding (guid, segment_id, code_id, created_at, origin, matched_term) "
               "VALUES (?, ?, ?, ?, ?, ?)")
_EVENT_SQL = ('INSERT INTO event (project_guid, at, actor, action, entity, entity_guid, before, after) '
              "VALUES (?, ?, ?, 'create', 'segment', ?, NULL, ?)")


class _Dialect:
    """One dialect's statements and value conversions (SQLAlchemy's own bind processors), made once."""

    def __init__(self, dialect: Dialect) -> None:
        self.name = dialect.name
        # How store.db starts a write transaction: BEGIN IMMEDIATE on SQLite (its "begin" event does that for
        # SQLAlchemy connections; `code_span` works on the pool's connection); PostgreSQL's driver begins by itself.
        self.begin = "BEGIN IMMEDIATE" if dialect.name == "sqlite" else None
        self.returning = dialect.name != "sqlite"  # SQLite gives lastrowid; PostgreSQL needs RETURNING
        self.lock_sql = "SELECT pg_advisory_xact_lock(%s, %s)" if dialect.name == "postgresql" else None
        mark = "?" if dialect.paramstyle == "qmark" else "%s"

        def sql(statement: str) -> str:
            return statement if mark == "?" else statement.replace("?", mark)

        self.version_sql = sql(_VERSION_SQL)
        self.segment_sql = sql(_SEGMENT_SQL) + (" RETURNING id" if self.returning else "")
        self.coding_sql, self.event_sql = sql(_CODING_SQL), sql(_EVENT_SQL)
        self.facts_sql, self.unmark_sql = sql(SEGMENT_ROWS_SQL), sql(UNMARK_SQL)
        self.pdf_sql, self.page_sql = sql(SEGMENT_PDF_SQL), sql(SEGMENT_PAGE_SQL)
        self._statements: dict[tuple[str, int], str] = {}
        table = Event.__table__
        self.timestamp = table.c.at.type.dialect_impl(dialect).bind_processor(dialect) or (lambda v: v)
        self.json = table.c.after.type.dialect_impl(dialect).bind_processor(dialect) or (lambda v: v)
        self._sql = sql

    @classmethod
    def of(cls, dialect: Dialect) -> _Dialect:
        d = _DIALECTS.get(dialect)
        if d is None:
            d = _DIALECTS[dialect] = cls(dialect)
        return d

    def with_keys(self, statement: str, count: int) -> str:
        """`statement` with `count` placeholders for the code keys (made once per shape)."""
        found = self._statements.get((statement, count))
        if found is None:
            found = self._statements[(statement, count)] = self._sql(statement.format(keys=", ".join(["?"] * count)))
        return found


_DIALECTS: weakref.WeakKeyDictionary[Dialect, _Dialect] = weakref.WeakKeyDictionary()  # one per engine


class _Writer:
    """Lookups and inserts on the driver cursor of a connection that is in its write transaction."""

    __slots__ = ("cursor", "d")

    def __init__(self, cursor, d: _Dialect) -> None:  # type: ignore[no-untyped-def]
        self.cursor, self.d = cursor, d

    @classmethod
    def of(cls, connection: Connection) -> _Writer:
        """On the driver connection under a SQLAlchemy connection (already in its transaction)."""
        return cls(connection.connection.driver_connection.cursor(), _Dialect.of(connection.dialect))

    def target(self, project_hex: str, document_hex: str, coder_name: str, refs: list[str], start: int,
               end: int) -> tuple[_Target, list[_Code]] | None:
        """Project, document, current text version, coder and codes in one lookup; None when anything is amiss."""
        wanted = [split_code_ref(r) for r in refs]
        self.cursor.execute(self.d.with_keys(_TARGET_SQL, len(wanted)),
                            (start, end, project_hex, document_hex, coder_name, *[k for _, k in wanted]))
        rows = self.cursor.fetchall()
        codes = self._codes(wanted, [row[6:] for row in rows])
        return (_Target(*rows[0][:6]), codes) if codes is not None else None

    def lock_span_checks(self, document_id: int, coder_id: int) -> None:
        """Hold one coder's codings of one document for the rest of this transaction, so that the "already coded"
        check and the insert after it are one step: two Applies of the same span at the same moment store one
        coding (the second sees the first's and is refused). SQLite's BEGIN IMMEDIATE already lets one writer in
        at a time; PostgreSQL takes a transaction-scoped advisory lock on (document, coder)."""
        if self.d.lock_sql:
            self.cursor.execute(self.d.lock_sql, (document_id, coder_id))

    def text_version(self, document_id: int, version: int) -> tuple[int, int, int] | None:
        self.cursor.execute(self.d.version_sql, (document_id, version))
        return self.cursor.fetchone()

    def codes(self, project_id: int, refs: list[str], document_id: int, version_id: int, coder_id: int,
              start: int, end: int) -> list[_Code] | None:
        """The codes in `refs` order, or None when one is missing, ambiguous, a folder or switched off."""
        wanted = [split_code_ref(r) for r in refs]
        self.cursor.execute(self.d.with_keys(_CODES_SQL, len(wanted)),
                            (document_id, version_id, coder_id, start, end, project_id, *[k for _, k in wanted]))
        return self._codes(wanted, self.cursor.fetchall())

    @staticmethod
    def _codes(wanted: list[tuple[str | None, str]], rows: list[tuple]) -> list[_Code] | None:
        """Rows (id, key, codebook key, codable, enabled, done) matched to ("codebook" or None, key) references."""
        codes: dict[int, _Code] = {}
        for book, key in wanted:
            found = [r for r in rows if r[1] == key and (book is None or r[2] == book)]
            if len(found) != 1:
                return None  # missing, or a key two codebooks share
            code_id, key, _book, codable, enabled, done = found[0]
            if not (codable and enabled):
                return None
            codes.setdefault(code_id, _Code(code_id, key, bool(done)))  # two references to one code: one coding
        return list(codes.values())

    def derive(self, document_id: int, segment_id: int, segment_guid: str) -> None:
        """The new segment's rows of the matrices' read path, in this transaction (store.matrix_facts): this
        connection commits without a Session, whose commit would otherwise derive them."""
        d, cursor = self.d, self.cursor
        cursor.execute(d.facts_sql, (dashed_guid(segment_guid), segment_id))
        cursor.execute(d.pdf_sql, (segment_id,))
        pdf = cursor.fetchone()
        if pdf is not None:
            pages = json.loads(pdf[0]) if isinstance(pdf[0], str) else pdf[0]
            cursor.execute(d.page_sql, (page_at(pages, pdf[1]), segment_id))
        cursor.execute(d.unmark_sql, (document_id, segment_id))

    def insert(self, *, project_guid: str, document_id: int, document_guid: str, version_id: int, version: int,
               coder_id: int, coder_name: str, start: int, end: int, codes: list[_Code], actor: str, origin: str,
               matched_term: str | None) -> tuple[int, str]:
        """The segment, one coding per code and the event (as record_event writes it).

        Returns the segment's id and guid (32 hex digits, time-ordered as store.bulk makes them).
        """
        d, cursor = self.d, self.cursor
        segment_guid, *guids = new_guids(1 + len(codes))
        now = d.timestamp(utcnow())
        cursor.execute(d.segment_sql, (segment_guid, document_id, version_id, coder_id, start, end, now))
        segment_id = cursor.fetchone()[0] if d.returning else cursor.lastrowid
        for guid, code in zip(guids, codes):
            cursor.execute(d.coding_sql, (guid, segment_id, code.id, now, origin, matched_term))
        self.derive(document_id, segment_id, segment_guid)
        after = {"document": document_guid, "text_version": version, "start": start, "end": end,
                 "coder": coder_name, "codes": [c.key for c in codes],
                 "codings": [str(uuid.UUID(g)) for g in guids], "origin": origin,
                 **({"matched_term": matched_term} if matched_term else {})}
        cursor.execute(d.event_sql, (project_guid, now, actor, segment_guid, d.json(after)))
        return segment_id, segment_guid


@dataclass
class CodingRecord:
    guid: uuid.UUID
    segment: uuid.UUID
    document: str
    document_guid: uuid.UUID
    case: str | None
    code: str
    coder: str
    start: int
    end: int
    text: str
    aspirational: bool = False
    beneficiary: str | None = None

    def as_dict(self) -> dict:
        return {"guid": str(self.guid), "segment": str(self.segment), "document": self.document,
                "case": self.case, "code": self.code, "coder": self.coder, "start": self.start,
                "end": self.end, "text": self.text, "aspirational": self.aspirational,
                "beneficiary": self.beneficiary}


def list_codings(
    session: Session, project: Project, *, document: Document | None = None, coder: Coder | None = None,
    blind: BlindScope = NOT_BLIND,
) -> list[CodingRecord]:
    """Codings in document, position and code order, each with its coded text (on documents the viewer codes
    blind, only their own)."""
    stmt = (
        select(Coding.guid, Segment.guid, Document.title, Document.guid, Document.id, Code.key, Coder.name,
               Segment.start, Segment.end, Segment.text_version_id, Coding.aspirational, Coding.beneficiary)
        .join(Segment, Coding.segment_id == Segment.id)
        .join(Document, Segment.document_id == Document.id)
        .join(Code, Coding.code_id == Code.id)
        .join(Coder, Segment.coder_id == Coder.id)
        .where(Document.project_id == project.id)
    )
    if document is not None:
        stmt = stmt.where(Document.id == document.id)
    if coder is not None:
        stmt = stmt.where(Coder.id == coder.id)
    if blind.active:
        stmt = stmt.where(blind.visible())
    rows = session.execute(stmt).all()
    version_ids = {r[9] for r in rows}
    texts = dict(session.execute(select(TextVersion.id, TextVersion.text).where(TextVersion.id.in_(version_ids))).all()) if version_ids else {}
    doc_ids = {r[4] for r in rows}
    first_case: dict[int, str] = {}
    if doc_ids:
        for doc_id, name in session.execute(
            select(CaseDocument.document_id, Case.name).join(Case).where(CaseDocument.document_id.in_(doc_ids))
        ):
            if doc_id not in first_case or (name.casefold(), name) < (first_case[doc_id].casefold(), first_case[doc_id]):
                first_case[doc_id] = name
    records = [
        CodingRecord(guid=r[0], segment=r[1], document=r[2], document_guid=r[3], case=first_case.get(r[4]),
                     code=r[5], coder=r[6], start=r[7], end=r[8], text=texts[r[9]][r[7]:r[8]], aspirational=r[10],
                     beneficiary=r[11])
        for r in rows
    ]
    records.sort(key=lambda c: (c.document.casefold(), c.document, c.start, c.end, c.code, c.coder))
    return records
