"""REFI-QDA project export (.qdpx, DOMAIN §5): written strictly, valid against the standard's Project.xsd.

A ZIP of `project.qde` (root `Project`, `urn:QDA-XML:project:1.0`) and `sources/<guid>.txt`: each document's
current text as stored (UTF-8, LF), so the selections' code-point offsets read back the same text. Guids are
Kruispunt's own and an unchanged project gives the same bytes (fixed order, only stored timestamps).

Mapping: each codebook is a non-codable top-level Code whose Description ends in `Kruispunt codebook "<key>",
version <v>` (the importer restores the key from it), its code tree below; memos are Notes referenced from the
project, code, document or selection. A Case cannot hold NoteRefs, so each case is also a Set of its documents
and notes. Kruispunt-only content is written as Notes with guids derived from the row's guid (uuid5, stable): a
framework cell that holds work (state, rating, validation, summary, pinned quotes), each focus-group remark
(stance, participant role, case and code, note) and each value-creation story (exports.qdpx_stories). What the
standard has no place for (persons, speaker turns, earlier text versions, the event log, ...) is listed in the
ExportReport with counts, never dropped silently.
"""

from __future__ import annotations

import io
import math
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET  # writing only; ElementTree escapes every text and attribute

import xmlschema
from sqlalchemy import and_, distinct, func, select
from sqlalchemy.orm import Session, selectinload

from analysis.matrix_scope import primary_coders
from cases.attributes import VALUE_COLUMN
from cases.refi_read import PRIMARY_CODER, PRIMARY_CODER_VARIABLE
from codebooks.qdc import _COLOUR, _description
from codebooks.service import list_project_codebooks
from codebooks.templates import CodeTemplate
from coding.memos import list_memos
from exports.qdpx_stories import story_notes
from store.models import (
    AttributeDefinition,
    AttributeValue,
    Base,
    Case,
    CaseDocument,
    Code,
    Codebook,
    CodeIndicator,
    Coder,
    Coding,
    Document,
    Event,
    Feedback,
    FocusGroupSession,
    FrameworkCell,
    Memo,
    Project,
    RatingLevel,
    Segment,
    Speaker,
    TextVersion,
)
from store.spreadsheet import xml_safe

NAMESPACE = "urn:QDA-XML:project:1.0"
SCHEMA_PATH = Path(__file__).resolve().parent / "refi_schemas" / "Project.xsd"
COUNT_KEYS = ("users", "codes", "variables", "cases", "sources", "selections", "codings", "notes", "sets",
              "variable_values")  # "codes" counts each codebook's folder code too
VARIABLE_TYPES = {"text": "Text", "category": "Text", "boolean": "Boolean", "integer": "Integer", "float": "Float",
                  "date": "Date"}
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # a fixed entry time, so the same project gives the same archive
Step = Callable[[int, int, str], None]


@dataclass
class ExportReport:
    """What was written, and what Kruispunt holds that the standard cannot carry (said, never silently lost)."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNT_KEYS, 0))
    not_carried: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"counts": dict(self.counts), "not_carried": list(self.not_carried)}


def _attrs(attrs: dict[str, Any]) -> dict[str, str]:
    return {key: xml_safe(str(value)) for key, value in attrs.items() if value is not None}


def _sub(parent: ET.Element, tag: str, attrs: dict[str, Any] | None = None, text: str | None = None) -> ET.Element:
    """A child element; attribute values and text made XML 1.0-safe (ElementTree does the escaping)."""
    element = ET.SubElement(parent, tag, _attrs(attrs or {}))
    if text is not None:
        element.text = xml_safe(text)
    return element


def _when(moment: datetime | None) -> str | None:
    """xsd:dateTime in UTC with Z, to the second (what other tools read back)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def _code_name(code: Code) -> str:
    return code.label_en or code.label_nl or code.label_de or code.key


