"""REFI-QDA codebooks (.qdc, DOMAIN §5): written strictly, read leniently.

Written: `CodeBook` in `urn:QDA-XML:codebook:1.0` with the code tree, each code's stable guid, name, colour,
`isCodable` and its definition as `Description` (include/exclude rules and example after it, labelled), valid
against the standard's XSD. Read: any namespace ending in "codebook:…" (ATLAS.ti's 0:4) or none, upper-case or
braced guids, missing colours, an empty `<Sets/>`; keys are made from the names (the format has none) and every
code keeps its guid, so a codebook that goes out and comes back is the same codebook. What cannot be carried is
said, never dropped silently: the import returns its notes.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from xml.etree import ElementTree as ET  # writing only: reading goes through defusedxml

from cases.refi_archive import local as _local
from cases.refi_archive import parse_guid as _guid
from cases.refi_archive import parse_xml
from codebooks.templates import CodebookTemplate, CodeTemplate
from store.errors import Refused

NAMESPACE = "urn:QDA-XML:codebook:1.0"
_COLOUR = re.compile(r"^#(?:[0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})$")
MAX_DEPTH = 50
_RULES = (("include", "Use when"), ("exclude", "Do not use when"), ("example", "Example"))


def codebook_qdc(template: CodebookTemplate) -> bytes:
    """The codebook as a .qdc document (UTF-8)."""
    ET.register_namespace("", NAMESPACE)
    root = ET.Element(f"{{{NAMESPACE}}}CodeBook", {"origin": "Kruispunt"})
    codes = ET.SubElement(root, f"{{{NAMESPACE}}}Codes")
    elements: dict[str, ET.Element] = {}
    for code in template.codes:
        parent = elements[code.parent] if code.parent else codes  # a parent comes before its children
        element = ET.SubElement(parent, f"{{{NAMESPACE}}}Code", {
            "guid": str(code.guid or uuid.uuid5(uuid.NAMESPACE_URL, f"kruispunt:{template.key}:{code.key}")),
            "name": code.label_en or code.label_nl or code.key, "isCodable": "true" if code.codable else "false",
            "color": code.colour.upper()})
        description = _description(code)
        if description:
            ET.SubElement(element, f"{{{NAMESPACE}}}Description").text = description
        elements[code.key] = element  # its Description is in before any child code, as the XSD wants
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _description(code: CodeTemplate) -> str:
    parts = [code.definition.strip()] if code.definition.strip() else []
    parts += [f"{label}: {getattr(code, field).strip()}" for field, label in _RULES if getattr(code, field).strip()]
    return "\n\n".join(parts)


def template_from_qdc(data: bytes, filename: str = "codebook.qdc", *, key: str | None = None
                      ) -> tuple[CodebookTemplate, list[str]]:
    """A codebook template from a .qdc file, and notes on what was adapted or could not be carried."""
    root = parse_xml(data, filename)
    if _local(root.tag) != "CodeBook":
        raise Refused(f"{filename}: not a REFI-QDA codebook (its root is <{_local(root.tag)}>, not <CodeBook>)")
    namespace = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    notes = [] if namespace == NAMESPACE else [f"namespace '{namespace or 'none'}' read as {NAMESPACE}"]
    codes_element = next((c for c in root if _local(c.tag) == "Codes"), None)
    if codes_element is None:
        raise Refused(f"{filename}: has no <Codes>")
    stem = re.sub(r"\.qdc$", "", filename.rsplit("/", 1)[-1], flags=re.IGNORECASE)
    book_key = key or _slug(stem) or "imported"
    template = CodebookTemplate(key=book_key, prefix=book_key, version="1.0", ordered=False, name_en=stem,
                                origin="imported", source=f"REFI-QDA codebook {filename}")
    add_code_tree(template, [c for c in codes_element if _local(c.tag) == "Code"], None, notes, set(), set())
    if not template.codes:
        raise Refused(f"{filename}: has no codes")
    sets = next((c for c in root if _local(c.tag) == "Sets"), None)
    if sets is not None and len(sets):
        notes.append(f"{len(sets)} set(s) of codes not carried (Kruispunt has no code sets)")
    template.validate(lambda index: filename)
    return template, notes


def add_code_tree(template: CodebookTemplate, elements: list, parent: str | None, notes: list[str],
                  used: set[str], seen_guids: set[uuid.UUID], depth: int = 0) -> None:
    """Append `Code` elements and their children to the template (keys made from names, guids kept)."""
    if depth > MAX_DEPTH:
        raise Refused(f"codes are nested more than {MAX_DEPTH} levels deep; a code tree that deep is refused")
    for child in elements:
        name = " ".join((child.get("name") or "").split())
        if len(name) > 200:
            notes.append(f"code '{name[:60]}…': its name was cut to 200 characters")
            name = name[:200].rstrip()
        guid = _guid(child.get("guid"))
        if guid is None:
            notes.append(f"code '{name}': guid '{child.get('guid')}' is not a GUID; a new one was made")
        elif guid in seen_guids:
            notes.append(f"code '{name}': guid {guid} occurs twice; the second got a new one")
            guid = None
        if guid is not None:
            seen_guids.add(guid)
        code_key = _unique(_short(f"{template.key}.{_slug(name) or 'code'}" if parent is None
                                  else f"{parent}.{_slug(name) or 'code'}"), used)
        colour = child.get("color") or ""
        if colour and not _COLOUR.match(colour):
            notes.append(f"code '{name}': colour '{colour}' is not #RRGGBB; grey instead")
        described = description_parts(next((c.text or "" for c in child if _local(c.tag) == "Description"), ""))
        template.codes.append(CodeTemplate(
            key=code_key, parent=parent, label_en=name or code_key, definition=described["definition"],
            include=described["include"], exclude=described["exclude"], example=described["example"],
            colour=_six(colour) if colour and _COLOUR.match(colour) else "#999999",
            codable=(child.get("isCodable") or "true").strip().lower() not in ("false", "0"), guid=guid))
        add_code_tree(template, [c for c in child if _local(c.tag) == "Code"], code_key, notes, used, seen_guids,
                      depth + 1)


def description_parts(text: str) -> dict[str, str]:
    """A `Description` read back into definition and rules (the labelled paragraphs `_description` writes)."""
    parts = {"definition": "", "include": "", "exclude": "", "example": ""}
    rest: list[str] = []
    for paragraph in (text or "").strip().split("\n\n"):
        for field_name, label in _RULES:
            if paragraph.startswith(f"{label}: ") and not parts[field_name]:
                parts[field_name] = paragraph[len(label) + 2:].strip()
                break
        else:
            rest.append(paragraph)
    parts["definition"] = "\n\n".join(rest).strip()
    return parts


def _six(colour: str) -> str:
    return colour.upper() if len(colour) == 7 else "#" + "".join(ch * 2 for ch in colour[1:]).upper()


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")[:40]


def _short(key: str) -> str:
    """A key within the 200 characters a key may have: a deep tree of long names ends in a short hash instead."""
    if len(key) <= 180:
        return key
    return f"{key[:170]}_{hashlib.sha1(key.encode()).hexdigest()[:8]}"


def _unique(key: str, used: set[str]) -> str:
    candidate, n = key, 2
    while candidate in used:
        candidate, n = f"{key}_{n}", n + 1
    used.add(candidate)
    return candidate


def export_codebook_qdc(session, key: str, project=None) -> bytes:  # type: ignore[no-untyped-def]
    """A project's codebook as it stands (with its edits), or a template, as a .qdc document."""
    from codebooks.service import codebook_as_template, get_codebook, get_template

    template = codebook_as_template(get_codebook(session, project, key)) if project else get_template(session, key)
    return codebook_qdc(template)


