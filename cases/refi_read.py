"""A REFI-QDA project's XML read into plain records, leniently, counting every element it met.

Reading is separate from storing so that everything the file holds is known (and counted for the loss report)
before a transaction starts. Nothing here decides what Kruispunt keeps: unknown or unsupported elements are
recorded as read, and the importer says what became of them.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field

from cases.refi_archive import local, parse_guid

VALUE_ELEMENTS = ("TextValue", "BooleanValue", "IntegerValue", "FloatValue", "DateValue", "DateTimeValue")
# A document variable Kruispunt writes and reads back as the document's primary coder (whose codings a matrix of
# one coder per document counts), not as an attribute.
PRIMARY_CODER = "Primary coder"
PRIMARY_CODER_VARIABLE = uuid.uuid5(uuid.NAMESPACE_URL, "kruispunt:variable:primary-coder")


@dataclass
class Value:
    variable: uuid.UUID | None
    kind: str  # the value element's name (TextValue, …), "" when none
    text: str


@dataclass
class Selection:
    guid: uuid.UUID | None
    raw_guid: str
    name: str | None
    start: int | None
    end: int | None
    user: uuid.UUID | None
    description: str
    codings: list[tuple[uuid.UUID | None, uuid.UUID | None, uuid.UUID | None]] = field(default_factory=list)
    notes: list[uuid.UUID] = field(default_factory=list)  # on the selection and on its codings


@dataclass
class Source:
    guid: uuid.UUID | None
    raw_guid: str
    kind: str  # TextSource, PDFSource, …
    name: str
    path: str | None
    content: str | None  # PlainTextContent given inline
    user: uuid.UUID | None
    selections: list[Selection] = field(default_factory=list)
    other_selections: int = 0  # PDF, picture, audio, video and transcript selections
    notes: list[uuid.UUID] = field(default_factory=list)
    values: list[Value] = field(default_factory=list)
    description: str = ""


@dataclass
class CaseRecord:
    guid: uuid.UUID | None
    raw_guid: str
    name: str
    description: str
    sources: list[uuid.UUID] = field(default_factory=list)
    values: list[Value] = field(default_factory=list)
    code_refs: int = 0
    selection_refs: int = 0


@dataclass
class NoteRecord:
    guid: uuid.UUID | None
    raw_guid: str
    name: str
    text: str | None
    path: str | None
    user: uuid.UUID | None


@dataclass
class SetRecord:
    guid: uuid.UUID | None
    name: str
    description: str
    sources: list[uuid.UUID] = field(default_factory=list)
    codes: list[uuid.UUID] = field(default_factory=list)
    notes: list[uuid.UUID] = field(default_factory=list)


@dataclass
class ProjectRecord:
    name: str
    origin: str
    creating_user: uuid.UUID | None
    description: str
    users: dict[uuid.UUID, str] = field(default_factory=dict)
    codes: list = field(default_factory=list)  # the top-level Code elements (codebooks.qdc reads them)
    code_notes: dict[uuid.UUID, list[uuid.UUID]] = field(default_factory=dict)
    variables: dict[uuid.UUID, tuple[str, str]] = field(default_factory=dict)  # guid -> (name, type)
    cases: list[CaseRecord] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    notes: list[NoteRecord] = field(default_factory=list)
    sets: list[SetRecord] = field(default_factory=list)
    project_notes: list[uuid.UUID] = field(default_factory=list)
    read: Counter = field(default_factory=Counter)
    problems: list[dict] = field(default_factory=list)  # unreadable items: {"element", "guid", "reason"}


def _children(element, name: str) -> list:  # type: ignore[no-untyped-def]
    return [c for c in element if local(c.tag) == name]


def _child(element, name: str):  # type: ignore[no-untyped-def]
    return next((c for c in element if local(c.tag) == name), None)


def _text(element, name: str) -> str:  # type: ignore[no-untyped-def]
    found = _child(element, name)
    return (found.text or "") if found is not None else ""


def _int(value: str | None) -> int | None:
    try:
        return int((value or "").strip())
    except ValueError:
        return None


def _refs(element, name: str) -> list[uuid.UUID]:  # type: ignore[no-untyped-def]
    return [g for g in (parse_guid(c.get("targetGUID")) for c in _children(element, name)) if g is not None]


def read_project(root) -> ProjectRecord:  # type: ignore[no-untyped-def]
    """Every element Kruispunt can use, and a count of every element met (for the report)."""
    record = ProjectRecord(name=" ".join((root.get("name") or "").split()), origin=(root.get("origin") or "").strip(),
                           creating_user=parse_guid(root.get("creatingUserGUID")),
                           description=_text(root, "Description").strip())
    read = record.read
    for element in root.iter():
        read[local(element.tag)] += 1
    users = _child(root, "Users")
    for user in _children(users, "User") if users is not None else []:
        guid = parse_guid(user.get("guid"))
        if guid is None:
            record.problems.append({"element": "User", "guid": user.get("guid") or "", "reason": "not a GUID"})
            continue
        record.users[guid] = " ".join((user.get("name") or user.get("id") or "").split())
    codebook = _child(root, "CodeBook")
    codes = _child(codebook, "Codes") if codebook is not None else None
    record.codes = _children(codes, "Code") if codes is not None else []
    for code in (c for top in record.codes for c in top.iter() if local(c.tag) == "Code"):
        guid = parse_guid(code.get("guid"))
        if guid is not None and _refs(code, "NoteRef"):
            record.code_notes[guid] = _refs(code, "NoteRef")
    variables = _child(root, "Variables")
    for variable in _children(variables, "Variable") if variables is not None else []:
        guid = parse_guid(variable.get("guid"))
        if guid is not None:
            record.variables[guid] = (" ".join((variable.get("name") or "").split()),
                                      (variable.get("typeOfVariable") or "Text").strip())
    cases = _child(root, "Cases")
    for case in _children(cases, "Case") if cases is not None else []:
        record.cases.append(CaseRecord(
            guid=parse_guid(case.get("guid")), raw_guid=case.get("guid") or "",
            name=" ".join((case.get("name") or "").split()), description=_text(case, "Description").strip(),
            sources=_refs(case, "SourceRef"), values=_values(case),
            code_refs=len(_children(case, "CodeRef")), selection_refs=len(_children(case, "SelectionRef"))))
    sources = _child(root, "Sources")
    for source in list(sources) if sources is not None else []:
        record.sources.append(_source(source))
    notes = _child(root, "Notes")
    for note in _children(notes, "Note") if notes is not None else []:
        content = _child(note, "PlainTextContent")
        record.notes.append(NoteRecord(
            guid=parse_guid(note.get("guid")), raw_guid=note.get("guid") or "",
            name=" ".join((note.get("name") or "").split()),
            text=content.text or "" if content is not None else None, path=note.get("plainTextPath"),
            user=parse_guid(note.get("creatingUser"))))
    sets = _child(root, "Sets")
    for item in _children(sets, "Set") if sets is not None else []:
        record.sets.append(SetRecord(
            guid=parse_guid(item.get("guid")), name=" ".join((item.get("name") or "").split()),
            description=_text(item, "Description").strip(), sources=_refs(item, "MemberSource"),
            codes=_refs(item, "MemberCode"), notes=_refs(item, "MemberNote")))
    record.project_notes = _refs(root, "NoteRef")
    return record


def _values(element) -> list[Value]:  # type: ignore[no-untyped-def]
    values = []
    for value in _children(element, "VariableValue"):
        ref = _child(value, "VariableRef")
        typed = next((c for c in value if local(c.tag) in VALUE_ELEMENTS), None)
        values.append(Value(variable=parse_guid(ref.get("targetGUID")) if ref is not None else None,
                            kind=local(typed.tag) if typed is not None else "",
                            text=(typed.text or "").strip() if typed is not None else ""))
    return values


def _source(element) -> Source:  # type: ignore[no-untyped-def]
    kind = local(element.tag)
    content = _child(element, "PlainTextContent")
    source = Source(
        guid=parse_guid(element.get("guid")), raw_guid=element.get("guid") or "", kind=kind,
        name=" ".join((element.get("name") or "").split()),
        path=element.get("plainTextPath") or element.get("path"),
        content=content.text or "" if content is not None else None, user=parse_guid(element.get("creatingUser")),
        notes=_refs(element, "NoteRef"), values=_values(element), description=_text(element, "Description").strip())
    if kind != "TextSource":
        source.other_selections = sum(1 for c in element.iter() if local(c.tag).endswith("Selection"))
        return source
    for selection in _children(element, "PlainTextSelection"):
        item = Selection(
            guid=parse_guid(selection.get("guid")), raw_guid=selection.get("guid") or "",
            name=selection.get("name"), start=_int(selection.get("startPosition")),
            end=_int(selection.get("endPosition")), user=parse_guid(selection.get("creatingUser")),
            description=_text(selection, "Description").strip(), notes=_refs(selection, "NoteRef"))
        for coding in _children(selection, "Coding"):
            ref = _child(coding, "CodeRef")
            item.codings.append((parse_guid(coding.get("guid")),
                                 parse_guid(ref.get("targetGUID")) if ref is not None else None,
                                 parse_guid(coding.get("creatingUser"))))
            item.notes += _refs(coding, "NoteRef")
        source.selections.append(item)
    source.other_selections = len(_children(element, "Coding"))  # codings of the whole source: none in Kruispunt
    return source