def _name_key(name: str) -> tuple[str, str]:
    return name.casefold(), name


def _by(rows: Iterable[Any], key: str) -> dict[Any, list[Any]]:
    out: dict[Any, list[Any]] = defaultdict(list)
    for row in rows:
        out[getattr(row, key)].append(row)
    return out


def _refs(parent: ET.Element, tag: str, guids: Iterable[Any]) -> None:
    for guid in guids:
        _sub(parent, tag, {"targetGUID": guid})


def project_qde(session: Session, project: Project, *, on_step: Step | None = None
                ) -> tuple[bytes, dict[uuid.UUID, str], ExportReport]:
    """The project.qde document (UTF-8) and {document guid: stored text} for its sources."""
    report, pid = ExportReport(), project.id
    coders = sorted(session.scalars(select(Coder).where(Coder.project_id == pid)), key=lambda c: c.id)
    coder_guid = {c.id: str(c.guid) for c in coders}
    root = ET.Element("Project", _attrs({  # unqualified tags under a default xmlns: no global ET prefix registry
        "xmlns": NAMESPACE, "name": project.name, "origin": "Kruispunt",
        "creatingUserGUID": coders[0].guid if coders else None, "creationDateTime": _when(project.created_at)}))
    memos = sorted(list_memos(session, project), key=lambda m: (m.created_at, str(m.guid)))
    memos_on = {target: _by((m for m in memos if m.target == target), f"{target}_id") for target in
                ("case", "document", "code", "segment")}
    if coders:
        users = _sub(root, "Users")
        for coder in sorted(coders, key=lambda c: _name_key(c.name)):
            _sub(users, "User", {"guid": coder.guid, "name": coder.name})
        report.counts["users"] = len(coders)

    codebooks = list_project_codebooks(session, project)
    codes = list(session.scalars(select(Code).where(Code.codebook_id.in_([b.id for b in codebooks])))) \
        if codebooks else []
    code_by_id = {c.id: c for c in codes}
    code_guids = _code_guids(codebooks, codes)
    if codebooks:
        codes_element = _sub(_sub(root, "CodeBook"), "Codes")
        children = _by(sorted(codes, key=lambda c: (c.position, c.key)), "parent_id")
        for book in codebooks:
            marker = f'Kruispunt codebook "{book.key}", version {book.version}'
            description = book.description.strip()
            top = _sub(codes_element, "Code", {"guid": book.guid, "name": book.name_en or book.name_nl or book.key,
                                               "isCodable": "false"})
            _sub(top, "Description", text=f"{description}\n\n{marker}" if description else marker)
            _code_tree(top, [c for c in children[None] if c.codebook_id == book.id], children, memos_on["code"],
                       code_guids)
        report.counts["codes"] = len(codebooks) + len(codes)

    definitions = sorted((d for d in session.scalars(select(AttributeDefinition).where(
        AttributeDefinition.project_id == pid))), key=lambda d: (d.target, *_name_key(d.name)))
    values = list(session.scalars(select(AttributeValue).join(AttributeDefinition).where(
        AttributeDefinition.project_id == pid)))
    carried = [d for d in definitions if d.target in ("case", "document")]
    primary = {doc: coder for doc, coder in primary_coders(session, project).items() if coder in coder_guid}
    coder_name = {c.id: c.name for c in coders}
    if carried or primary:
        variables, used = _sub(root, "Variables"), set()
        for definition in carried:
            name = definition.name
            while name in used:
                name += " (documents)"
            used.add(name)
            variable = _sub(variables, "Variable", {"guid": definition.guid, "name": name,
                                                    "typeOfVariable": VARIABLE_TYPES[definition.type]})
            if definition.unit:
                _sub(variable, "Description", text=f"Unit: {definition.unit}")
        if primary:  # whose codings count when a matrix shows one coder per document (an importer restores it)
            _sub(variables, "Variable", {"guid": PRIMARY_CODER_VARIABLE, "name": PRIMARY_CODER,
                                         "typeOfVariable": "Text"})
        report.counts["variables"] = len(carried) + bool(primary)
    order = {d.id: i for i, d in enumerate(definitions)}
    definition_by_id = {d.id: d for d in definitions}
    values.sort(key=lambda v: order[v.definition_id])
    values_of = {"case": _by(values, "case_id"), "document": _by(values, "document_id")}
    nonfinite = [0]

    def variable_values(parent: ET.Element, rows: list[AttributeValue]) -> None:
        for row in rows:
            nonfinite[0] += _variable_value(parent, definition_by_id[row.definition_id], row, report)

    cases = sorted(session.scalars(select(Case).where(Case.project_id == pid)), key=lambda c: _name_key(c.name))
    documents = sorted(session.scalars(select(Document).where(Document.project_id == pid)),
                       key=lambda d: _name_key(d.title))
    doc_order = {d.id: i for i, d in enumerate(documents)}
    docs_of_case: dict[int, list[Document]] = defaultdict(list)
    for case_id, document_id in session.execute(select(CaseDocument.case_id, CaseDocument.document_id)
                                                .join(Case).where(Case.project_id == pid)):
        docs_of_case[case_id].append(documents[doc_order[document_id]])
    for linked in docs_of_case.values():
        linked.sort(key=lambda d: doc_order[d.id])
    if cases:
        cases_element = _sub(root, "Cases")
        for case in cases:
            element = _sub(cases_element, "Case", {"guid": case.guid, "name": case.name})
            if case.description.strip():
                _sub(element, "Description", text=case.description)
            variable_values(element, values_of["case"][case.id])
            _refs(element, "SourceRef", (d.guid for d in docs_of_case[case.id]))
        report.counts["cases"] = len(cases)

    current = (TextVersion.document_id == Document.id) & (TextVersion.version == Document.current_version)
    texts = {doc_id: text for doc_id, text in session.execute(
        select(TextVersion.document_id, TextVersion.text).join(Document, current).where(Document.project_id == pid))}
    on_current = (select(Segment.id).join(TextVersion, Segment.text_version_id == TextVersion.id)
                  .join(Document, current).where(Document.project_id == pid))
    segments = session.execute(select(Segment.id, Segment.guid, Segment.document_id, Segment.coder_id,
                                      Segment.start, Segment.end, Segment.created_at)
                               .where(Segment.id.in_(on_current))).all()
    codings = _by(sorted(session.execute(select(Coding.segment_id, Coding.guid, Coding.code_id, Coding.created_at,
                                                Coding.origin, Coding.aspirational, Coding.beneficiary)
                                         .where(Coding.segment_id.in_(on_current))).all(),
                         key=lambda c: (c.created_at, str(c.guid))), "segment_id")
    segment_rows = _by(sorted(segments, key=lambda s: (s.start, s.end, str(s.guid))), "document_id")
    sources: dict[uuid.UUID, str] = {}
    stories, story_refs = story_notes(session, project)
    if documents:
        sources_element = _sub(root, "Sources")
        for done, document in enumerate(documents, 1):
            text = texts[document.id]
            sources[document.guid] = text
            source = _sub(sources_element, "TextSource", {
                "guid": document.guid, "name": document.title, "plainTextPath": f"internal://{document.guid}.txt",
                "creationDateTime": _when(document.imported_at)})
            for seg in segment_rows[document.id]:
                selection = _sub(source, "PlainTextSelection", {
                    "guid": seg.guid, "name": text[seg.start:seg.end][:200], "startPosition": seg.start,
                    "endPosition": seg.end, "creatingUser": coder_guid[seg.coder_id],
                    "creationDateTime": _when(seg.created_at)})
                for coding in codings[seg.id]:
                    element = _sub(selection, "Coding", {"guid": coding.guid, "creatingUser": coder_guid[seg.coder_id],
                                                         "creationDateTime": _when(coding.created_at)})
                    _sub(element, "CodeRef", {"targetGUID": code_guids[coding.code_id]})
                    report.counts["codings"] += 1
                _refs(selection, "NoteRef", [*(m.guid for m in memos_on["segment"][seg.id]),
                                             *story_refs.get(seg.id, [])])
            _refs(source, "NoteRef", (m.guid for m in memos_on["document"][document.id]))
            variable_values(source, values_of["document"][document.id])
            if document.id in primary:
                value = _sub(source, "VariableValue")
                _sub(value, "VariableRef", {"targetGUID": PRIMARY_CODER_VARIABLE})
                _sub(value, "TextValue", text=coder_name[primary[document.id]])
                report.counts["variable_values"] += 1
            if on_step:
                on_step(done, len(documents), document.title)
        report.counts["sources"], report.counts["selections"] = len(documents), len(segments)

    notes: list[tuple[str, dict[str, Any], str, int | None]] = []  # (guid, attributes, text, case id of its Set)
    names = {"case": {c.id: c.name for c in cases}, "document": {d.id: d.title for d in documents},
             "code": {c.id: _code_name(c) for c in codes}}
    names["segment"] = {sid: names["document"][did] for sid, did in session.execute(
        select(Segment.id, Segment.document_id).where(Segment.id.in_(
            select(Memo.segment_id).where(Memo.project_id == pid, Memo.segment_id.is_not(None)))))}
    for memo in memos:
        about = names[memo.target][getattr(memo, f"{memo.target}_id")] if memo.target != "project" else ""
        name = {"project": "Project memo", "case": f"Memo on case '{about}'", "document": f"Memo on document '{about}'",
                "code": f"Memo on code '{about}'", "segment": f"Memo on a selection of '{about}'"}[memo.target]
        notes.append((str(memo.guid), {
            "name": name, "creatingUser": coder_guid.get(memo.author_id), "creationDateTime": _when(memo.created_at),
            "modifiedDateTime": _when(memo.updated_at) if _when(memo.updated_at) != _when(memo.created_at) else None},
            memo.text, memo.case_id))
    notes += _cell_notes(session, project, cases, code_by_id, {c.name: str(c.guid) for c in coders})
    notes += stories
    feedback = session.execute(select(Feedback, FocusGroupSession).join(FocusGroupSession).where(
        FocusGroupSession.project_id == pid)).all()
    for remark, fg in sorted(feedback, key=lambda r: (r[1].held_on, r[1].name, r[0].created_at, str(r[0].guid))):
        lines = [f"Stance: {remark.stance.replace('_', ' ')}", f"Participant role: {remark.participant_role or '-'}"]
        lines += [f"Case: {names['case'][remark.case_id]}"] if remark.case_id else []
        lines += [f"Code: {_code_name(code_by_id[remark.code_id])}"] if remark.code_id in code_by_id else []
        lines += [f"Became code: {_code_name(code_by_id[remark.promoted_code_id])}"] \
            if remark.promoted_code_id in code_by_id else []
        lines += [f"Story step: {remark.story_step_guid}"] if remark.story_step_guid else []
        lines += [f"Recorded by: {remark.recorded_by}"] + ([f"Note: {remark.note}"] if remark.note else [])
        notes.append((str(uuid.uuid5(remark.guid, "refi-note")), {
            "name": f"Focus-group feedback: {fg.name} {fg.held_on.isoformat()}",
            "creationDateTime": _when(remark.created_at)}, "\n".join(lines), remark.case_id))
    if notes:
        notes_element = _sub(root, "Notes")
        for guid, attrs, content, _ in notes:
            _sub(_sub(notes_element, "Note", {"guid": guid} | attrs), "PlainTextContent", text=content)
        report.counts["notes"] = len(notes)
    if cases:
        sets = _sub(root, "Sets")
        for case in cases:
            member = _sub(sets, "Set", {"guid": uuid.uuid5(case.guid, "refi-set"), "name": case.name})
            _sub(member, "Description", text=f"Documents and notes of case '{case.name}'")
            _refs(member, "MemberSource", (d.guid for d in docs_of_case[case.id]))
            _refs(member, "MemberNote", (guid for guid, _, _, case_id in notes if case_id == case.id))
        report.counts["sets"] = len(cases)
    if project.description.strip():
        _sub(root, "Description", text=project.description)
    _refs(root, "NoteRef", (m.guid for m in memos if m.target == "project"))

    current_ids = {seg.id for seg in segments}
    report.not_carried = _not_carried(session, project, {
        "person_values": sum(v.person_id is not None for v in values), "nonfinite": nonfinite[0],
        "suggested": sum(c.origin == "suggestion" for rows in codings.values() for c in rows),
        "marks": sum(c.aspirational or c.beneficiary is not None for rows in codings.values() for c in rows),
        "older_memos": sum(bool(m.segment_id) and m.segment_id not in current_ids for m in memos),
        "disabled": sum(not c.enabled for c in codes), "codes": len(codes), "documents": len(documents)})
    data = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data, sources, report


