"""Retrieval: the coded segments for chosen codes, filtered, each with the turn around it.

One query per concern (the project's codes, the segments with their context,
the codes on those segments, the case names), never one per row. Filters run in
SQL on plain equality of ids and typed attribute columns, so SQLite and
PostgreSQL return the same rows; ordering happens in Python with explicit keys
(document title, then position), never by database collation.

The speaker of a segment is the speaker of the turn that contains its start;
the context is that turn's content (without the speaker label), widened to the
whole segment when the segment runs on past the turn.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from cases.attributes import parse_value
from cases.documents import document_case_names, page_at, page_starts, quote_citation, turn_number
from cases.projects import find_case, find_person, get_document, list_cases, list_coders, list_persons
from codebooks.service import code_label, code_tree, list_project_codebooks, split_code_ref
from coding.assignments import NOT_BLIND, BlindScope
from store.errors import Refused
from store.matrix_facts import TURN_OF_SEGMENT
from store.models import (
    ATTRIBUTE_TARGETS,
    SPEAKER_ROLES,
    AttributeDefinition,
    AttributeValue,
    CaseDocument,
    Code,
    Codebook,
    Coder,
    Coding,
    Document,
    Person,
    Project,
    Segment,
    Speaker,
    TextVersion,
    Turn,
)


# The speaker of a segment is the speaker of the turn holding its start (TURN_OF_SEGMENT, in every query that
# attributes one).
def speaker_key(speaker: Any = Speaker) -> Any:
    """A person, or an unlinked speaker label, as one integer; `speaker` may be the table's columns."""
    return func.coalesce(speaker.person_id, -speaker.id)


SPEAKER_KEY = speaker_key()

AttributeFilter = tuple[str, str, Any]  # (target: case|document|person, attribute name, value)

# The typed column holding an attribute's value, per attribute type (also the matrix's attribute rows).
VALUE_COLUMN = {"text": AttributeValue.value_text, "category": AttributeValue.value_text,
                "boolean": AttributeValue.value_bool, "integer": AttributeValue.value_int,
                "float": AttributeValue.value_float, "date": AttributeValue.value_date}


@dataclass
class RetrievedSegment:
    segment: uuid.UUID
    document: str
    document_guid: uuid.UUID
    cases: list[str]
    codes: list[str]  # every code on the segment, in codebook order
    matched: list[str]  # the requested code keys this segment answers to (directly or through a sub-code)
    coder: str
    start: int
    end: int
    text: str
    context: str  # the enclosing turn's content, widened to the whole segment
    context_start: int
    context_end: int
    turn: int | None  # ordinal of the turn containing the start
    speaker: str | None  # the speaker label as written in the transcript
    role: str
    pseudonym: str | None
    text_version: int = 0
    speaker_key: int | None = None  # the person, or (negated) an unlinked speaker: who said it, for anonymising
    page: int | None = None  # a PDF's page the segment starts on ("p. 12"); None for a transcript

    @property
    def case(self) -> str | None:
        return self.cases[0] if self.cases else None

    def citation(self, *, document: bool = True) -> str:
        """"gesprek noord · turn 2", "plan · p. 3 · ¶5" (cases.documents.quote_citation)."""
        return quote_citation(self.turn, self.speaker, page=self.page, document=self.document if document else None)

    def as_dict(self) -> dict:
        return {"segment": str(self.segment), "document": self.document, "document_guid": str(self.document_guid),
                "case": self.case, "cases": self.cases, "codes": self.codes, "matched": self.matched,
                "coder": self.coder, "start": self.start, "end": self.end, "text": self.text,
                "turn": turn_number(self.turn), "turn_ordinal": self.turn, "speaker": self.speaker, "role": self.role,
                "person": self.pseudonym, "page": self.page,
                "context": self.context, "context_start": self.context_start, "context_end": self.context_end}


@dataclass
class CodeOption:
    key: str
    label: str
    depth: int
    codebook: str
    codable: bool = True


@dataclass
class RetrieveOptions:
    """Everything the Retrieve page's filter widgets offer, read in a few queries."""

    codes: list[CodeOption]
    cases: list[str]
    documents: list[tuple[str, str]]  # (guid, title)
    persons: list[tuple[str, str]]  # (guid, shown name: pseudonym or name)
    coders: list[str]
    roles: list[str]
    attributes: dict[str, dict[str, list[Any]]] = field(default_factory=dict)  # target -> name -> values


# --- the codes ------------------------------------------------------------------------------------

