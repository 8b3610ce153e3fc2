"""The row dimension of a matrix: which SQL value places a coding in a row, and every row, coded or not.

Rows are cases, documents, attribute values (of a case, document or person attribute), speaker roles,
persons, or coders. Document-based rows (cases, documents, case/document attributes, coders) own whole
documents; speaker-based rows (roles, persons, person attributes) own the turns their speakers speak, and a
segment belongs to the speaker of the turn holding its start (as on the Retrieve page).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import Session

from analysis.matrix_scope import DOCUMENT, INTERVIEWEE_ROLES, Scope, documents_in_scope, documents_in_scope_query
from cases.projects import list_coders
from coding.retrieval import SPEAKER_KEY, VALUE_COLUMN, attribute_value_order
from store.bulk import driver_rows
from store.errors import Refused
from store.matrix_facts import FACT
from store.models import (
    SPEAKER_ROLES, AttributeDefinition, AttributeValue, Case, CaseDocument, Document, Person, Project, Segment,
    Speaker, TextVersion, Turn, dashed_guid, guid_text,
)

ROW_KINDS = ("cases", "documents", "attribute:NAME", "roles", "persons", "coders")
NO_VALUE = "(no value)"
NO_CASE = "(no case)"

@dataclass
class Row:
    key: str  # stable and printable: case/document guid, attribute value, role, person guid, coder name
    label: str
    sql_key: Any  # the value the row's SQL key expression takes (None for "no case"/"no value")
    documents: set[int] = field(default_factory=set)
    chars: int = 0  # characters of text the row owns (coverage denominator)
    interviewees: set[Any] = field(default_factory=set)  # speaker keys counted as n in "k of n"
    regions: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # speaker rows: version -> turns


@dataclass
class RowDimension:
    kind: str
    key_expr: ColumnElement[Any]
    join: Callable[[Select], Select]  # adds what key_expr needs to a query over Segment (+Turn/Speaker)
    speaker_based: bool
    rows: list[Row]
    fact_key: ColumnElement[Any] | None = None  # the key over matrix_coding, where the read path serves these rows

    def index(self) -> dict[Any, int]:
        return {r.sql_key: i for i, r in enumerate(self.rows)}


def _no_join(stmt: Select) -> Select:
    return stmt


def _case_join(stmt: Select) -> Select:
    return stmt.outerjoin(CaseDocument, CaseDocument.document_id == Segment.document_id)


def _attribute_definition(session: Session, project: Project, spec: str) -> AttributeDefinition:
    """"NAME" or "TARGET:NAME"; a bare name shared by several targets is refused with the spellings to use."""
    target, sep, name = spec.partition(":")
    if not sep or target not in ("case", "document", "person"):
        target, name = "", spec
    name = " ".join(name.split())
    stmt = select(AttributeDefinition).where(AttributeDefinition.project_id == project.id,
                                             AttributeDefinition.name == name)
    if target:
        stmt = stmt.where(AttributeDefinition.target == target)
    found = list(session.scalars(stmt))
    if not found:
        raise Refused(f"project '{project.name}' has no attribute '{spec}'")
    if len(found) > 1:
        spellings = ", ".join(f"attribute:{d.target}:{d.name}" for d in found)
        raise Refused(f"attribute '{name}' exists on several targets; write one of: {spellings}")
    return found[0]


def _documents(session: Session, doc_ids: list[int]) -> dict[int, tuple[str, str, int]]:
    """{document id: (guid, title, current text length)}."""
    if not doc_ids:
        return {}
    stmt = (select(Document.id, Document.guid, Document.title, TextVersion.length)
            .join(TextVersion, and_(TextVersion.document_id == Document.id,
                                    TextVersion.version == Document.current_version))
            .where(Document.id.in_(doc_ids)))
    return {i: (str(g), t, n) for i, g, t, n in session.execute(stmt)}


def _speakers(session: Session, doc_ids: list[int]) -> list[tuple]:
    """(document id, speaker key, role, person id, label) for every speaker of the documents."""
    if not doc_ids:
        return []
    return list(session.execute(select(Speaker.document_id, SPEAKER_KEY, Speaker.role, Speaker.person_id,
                                       Speaker.label).where(Speaker.document_id.in_(doc_ids))))


def _fill_document_rows(rows: list[Row], doc_rows: dict[int, list[int]], docs: dict[int, tuple[str, str, int]],
                        speakers: list[tuple]) -> None:
    for doc_id, indices in doc_rows.items():
        for i in indices:
            rows[i].documents.add(doc_id)
            if docs:  # none: rows without details (row_dimension)
                rows[i].chars += docs[doc_id][2]
    for doc_id, key, role, _, _ in speakers:
        if role in INTERVIEWEE_ROLES:
            for i in doc_rows.get(doc_id, []):
                rows[i].interviewees.add(key)


def row_dimension(session: Session, project: Project, kind: str, scope: Scope, *,
                  details: bool = True) -> RowDimension:
    """Resolve `kind` (one of ROW_KINDS) to its key expression, joins and full list of rows.

    Without `details`, case and coder rows leave out the characters and interviewees they own (only coverage and
    "k of n" read them): a third of a count matrix's time at 100,000 codings."""
    links: list[tuple[int, int | None]] = []
    if kind == "cases":  # the documents in scope with their cases, in one query
        link = CaseDocument.__table__
        links = driver_rows(session, documents_in_scope_query(session, project, scope)
                            .add_columns(link.c.case_id)
                            .outerjoin(link, link.c.document_id == DOCUMENT.id))
        doc_ids = list(dict.fromkeys(doc_id for doc_id, _ in links))
    else:
        doc_ids = documents_in_scope(session, project, scope)
    lean = not details and kind in ("cases", "coders")
    docs = {} if lean else _documents(session, doc_ids)
    speakers = [] if lean else _speakers(session, doc_ids)
    if kind == "cases":
        return _case_rows(session, project, links, docs, speakers)
    if kind == "documents":
        ordered = sorted(doc_ids, key=lambda d: (docs[d][1].casefold(), docs[d][1]))
        rows = [Row(key=docs[d][0], label=docs[d][1], sql_key=d) for d in ordered]
        _fill_document_rows(rows, {d: [i] for i, d in enumerate(ordered)}, docs, speakers)
        return RowDimension(kind, Segment.document_id, _no_join, False, rows, fact_key=FACT.document_id)
    if kind == "coders":
        return _coder_rows(session, project, doc_ids, docs, speakers)
    if kind == "roles":
        return _speaker_rows(session, kind, doc_ids, speakers, func.coalesce(Speaker.role, "unknown"),
                             lambda key, role, person_id, label, title: role or "unknown",
                             label_of=lambda k: k)
    if kind == "persons":
        return _person_rows(session, project, doc_ids, docs, speakers)
    if kind.startswith("attribute:"):
        return _attribute_rows(session, project, kind[len("attribute:"):], doc_ids, docs, speakers)
    raise Refused(f"unknown rows '{kind}' (use one of: {', '.join(ROW_KINDS)})")


