"""A project's codebooks: adopt a template, then add, rename, move, merge and delete codes.

Every change is one transaction with an event; a code in use is never deleted
(merge it into another code first), so no coding is ever silently lost.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session, object_session

from cases.projects import create_project
from codebooks.templates import (
    HORIZONS,
    KEY_PATTERN,
    CodebookTemplate,
    CodeTemplate,
    builtin_templates,
    template_from_csv,
    template_to_csv,
)
from store.errors import Refused
from store.events import record_event
from store.models import (
    Adjudication,
    Case,
    Code,
    Codebook,
    CodeIndicator,
    Coding,
    Feedback,
    FrameworkCell,
    Memo,
    Project,
    Segment,
    Story,
    StoryStep,
)

LABEL_LANGUAGES = ("en", "nl", "de")
DEFAULT_CODEBOOKS = ("value-creation", "network-conditions")


# --- templates ----------------------------------------------------------------------------------

def list_templates(session: Session) -> list[CodebookTemplate]:
    """Built-in templates first (in file order), then imported ones by key."""
    imported = session.scalars(select(Codebook).where(Codebook.project_id.is_(None)))
    return list(builtin_templates().values()) + sorted((codebook_as_template(cb) for cb in imported), key=lambda t: t.key)


def get_template(session: Session, key: str) -> CodebookTemplate:
    if key in builtin_templates():
        return builtin_templates()[key]
    stored = session.scalar(select(Codebook).where(Codebook.project_id.is_(None), Codebook.key == key))
    if stored is None:
        known = ", ".join(t.key for t in list_templates(session))
        raise Refused(f"no codebook '{key}' (known: {known})")
    return codebook_as_template(stored)


def codebook_as_template(codebook: Codebook) -> CodebookTemplate:
    """A stored codebook (a project's copy with its edits, or an imported template) as plain data."""
    by_id = {c.id: c for c in codebook.codes}
    template = CodebookTemplate(
        key=codebook.key, prefix=codebook.prefix, version=codebook.version, ordered=codebook.ordered,
        name_en=codebook.name_en, name_nl=codebook.name_nl, name_de=codebook.name_de, source=codebook.source,
        description=codebook.description, origin=codebook.origin,
    )
    indicators = code_indicators(object_session(codebook), codebook) if object_session(codebook) else {}
    for code in codebook.codes:
        template.codes.append(CodeTemplate(
            key=code.key, parent=by_id[code.parent_id].key if code.parent_id else None,
            label_en=code.label_en, label_nl=code.label_nl, label_de=code.label_de, definition=code.definition,
            include=code.include_rule, exclude=code.exclude_rule, example=code.example, colour=code.colour,
            rank=code.rank, horizon=code.horizon, source=code.source, codable=code.codable, enabled=code.enabled,
            guid=code.guid, indicators=indicators.get(code.id, {}),
        ))
    return template


def code_indicators(session: Session, codebook: Codebook) -> dict[int, dict[str, list[str]]]:
    """{code id: {language: terms in stored order}} for one codebook, in one query."""
    stmt = (select(CodeIndicator.code_id, CodeIndicator.language, CodeIndicator.term)
            .join(Code, Code.id == CodeIndicator.code_id).where(Code.codebook_id == codebook.id)
            .order_by(CodeIndicator.id))
    out: dict[int, dict[str, list[str]]] = {}
    for code_id, language, term in session.execute(stmt):
        out.setdefault(code_id, {}).setdefault(language, []).append(term)
    return out


def export_codebook_csv(session: Session, key: str, project: Project | None = None) -> str:
    """A project's codebook as it stands (with its edits), or a template."""
    template = codebook_as_template(get_codebook(session, project, key)) if project else get_template(session, key)
    return template_to_csv(template)


def import_codebook_csv(
    session: Session, text: str, *, filename: str, project: Project | None = None, actor: str = "system"
) -> Codebook:
    """Store a CSV codebook as a template (no project) or straight into a project."""
    return import_template(session, template_from_csv(text, filename), filename=filename, project=project,
                           actor=actor)


def import_template(session: Session, template: CodebookTemplate, *, filename: str, project: Project | None,
                    actor: str = "system") -> Codebook:
    """Store a codebook read from a file (CSV or REFI-QDA) as a template, or straight into a project."""
    if template.key in builtin_templates():
        raise Refused(f"{filename}: '{template.key}' is a built-in codebook key; give the imported codebook another key")
    if project is None:
        if session.scalar(select(Codebook.id).where(Codebook.project_id.is_(None), Codebook.key == template.key)):
            raise Refused(f"{filename}: a codebook template '{template.key}' already exists")
    return _copy_into(session, template, project, origin="imported", actor=actor)


def restore_codebook(session: Session, template: CodebookTemplate, project: Project, *, guid: uuid.UUID | None,
                     actor: str = "system") -> Codebook:
    """A codebook carried in a project file (REFI-QDA), kept under its own guid; a built-in one keeps its key."""
    return _copy_into(session, template, project, origin=template.origin, actor=actor, guid=guid)


# --- adoption -----------------------------------------------------------------------------------

def adopt_codebook(session: Session, project: Project, key: str, *, actor: str = "system") -> Codebook:
    """Copy a template into the project; the copy is the project's to edit."""
    template = get_template(session, key)
    return _copy_into(session, template, project, origin=template.origin, actor=actor)


def _copy_into(
    session: Session, template: CodebookTemplate, project: Project | None, *, origin: str, actor: str,
    guid: uuid.UUID | None = None,
) -> Codebook:
    project_id = project.id if project else None
    if project is not None and session.scalar(
        select(Codebook.id).where(Codebook.project_id == project_id, Codebook.key == template.key)
    ):
        raise Refused(f"project '{project.name}' already has codebook '{template.key}'")
    codebook = Codebook(
        project_id=project_id, key=template.key, prefix=template.prefix, origin=origin, version=template.version,
        ordered=template.ordered, name_en=template.name_en, name_nl=template.name_nl, name_de=template.name_de,
        source=template.source, description=template.description,
    )
    if guid is not None:
        codebook.guid = guid
    session.add(codebook)
    session.flush()
    by_key: dict[str, Code] = {}
    for position, ct in enumerate(template.codes):
        code = Code(
            codebook_id=codebook.id, parent_id=by_key[ct.parent].id if ct.parent else None, key=ct.key,
            position=position, label_en=ct.label_en, label_nl=ct.label_nl, label_de=ct.label_de,
            definition=ct.definition, include_rule=ct.include, exclude_rule=ct.exclude, example=ct.example,
            colour=ct.colour, rank=ct.rank, horizon=ct.horizon, source=ct.source, codable=ct.codable,
            enabled=ct.enabled,
        )
        if ct.guid is not None:
            code.guid = ct.guid
        session.add(code)
        session.flush()
        by_key[ct.key] = code
        session.add_all(CodeIndicator(code_id=code.id, language=lang, term=term)
                        for lang, terms in ct.indicators.items() for term in dict.fromkeys(terms))
    record_event(session, project_guid=project.guid if project else None, actor=actor,
                 action="adopt" if project else "import", entity="codebook", entity_guid=codebook.guid,
                 after={"key": template.key, "version": template.version, "codes": len(template.codes)})
    return codebook


def start_project(session: Session, name: str, codebook_keys: list[str] | None = None, *,
                  actor: str = "system") -> Project:
    """A new project with its codebooks adopted (the defaults when none are named), in the caller's transaction."""
    project = create_project(session, name, actor=actor)
    for key in DEFAULT_CODEBOOKS if codebook_keys is None else codebook_keys:
        adopt_codebook(session, project, key, actor=actor)
    return project


def list_project_codebooks(session: Session, project: Project) -> list[Codebook]:
    return list(session.scalars(select(Codebook).where(Codebook.project_id == project.id).order_by(Codebook.id)))


def get_codebook(session: Session, project: Project | None, key: str) -> Codebook:
    """A project's codebook by key ("value-creation") or by its code prefix ("vc")."""
    if project is None:
        raise Refused("a project is needed")
    codebook = session.scalar(select(Codebook).where(Codebook.project_id == project.id, Codebook.key == key))
    if codebook is None:
        by_prefix = list(session.scalars(select(Codebook).where(Codebook.project_id == project.id,
                                                                Codebook.prefix == key, Codebook.prefix != "")))
        if len(by_prefix) == 1:
            return by_prefix[0]
        raise Refused(f"project '{project.name}' has no codebook '{key}'")
    return codebook


# --- the code tree ------------------------------------------------------------------------------

@dataclass
class CodeRow:
    code: Code
    depth: int
    path: str


def code_tree(codebook: Codebook) -> list[CodeRow]:
    """Codes depth-first in codebook order (position among siblings); `codebook` may be anything with `codes`."""
    children: dict[int | None, list[Code]] = {}
    for code in codebook.codes:
        children.setdefault(code.parent_id, []).append(code)
    for siblings in children.values():
        siblings.sort(key=lambda c: c.position)
    rows: list[CodeRow] = []

    def walk(parent_id: int | None, depth: int, path: str) -> None:
        for code in children.get(parent_id, []):
            here = f"{path}/{code.key}" if path else code.key
            rows.append(CodeRow(code, depth, here))
            walk(code.id, depth + 1, here)

    walk(None, 0, "")
    return rows


def code_label(code: Code, language: str = "en") -> str:
    """The label in the wanted language, falling back to English, then Dutch, then the key."""
    for lang in (language, "en", "nl"):
        label = getattr(code, f"label_{lang}", "")
        if label:
            return label
    return code.key


def split_code_ref(ref: str) -> tuple[str | None, str]:
    """"codebook/key" -> ("codebook", "key"); a plain key -> (None, key). Keys never contain "/"."""
    book, sep, key = ref.strip().rpartition("/")
    return (book or None, key) if sep else (None, ref.strip())


def find_code(session: Session, project: Project, key: str, codebook_key: str | None = None) -> Code:
    """A project's code by key, or "codebook/key" where two codebooks share a key."""
    if codebook_key is None:
        codebook_key, key = split_code_ref(key)
    stmt = select(Code).join(Codebook).where(Codebook.project_id == project.id, Code.key == key)
    if codebook_key:
        stmt = stmt.where(Codebook.key == codebook_key)
    found = list(session.scalars(stmt))
    if not found:
        raise Refused(f"project '{project.name}' has no code '{key}'")
    if len(found) > 1:
        raise Refused(f"code '{key}' exists in several codebooks; write it as codebook/{key}")
    return found[0]


def coding_counts(session: Session, codebook: Codebook, visible: ColumnElement[bool] | None = None) -> dict[int, int]:
    """Codings per code; `visible` (a condition on Segment) keeps only those a viewer may see (blind coding)."""
    stmt = select(Coding.code_id, func.count()).join(Code).where(Code.codebook_id == codebook.id)
    if visible is not None:
        stmt = stmt.join(Segment, Segment.id == Coding.segment_id).where(visible)
    return dict(session.execute(stmt.group_by(Coding.code_id)).all())


def _snapshot(code: Code) -> dict:
    return {"key": code.key, "label_en": code.label_en, "label_nl": code.label_nl, "label_de": code.label_de,
            "parent_id": code.parent_id, "position": code.position, "enabled": code.enabled}


def _log(session: Session, project: Project, actor: str, action: str, code: Code, before: dict | None) -> None:
    record_event(session, project_guid=project.guid, actor=actor, action=action, entity="code",
                 entity_guid=code.guid, before=before, after=_snapshot(code) if action != "delete" else None)


def add_code(
    session: Session, project: Project, codebook_key: str, key: str, label_en: str, *,
    parent_key: str | None = None, label_nl: str = "", label_de: str = "", definition: str = "",
    colour: str = "#888888", actor: str = "system", codable: bool = True, guid: uuid.UUID | None = None,
) -> Code:
    codebook = get_codebook(session, project, codebook_key)
    key = key.strip()
    if len(key) > 200:
        raise Refused(f"a code key is at most 200 characters; this one has {len(key):,}")
    if not KEY_PATTERN.match(key):
        raise Refused(f"code key '{key}' must be lower-case letters, digits, '.', '-' or '_' (at most 200), "
                      "so it survives a CSV export and import")
    if any(c.key == key for c in codebook.codes):
        raise Refused(f"codebook '{codebook_key}' already has a code '{key}'")
    if not (label_en.strip() or label_nl.strip()):
        raise Refused("a code needs an English or Dutch label")
    if max(len(label_en.strip()), len(label_nl.strip()), len(label_de.strip())) > 200:
        raise Refused("a code label is at most 200 characters")
    parent = _code_in(codebook, parent_key) if parent_key else None
    position = max((c.position for c in codebook.codes), default=-1) + 1
    code = Code(codebook_id=codebook.id, parent_id=parent.id if parent else None, key=key, position=position,
                label_en=label_en.strip(), label_nl=label_nl.strip(), label_de=label_de.strip(),
                definition=definition.strip(), colour=colour, codable=codable)
    if guid is not None:
        code.guid = guid
    session.add(code)
    session.flush()
    session.refresh(codebook)
    _log(session, project, actor, "create", code, None)
    return code


def _code_in(codebook: Codebook, key: str) -> Code:
    for code in codebook.codes:
        if code.key == key:
            return code
    raise Refused(f"codebook '{codebook.key}' has no code '{key}'")


def update_code(
    session: Session, project: Project, codebook_key: str, key: str, *, actor: str = "system", **changes: object
) -> Code:
    """Rename (labels) or edit the description fields of a code; its key never changes."""
    allowed = {"label_en", "label_nl", "label_de", "definition", "include_rule", "exclude_rule", "example",
               "colour", "enabled", "codable", "rank", "horizon"}
    unknown = set(changes) - allowed
    if unknown:
        raise Refused(f"cannot change {', '.join(sorted(unknown))} of a code (the key is immutable)")
    if "horizon" in changes and changes["horizon"] not in (None, *HORIZONS):
        raise Refused(f"horizon must be one of {', '.join(HORIZONS)}")
    code = _code_in(get_codebook(session, project, codebook_key), key)
    before = _snapshot(code)
    for name, value in changes.items():
        if name.startswith("label_") and isinstance(value, str) and len(value.strip()) > 200:
            raise Refused(f"{name} is longer than 200 characters")
        setattr(code, name, value.strip() if isinstance(value, str) else value)
    if not (code.label_en or code.label_nl):
        raise Refused("a code needs an English or Dutch label")
    session.flush()
    _log(session, project, actor, "update", code, before)
    return code


def move_code(
    session: Session, project: Project, codebook_key: str, key: str, new_parent_key: str | None, *,
    actor: str = "system",
) -> Code:
    """Give a code another parent (None = top level), placed last among its new siblings."""
    codebook = get_codebook(session, project, codebook_key)
    code = _code_in(codebook, key)
    parent = _code_in(codebook, new_parent_key) if new_parent_key else None
    ancestor = parent
    while ancestor is not None:
        if ancestor.id == code.id:
            raise Refused(f"cannot move '{key}' under its own descendant '{new_parent_key}'")
        ancestor = next((c for c in codebook.codes if c.id == ancestor.parent_id), None)
    before = _snapshot(code)
    code.parent_id = parent.id if parent else None
    code.position = max((c.position for c in codebook.codes), default=0) + 1
    session.flush()
    _log(session, project, actor, "move", code, before)
    return code


def _cells_to_move(session: Session, source: Code, target: Code
                   ) -> tuple[list[tuple[FrameworkCell, str]], list[tuple[FrameworkCell, str]]]:
    """The source's framework cells (with their case's guid) that the merge gives to the target, and the empty
    ones it drops because the target has a cell on that case. Where both cells hold an analyst's work, a person
    settles it first: nothing is chosen silently."""
    rows = session.execute(select(FrameworkCell, Case.guid, Case.name).join(Case, FrameworkCell.case_id == Case.id)
                           .where(FrameworkCell.code_id == source.id)).all()
    taken = set(session.scalars(select(FrameworkCell.case_id).where(FrameworkCell.code_id == target.id)))
    both = [(cell, str(guid), name) for cell, guid, name in rows if cell.case_id in taken]
    written = sorted(name for cell, _, name in both if _holds_work(cell))
    if written:
        raise Refused(f"cannot merge '{source.key}' into '{target.key}': both have a framework cell with a summary, "
                      f"rating or quotes on {', '.join(written)}; clear the one you do not keep (no summary, rating "
                      "or quotes, state 'not assessed') on the Framework matrix first")
    return ([(cell, str(guid)) for cell, guid, _ in rows if cell.case_id not in taken],
            [(cell, guid) for cell, guid, _ in both])


def _holds_work(cell: FrameworkCell) -> bool:
    return bool(cell.summary or cell.rating is not None or cell.quotes or cell.state != "not_assessed")


def merge_codes(
    session: Session, project: Project, codebook_key: str, source_key: str, target_key: str, *,
    actor: str = "system",
) -> int:
    """Move every coding and child of `source` to `target`, then delete `source`. Returns codings moved."""
    codebook = get_codebook(session, project, codebook_key)
    source, target = _code_in(codebook, source_key), _code_in(codebook, target_key)
    if source.id == target.id:
        raise Refused("cannot merge a code into itself")
    ancestor = target
    while ancestor is not None:
        if ancestor.id == source.id:
            raise Refused(f"cannot merge '{source_key}' into its own descendant '{target_key}'")
        ancestor = next((c for c in codebook.codes if c.id == ancestor.parent_id), None)
    cells, empty_cells = _cells_to_move(session, source, target)
    already = select(Coding.segment_id).where(Coding.code_id == target.id)
    duplicates = session.execute(
        select(Coding).where(Coding.code_id == source.id, Coding.segment_id.in_(already))
    ).scalars().all()
    for coding in duplicates:
        session.delete(coding)
    session.flush()
    moved = session.execute(update(Coding).where(Coding.code_id == source.id).values(code_id=target.id)).rowcount
    session.execute(update(Code).where(Code.parent_id == source.id).values(parent_id=target.id))
    memos = session.execute(update(Memo).where(Memo.code_id == source.id).values(code_id=target.id)).rowcount
    feedback = session.execute(update(Feedback).where(Feedback.code_id == source.id)
                               .values(code_id=target.id)).rowcount
    session.execute(update(Feedback).where(Feedback.promoted_code_id == source.id).values(promoted_code_id=target.id))
    adjudications = session.execute(update(Adjudication).where(Adjudication.code_id == source.id)
                                    .values(code_id=target.id)).rowcount  # decisions taken on it stay on record
    cause = f"merging code '{source.key}' into '{target.key}'"
    for cell, case_guid in cells:  # the analyst's summaries, ratings and quotes go with the code, each logged
        cell.code_id = target.id
        record_event(session, project_guid=project.guid, actor=actor, action="move", entity="framework_cell",
                     entity_guid=cell.guid, before={"code": source.key, "code_guid": str(source.guid)},
                     after={"case_guid": case_guid, "code": target.key, "code_guid": str(target.guid),
                            "cause": cause})
    for cell, case_guid in empty_cells:
        record_event(session, project_guid=project.guid, actor=actor, action="delete", entity="framework_cell",
                     entity_guid=cell.guid, before={"case_guid": case_guid, "code": source.key,
                                                    "code_guid": str(source.guid), "state": cell.state,
                                                    "cause": cause})
        session.delete(cell)
    for step_guid, story_guid in session.execute(select(StoryStep.guid, Story.guid).join(
            Story, StoryStep.story_id == Story.id).where(StoryStep.cycle_code_id == source.id)).all():
        record_event(session, project_guid=project.guid, actor=actor, action="move", entity="story",
                     entity_guid=story_guid, before={"step": str(step_guid), "cycle": source.key},
                     after={"step": str(step_guid), "cycle": target.key, "cause": cause})
    session.execute(update(StoryStep).where(StoryStep.cycle_code_id == source.id).values(cycle_code_id=target.id))
    # The source's indicator terms now point at the target (suggestions keep finding the merged meaning).
    have = set(session.execute(select(CodeIndicator.language, CodeIndicator.term)
                               .where(CodeIndicator.code_id == target.id)).all())
    for indicator in session.scalars(select(CodeIndicator).where(CodeIndicator.code_id == source.id)).all():
        if (indicator.language, indicator.term) in have:
            session.delete(indicator)
        else:
            indicator.code_id = target.id
    session.flush()
    before = _snapshot(source)
    record_event(session, project_guid=project.guid, actor=actor, action="merge", entity="code",
                 entity_guid=source.guid, before=before,
                 after={"into": str(target.guid), "into_key": target.key, "codings_moved": moved,
                        "duplicates_dropped": len(duplicates), "memos_moved": memos, "feedback_moved": feedback,
                        "adjudications_moved": adjudications,
                        "cells_moved": len(cells), "empty_cells_dropped": len(empty_cells)})
    session.delete(source)
    session.flush()
    session.expire(codebook)
    return moved + len(duplicates)


def delete_code(session: Session, project: Project, codebook_key: str, key: str, *, actor: str = "system") -> None:
    codebook = get_codebook(session, project, codebook_key)
    code = _code_in(codebook, key)
    used = session.scalar(select(func.count()).select_from(Coding).where(Coding.code_id == code.id))
    if used:
        raise Refused(f"code '{key}' is used by {used} coding(s); merge it into another code instead of deleting it")
    if any(c.parent_id == code.id for c in codebook.codes):
        raise Refused(f"code '{key}' has child codes; move or delete them first")
    steps = session.scalar(select(func.count()).select_from(StoryStep).where(StoryStep.cycle_code_id == code.id))
    if steps:
        raise Refused(f"code '{key}' is the cycle of {steps} story step(s); change their cycle on the Stories page "
                      "or merge the code into another instead of deleting it")
    before = _snapshot(code)
    record_event(session, project_guid=project.guid, actor=actor, action="delete", entity="code",
                 entity_guid=code.guid, before=before)
    session.delete(code)
    session.flush()
    session.expire(codebook)



def key_for_label(session: Session, project: Project, codebook_key: str, label: str,
                  parent_key: str | None = None) -> str:
    """A new code's key made from its label, under its parent's key (or the codebook's prefix): "vc.applied" and
    "Nieuwe regels" give "vc.applied.nieuwe-regels"; a key already taken gets -2, -3, …"""
    codebook = get_codebook(session, project, codebook_key)
    ascii_label = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_label).strip("-")[:60].strip("-") or "code"
    stem = parent_key or codebook.prefix or codebook.key
    taken = {c.key for c in codebook.codes}
    key, n = f"{stem}.{slug}", 2
    while key in taken:
        key, n = f"{stem}.{slug}-{n}", n + 1
    return key


def default_parent(session: Session, project: Project, codebook_key: str) -> str | None:
    """Where a new top-level code goes: a codebook kept under one folder (vc -> vc.*) keeps it in that folder."""
    codebook = get_codebook(session, project, codebook_key)
    roots = [c for c in codebook.codes if c.parent_id is None]
    return roots[0].key if len(roots) == 1 and not roots[0].codable else None