def _code_guids(codebooks: list[Codebook], codes: list[Code]) -> dict[int, uuid.UUID]:
    """Each code's guid in the file: its own, or, where an earlier codebook of the project holds the same guid (a
    codebook imported twice from one .qdc), one derived from its codebook's guid, so guids stay unique."""
    book_guid = {b.id: b.guid for b in codebooks}
    order = {b.id: i for i, b in enumerate(codebooks)}
    used: set[uuid.UUID] = set()
    out = {}
    for code in sorted(codes, key=lambda c: (order[c.codebook_id], c.position, c.id)):
        guid = code.guid if code.guid not in used else uuid.uuid5(book_guid[code.codebook_id], str(code.guid))
        used.add(guid)
        out[code.id] = guid
    return out


def _code_tree(parent: ET.Element, siblings: list[Code], children: dict[Any, list[Code]],
               memos_on_code: dict[Any, list[Memo]], guids: dict[int, uuid.UUID]) -> None:
    """Codes in position order, each with its Description and memo NoteRefs before its child codes (XSD order)."""
    for code in siblings:
        attrs = {"guid": guids[code.id], "name": _code_name(code), "isCodable": "true" if code.codable else "false"}
        if _COLOUR.match(code.colour or ""):
            attrs["color"] = code.colour.upper()
        element = _sub(parent, "Code", attrs)
        description = _description(CodeTemplate(
            key=code.key, parent=None, label_en="", definition=code.definition or "", include=code.include_rule or "",
            exclude=code.exclude_rule or "", example=code.example or ""))
        if description:
            _sub(element, "Description", text=description)
        _refs(element, "NoteRef", (m.guid for m in memos_on_code[code.id]))
        _code_tree(element, children[code.id], children, memos_on_code, guids)