@dataclass
class _CodeInfo:
    id: int
    parent_id: int | None
    key: str
    codebook_id: int
    codebook_key: str
    position: int


def _project_codes(session: Session, project: Project) -> list[_CodeInfo]:
    stmt = (
        select(Code.id, Code.parent_id, Code.key, Code.codebook_id, Codebook.key, Code.position)
        .join(Codebook, Code.codebook_id == Codebook.id)
        .where(Codebook.project_id == project.id)
    )
    return [_CodeInfo(*row) for row in session.execute(stmt)]


def _resolve_codes(codes: list[_CodeInfo], project: Project, keys: list[str], include_subtrees: bool
                   ) -> dict[str, set[int]]:
    """{requested key: the code ids it stands for}; `codebook/key` names a key that several codebooks share."""
    children: dict[int | None, list[int]] = {}
    for c in codes:
        children.setdefault(c.parent_id, []).append(c.id)
    out: dict[str, set[int]] = {}
    for wanted in dict.fromkeys(keys):
        book, key = split_code_ref(wanted)
        found = [c for c in codes if c.key == key and (not book or c.codebook_key == book)]
        if not found:
            raise Refused(f"project '{project.name}' has no code '{wanted}'")
        if len(found) > 1:
            raise Refused(f"code '{key}' exists in several codebooks; write it as codebook/{key}")
        ids = {found[0].id}
        if include_subtrees:
            stack = [found[0].id]
            while stack:
                for child in children.get(stack.pop(), []):
                    if child not in ids:
                        ids.add(child)
                        stack.append(child)
        out[wanted] = ids
    return out


# --- filters --------------------------------------------------------------------------------------

def attribute_match(session: Session, project: Project, attribute: AttributeFilter) -> tuple[str, Select]:
    """("document", SELECT of matching document ids) for a case or document attribute, or
    ("person", SELECT of matching person ids) for a person attribute; the value is read as the attribute's type."""
    target, name, raw = attribute
    if target not in ATTRIBUTE_TARGETS:
        raise Refused(f"attributes belong to a case, document or person, not '{target}'")
    definition = session.scalar(select(AttributeDefinition).where(
        AttributeDefinition.project_id == project.id, AttributeDefinition.target == target,
        AttributeDefinition.name == " ".join(str(name).split())))
    if definition is None:
        raise Refused(f"project '{project.name}' has no {target} attribute '{name}'")
    value = parse_value(raw, definition.type)
    column = VALUE_COLUMN[definition.type]
    matching = and_(AttributeValue.definition_id == definition.id, column == value)
    if target == "case":
        return "document", (select(CaseDocument.document_id)
                            .join(AttributeValue, AttributeValue.case_id == CaseDocument.case_id).where(matching))
    if target == "document":
        return "document", select(AttributeValue.document_id).where(matching)
    return "person", select(AttributeValue.person_id).where(matching)


def attribute_condition(session: Session, project: Project, attribute: AttributeFilter) -> ColumnElement[bool]:
    """The filter over Segment (case/document attributes) or the segment's Speaker (person attributes)."""
    kind, ids = attribute_match(session, project, attribute)
    return Segment.document_id.in_(ids) if kind == "document" else Speaker.person_id.in_(ids)


def _find_person(session: Session, project: Project, ref: str) -> Person:
    person = find_person(session, project, ref)
    if person is None:
        ref_clean = " ".join(ref.split())
        candidates = [p for p in list_persons(session, project) if p.pseudonym == ref_clean]
        if len(candidates) == 1:
            person = candidates[0]
    if person is None:
        raise Refused(f"project '{project.name}' has no person '{ref}'")
    return person


# --- retrieval ------------------------------------------------------------------------------------