def _case_rows(session: Session, project: Project, links: list[tuple[int, int | None]], docs: dict,
               speakers: list) -> RowDimension:
    """Every case, by name; `links` are (document, case or None) of the documents in scope."""
    case = Case.__table__.c
    cases = sorted(driver_rows(session, select(case.id, case.name, guid_text(case.guid))
                               .where(case.project_id == project.id)), key=lambda c: (c[1].casefold(), c[1]))
    rows = [Row(key=dashed_guid(guid), label=name, sql_key=case_id) for case_id, name, guid in cases]
    index = {case_id: i for i, (case_id, _, _) in enumerate(cases)}
    doc_rows: dict[int, list[int]] = {}
    for doc_id, case_id in links:
        if case_id is not None:
            doc_rows.setdefault(doc_id, []).append(index[case_id])
    if any(doc_id not in doc_rows for doc_id, _ in links):
        rows.append(Row(key="", label=NO_CASE, sql_key=None))
        for doc_id, _ in links:
            doc_rows.setdefault(doc_id, [len(rows) - 1])
    _fill_document_rows(rows, doc_rows, docs, speakers)
    return RowDimension("cases", CaseDocument.case_id, _case_join, False, rows, fact_key=FACT.case_id)


def _coder_rows(session: Session, project: Project, doc_ids: list[int], docs: dict, speakers: list) -> RowDimension:
    coders = sorted(list_coders(session, project), key=lambda c: (c.name.casefold(), c.name))
    rows = [Row(key=c.name, label=c.name, sql_key=c.id) for c in coders]
    index = {c.id: i for i, c in enumerate(coders)}
    doc_rows: dict[int, list[int]] = {}
    if doc_ids:
        for doc_id, coder_id in session.execute(select(Segment.document_id, Segment.coder_id).distinct()
                                                .where(Segment.document_id.in_(doc_ids))):
            doc_rows.setdefault(doc_id, []).append(index[coder_id])
    _fill_document_rows(rows, doc_rows, docs, speakers)
    return RowDimension("coders", Segment.coder_id, _no_join, False, rows, fact_key=FACT.coder_id)


def _turn_regions(session: Session, doc_ids: list[int]) -> list[tuple]:
    """(speaker key, text version id, content start, end) of every turn of the documents' current texts."""
    if not doc_ids:
        return []
    stmt = (select(SPEAKER_KEY, Turn.text_version_id, Turn.content_start, Turn.end)
            .join(Speaker, Turn.speaker_id == Speaker.id)
            .join(TextVersion, Turn.text_version_id == TextVersion.id)
            .join(Document, and_(Document.id == TextVersion.document_id,
                                 TextVersion.version == Document.current_version))
            .where(Document.id.in_(doc_ids)))
    return list(session.execute(stmt))