def _variable_value(parent: ET.Element, definition: AttributeDefinition, row: AttributeValue,
                    report: ExportReport) -> int:
    """One typed VariableValue; returns 1 for a float that cannot be written (NaN, infinite), which is skipped."""
    value = getattr(row, VALUE_COLUMN[definition.type])
    if value is None:
        return 0
    if definition.type == "float":
        if not math.isfinite(value):
            return 1
        tag, text = "FloatValue", format(Decimal(repr(float(value))), "f")  # xsd:decimal has no exponent
    elif definition.type == "boolean":
        tag, text = "BooleanValue", "true" if value else "false"
    elif definition.type == "integer":
        tag, text = "IntegerValue", str(int(value))
    elif definition.type == "date":
        tag, text = "DateValue", value.isoformat()
    else:
        tag, text = "TextValue", str(value)
    element = _sub(parent, "VariableValue")
    _sub(element, "VariableRef", {"targetGUID": definition.guid})
    _sub(element, tag, text=text)
    report.counts["variable_values"] += 1
    return 0


def _cell_notes(session: Session, project: Project, cases: list[Case], code_by_id: dict[int, Code],
                coder_by_name: dict[str, str]) -> list[tuple[str, dict[str, Any], str, int | None]]:
    """Framework cells that hold work, as Notes: state, rating (with the scale's label), validation, summary,
    and the pinned quotes with their selection guids."""
    cells = [c for c in session.scalars(select(FrameworkCell).where(FrameworkCell.project_id == project.id)
                                        .options(selectinload(FrameworkCell.quotes)))
             if c.summary or c.rating is not None or c.quotes or c.state != "not_assessed"]
    labels = dict(session.execute(select(RatingLevel.level, RatingLevel.label)
                                  .where(RatingLevel.project_id == project.id)).all())
    quoted = {q.segment_id for cell in cells for q in cell.quotes}
    spans = {row.id: row for row in session.execute(
        select(Segment.id, Segment.guid, Segment.start, Segment.end, TextVersion.text)
        .join(TextVersion, Segment.text_version_id == TextVersion.id).where(Segment.id.in_(quoted)))} if quoted else {}
    case_by_id = {c.id: c for c in cases}
    out = []
    for cell in sorted(cells, key=lambda c: (*_name_key(case_by_id[c.case_id].name),
                                             *_name_key(_code_name(code_by_id[c.code_id])), str(c.guid))):
        case, code = case_by_id[cell.case_id], code_by_id[cell.code_id]
        lines = [f"State: {cell.state.replace('_', ' ')}"]
        if cell.rating is not None:
            lines.append(f"Rating: {cell.rating}" + (f" ({labels[cell.rating]})" if cell.rating in labels else ""))
        lines.append(f"Validation: {cell.validation}")
        lines += [f"Summary: {cell.summary}"] if cell.summary else []
        if cell.quotes:
            lines.append("Pinned quotes:")
            for quote in sorted(cell.quotes, key=lambda q: q.position):
                span = spans[quote.segment_id]
                lines.append(f'- "{span.text[span.start:span.end]}" (selection {span.guid})')
        out.append((str(uuid.uuid5(cell.guid, "refi-note")), {
            "name": f"Framework cell: {case.name} × {_code_name(code)}",
            "modifyingUser": coder_by_name.get(cell.updated_by), "modifiedDateTime": _when(cell.updated_at)},
            "\n".join(lines), cell.case_id))
    return out


