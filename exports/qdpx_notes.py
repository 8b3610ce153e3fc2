"""A REFI-QDA file's notes, descriptions and sets as Kruispunt memos and attributes, and the import's report memo.

A Kruispunt value-creation story's note becomes that story again (exports.qdpx_stories). Any other note becomes
a memo on what it is attached to (project, document, code, selection, or a case through the set
Kruispunt exports each case as); a note attached to several things becomes one memo on each; one attached to
something that was not imported is kept on the project and listed. A selection's or source's `Description`
(MAXQDA's and f4's memos) becomes a memo too; a memo on a selection without codings goes onto its document,
quoting the passage, as Kruispunt keeps no uncoded selections. A set of sources becomes a yes/no document
attribute; sets of codes or notes are listed as left out.
"""

from __future__ import annotations

import uuid

from cases.attributes import set_attribute
from coding.memos import add_memo
from exports.qdpx_stories import NOTE_NAME, restore_story
from exports.qdpx_store import NAME_LIMIT, Store, case_set_guid
from store.errors import Refused
from store.models import Document, Memo


def memo(store: Store, text: str, target, guid: uuid.UUID | None, user: uuid.UUID | None) -> None:  # type: ignore[no-untyped-def]
    """One memo, unless the project has it already (a second import of the same file)."""
    if isinstance(target, tuple):
        document, start, end, stored = target
        quote = " ".join(stored[start:end].split())
        text = f"On the passage “{quote[:120]}{'…' if len(quote) > 120 else ''}” ({start}–{end}):\n\n{text}"
        target = document
        store.report.adjust("Note", guid, "on a selection without codings; kept as a memo on document "
                            f"'{document.title}' that quotes the passage")
    if guid is not None and store.mine(Memo, guid, Memo.project_id == store.project.id) is not None:
        store.report.unchanged["memos"] += 1
        return
    author = store.users.get(user) if user else None
    add_memo(store.session, store.project, text, target=target, author=author, actor=store.actor,
             guid=store.free(Memo, guid, "note"))
    store.report.imported["memos"] += 1


def notes(store: Store) -> None:
    from codebooks.service import get_codebook

    record = store.record
    for code_guid, refs in record.code_notes.items():
        found = store.codes.get(code_guid)
        if found is not None:
            code = next(c for c in get_codebook(store.session, store.project, found[0]).codes if c.key == found[1])
            for note in refs:
                store.note_targets[note].append(code)
    for note in record.project_notes:
        store.note_targets[note].append(None)
    case_of_set = {case_set_guid(r.guid): case for r, case in store.case_rows if r.guid is not None}
    for item in record.sets:
        if item.guid in case_of_set:
            for note in item.notes:
                store.note_targets[note].append(case_of_set[item.guid])
    for args in store.descriptions:
        memo(store, *args)
    kruispunt = record.origin.lower().startswith("kruispunt")  # its note names are labels, not part of the text
    referenced = {n for source in record.sources for n in source.notes} | {
        n for source in record.sources for s in source.selections for n in s.notes}
    seen: set[uuid.UUID] = set()
    for note in record.notes:
        text = note.text
        if not (text or "").strip():
            store.report.skip("Note", note.raw_guid, "its text is not in the file" if note.text is None
                              else "it is empty", note.name)
            continue
        if note.guid is not None and note.guid in seen:
            store.report.skip("Note", note.raw_guid, "a second note with the same guid in the file", note.name)
            continue
        if note.guid is not None:
            seen.add(note.guid)
        if kruispunt and (note.name or "").startswith(NOTE_NAME) and restore_story(store, note.name, text,
                                                                                     note.raw_guid):
            continue
        if note.name and not kruispunt and not text.startswith(note.name):  # type: ignore[union-attr]
            text = f"{note.name}\n\n{text}"
        targets = (store.note_targets.get(note.guid) or [None]) if note.guid else [None]
        if targets == [None] and note.guid in referenced and note.guid not in record.project_notes:
            store.report.adjust("Note", note.raw_guid, "what it was attached to was not imported; kept as a "
                                "project memo", note.name)
        for index, target in enumerate(targets):
            guid = note.guid if index == 0 or note.guid is None else uuid.uuid5(note.guid, str(index))
            memo(store, text, target, guid, note.user)  # type: ignore[arg-type]


def sets(store: Store) -> None:
    case_sets = {case_set_guid(r.guid) for r, _ in store.case_rows if r.guid is not None}
    for item in store.record.sets:
        if item.guid in case_sets:
            store.report.unchanged["sets of a case"] += 1
            continue
        documents = [d for d in (store.documents.get(s) or store.mine(Document, s, Document.project_id ==
                                                                      store.project.id) for s in item.sources) if d]
        name = f"Set: {item.name}"[:NAME_LIMIT]
        added = 0
        for document in documents:
            try:
                added += _set_once(store, document, name)  # type: ignore[arg-type]
            except Refused as exc:
                store.report.skip("Set", item.guid, f"not kept as an attribute: {exc}", item.name)
                break
        if added:
            store.report.adjust("Set", item.guid, f"its {added} source(s) carry the document attribute "
                                f"'{name}' = yes", item.name)
        elif documents:
            store.report.unchanged["sets of sources"] += 1
        if item.codes or item.notes or not documents:
            store.report.skip("Set", item.guid, f"{len(item.codes)} code and {len(item.notes)} note member(s) "
                              "not kept (Kruispunt has no sets of codes or notes)", item.name)


def _set_once(store: Store, document: Document, name: str) -> int:
    """Mark the document as a member of the set; 0 when it is marked already (a second import)."""
    from sqlalchemy import select

    from store.models import AttributeDefinition, AttributeValue

    held = store.session.scalar(select(AttributeValue.value_bool).join(AttributeDefinition).where(
        AttributeDefinition.project_id == store.project.id, AttributeDefinition.target == "document",
        AttributeDefinition.name == name, AttributeValue.document_id == document.id))
    if held:
        return 0
    set_attribute(store.session, store.project, document, name, True, type_="boolean", actor=store.actor)
    return 1


def leftovers(store: Store) -> None:
    read = store.record.read
    for element, what in (("Link", "link(s) between items"), ("Graph", "graph(s) (models)")):
        if read.get(element):
            store.report.skip(element, "", f"{read[element]} {what} not kept: Kruispunt has no {element.lower()}s")
    unsourced = [r for r, _ in store.case_rows if r.guid is None and r.sources]
    for record in unsourced:
        store.report.adjust("Case", record.raw_guid, "its guid is not a GUID; a new one was made", record.name)


def save_report(store: Store) -> None:
    store.report.imported = +store.report.imported
    add_memo(store.session, store.project, store.report.as_text(), actor=store.actor)
