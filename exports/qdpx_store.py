"""Storing what a REFI-QDA project file holds, under its own guids, through Kruispunt's ordinary writes.

Every row goes through the function people's own edits use (coder, codebook, case, document import, coding,
memo, attribute), so each is checked and logged as its own event. An entity whose guid the project already has is
kept as it is, never changed by the file (a second import of the same file adds only what is new, and what the
project changed since stays); a guid another project in the same database uses is replaced by one derived from
it and the project's guid, so importing the same file into that project again still finds it. Selections and
codings: exports.qdpx_selections; notes, sets and the report memo: exports.qdpx_notes.
"""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.attributes import TARGET_COLUMN, VALUE_COLUMN, get_or_create_definition, parse_value, set_attribute
from cases.documents import document_text, link_document_to_case
from cases.importer import store_import
from cases.projects import create_case, get_or_create_coder
from cases.refi_read import PRIMARY_CODER, PRIMARY_CODER_VARIABLE, CaseRecord, ProjectRecord, Source
from cases.textnorm import normalise_text
from codebooks.qdc import templates_from_project_codes
from store.errors import Refused
from store.models import (
    AttributeDefinition,
    AttributeValue,
    Case,
    Codebook,
    Coder,
    Document,
    Project,
)

_FIELD = {"name": "label_en", "colour": "colour", "description": "definition"}
_TYPES = {"text": "text", "boolean": "boolean", "integer": "integer", "float": "float", "date": "date"}
NAME_LIMIT = 200  # a coder, case, code label or attribute name


def case_set_guid(case_guid: uuid.UUID) -> uuid.UUID:
    """The guid of the set a case is also exported as (cases cannot hold notes in the standard; sets can)."""
    return uuid.uuid5(case_guid, "refi-set")


