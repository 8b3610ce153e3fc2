"""The Kruispunt schema: one database, many projects, REFI-QDA-shaped entities.

Offsets on turns, sentences and segments are Unicode code points over the
normalised text of one text version, end exclusive. Derived things (counts,
matrices, agreement) are never stored here; what people write is.

Long on purpose: the whole schema is one module, so that every table, constraint and the naming convention
read together, and Alembic compares the migrations against one metadata.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    Uuid,
    cast,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC on both databases (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store UTC-aware datetimes")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _guid() -> Mapped[uuid.UUID]:
    return mapped_column(Uuid, default=uuid.uuid4, nullable=False)


def guid_text(column: Any) -> Any:
    """A guid column read as text: the driver's string, not a `uuid.UUID` made for each row only to be printed again
    (a tenth of the quotes matrix's time). PostgreSQL gives the dashed form, SQLite the 32 hex digits it stores;
    `dashed_guid` makes them one."""
    return cast(column, String)


def dashed_guid(text: str) -> str:
    """A guid read by `guid_text` in the form `str(uuid.UUID(...))` gives."""
    return text if len(text) == 36 else f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


DOCUMENT_KINDS = ("interview", "focus group", "observation", "document")
ATTRIBUTE_TYPES = ("text", "boolean", "integer", "float", "date", "category")
ATTRIBUTE_TARGETS = ("case", "document", "person")
SPEAKER_ROLES = ("interviewer", "co-interviewer", "respondent", "facilitator", "participant", "observer", "unknown")
MEMO_TARGETS = ("project", "case", "document", "code", "segment")


class Project(Base):
    __tablename__ = "project"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[uuid.UUID] = _guid()
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    __table_args__ = (UniqueConstraint("guid"),)


class Coder(Base):
    __tablename__ = "coder"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[uuid.UUID] = _guid()
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    __table_args__ = (UniqueConstraint("project_id", "name"), UniqueConstraint("guid"))


class Case(Base):
    __tablename__ = "case"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[uuid.UUID] = _guid()
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    documents: Mapped[list[Document]] = relationship(secondary="case_document", back_populates="cases")
    __table_args__ = (UniqueConstraint("project_id", "name"), UniqueConstraint("guid"))


class Document(Base):
    __tablename__ = "document"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[uuid.UUID] = _guid()
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20), default="interview")
    language: Mapped[str | None] = mapped_column(String(8))
    source_filename: Mapped[str] = mapped_column(String(500))
    source_format: Mapped[str] = mapped_column(String(10))
    source_encoding: Mapped[str | None] = mapped_column(String(20))
    sha256: Mapped[str] = mapped_column(String(64))
    file_size: Mapped[int] = mapped_column(Integer)
    original_bytes: Mapped[bytes] = deferred(mapped_column(LargeBinary))
    document_date: Mapped[date | None] = mapped_column(Date)
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    # Whose codings count in matrices by default; NULL = the coder who coded the document first.
    primary_coder_id: Mapped[int | None] = mapped_column(ForeignKey("coder.id", ondelete="SET NULL"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cases: Mapped[list[Case]] = relationship(secondary="case_document", back_populates="documents")
    __table_args__ = (
        UniqueConstraint("project_id", "title"),
        UniqueConstraint("project_id", "sha256"),
        UniqueConstraint("guid"),
        CheckConstraint(
            "kind IN ('interview', 'focus group', 'observation', 'document')", name="kind"
        ),
    )


class CaseDocument(Base):
    __tablename__ = "case_document"
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), primary_key=True)
    __table_args__ = (Index("ix_case_document_document_id", "document_id"),)


class TextVersion(Base):
    """An immutable text of a document; segments point at the version they were made on."""

    __tablename__ = "text_version"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[uuid.UUID] = _guid()
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = deferred(mapped_column(Text))
    length: Mapped[int] = mapped_column(Integer)
    normalisation_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The document's title and speaker labels while this was its text (kept when an edit replaces it, so undo
    # puts them back; purged with the version, names and all).
    naming: Mapped[dict | None] = mapped_column(JSON)
    # A PDF's page starts (code points into this text, page 1 first); None for a document without pages.
    pages: Mapped[list | None] = mapped_column(JSON)
    __table_args__ = (
        UniqueConstraint("document_id", "version"), UniqueConstraint("guid"),
        # A document's current length without reading past its text (SQLite keeps the text in the row).
        Index("ix_text_version_document_id_version_length", "document_id", "version", "length"),
    )


class Person(Base):
    __tablename__ = "person"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[uuid.UUID] = _guid()
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    pseudonym: Mapped[str] = mapped_column(String(100), default="")
    role: Mapped[str] = mapped_column(String(100), default="")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id", ondelete="SET NULL"), index=True)
    __table_args__ = (UniqueConstraint("project_id", "name"), UniqueConstraint("guid"))


class Speaker(Base):
    """A speaker label as written in one document, with its role and optional person."""

    __tablename__ = "speaker"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[uuid.UUID] = _guid()
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20), default="unknown")
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    __table_args__ = (UniqueConstraint("document_id", "label"), UniqueConstraint("guid"))


class Turn(Base):
    __tablename__ = "turn"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[uuid.UUID] = _guid()
    text_version_id: Mapped[int] = mapped_column(ForeignKey("text_version.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(Integer)
    speaker_id: Mapped[int | None] = mapped_column(ForeignKey("speaker.id", ondelete="SET NULL"), index=True)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    content_start: Mapped[int] = mapped_column(Integer)
    start_ms: Mapped[int | None] = mapped_column(Integer)
    end_ms: Mapped[int | None] = mapped_column(Integer)
    language: Mapped[str | None] = mapped_column(String(8))
    __table_args__ = (
        UniqueConstraint("text_version_id", "ordinal"),
        UniqueConstraint("guid"),
        CheckConstraint('start <= content_start AND content_start <= "end"', name="span"),
        Index("ix_turn_text_version_id_start", "text_version_id", "start"),  # a segment's turn (matrices' quotes)
    )


class Sentence(Base):
    __tablename__ = "sentence"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[uuid.UUID] = _guid()
    text_version_id: Mapped[int] = mapped_column(ForeignKey("text_version.id", ondelete="CASCADE"))
    turn_id: Mapped[int | None] = mapped_column(ForeignKey("turn.id", ondelete="CASCADE"), index=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    __table_args__ = (UniqueConstraint("text_version_id", "ordinal"), UniqueConstraint("guid"))


class AttributeDefinition(Base):
    __tablename__ = "attribute_definition"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[uuid.UUID] = _guid()
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    target: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(10))
    unit: Mapped[str] = mapped_column(String(50), default="")
    __table_args__ = (
        UniqueConstraint("project_id", "target", "name"),
        UniqueConstraint("guid"),
        CheckConstraint("target IN ('case', 'document', 'person')", name="target"),
        CheckConstraint(
            "type IN ('text', 'boolean', 'integer', 'float', 'date', 'category')", name="type"
        ),
    )


class AttributeValue(Base):
    """One typed value on exactly one case, document or person."""

    __tablename__ = "attribute_value"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[uuid.UUID] = _guid()
    definition_id: Mapped[int] = mapped_column(ForeignKey("attribute_definition.id", ondelete="CASCADE"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    value_text: Mapped[str | None] = mapped_column(Text)
    value_bool: Mapped[bool | None] = mapped_column(Boolean)
    value_int: Mapped[int | None] = mapped_column(BigInteger)
    value_float: Mapped[float | None] = mapped_column(Float)
    value_date: Mapped[date | None] = mapped_column(Date)
    __table_args__ = (
        UniqueConstraint("definition_id", "case_id"),
        UniqueConstraint("definition_id", "document_id"),
        UniqueConstraint("definition_id", "person_id"),
        UniqueConstraint("guid"),
        CheckConstraint(
            "(CASE WHEN case_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN document_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN person_id IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_target",
        ),
    )


class Codebook(Base):
    """A codebook: a template (project_id NULL: imported) or a project's own adopted copy."""

    __tablename__ = "codebook"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[uuid.UUID] = _guid()
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(50), default="")
    origin: Mapped[str] = mapped_column(String(20))
    version: Mapped[str] = mapped_column(String(50), default="1.0")
    ordered: Mapped[bool] = mapped_column(Boolean, default=False)
    name_en: Mapped[str] = mapped_column(String(200), default="")
    name_nl: Mapped[str] = mapped_column(String(200), default="")
    name_de: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    adopted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    codes: Mapped[list[Code]] = relationship(
        back_populates="codebook", order_by="Code.position", cascade="all, delete-orphan"
    )
    __table_args__ = (
        UniqueConstraint("project_id", "key"),
        UniqueConstraint("guid"),
        CheckConstraint("origin IN ('builtin', 'imported', 'project')", name="origin"),
    )