def import_codebook_qdc(session, data: bytes, *, filename: str, project=None, actor: str = "system",  # type: ignore[no-untyped-def]
                        key: str | None = None):
    """Store a .qdc codebook into a project (or as a template); returns the codebook and the import's notes."""
    from codebooks.service import import_template

    template, notes = template_from_qdc(data, filename, key=key)
    return import_template(session, template, filename=filename, project=project, actor=actor), notes


# --- a project's code tree (.qdpx): one or several codebooks ------------------------------------------------

_MARKER = re.compile(r'^Kruispunt codebook "([a-z0-9._-]+)", version (.+)$', re.MULTILINE)


def codebook_marker(key: str, version: str) -> str:
    """The line a Kruispunt export ends a codebook folder's description with, so the codebook comes back."""
    return f'Kruispunt codebook "{key}", version {version}'


def templates_from_project_codes(elements: list, *, fallback_name: str, notes: list[str]
                                 ) -> list[tuple[CodebookTemplate, uuid.UUID | None]]:
    """A project's `Codes` as codebooks, each with the guid it should keep.

    A non-codable top-level folder whose description ends with Kruispunt's marker line is that codebook (a
    built-in one gets back its keys, translations, ranks and indicators where the names still match); a single
    non-codable wrapper (NVivo) is one codebook named after it; any other top-level codes form one codebook
    named after the project."""
    used: set[str] = set()
    seen: set[uuid.UUID] = set()
    books: list[tuple[CodebookTemplate, uuid.UUID | None]] = []
    loose = []
    taken: set[str] = set()
    for element in (e for e in elements if _local(e.tag) == "Code"):
        description = next((c.text or "" for c in element if _local(c.tag) == "Description"), "")
        marker = _MARKER.search(description)
        if marker is None or (element.get("isCodable") or "").strip().lower() not in ("false", "0"):
            loose.append(element)
            continue
        key = _unique(marker.group(1), taken)
        template = CodebookTemplate(
            key=key, prefix=key, version=marker.group(2).strip(), ordered=False,
            name_en=" ".join((element.get("name") or key).split()), origin="imported",
            description=_MARKER.sub("", description).strip(), source="REFI-QDA project")
        add_code_tree(template, [c for c in element if _local(c.tag) == "Code"], None, notes, used, seen)
        books.append((_as_builtin(template), _guid(element.get("guid"))))
    if len(loose) == 1 and not books and (loose[0].get("isCodable") or "").strip().lower() in ("false", "0") \
            and any(_local(c.tag) == "Code" for c in loose[0]):
        wrapper = loose[0]
        name = " ".join((wrapper.get("name") or fallback_name).split())
        key = _unique(_slug(name) or "imported", taken)
        template = CodebookTemplate(key=key, prefix=key, version="1.0", ordered=False, name_en=name,
                                    origin="imported", source="REFI-QDA project")
        add_code_tree(template, [c for c in wrapper if _local(c.tag) == "Code"], None, notes, used, seen)
        books.append((template, _guid(wrapper.get("guid"))))
        notes.append(f"the code folder '{name}' that holds every code became codebook '{key}'")
    elif loose:
        key = _unique(_slug(fallback_name) or "imported", taken)
        template = CodebookTemplate(key=key, prefix=key, version="1.0", ordered=False, name_en=fallback_name,
                                    origin="imported", source="REFI-QDA project")
        add_code_tree(template, loose, None, notes, used, seen)
        books.append((template, None))
    return books