class Store:
    """One import's writes, with the maps from the file's guids to the rows they became."""

    def __init__(self, session: Session, project: Project, record: ProjectRecord, report, actor: str  # type: ignore[no-untyped-def]
                 ) -> None:
        self.session, self.project, self.record, self.report, self.actor = session, project, record, report, actor
        self.users: dict[uuid.UUID, Coder] = {}
        self.codes: dict[uuid.UUID, tuple[str, str, bool, str]] = {}  # guid -> (book, key, codable, label)
        self.case_rows: list[tuple[CaseRecord, Case]] = []
        self.documents: dict[uuid.UUID, Document] = {}
        self.texts: dict[int, str | None] = {}
        self.note_targets: dict[uuid.UUID, list] = defaultdict(list)
        self._fallback: Coder | None = None
        self.descriptions: list[tuple] = []  # memos from Description elements, made with the notes

    # --- identities ---------------------------------------------------------------------------------------

    def local(self, guid: uuid.UUID) -> uuid.UUID:
        """The guid this project gives an item whose own guid another project already holds (always the same)."""
        return uuid.uuid5(self.project.guid, str(guid))

    def free(self, model: type, guid: uuid.UUID | None, element: str) -> uuid.UUID | None:
        """`guid` when no row of `model` holds it; else this project's own stand-in for it (noted once per kind);
        None (a new one is made) when that is taken too."""
        if guid is None:
            return None
        for candidate in (guid, self.local(guid)):
            if self.session.scalar(select(model.id).where(model.guid == candidate)) is None:  # type: ignore[attr-defined]
                if candidate != guid:
                    self.note_guids(element)
                return candidate
        return None

    def note_guids(self, element: str) -> None:
        note = f"some {element} guids were already used by another project in this database; those got new ones"
        if note not in self.report.notes:
            self.report.notes.append(note)

    def mine(self, model: type, guid: uuid.UUID | None, *where) -> object | None:  # type: ignore[no-untyped-def]
        """The project's row that came from this guid (under it, or under the project's stand-in for it)."""
        if guid is None:
            return None
        return self.session.scalars(select(model).where(  # type: ignore[attr-defined]
            model.guid.in_([guid, self.local(guid)]), *where)).first()  # type: ignore[attr-defined]

    def name(self, text: str, element: str, guid: object) -> str:
        """A name within Kruispunt's limit: a longer one is cut, and the report says so."""
        if len(text) <= NAME_LIMIT:
            return text
        self.report.adjust(element, guid, f"its name was cut to {NAME_LIMIT} characters", text[:60])
        return text[:NAME_LIMIT].rstrip()

    # --- coders -------------------------------------------------------------------------------------------

    def coders(self) -> None:
        for guid, name in self.record.users.items():
            name = self.name(name or f"User {str(guid)[:8]}", "User", guid)
            existing = self.mine(Coder, guid, Coder.project_id == self.project.id)
            if existing is None:
                existing = self.session.scalar(select(Coder).where(Coder.project_id == self.project.id,
                                                                   Coder.name == name))
            if existing is not None:
                self.report.unchanged["User"] += 1
                self.users[guid] = existing  # type: ignore[assignment]
                continue
            coder, _ = get_or_create_coder(self.session, self.project, name, actor=self.actor,
                                           guid=self.free(Coder, guid, "user"))
            self.users[guid] = coder
            self.report.imported["User"] += 1

    def coder_for(self, *users: uuid.UUID | None) -> Coder:
        """The first named user the file knows; else the project's creating user; else one coder for the rest."""
        for user in (*users, self.record.creating_user):
            if user is not None and user in self.users:
                return self.users[user]
        if self._fallback is None:
            name = f"Imported from {self.record.origin or 'REFI-QDA'}"[:200]
            self._fallback, made = get_or_create_coder(self.session, self.project, name, actor=self.actor)
            if made:
                self.report.notes.append(f"codings without a known user were given to coder '{name}'")
        return self._fallback

    # --- codebooks ----------------------------------------------------------------------------------------

    def codebooks(self, *, fallback_name: str) -> None:
        from codebooks.service import add_code, restore_codebook

        notes: list[str] = []
        books = templates_from_project_codes(self.record.codes, fallback_name=fallback_name, notes=notes)
        self.report.notes += notes
        for template, guid in books:
            existing = self.mine(Codebook, guid, Codebook.project_id == self.project.id) or self.session.scalar(
                select(Codebook).where(Codebook.project_id == self.project.id, Codebook.key == template.key))
            if existing is None:
                template.validate(lambda index: self.report.filename)
                book = restore_codebook(self.session, template, self.project, guid=self.free(Codebook, guid,
                                        "codebook"), actor=self.actor)
                self.report.imported["codebooks"] += 1
                self.report.imported["Code"] += len(template.codes)
            else:
                book = existing  # type: ignore[assignment]
                self.report.unchanged["codebooks"] += 1
                for code in template.codes:
                    found = next((c for c in book.codes if code.guid and c.guid == code.guid), None) or next(
                        (c for c in book.codes if c.key == code.key), None)
                    if found is None:
                        parent = self._code_key(book, code.parent)
                        add_code(self.session, self.project, book.key, code.key, code.label_en, parent_key=parent,
                                 definition=code.definition, colour=code.colour, codable=code.codable,
                                 actor=self.actor, guid=code.guid)
                        self.report.imported["Code"] += 1
                        continue
                    differs = [k for k, v in (("name", code.label_en), ("colour", code.colour),
                                              ("description", code.definition)) if getattr(found, _FIELD[k]) != v]
                    self.report.unchanged["Code"] += 1
                    if differs:  # the project's own edits stay; the difference is said, not applied
                        self.report.adjust("Code", code.guid, f"the project's code '{found.label_en or found.key}' "
                                           f"was kept; the file's {' and '.join(differs)} differ", code.label_en)
                self.session.refresh(book)
            keys = {c.key: c for c in book.codes}
            for code in template.codes:
                row = next((c for c in book.codes if code.guid and c.guid == code.guid), None) or keys.get(code.key)
                if row is not None and code.guid is not None:
                    self.codes[code.guid] = (book.key, row.key, row.codable and row.enabled,
                                             row.label_en or row.key)

    @staticmethod
    def _code_key(book: Codebook, key: str | None) -> str | None:
        return key if key and any(c.key == key for c in book.codes) else None

    # --- variables and cases ------------------------------------------------------------------------------

    def _set_value(self, entity: Case | Document, value, element: str) -> None:  # type: ignore[no-untyped-def]
        variable = self.record.variables.get(value.variable) if value.variable else None
        if variable is None or not value.kind:
            self.report.skip("VariableValue", value.variable, "its variable or value is missing", element)
            return
        name, declared = variable
        name = self.name(name, "Variable", value.variable)
        if isinstance(entity, Document) and value.variable == PRIMARY_CODER_VARIABLE and name == PRIMARY_CODER:
            self._primary_coder(entity, value.text)
            return
        type_ = _TYPES.get(declared.lower(), "text")
        raw = value.text
        if declared.lower() == "datetime" or declared.lower() not in _TYPES:
            self.report.adjust("Variable", value.variable, f"type {declared} kept as text", name)
        target = "case" if isinstance(entity, Case) else "document"
        guid = value.variable if not self._used_for_other_target(value.variable, target) else None
        try:
            definition = self.session.scalar(select(AttributeDefinition).where(
                AttributeDefinition.project_id == self.project.id, AttributeDefinition.target == target,
                AttributeDefinition.name == name))
            if definition is None:
                get_or_create_definition(self.session, self.project, target, name, type_, actor=self.actor,
                                         guid=self.free(AttributeDefinition, guid, "variable"))
                self.report.imported["Variable"] += 1
            elif self._holds(definition, entity, raw):
                self.report.unchanged["VariableValue"] += 1
                return
            set_attribute(self.session, self.project, entity, name, raw, actor=self.actor)
            self.report.imported["VariableValue"] += 1
        except (Refused, ValueError, OverflowError) as exc:
            self.report.skip("VariableValue", value.variable, f"value '{raw[:40]}' not kept: {exc}", name)

    def _primary_coder(self, document: Document, name: str) -> None:
        from analysis.matrix_scope import set_primary_coder

        coder = self.session.scalar(select(Coder).where(Coder.project_id == self.project.id, Coder.name == name))
        if coder is None:
            self.report.skip("VariableValue", PRIMARY_CODER_VARIABLE, f"primary coder '{name}' is not a user of "
                             "the file", document.title)
        elif document.primary_coder_id == coder.id:
            self.report.unchanged["primary coders"] += 1
        else:
            set_primary_coder(self.session, self.project, document, coder.name, actor=self.actor)
            self.report.imported["primary coders"] += 1

    def _holds(self, definition: AttributeDefinition, entity: Case | Document, raw: str) -> bool:
        """Whether the entity has this value already (a re-import changes and logs nothing then)."""
        column = TARGET_COLUMN[definition.target]
        row = self.session.scalar(select(AttributeValue).where(AttributeValue.definition_id == definition.id,
                                                               getattr(AttributeValue, column) == entity.id))
        if row is None:
            return False
        try:
            return getattr(row, VALUE_COLUMN[definition.type]) == parse_value(raw, definition.type)
        except (Refused, ValueError, OverflowError):
            return False

    def _used_for_other_target(self, variable: uuid.UUID | None, target: str) -> bool:
        """A variable used on cases and on sources becomes two attributes; the case one keeps the guid."""
        if target == "case":
            return False
        return any(v.variable == variable for c in self.record.cases for v in c.values)

    def cases(self) -> None:
        made: dict[str, uuid.UUID | None] = {}
        for record in self.record.cases:
            name = self.name(record.name or f"Case {record.raw_guid[:8]}", "Case", record.raw_guid)
            case = self.mine(Case, record.guid, Case.project_id == self.project.id) or self.session.scalar(
                select(Case).where(Case.project_id == self.project.id, Case.name == name))
            if name in made and made[name] != record.guid:
                self.report.adjust("Case", record.raw_guid, f"another case in the file has the name '{name}'; "
                                   "both became that one case", name)
            elif case is not None:
                self.report.unchanged["Case"] += 1
            if case is None:
                case = create_case(self.session, self.project, name, description=record.description,
                                   actor=self.actor, guid=self.free(Case, record.guid, "case"))
                self.report.imported["Case"] += 1
            made.setdefault(name, record.guid)
            self.case_rows.append((record, case))  # type: ignore[arg-type]
            for value in record.values:
                self._set_value(case, value, name)  # type: ignore[arg-type]
            if record.code_refs or record.selection_refs:
                self.report.skip("Case", record.guid, f"{record.code_refs} code and {record.selection_refs} "
                                 "selection reference(s) not kept: a case's codes come from its documents' codings",
                                 name)

    def _cases_of(self, source_guid: uuid.UUID | None) -> list[Case]:
        found: dict[int, Case] = {}
        for record, case in self.case_rows:
            if source_guid in record.sources:
                found.setdefault(case.id, case)
        return list(found.values())

    # --- documents ----------------------------------------------------------------------------------------

    def document(self, item) -> Document | None:  # type: ignore[no-untyped-def]
        """A text source's document (the project's own when it has this guid or this text, else a new import of
        the prepared text), with its variable values, notes and description."""
        source = item.source
        document = self._document(source, item.preview, item.rows, item.title, item.raw)
        if document is None:
            return None
        self.documents[source.guid] = document  # type: ignore[index]
        for value in source.values:
            self._set_value(document, value, document.title)
        for note in source.notes:
            self.note_targets[note].append(document)
        if source.description:
            self.descriptions.append((source.description, document, uuid.uuid5(source.guid, "description")  # type: ignore[arg-type]
                                      if source.guid else None, None))
        return document

    def _document(self, source: Source, preview, rows, title: str, raw: str) -> Document | None:  # type: ignore[no-untyped-def]
        """Its selections are placed on a document already in the project only while its text is still the
        file's."""
        if source.guid in self.documents:
            self.report.skip("TextSource", source.guid, "a second source with the same guid in the file; its "
                             f"{len(source.selections)} selection(s) left out", title)
            return None
        existing = self.mine(Document, source.guid, Document.project_id == self.project.id)
        if existing is not None:
            self.report.unchanged["TextSource"] += 1
            self._same_text(existing, raw)  # type: ignore[arg-type]
            self._link(existing, source)  # type: ignore[arg-type]
            return existing  # type: ignore[return-value]
        same = self.session.scalar(select(Document).where(Document.project_id == self.project.id,
                                                          Document.sha256 == preview.sha256))
        if same is not None:
            self.report.adjust("TextSource", source.guid, f"the same text as document '{same.title}', so its "
                               "selections were placed on that document", title)
            self._same_text(same, raw)
            return same
        unique, n = title[:280], 2
        while self.session.scalar(select(Document.id).where(Document.project_id == self.project.id,
                                                            Document.title == unique)):
            unique, n = f"{title[:280]} ({n})", n + 1
        if unique != title:
            self.report.adjust("TextSource", source.guid, f"renamed to '{unique}' (the title was taken)", title)
        document = store_import(self.session, self.project, preview, cases=self._cases_of(source.guid),
                                kind="interview" if preview.default_speakers() else "document", title=unique,
                                actor=self.actor, guid=self.free(Document, source.guid, "source"), prepared=rows)
        self.report.imported["TextSource"] += 1
        self.texts[document.id] = preview.source.text
        return document

    def _same_text(self, document: Document, raw: str) -> None:
        """Selections go onto a document already in the project only while its current text is the file's (an
        edited or pseudonymised text has moved on: their positions would not fit)."""
        stored = document_text(self.session, document)
        self.texts[document.id] = stored if stored == normalise_text(raw) else None

    def _link(self, document: Document, source: Source) -> None:
        for case in self._cases_of(source.guid):
            link_document_to_case(self.session, self.project, document, case, actor=self.actor)

    def text_of(self, document: Document) -> str | None:
        return self.texts.get(document.id)

