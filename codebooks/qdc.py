"""REFI-QDA codebooks (.qdc, DOMAIN §5): written strictly, read leniently.

Written: `CodeBook` in `urn:QDA-XML:codebook:1.0` with the code tree, each code's stable guid, name, colour,
`isCodable` and its definition as `Description` (include/exclude rules and example after it, labelled), valid
against the standard's XSD. Read: any namespace ending in "codebook:…" (ATLAS.ti's 0:4) or none, upper-case or
braced guids, missing colours, an empty `<Sets/>`; keys are made from the names (the format has none) and every
code keeps its guid, so a codebook that goes out and comes back is the same codebook. What cannot be carried is
said, never dropped silently: the import returns its notes.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from xml.etree import ElementTree as ET  # writing only: reading goes through defusedxml

from defusedxml import ElementTree as SafeET

from codebooks.templates import CodebookTemplate, CodeTemplate
from store.errors import Refused

NAMESPACE = "urn:QDA-XML:codebook:1.0"
_GUID = re.compile(r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$")
_COLOUR = re.compile(r"^#(?:[0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})$")
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
    try:
        root = SafeET.fromstring(data)
    except SafeET.ParseError as exc:
        raise Refused(f"{filename}: not a readable XML file ({exc})") from None
    except Exception as exc:  # defusedxml refuses entities, DTDs and the like
        raise Refused(f"{filename}: refused ({exc.__class__.__name__}: {exc})") from None
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
    used: set[str] = set()
    seen_guids: set[uuid.UUID] = set()

    def walk(element, parent: str | None) -> None:  # type: ignore[no-untyped-def]
        for child in element:
            if _local(child.tag) != "Code":
                continue
            name = " ".join((child.get("name") or "").split())
            guid = _guid(child.get("guid"))
            if guid is None:
                notes.append(f"code '{name}': guid '{child.get('guid')}' is not a GUID; a new one was made")
            elif guid in seen_guids:
                notes.append(f"code '{name}': guid {guid} occurs twice; the second got a new one")
                guid = None
            if guid is not None:
                seen_guids.add(guid)
            code_key = _unique(f"{book_key}.{_slug(name) or 'code'}" if parent is None
                               else f"{parent}.{_slug(name) or 'code'}", used)
            colour = child.get("color") or ""
            if colour and not _COLOUR.match(colour):
                notes.append(f"code '{name}': colour '{colour}' is not #RRGGBB; grey instead")
            description = next((c.text or "" for c in child if _local(c.tag) == "Description"), "")
            template.codes.append(CodeTemplate(
                key=code_key, parent=parent, label_en=name or code_key, definition=description.strip(),
                colour=_six(colour) if colour and _COLOUR.match(colour) else "#999999",
                codable=(child.get("isCodable") or "true").strip().lower() not in ("false", "0"), guid=guid))
            walk(child, code_key)

    walk(codes_element, None)
    if not template.codes:
        raise Refused(f"{filename}: has no codes")
    sets = next((c for c in root if _local(c.tag) == "Sets"), None)
    if sets is not None and len(sets):
        notes.append(f"{len(sets)} set(s) of codes not carried (Kruispunt has no code sets)")
    template.validate(lambda index: filename)
    return template, notes


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _guid(text: str | None) -> uuid.UUID | None:
    match = _GUID.match((text or "").strip())
    return uuid.UUID(match.group(1)) if match else None


def _six(colour: str) -> str:
    return colour.upper() if len(colour) == 7 else "#" + "".join(ch * 2 for ch in colour[1:]).upper()


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")[:40]


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