def _as_builtin(template: CodebookTemplate) -> CodebookTemplate:
    """A codebook that came from one of Kruispunt's built-in frameworks: codes whose names still match get back
    the built-in key and what the format cannot carry (translations, ranks, horizons, indicator terms)."""
    from codebooks.templates import builtin_templates

    builtin = builtin_templates().get(template.key)
    if builtin is None:
        return template
    renamed: dict[str, str] = {}
    taken = {c.key for c in template.codes}
    for code in template.codes:
        parent = renamed.get(code.parent, code.parent) if code.parent else None
        match = next((b for b in builtin.codes if code.guid is not None and b.guid == code.guid), None) or next(
            (b for b in builtin.codes if b.parent == parent and b.label_en.casefold() == code.label_en.casefold()),
            None)
        new_key = match.key if match is not None and match.key not in renamed.values() else code.key
        if match is None and code.parent and parent != code.parent:
            new_key = _unique(f"{parent}.{code.key.rsplit('.', 1)[-1]}", taken)
        renamed[code.key] = new_key
        code.key, code.parent = new_key, parent
        if match is not None:
            code.label_nl, code.label_de = match.label_nl, match.label_de
            code.rank, code.horizon, code.source = match.rank, match.horizon, match.source
            code.enabled = match.enabled  # an optional code stays switched off, as the framework ships it
            code.indicators = {lang: list(terms) for lang, terms in match.indicators.items()}
    template.prefix, template.ordered, template.origin = builtin.prefix, builtin.ordered, builtin.origin
    template.name_nl, template.name_de, template.source = builtin.name_nl, builtin.name_de, builtin.source
    return template
