"""Storing what a REFI-QDA project file holds, under its own guids, through Kruispunt's ordinary writes.

Every row goes through the function people's own edits use (coder, codebook, case, document import, coding,
memo, attribute), so each is checked and logged as its own event. An entity whose guid the project already has is
kept as it is (a second import of the same file adds only what is new); a guid another project in the same
database already uses is replaced by a new one, which the report says.
"""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.attributes import TARGET_COLUMN, VALUE_COLUMN, get_or_create_definition, parse_value, set_attribute
from cases.documents import document_text, link_document_to_case
from cases.importer import preview_import, store_import
from cases.projects import create_case, get_or_create_coder
from cases.readers import ImportRefused
from cases.refi_read import PRIMARY_CODER, PRIMARY_CODER_VARIABLE, ProjectRecord, Selection, Source
from cases.textnorm import normalise_text
from codebooks.qdc import templates_from_project_codes
from coding.codings import code_selection
from coding.memos import add_memo
from store.errors import Refused
from store.models import (
    AttributeDefinition,
    AttributeValue,
    Case,
    Codebook,
    Coder,
    Document,
    Memo,
    Project,
    Segment,
)

_TYPES = {"text": "text", "boolean": "boolean", "integer": "integer", "float": "float", "date": "date"}
_TITLE_SUFFIXES = (".txt", ".docx", ".doc", ".rtf", ".odt", ".pdf")


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
        self.cases_by_guid: dict[uuid.UUID, Case] = {}
        self.documents: dict[uuid.UUID, Document] = {}
        self.texts: dict[int, str | None] = {}
        self.note_targets: dict[uuid.UUID, list] = defaultdict(list)
        self.own_segments: dict[uuid.UUID, tuple[int, int]] = {}
        self.taken_segments: set[uuid.UUID] = set()
        self.taken_codings: set[uuid.UUID] = set()
        self.checked: set[uuid.UUID] = set()  # selection guids looked up in one go
        self._fallback: Coder | None = None

    # --- identities ---------------------------------------------------------------------------------------

    def _free(self, model: type, guid: uuid.UUID | None, element: str) -> uuid.UUID | None:
        """`guid` when no row of `model` anywhere holds it; else None (a new one is made), noted once per kind."""
        if guid is None:
            return None
        if self.session.scalar(select(model.id).where(model.guid == guid)) is None:  # type: ignore[attr-defined]
            return guid
        note = f"some {element} guids were already used by another project in this database; those got new ones"
        if note not in self.report.notes:
            self.report.notes.append(note)
        return None

    def _mine(self, model: type, guid: uuid.UUID | None, *where) -> object | None:  # type: ignore[no-untyped-def]
        if guid is None:
            return None
        return self.session.scalar(select(model).where(model.guid == guid, *where))  # type: ignore[attr-defined]

    # --- coders -------------------------------------------------------------------------------------------

    def coders(self) -> None:
        for guid, name in self.record.users.items():
            name = name or f"User {str(guid)[:8]}"
            existing = self._mine(Coder, guid, Coder.project_id == self.project.id)
            if existing is None:
                existing = self.session.scalar(select(Coder).where(Coder.project_id == self.project.id,
                                                                   Coder.name == name))
            if existing is not None:
                self.report.unchanged["User"] += 1
                self.users[guid] = existing  # type: ignore[assignment]
                continue
            coder, _ = get_or_create_coder(self.session, self.project, name, actor=self.actor,
                                           guid=self._free(Coder, guid, "user"))
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
        from codebooks.service import add_code, restore_codebook, update_code

        notes: list[str] = []
        books = templates_from_project_codes(self.record.codes, fallback_name=fallback_name, notes=notes)
        self.report.notes += notes
        for template, guid in books:
            existing = self._mine(Codebook, guid, Codebook.project_id == self.project.id) or self.session.scalar(
                select(Codebook).where(Codebook.project_id == self.project.id, Codebook.key == template.key))
            if existing is None:
                template.validate(lambda index: self.report.filename)
                book = restore_codebook(self.session, template, self.project, guid=self._free(Codebook, guid,
                                        "codebook"), actor=self.actor)
                self.report.imported["codebooks"] += 1
                self.report.imported["Code"] += len(template.codes)
            else:
                book = existing  # type: ignore[assignment]
                self.report.unchanged["codebooks"] += 1
                for code in template.codes:
                    found = next((c for c in book.codes if (code.guid and c.guid == code.guid) or c.key == code.key),
                                 None)
                    if found is None:
                        parent = self._code_key(book, code.parent)
                        add_code(self.session, self.project, book.key, code.key, code.label_en, parent_key=parent,
                                 definition=code.definition, colour=code.colour, codable=code.codable,
                                 actor=self.actor, guid=code.guid)
                        self.report.imported["Code"] += 1
                        continue
                    changes = {k: v for k, v in (("label_en", code.label_en), ("colour", code.colour),
                                                 ("definition", code.definition), ("codable", code.codable))
                               if getattr(found, k) != v}
                    if changes:
                        update_code(self.session, self.project, book.key, found.key, actor=self.actor, **changes)
                        self.report.imported["code updates"] += 1
                    else:
                        self.report.unchanged["Code"] += 1
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
                                         guid=self._free(AttributeDefinition, guid, "variable"))
                self.report.imported["Variable"] += 1
            elif self._holds(definition, entity, raw):
                self.report.unchanged["VariableValue"] += 1
                return
            set_attribute(self.session, self.project, entity, name, raw, actor=self.actor)
            self.report.imported["VariableValue"] += 1
        except Refused as exc:
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
        except (Refused, ValueError):
            return False

    def _used_for_other_target(self, variable: uuid.UUID | None, target: str) -> bool:
        """A variable used on cases and on sources becomes two attributes; the case one keeps the guid."""
        if target == "case":
            return False
        return any(v.variable == variable for c in self.record.cases for v in c.values)

    def cases(self) -> None:
        for record in self.record.cases:
            name = record.name or f"Case {record.raw_guid[:8]}"
            case = self._mine(Case, record.guid, Case.project_id == self.project.id) or self.session.scalar(
                select(Case).where(Case.project_id == self.project.id, Case.name == name))
            if case is not None:
                self.report.unchanged["Case"] += 1
            else:
                case = create_case(self.session, self.project, name, description=record.description,
                                   actor=self.actor, guid=self._free(Case, record.guid, "case"))
                self.report.imported["Case"] += 1
            if record.guid is not None:
                self.cases_by_guid[record.guid] = case  # type: ignore[assignment]
            for value in record.values:
                self._set_value(case, value, name)  # type: ignore[arg-type]
            if record.code_refs or record.selection_refs:
                self.report.skip("Case", record.guid, f"{record.code_refs} code and {record.selection_refs} "
                                 "selection reference(s) not kept: a case's codes come from its documents' codings",
                                 name)

    def _cases_of(self, source_guid: uuid.UUID | None) -> list[Case]:
        return [self.cases_by_guid[c.guid] for c in self.record.cases
                if source_guid in c.sources and c.guid in self.cases_by_guid]

    # --- documents ----------------------------------------------------------------------------------------

    def document(self, source: Source, data: bytes) -> Document | None:
        """The source's document: the project's own when it has this guid (its selections are placed only when
        its text is still the file's), else a new import."""
        title = source.name or f"Source {source.raw_guid[:8]}"
        existing = self._mine(Document, source.guid, Document.project_id == self.project.id)
        if existing is not None:
            self.report.unchanged["TextSource"] += 1
            stored = document_text(self.session, existing)  # type: ignore[arg-type]
            raw_text = normalise_text(data.decode("utf-8", errors="replace"))
            self.texts[existing.id] = stored if stored == raw_text else None  # type: ignore[attr-defined]
            self._link(existing, source)  # type: ignore[arg-type]
            return existing  # type: ignore[return-value]
        for suffix in _TITLE_SUFFIXES:
            if title.lower().endswith(suffix) and len(title) > len(suffix):
                title = title[: -len(suffix)].strip()
        try:
            preview = preview_import(f"{title}.txt", data)
        except ImportRefused as exc:
            self.report.skip("TextSource", source.guid, f"not imported: {exc.reason}", title)
            return None
        same = self.session.scalar(select(Document).where(Document.project_id == self.project.id,
                                                          Document.sha256 == preview.sha256))
        if same is not None:
            self.report.adjust("TextSource", source.guid, f"the same text as document '{same.title}', so its "
                               "selections were placed on that document", title)
            self.texts[same.id] = document_text(self.session, same)
            return same
        unique, n = title[:280], 2
        while self.session.scalar(select(Document.id).where(Document.project_id == self.project.id,
                                                            Document.title == unique)):
            unique, n = f"{title[:280]} ({n})", n + 1
        if unique != title:
            self.report.adjust("TextSource", source.guid, f"renamed to '{unique}' (the title was taken)", title)
        document = store_import(self.session, self.project, preview, cases=self._cases_of(source.guid),
                                kind="interview" if preview.default_speakers() else "document", title=unique,
                                actor=self.actor, guid=self._free(Document, source.guid, "source"))
        self.report.imported["TextSource"] += 1
        self.documents[source.guid] = document  # type: ignore[index]
        self.texts[document.id] = preview.source.text
        for value in source.values:
            self._set_value(document, value, unique)
        for note in source.notes:
            self.note_targets[note].append(document)
        if source.description:
            self._memo(source.description, document, uuid.uuid5(source.guid, "description")  # type: ignore[arg-type]
                       if source.guid else None, None)
        return document

    def _link(self, document: Document, source: Source) -> None:
        for case in self._cases_of(source.guid):
            link_document_to_case(self.session, self.project, document, case, actor=self.actor)

    def text_of(self, document: Document) -> str | None:
        return self.texts.get(document.id)

    # --- selections and codings ---------------------------------------------------------------------------

    def selection(self, document: Document, selection: Selection, start: int, end: int, stored: str) -> None:
        """One segment per coder who coded the selection (Kruispunt's segments belong to one coder)."""
        label = (selection.name or stored[start:end])[:60]
        groups: dict[int, tuple[Coder, list[tuple[uuid.UUID | None, str]]]] = {}
        for coding_guid, code_guid, user in selection.codings:
            code = self.codes.get(code_guid) if code_guid else None
            if code is None:
                self.report.skip("Coding", coding_guid, "its code is not in the codebook", label)
                continue
            if not code[2]:
                self.report.skip("Coding", coding_guid, f"its code '{code[3]}' is a folder or switched off", label)
                continue
            coder = self.coder_for(user, selection.user)
            refs = groups.setdefault(coder.id, (coder, []))[1]
            if any(ref == f"{code[0]}/{code[1]}" for _, ref in refs):
                self.report.skip("Coding", coding_guid, f"a second coding with '{code[3]}' by the same coder", label)
                continue
            refs.append((coding_guid, f"{code[0]}/{code[1]}"))
        first: int | None = None
        for index, (coder, refs) in enumerate(groups.values()):
            guid = selection.guid if index == 0 else uuid.uuid5(selection.guid, str(coder.guid))  # type: ignore[arg-type]
            known = self._known_segment(guid)
            if known is not None:
                if known[1] != document.id:
                    self.report.skip("PlainTextSelection", guid, "a selection with this guid is in another document "
                                     "of the project", label)
                    continue
                self.report.unchanged["PlainTextSelection"] += 1
                first = first or known[0]
                continue
            coding_guids = [g if g is not None and g not in self.taken_codings else uuid.uuid4() for g, _ in refs]
            try:
                segment_id = code_selection(self.session, self.project, document, coder, start, end,
                                            [r for _, r in refs], actor=self.actor,
                                            guids=(guid if guid not in self.taken_segments else uuid.uuid4(),
                                                   coding_guids))
            except Refused as exc:
                self.report.skip("PlainTextSelection", selection.guid, f"not coded: {exc}", label)
                continue
            self.report.imported["PlainTextSelection"] += 1
            self.report.imported["Coding"] += len(refs)
            first = first or segment_id
        target = self.session.get(Segment, first) if first is not None and (selection.notes or selection.description) \
            else None
        for note in selection.notes:
            self.note_targets[note].append(target if target is not None else (document, start, end, stored))
        if selection.description:
            self._memo(selection.description, target if target is not None else (document, start, end, stored),
                       uuid.uuid5(selection.guid, "description") if selection.guid else None,  # type: ignore[arg-type]
                       selection.user)

    def identities(self) -> None:
        """Which of the file's selection and coding guids the database holds already (one query per 500, not one
        per row): the project's own are kept as they are, another project's are replaced by new ones."""
        from store.models import Coding

        wanted = [s.guid for source in self.record.sources for s in source.selections if s.guid is not None]
        codings = [c[0] for source in self.record.sources for s in source.selections for c in s.codings if c[0]]
        self.checked.update(wanted)
        for chunk in range(0, len(wanted), 500):
            for guid, segment_id, document_id, project_id in self.session.execute(
                    select(Segment.guid, Segment.id, Segment.document_id, Document.project_id)
                    .join(Document, Document.id == Segment.document_id)
                    .where(Segment.guid.in_(wanted[chunk:chunk + 500]))):
                if project_id == self.project.id:
                    self.own_segments[guid] = (segment_id, document_id)
                else:
                    self.taken_segments.add(guid)
        for chunk in range(0, len(codings), 500):
            self.taken_codings.update(self.session.scalars(select(Coding.guid).where(
                Coding.guid.in_(codings[chunk:chunk + 500]))))
        if self.taken_segments or self.taken_codings:
            self.report.notes.append("some selection or coding guids were already used by another project in this "
                                     "database; those got new ones")

    def _known_segment(self, guid: uuid.UUID) -> tuple[int, int] | None:
        """(segment id, document id) of the project's segment with this guid, if it has one."""
        if guid in self.own_segments:
            return self.own_segments[guid]
        if guid in self.checked:
            return None
        found = self.session.execute(select(Segment.id, Segment.document_id, Document.project_id).join(
            Document, Document.id == Segment.document_id).where(Segment.guid == guid)).first()
        if found is not None and found[2] != self.project.id:
            self.taken_segments.add(guid)
            return None
        return (found[0], found[1]) if found is not None else None

    # --- memos, sets and the rest -------------------------------------------------------------------------

    def _memo(self, text: str, target, guid: uuid.UUID | None, user: uuid.UUID | None) -> None:  # type: ignore[no-untyped-def]
        """A memo on a case, document, code, segment or the project; a memo on a selection that holds no coding
        goes onto its document, quoting the passage (Kruispunt keeps no uncoded selections)."""
        if isinstance(target, tuple):
            document, start, end, stored = target
            quote = " ".join(stored[start:end].split())
            text = f"On the passage “{quote[:120]}{'…' if len(quote) > 120 else ''}” ({start}–{end}):\n\n{text}"
            target = document
            self.report.adjust("Note", guid, f"on an uncoded selection; kept as a memo on document "
                               f"'{document.title}' that quotes the passage")
        if guid is not None and self._mine(Memo, guid, Memo.project_id == self.project.id) is not None:
            self.report.unchanged["memos"] += 1
            return
        author = self.users.get(user) if user else None
        add_memo(self.session, self.project, text, target=target, author=author, actor=self.actor,
                 guid=self._free(Memo, guid, "note"))
        self.report.imported["memos"] += 1

    def notes(self) -> None:
        from codebooks.service import get_codebook

        for code_guid, notes in self.record.code_notes.items():
            found = self.codes.get(code_guid)
            if found is not None:
                book = get_codebook(self.session, self.project, found[0])
                code = next(c for c in book.codes if c.key == found[1])
                for note in notes:
                    self.note_targets[note].append(code)
        for note in self.record.project_notes:
            self.note_targets[note].append(None)
        for item in self.record.sets:
            case = next((c for g, c in self.cases_by_guid.items() if case_set_guid(g) == item.guid), None)
            if case is not None:
                for note in item.notes:
                    self.note_targets[note].append(case)
        kruispunt = self.record.origin.lower().startswith("kruispunt")
        referenced = {n for source in self.record.sources for n in source.notes} | {
            n for source in self.record.sources for s in source.selections for n in s.notes}
        for note in self.record.notes:
            text = note.text
            if not (text or "").strip():
                self.report.skip("Note", note.raw_guid, "its text is not in the file" if note.text is None
                                 else "it is empty", note.name)
                continue
            if note.name and not kruispunt and not text.startswith(note.name):  # type: ignore[union-attr]
                text = f"{note.name}\n\n{text}"
            targets = (self.note_targets.get(note.guid) or [None]) if note.guid else [None]
            if targets == [None] and note.guid in referenced and note.guid not in self.record.project_notes:
                self.report.adjust("Note", note.raw_guid, "what it was attached to was not imported; kept as a "
                                   "project memo", note.name)
            for index, target in enumerate(targets):
                guid = note.guid if index == 0 else uuid.uuid5(note.guid, str(index))  # type: ignore[arg-type]
                self._memo(text, target, guid, note.user)  # type: ignore[arg-type]

    def sets(self) -> None:
        case_sets = {case_set_guid(g) for g in self.cases_by_guid}
        for item in self.record.sets:
            if item.guid in case_sets:
                self.report.unchanged["sets of a case"] += 1
                continue
            documents = [d for d in (self.documents.get(s) or self._mine(Document, s, Document.project_id ==
                                                                           self.project.id) for s in item.sources) if d]
            for document in documents:
                set_attribute(self.session, self.project, document, f"Set: {item.name}"[:200], True,
                              type_="boolean", actor=self.actor)
            if documents:
                self.report.adjust("Set", item.guid, f"its {len(documents)} source(s) carry the document attribute "
                                   f"'Set: {item.name}' = yes", item.name)
            if item.codes or item.notes or not documents:
                self.report.skip("Set", item.guid, f"{len(item.codes)} code and {len(item.notes)} note member(s) "
                                 "not kept (Kruispunt has no sets of codes or notes)", item.name)

    def leftovers(self) -> None:
        read = self.record.read
        for element, reason in (("Link", "links between items are not kept"),
                                ("Graph", "graphs (models) are not kept")):
            if read.get(element):
                self.report.skip(element, "", f"{read[element]} {reason}")

    def save_report(self) -> None:
        self.report.imported = +self.report.imported
        add_memo(self.session, self.project, self.report.as_text(), actor=self.actor)