def retrieve_segments(
    session: Session,
    project: Project,
    *,
    code_keys: list[str],
    include_subtrees: bool = True,
    case: str | None = None,
    document: str | None = None,
    attribute: AttributeFilter | None = None,
    speaker_role: str | None = None,
    person: str | None = None,
    coder: str | None = None,
    segment_ids: Collection[int] | None = None,
    blind: BlindScope = NOT_BLIND,
) -> list[RetrievedSegment]:
    """Coded segments for the codes (all coded segments when `code_keys` is empty), in document and text order;
    on documents the viewer codes blind, only their own (`blind`).

    `case` is a case name or guid, `document` a title or guid, `person` a name, pseudonym or guid, `coder` a
    coder name; `attribute` is (target, name, value) with the value read as the attribute's type and compared
    on its typed column. A person attribute and the person and role filters apply to the segment's speaker.
    """
    codes = _project_codes(session, project)
    wanted = _resolve_codes(codes, project, code_keys, include_subtrees) if code_keys else {}
    coded = select(Coding.segment_id)
    if wanted:
        coded = coded.where(Coding.code_id.in_(sorted(set().union(*wanted.values()))))

    conditions = [Document.project_id == project.id, Segment.id.in_(coded)]
    if segment_ids is not None:
        conditions.append(Segment.id.in_(sorted(segment_ids)))
    if case is not None:
        found_case = find_case(session, project, case)
        if found_case is None:
            raise Refused(f"project '{project.name}' has no case '{case}'")
        conditions.append(Segment.document_id.in_(
            select(CaseDocument.document_id).where(CaseDocument.case_id == found_case.id)))
    if document is not None:
        conditions.append(Segment.document_id == get_document(session, project, document).id)
    if coder is not None:
        found_coder = next((c for c in list_coders(session, project) if c.name == coder.strip()), None)
        if found_coder is None:
            raise Refused(f"project '{project.name}' has no coder '{coder}'")
        conditions.append(Segment.coder_id == found_coder.id)
    if blind.active:
        conditions.append(blind.visible())
    if speaker_role is not None:
        if speaker_role not in SPEAKER_ROLES:
            raise Refused(f"unknown speaker role '{speaker_role}' (use one of: {', '.join(SPEAKER_ROLES)})")
        conditions.append(Speaker.role == speaker_role)
    if person is not None:
        conditions.append(Speaker.person_id == _find_person(session, project, person).id)
    if attribute is not None:
        conditions.append(attribute_condition(session, project, attribute))

    # Code points on both databases: SQLite's and PostgreSQL's substr count characters, not bytes.
    seg_text = func.substr(TextVersion.text, Segment.start + 1, Segment.end - Segment.start)
    # The context: the turn content, widened to the segment (no LEAST/GREATEST: SQLite lacks them).
    ctx_start = sql_case((Turn.content_start.is_(None), Segment.start),
                         (Segment.start < Turn.content_start, Segment.start), else_=Turn.content_start)
    ctx_end = sql_case((Turn.end.is_(None), Segment.end), (Segment.end > Turn.end, Segment.end), else_=Turn.end)
    stmt = (
        select(Segment.id, Segment.guid, Segment.start, Segment.end, Document.id, Document.title, Document.guid,
               Coder.name, TextVersion.version, Turn.ordinal, ctx_start, ctx_end, Speaker.label, Speaker.role,
               Person.pseudonym, seg_text, func.substr(TextVersion.text, ctx_start + 1, ctx_end - ctx_start),
               SPEAKER_KEY, TextVersion.id)
        .join(Document, Segment.document_id == Document.id)
        .join(Coder, Segment.coder_id == Coder.id)
        .join(TextVersion, Segment.text_version_id == TextVersion.id)
        .outerjoin(Turn, TURN_OF_SEGMENT)
        .outerjoin(Speaker, Turn.speaker_id == Speaker.id)
        .outerjoin(Person, Speaker.person_id == Person.id)
        .where(*conditions)
    )
    rows = session.execute(stmt).all()
    if not rows:
        return []

    # The codes on these segments: the same filtered set of segment ids, reused as a subquery.
    filtered_ids = stmt.with_only_columns(Segment.id)
    by_id = {c.id: c for c in codes}
    codes_of: dict[int, list[_CodeInfo]] = {}
    for segment_id, code_id in session.execute(
        select(Coding.segment_id, Coding.code_id).where(Coding.segment_id.in_(filtered_ids))
    ):
        codes_of.setdefault(segment_id, []).append(by_id[code_id])
    case_names = document_case_names(session, project)
    # A PDF's page starts, once per text version (transcripts have none)
    pages = page_starts(session, (row[-1] for row in rows))

    out: list[RetrievedSegment] = []
    for (seg_id, guid, start, end, doc_id, title, doc_guid, coder_name, version, ordinal, c_start, c_end,
         label, role, pseudonym, text, context, speaker_key, version_id) in rows:
        on_segment = sorted(codes_of.get(seg_id, []), key=lambda c: (c.codebook_id, c.position, c.key))
        ids = {c.id for c in on_segment}
        out.append(RetrievedSegment(
            segment=guid, document=title, document_guid=doc_guid, cases=case_names.get(doc_id, []),
            codes=[c.key for c in on_segment], matched=[k for k, want in wanted.items() if ids & want],
            coder=coder_name, start=start, end=end, text=text, context=context,
            context_start=c_start, context_end=c_end, turn=ordinal, speaker=label,
            role=role or "unknown", pseudonym=pseudonym or None, text_version=version, speaker_key=speaker_key,
            page=page_at(pages.get(version_id), start),
        ))
    out.sort(key=lambda r: (r.document.casefold(), r.document, r.start, r.end, r.coder.casefold(), r.coder,
                            str(r.segment)))
    return out