def _not_carried(session: Session, project: Project, known: dict[str, int]) -> list[str]:
    """One sentence per kind of content the standard has no place for, with counts (only what is there)."""
    pid = project.id

    def rows(name: str) -> int:
        table = Base.metadata.tables[name]
        return session.scalar(select(func.count()).select_from(table).where(table.c.project_id == pid))

    older = (select(Segment.id).join(TextVersion, Segment.text_version_id == TextVersion.id)
             .join(Document, Document.id == Segment.document_id)
             .where(Document.project_id == pid, TextVersion.version != Document.current_version))
    older_segments, older_docs = session.execute(select(func.count(Segment.id), func.count(distinct(
        Segment.document_id))).where(Segment.id.in_(older))).one()
    facts = known | {
        "persons": rows("person"), "older_segments": older_segments, "older_docs": older_docs,
        "speaker_docs": session.scalar(select(func.count(distinct(Speaker.document_id))).where(
            Speaker.document_id.in_(select(Document.id).where(Document.project_id == pid)))),
        "versioned_docs": session.scalar(select(func.count(distinct(TextVersion.document_id))).join(
            Document, Document.id == TextVersion.document_id).where(Document.project_id == pid,
                                                                    TextVersion.version < Document.current_version)),
        "indicators": session.scalar(select(func.count()).select_from(CodeIndicator).join(Code).where(
            Code.codebook_id.in_(select(Codebook.id).where(Codebook.project_id == pid)))),
        "fg_sessions": sum(bool(fg.notes or fg.attendees) for fg in session.scalars(
            select(FocusGroupSession).where(FocusGroupSession.project_id == pid))),
        "masks": rows("mask_term"), "levels": rows("rating_level"), "assignments": rows("assignment"),
        "adjudications": rows("adjudication"), "members": rows("member"), "lemmas": rows("lemma_pair"),
        "bin": rows("bin_item"), "rejections": rows("suggestion_rejection"),
        "pdf_docs": sum(bool(pages) for pages in session.scalars(select(TextVersion.pages).join(Document, and_(
            TextVersion.document_id == Document.id, TextVersion.version == Document.current_version)).where(
            Document.project_id == pid))),
        "events": session.scalar(select(func.count()).select_from(Event).where(Event.project_guid == project.guid))}
    sentences = [
        ("persons", "{persons} persons and their {person_values} attribute values (REFI-QDA has no persons)"),
        ("speaker_docs", "speaker turns of {speaker_docs} documents (the text keeps the speaker labels)"),
        ("versioned_docs", "text versions before the current one of {versioned_docs} documents"),
        ("older_segments", "{older_segments} selections on earlier text versions of {older_docs} documents"),
        ("older_memos", "the selections of {older_memos} memos on earlier text versions (the memos are Notes)"),
        ("disabled", "the switched-off state of {disabled} codes (exported as ordinary codes)"),
        ("suggested", "the origin of {suggested} codings accepted from suggestions, and their matched terms"),
        ("marks", "the aspirational flags and beneficiaries of {marks} codings"),
        ("indicators", "{indicators} indicator terms that suggest codes"),
        ("codes", "the keys, other-language labels, ranks and horizons of {codes} codes"),
        ("nonfinite", "{nonfinite} float attribute values that are not finite numbers (NaN or infinite)"),
        ("documents", "the original files, kinds, languages and dates of {documents} documents"),
        ("pdf_docs", "the page starts of {pdf_docs} PDF documents (a selection has no page in the standard)"),
        ("fg_sessions", "attendees and notes of {fg_sessions} focus-group sessions (their feedback is in Notes)"),
        ("masks", "{masks} names on the mask list"), ("levels", "the decision rules of {levels} rating levels"),
        ("assignments", "{assignments} double-coding assignments"),
        ("adjudications", "{adjudications} adjudication decisions"),
        ("rejections", "{rejections} rejected code suggestions (negative examples for learned suggestions)"),
        ("members", "{members} project members and their roles"), ("lemmas", "{lemmas} word-form lemma pairs"),
        ("bin", "{bin} deleted items waiting in the project's bin"), ("events", "the event log ({events} events)"),
    ]
    return [sentence.format(**facts) for key, sentence in sentences if facts[key]]


def export_project_qdpx(session: Session, project: Project, *, on_step: Step | None = None
                        ) -> tuple[bytes, ExportReport]:
    """The .qdpx archive: project.qde and sources/<guid>.txt (the current text, UTF-8 without BOM, LF as stored)."""
    qde, sources, report = project_qde(session, project, on_step=on_step)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in [("project.qde", qde)] + [(f"sources/{g}.txt", t.encode()) for g, t in sources.items()]:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue(), report


@cache
def _schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(SCHEMA_PATH))  # parsed once: it takes a moment


def validate_qde(data: bytes) -> list[str]:
    """Errors of a project.qde against the shipped Project.xsd (empty: valid), so an export is checked, not hoped."""
    try:
        return [f"{error.path}: {error.reason}" for error in _schema().iter_errors(io.BytesIO(data))]
    except (xmlschema.XMLResourceError, ET.ParseError) as exc:
        return [f"not readable XML: {exc}"]