class Code(Base):
    __tablename__ = "code"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[uuid.UUID] = _guid()
    codebook_id: Mapped[int] = mapped_column(ForeignKey("codebook.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("code.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)
    label_en: Mapped[str] = mapped_column(String(200), default="")
    label_nl: Mapped[str] = mapped_column(String(200), default="")
    label_de: Mapped[str] = mapped_column(String(200), default="")
    definition: Mapped[str] = mapped_column(Text, default="")
    include_rule: Mapped[str] = mapped_column(Text, default="")
    exclude_rule: Mapped[str] = mapped_column(Text, default="")
    example: Mapped[str] = mapped_column(Text, default="")
    colour: Mapped[str] = mapped_column(String(7), default="#999999")
    rank: Mapped[float | None] = mapped_column(Float)
    horizon: Mapped[str | None] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(Text, default="")
    codable: Mapped[bool] = mapped_column(Boolean, default=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    codebook: Mapped[Codebook] = relationship(back_populates="codes")
    __table_args__ = (UniqueConstraint("codebook_id", "key"), UniqueConstraint("codebook_id", "guid"))


class Segment(Base):
    """A selected span of one text version by one coder; carries one or more codings."""

    __tablename__ = "segment"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[uuid.UUID] = _guid()
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"))
    text_version_id: Mapped[int] = mapped_column(ForeignKey("text_version.id", ondelete="CASCADE"), index=True)
    coder_id: Mapped[int] = mapped_column(ForeignKey("coder.id", ondelete="CASCADE"), index=True)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Its whole text was deleted by an edit: it stays on the text it was made on until a coder places or deletes it.
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    codings: Mapped[list[Coding]] = relationship(back_populates="segment", cascade="all, delete-orphan")
    __table_args__ = (
        UniqueConstraint("guid"),
        CheckConstraint('0 <= start AND start < "end"', name="span"),
        Index("ix_segment_document_id_start", "document_id", "start"),
        Index("ix_segment_document_id", "document_id"),  # who coded a document first: its lowest segment id
    )


CODING_ORIGINS = ("manual", "suggestion")
BENEFICIARIES = ("self", "team", "organisation", "network", "stakeholder")  # checked by coding.coding_flags


class Coding(Base):
    __tablename__ = "coding"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[uuid.UUID] = _guid()
    segment_id: Mapped[int] = mapped_column(ForeignKey("segment.id", ondelete="CASCADE"))
    code_id: Mapped[int] = mapped_column(ForeignKey("code.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # "suggestion": accepted from an auto-code suggestion by the segment's coder; matched_term says why.
    origin: Mapped[str] = mapped_column(String(20), default="manual", server_default="manual")
    matched_term: Mapped[str | None] = mapped_column(String(200))
    # Value creation (DOMAIN 2.1): a hope or plan rather than a deed, and who the value is for (BENEFICIARIES).
    aspirational: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    beneficiary: Mapped[str | None] = mapped_column(String(20))
    segment: Mapped[Segment] = relationship(back_populates="codings")
    __table_args__ = (UniqueConstraint("segment_id", "code_id"), UniqueConstraint("guid"))


class MatrixCoding(Base):
    """Derived, never the only copy: one row per coding and case of its document (case_id None when the document
    is in no case), carrying what the matrices group, filter and quote by, so that the count is one covering
    index range and the quote a row read (issue 18). Kept by store.matrix_facts in the transaction of every write;
    rebuilt from the normalised tables at any time."""

    __tablename__ = "matrix_coding"
    id: Mapped[int] = mapped_column(primary_key=True)
    codebook_id: Mapped[int] = mapped_column(Integer)  # (its project is the codebook's)
    code_id: Mapped[int] = mapped_column(Integer)
    coding_id: Mapped[int] = mapped_column(ForeignKey("coding.id", ondelete="CASCADE"), index=True)
    segment_id: Mapped[int] = mapped_column(Integer, index=True)
    segment_guid: Mapped[str] = mapped_column(String(36))  # as str(uuid) prints it, ready to show
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int | None] = mapped_column(Integer)
    coder_id: Mapped[int] = mapped_column(Integer)
    is_primary: Mapped[bool] = mapped_column(Boolean)  # the coder is the document's primary coder
    text_version_id: Mapped[int] = mapped_column(Integer)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    turn: Mapped[int | None] = mapped_column(Integer)  # ordinal of the turn holding the start
    speaker_id: Mapped[int | None] = mapped_column(Integer)
    page: Mapped[int | None] = mapped_column(Integer)  # a PDF's page holding the start
    text: Mapped[str] = mapped_column(Text)
    __table_args__ = (
        Index("ix_matrix_coding_count", "codebook_id", "is_primary", "case_id", "code_id", "document_id"),
    )


class MatrixDirty(Base):
    """What changed since store.matrix_facts last brought MatrixCoding up to date, written by database triggers
    (so no write path can forget it): a segment, a document's primary coder (segment_id -1) or a whole document
    (segment_id 0). Empty after every commit through a Session."""

    __tablename__ = "matrix_dirty"
    document_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    segment_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class Memo(Base):
    __tablename__ = "memo"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[uuid.UUID] = _guid()
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    target: Mapped[str] = mapped_column(String(10))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), index=True)
    code_id: Mapped[int | None] = mapped_column(ForeignKey("code.id", ondelete="CASCADE"), index=True)
    segment_id: Mapped[int | None] = mapped_column(ForeignKey("segment.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("coder.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    __table_args__ = (
        UniqueConstraint("guid"),
        CheckConstraint("target IN ('project', 'case', 'document', 'code', 'segment')", name="target"),
    )


class Event(Base):
    """Append-only log of every change: who, what, when, before/after; never transcript text."""

    __tablename__ = "event"
    id: Mapped[int] = mapped_column(primary_key=True)
    project_guid: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(50))
    entity: Mapped[str] = mapped_column(String(30))
    entity_guid: Mapped[uuid.UUID] = mapped_column(Uuid)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)


class CodeIndicator(Base):
    """A term that suggests a code in one language (matched on lemmas); suggestions only, never codings."""

    __tablename__ = "code_indicator"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[uuid.UUID] = _guid()
    code_id: Mapped[int] = mapped_column(ForeignKey("code.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(8))
    term: Mapped[str] = mapped_column(String(200))
    __table_args__ = (UniqueConstraint("code_id", "language", "term"), UniqueConstraint("guid"))


class LemmaPair(Base):
    """A project's own word form -> lemma, where spaCy's lookup tables miss a form (e.g. nl 'geleerd' -> 'leren')."""

    __tablename__ = "lemma_pair"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[uuid.UUID] = _guid()
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(8))
    form: Mapped[str] = mapped_column(String(200))
    lemma: Mapped[str] = mapped_column(String(200))
    __table_args__ = (UniqueConstraint("project_id", "language", "form"), UniqueConstraint("guid"))


CELL_STATES = ("assessed", "not_assessed", "no_data", "absent", "not_applicable")
VALIDATION_STATUSES = ("proposed", "discussed", "confirmed", "amended", "disputed")
FEEDBACK_STANCES = ("agree", "disagree", "amend", "add", "recognised", "not_recognised", "missing")
MASK_KINDS = ("person", "organisation", "place", "other")
SESSION_PURPOSES = ("codebook", "validation")


class RatingLevel(Base):
    """One step of a project's ordinal rating scale (1 weak ... 4 very strong) with its decision rule."""

    __tablename__ = "rating_level"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[uuid.UUID] = _guid()
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    level: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(100))
    rule: Mapped[str] = mapped_column(Text, default="")
    __table_args__ = (
        UniqueConstraint("project_id", "level"),
        UniqueConstraint("guid"),
        CheckConstraint("level BETWEEN 1 AND 4", name="level"),
    )


class FrameworkCell(Base):
    """What the analyst wrote on one case x code cell of the framework matrix (counts stay derived)."""

    __tablename__ = "framework_cell"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[uuid.UUID] = _guid()
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    code_id: Mapped[int] = mapped_column(ForeignKey("code.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="not_assessed")
    rating: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text, default="")
    validation: Mapped[str] = mapped_column(String(20), default="proposed")
    updated_by: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    quotes: Mapped[list[CellQuote]] = relationship(
        back_populates="cell", order_by="CellQuote.position", cascade="all, delete-orphan"
    )
    __table_args__ = (
        UniqueConstraint("case_id", "code_id"),
        UniqueConstraint("guid"),
        CheckConstraint(
            "state IN ('assessed', 'not_assessed', 'no_data', 'absent', 'not_applicable')", name="state"
        ),
        CheckConstraint(
            "validation IN ('proposed', 'discussed', 'confirmed', 'amended', 'disputed')", name="validation"
        ),
        CheckConstraint("rating IS NULL OR (state = 'assessed' AND rating BETWEEN 1 AND 4)", name="rating"),
    )


class CellQuote(Base):
    """An exemplar quote pinned to a framework cell: one of the cell's segments; position 0 is the headline."""

    __tablename__ = "cell_quote"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[uuid.UUID] = _guid()
    cell_id: Mapped[int] = mapped_column(ForeignKey("framework_cell.id", ondelete="CASCADE"), index=True)
    segment_id: Mapped[int] = mapped_column(ForeignKey("segment.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    cell: Mapped[FrameworkCell] = relationship(back_populates="quotes")
    __table_args__ = (UniqueConstraint("cell_id", "segment_id"), UniqueConstraint("guid"))


class FocusGroupSession(Base):
    """A member-validation meeting: session 1 walks the codebooks, session 2 validates the matrices."""

    __tablename__ = "focus_group_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[uuid.UUID] = _guid()
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    held_on: Mapped[date] = mapped_column(Date)
    purpose: Mapped[str] = mapped_column(String(20), default="validation")
    attendees: Mapped[dict] = mapped_column(JSON, default=dict)  # participant role -> how many attended
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    __table_args__ = (
        UniqueConstraint("project_id", "name"),
        UniqueConstraint("guid"),
        CheckConstraint("purpose IN ('codebook', 'validation')", name="purpose"),
    )


class Feedback(Base):
    """What a participant said about a cell (case + code), a code, or a concept the codebook misses."""

    __tablename__ = "feedback"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[uuid.UUID] = _guid()
    session_id: Mapped[int] = mapped_column(ForeignKey("focus_group_session.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    code_id: Mapped[int | None] = mapped_column(ForeignKey("code.id", ondelete="CASCADE"), index=True)
    stance: Mapped[str] = mapped_column(String(20))
    participant_role: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    promoted_code_id: Mapped[int | None] = mapped_column(ForeignKey("code.id", ondelete="SET NULL"))
    # A remark on one step of a value-creation story (the story walk): the step's guid, kept when the step is
    # edited away so the remark still says which step it was about; case and code are the step's story and cycle.
    story_step_guid: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    __table_args__ = (
        UniqueConstraint("guid"),
        CheckConstraint(
            "stance IN ('agree', 'disagree', 'amend', 'add', 'recognised', 'not_recognised', 'missing')",
            name="stance",
        ),
        CheckConstraint("case_id IS NULL OR code_id IS NOT NULL", name="cell_has_code"),
    )


class MaskTerm(Base):
    """A name masked in anonymised quotes (person, organisation, place), with what replaces it."""

    __tablename__ = "mask_term"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[uuid.UUID] = _guid()
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    term: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="other")
    replacement: Mapped[str] = mapped_column(String(200), default="")
    __table_args__ = (
        UniqueConstraint("project_id", "term"),
        UniqueConstraint("guid"),
        CheckConstraint("kind IN ('person', 'organisation', 'place', 'other')", name="kind"),
    )


class Story(Base):
    """A value-creation story: one case's (and optionally one person's) chain of coded segments through the cycles,
    written by a researcher (coding.stories); its checks and matrices are derived."""

    __tablename__ = "story"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[uuid.UUID] = _guid()
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    steps: Mapped[list[StoryStep]] = relationship(
        back_populates="story", order_by="StoryStep.position", cascade="all, delete-orphan"
    )
    __table_args__ = (UniqueConstraint("project_id", "title"), UniqueConstraint("guid"))


class StoryStep(Base):
    """One step of a story: a coded segment, the cycle it stands for there, and how it follows from the step before."""

    __tablename__ = "story_step"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[uuid.UUID] = _guid()
    story_id: Mapped[int] = mapped_column(ForeignKey("story.id", ondelete="CASCADE"), index=True)
    segment_id: Mapped[int] = mapped_column(ForeignKey("segment.id", ondelete="CASCADE"), index=True)
    cycle_code_id: Mapped[int] = mapped_column(ForeignKey("code.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 0 = first; dense, renumbered by every change
    note: Mapped[str] = mapped_column(Text, default="")
    story: Mapped[Story] = relationship(back_populates="steps")
    __table_args__ = (UniqueConstraint("story_id", "segment_id"), UniqueConstraint("guid"))


BIN_KINDS = ("document", "case", "person", "attribute", "session", "story")


class BinItem(Base):
    """Something deleted from a project, kept whole until it is restored or the bin is emptied.

    `content` holds every row that went with it (zlib-compressed JSON, `store.snapshot`), so that a restore puts
    back the same rows with the same guids; `summary` says what went, for the bin listing.
    """

    __tablename__ = "bin_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[uuid.UUID] = _guid()
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    entity_guid: Mapped[uuid.UUID] = mapped_column(Uuid)
    name: Mapped[str] = mapped_column(String(200))
    deleted_by: Mapped[str] = mapped_column(String(200))
    deleted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    summary: Mapped[dict] = mapped_column(JSON)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    __table_args__ = (
        UniqueConstraint("guid"),
        CheckConstraint("kind IN ('document', 'case', 'person', 'attribute', 'session', 'story')", name="kind"),
    )


ROLES = ("owner", "coder", "facilitator", "viewer")  # what each may do: store.privileges.Role


class Account(Base):
    """A person who signs in: one identity (issuer + subject of their OpenID Connect provider), across projects.

    Local mode has one account, issuer 'local': the machine's researcher, whose name is asked once.
    """

    __tablename__ = "account"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[uuid.UUID] = _guid()
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(500))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    __table_args__ = (UniqueConstraint("guid"), UniqueConstraint("issuer", "subject"))


class Member(Base):
    """Someone's place in a project: their role and the coder their work is recorded as.

    Added by an owner by e-mail; `account_id` is filled when that person first signs in (an invitation until
    then). A project without members is a local one: whoever reaches its database is its owner.
    """

    __tablename__ = "member"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[uuid.UUID] = _guid()
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    coder_id: Mapped[int] = mapped_column(ForeignKey("coder.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))
    show_names: Mapped[bool] = mapped_column(Boolean, default=False)
    __table_args__ = (
        UniqueConstraint("guid"),
        UniqueConstraint("project_id", "email"),
        UniqueConstraint("project_id", "account_id"),
        UniqueConstraint("coder_id"),
        CheckConstraint("role IN ('owner', 'coder', 'facilitator', 'viewer')", name="role"),
    )


class Assignment(Base):
    """A document given to a second coder for double coding: blind (that coder sees nobody else's codings on it,
    nor anything counted from them) until an owner reveals it, normally once the coder has said they finished."""

    __tablename__ = "assignment"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[uuid.UUID] = _guid()
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), index=True)
    coder_id: Mapped[int] = mapped_column(ForeignKey("coder.id", ondelete="CASCADE"), index=True)
    blind: Mapped[bool] = mapped_column(Boolean, default=True)
    assigned_by: Mapped[str] = mapped_column(String(200))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revealed_by: Mapped[str | None] = mapped_column(String(200))
    __table_args__ = (UniqueConstraint("guid"), UniqueConstraint("document_id", "coder_id"))


ADJUDICATION_DECISIONS = ("a", "b", "both", "consensus")


class Adjudication(Base):
    """One decision on one disagreement between two coders (keep A's, keep B's, keep both, or a consensus span),
    applied to the document's consensus coder, whose codings the matrices then count."""

    __tablename__ = "adjudication"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[uuid.UUID] = _guid()
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), index=True)
    code_id: Mapped[int] = mapped_column(ForeignKey("code.id", ondelete="CASCADE"), index=True)
    coder_a_id: Mapped[int] = mapped_column(ForeignKey("coder.id", ondelete="CASCADE"), index=True)
    coder_b_id: Mapped[int] = mapped_column(ForeignKey("coder.id", ondelete="CASCADE"), index=True)
    unit: Mapped[str] = mapped_column(String(20))
    region_start: Mapped[int] = mapped_column(Integer)
    region_end: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(10))
    consensus_start: Mapped[int | None] = mapped_column(Integer)
    consensus_end: Mapped[int | None] = mapped_column(Integer)
    consensus_codings: Mapped[str] = mapped_column(Text, default="")  # guids of the codings it made, space-separated
    decided_by: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    __table_args__ = (
        UniqueConstraint("guid"),
        UniqueConstraint("document_id", "code_id", "coder_a_id", "coder_b_id", "unit", "region_start", "region_end",
                         name="uq_adjudication_region"),
        CheckConstraint("decision IN ('a', 'b', 'both', 'consensus')", name="decision"),
    )


class SuggestionRejection(Base):
    """A person's "no" to a suggested code on a sentence: a negative example for the learned model, and the
    suggestion is not offered to them again. The sentence is kept as a hash of its text (no transcript text: a
    purge must be able to remove every copy of the originals), so the rejection follows the sentence through
    text edits elsewhere in the document."""

    __tablename__ = "suggestion_rejection"
    id: Mapped[int] = mapped_column(primary_key=True)
    guid: Mapped[uuid.UUID] = _guid()
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id", ondelete="CASCADE"), index=True)
    code_id: Mapped[int] = mapped_column(ForeignKey("code.id", ondelete="CASCADE"), index=True)
    coder_id: Mapped[int] = mapped_column(ForeignKey("coder.id", ondelete="CASCADE"), index=True)
    sentence_hash: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(10))
    rejected_by: Mapped[str] = mapped_column(String(200))
    rejected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    __table_args__ = (
        UniqueConstraint("guid"),
        UniqueConstraint("document_id", "code_id", "coder_id", "sentence_hash", name="uq_suggestion_rejection"),
        CheckConstraint("method IN ('learned', 'terms')", name="method"),
    )