def marked_context(seg: RetrievedSegment, escape: Callable[[str], str]) -> str:
    """The turn as Markdown with the coded part in bold; `escape` makes every piece of transcript text literal.

    Bold cannot cross a line break, so the coded part is bolded line by line.
    """
    a, b = seg.start - seg.context_start, seg.end - seg.context_start
    context = seg.context
    parts = []
    for line in context[a:b].split("\n"):
        core = line.strip()
        lead, trail = line[: len(line) - len(line.lstrip())], line[len(line.rstrip()):]
        parts.append(f"{escape(lead)}**{escape(core)}**{escape(trail)}" if core else escape(line))
    return escape(context[:a]) + "  \n".join(parts) + escape(context[b:])


def group_by_code(segments: list[RetrievedSegment], code_keys: list[str]) -> list[tuple[str, list[RetrievedSegment]]]:
    """Per requested code (in the order asked), its segments with the same code across cases together:
    case by case (case name order; documents without a case last), then document title and position."""
    def key(r: RetrievedSegment) -> tuple:
        case = r.case
        return (case is None, (case or "").casefold(), case or "", r.document.casefold(), r.document, r.start,
                r.end, str(r.segment))

    groups = []
    for code in dict.fromkeys(code_keys):
        members = sorted((r for r in segments if code in r.matched), key=key)
        groups.append((code, members))
    return groups


# --- what the filter widgets offer ----------------------------------------------------------------

def retrieve_options(session: Session, project: Project, *, language: str = "en") -> RetrieveOptions:
    """Codes (depth-first in codebook order, with labels), cases, documents, persons, coders, roles, attributes."""
    codebooks = list_project_codebooks(session, project)
    keys_count: dict[str, int] = {}
    rows = [(cb, row) for cb in codebooks for row in code_tree(cb)]
    for _, row in rows:
        keys_count[row.code.key] = keys_count.get(row.code.key, 0) + 1
    codes = [CodeOption(key=row.code.key if keys_count[row.code.key] == 1 else f"{cb.key}:{row.code.key}",
                        label=code_label(row.code, language), depth=row.depth, codebook=cb.key,
                        codable=row.code.codable and row.code.enabled)
             for cb, row in rows]
    documents = sorted(session.execute(select(Document.guid, Document.title).where(Document.project_id == project.id)),
                       key=lambda d: (d[1].casefold(), d[1]))
    persons = [(str(p.guid), p.pseudonym or p.name) for p in list_persons(session, project)]
    return RetrieveOptions(
        codes=codes, cases=[c.name for c in list_cases(session, project)],
        documents=[(str(g), t) for g, t in documents], persons=persons,
        coders=sorted((c.name for c in list_coders(session, project)), key=lambda n: (n.casefold(), n)),
        roles=list(SPEAKER_ROLES), attributes=attribute_choices(session, project),
    )


def attribute_choices(session: Session, project: Project) -> dict[str, dict[str, list[Any]]]:
    """{target: {attribute name: distinct values in use, sorted}} in one query."""
    stmt = (
        select(AttributeDefinition.target, AttributeDefinition.name, AttributeDefinition.type, AttributeValue)
        .join(AttributeValue, AttributeValue.definition_id == AttributeDefinition.id)
        .where(AttributeDefinition.project_id == project.id)
    )
    found: dict[str, dict[str, set]] = {}
    for target, name, type_, value in session.execute(stmt):
        v = getattr(value, VALUE_COLUMN[type_].key)
        if v is not None:
            found.setdefault(target, {}).setdefault(name, set()).add(v)
    return {target: {name: sorted(values, key=attribute_value_order)
                     for name, values in sorted(names.items(), key=lambda kv: (kv[0].casefold(), kv[0]))}
            for target, names in sorted(found.items())}


def attribute_value_order(value: Any) -> tuple:
    """Sort key of attribute values: dates and numbers by value first, then text without regard to case."""
    if isinstance(value, str):
        return (1, value.casefold(), value)
    if isinstance(value, date):
        return (0, value.toordinal(), "")
    return (0, float(value), "")