def _speaker_rows(session: Session, kind: str, doc_ids: list[int], speakers: list, key_expr: ColumnElement,
                  row_of: Callable, label_of: Callable, order: Callable | None = None,
                  join: Callable[[Select], Select] = _no_join, titles: dict | None = None) -> RowDimension:
    """Rows owned by speakers: each row holds the turns of the speakers `row_of` maps to it."""
    by_key: dict[Any, Row] = {}
    speaker_row: dict[Any, list[Row]] = {}
    for doc_id, key, role, person_id, label in speakers:
        sql_key = row_of(key, role, person_id, label, (titles or {}).get(doc_id))
        row = by_key.setdefault(sql_key, Row(key="" if sql_key is None else str(sql_key),
                                             label=label_of(sql_key), sql_key=sql_key))
        row.documents.add(doc_id)
        row.interviewees.add(key)
        speaker_row.setdefault(key, [])
        if row not in speaker_row[key]:
            speaker_row[key].append(row)
    for key, version_id, start, end in _turn_regions(session, doc_ids):
        for row in speaker_row.get(key, []):
            row.regions.setdefault(version_id, []).append((start, end))
            row.chars += end - start
    rows = list(by_key.values())
    if order is None:
        rank = {r: i for i, r in enumerate(SPEAKER_ROLES)}
        rows.sort(key=lambda r: rank.get(r.sql_key, len(rank)))
    else:
        rows.sort(key=order)
    return RowDimension(kind, key_expr, join, True, rows)


def _person_rows(session: Session, project: Project, doc_ids: list[int], docs: dict, speakers: list) -> RowDimension:
    persons = {p.id: p for p in session.scalars(select(Person).where(Person.project_id == project.id))}
    label_by_key: dict[Any, str] = {}
    guid_by_key: dict[Any, str] = {}
    for doc_id, key, role, person_id, label in speakers:
        if person_id is not None:
            p = persons[person_id]
            label_by_key[key] = p.pseudonym or p.name
            guid_by_key[key] = str(p.guid)
        else:
            label_by_key[key] = f"{label} ({docs[doc_id][1]})"
            guid_by_key[key] = f"speaker:{-key}"
    dim = _speaker_rows(session, "persons", doc_ids, speakers, SPEAKER_KEY,
                        lambda key, role, person_id, label, title: key, label_of=lambda k: label_by_key[k],
                        order=lambda r: (r.label.casefold(), r.label))
    for row in dim.rows:
        row.key = guid_by_key[row.sql_key]
    return dim


def _attribute_rows(session: Session, project: Project, spec: str, doc_ids: list[int], docs: dict,
                    speakers: list) -> RowDimension:
    definition = _attribute_definition(session, project, spec)
    column = VALUE_COLUMN[definition.type]
    values = session.execute(select(AttributeValue.case_id, AttributeValue.document_id, AttributeValue.person_id,
                                    column).where(AttributeValue.definition_id == definition.id)).all()

    def label(value: Any) -> str:
        return NO_VALUE if value is None else str(value)

    def ordered(found: set) -> list[Any]:
        known = sorted((v for v in found if v is not None), key=attribute_value_order)
        return known + ([None] if None in found else [])

    if definition.target == "person":
        value_of = {p: v for _, _, p, v in values if p is not None}
        value_join = AttributeValue.__table__.alias("row_value")
        dim = _speaker_rows(
            session, f"attribute:{definition.name}", doc_ids, speakers, value_join.c[column.key],
            lambda key, role, person_id, lbl, title: value_of.get(person_id), label_of=label,
            join=lambda stmt: stmt.outerjoin(value_join, and_(value_join.c.definition_id == definition.id,
                                                              value_join.c.person_id == Speaker.person_id)))
        rank = {v: i for i, v in enumerate(ordered({r.sql_key for r in dim.rows}))}
        dim.rows.sort(key=lambda r: rank[r.sql_key])
        return dim

    value_join = AttributeValue.__table__.alias("row_value")
    doc_values: dict[int, list[Any]] = {}
    if definition.target == "case":
        case_value = {c: v for c, _, _, v in values if c is not None}
        for doc_id, case_id in session.execute(select(CaseDocument.document_id, CaseDocument.case_id)
                                               .where(CaseDocument.document_id.in_(doc_ids))):
            doc_values.setdefault(doc_id, []).append(case_value.get(case_id))

        def join(stmt: Select) -> Select:
            return _case_join(stmt).outerjoin(value_join, and_(value_join.c.definition_id == definition.id,
                                                               value_join.c.case_id == CaseDocument.case_id))
    else:
        doc_value = {d: v for _, d, _, v in values if d is not None}
        for doc_id in doc_ids:
            doc_values[doc_id] = [doc_value.get(doc_id)]

        def join(stmt: Select) -> Select:
            return stmt.outerjoin(value_join, and_(value_join.c.definition_id == definition.id,
                                                   value_join.c.document_id == Segment.document_id))
    for doc_id in doc_ids:
        doc_values.setdefault(doc_id, [None])
    keys = ordered({v for vs in doc_values.values() for v in vs})
    rows = [Row(key="" if v is None else str(v), label=label(v), sql_key=v) for v in keys]
    index = {v: i for i, v in enumerate(keys)}
    doc_rows = {d: sorted({index[v] for v in vs}) for d, vs in doc_values.items()}
    _fill_document_rows(rows, doc_rows, docs, speakers)
    return RowDimension(f"attribute:{definition.name}", value_join.c[column.key], join, False, rows)
