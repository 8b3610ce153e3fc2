"""A REFI-QDA file's selections and codings as Kruispunt segments and codings, under the file's guids.

A Kruispunt segment belongs to one coder, so a selection coded by several users becomes one segment per user
(the first keeps the selection's guid). Guids are looked up in bulk before the first write: the project's own
segments are kept and get only the codings they lack; a guid another project holds, or one the file repeats, is
replaced (by the project's stand-in for it, or a new one) and the report says so.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select

from cases.refi_read import Selection
from coding.bulk_coding import Selected, code_selections
from coding.workspace import add_code_to_segment
from exports.qdpx_store import Store
from store.errors import Refused
from store.models import Coding, Document, Segment

_CHUNK = 500


@dataclass
class _Pending:
    """A placed selection waiting for its document's batch: the segments to make (one per coder)."""

    selection: Selection
    document: Document
    start: int
    end: int
    stored: str
    label: str
    items: list[tuple[uuid.UUID, Selected]] = field(default_factory=list)
    first: int | None = None  # the segment its notes go on


class Selections:
    """One import's segment and coding guids: the project's own, those taken elsewhere, those used so far."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.own: dict[uuid.UUID, tuple[int, int]] = {}  # file guid -> (segment id, document id)
        self.own_guid: dict[int, uuid.UUID] = {}  # the project's segment id -> its guid (the file's or a stand-in)
        self.own_codings: dict[int, set[uuid.UUID]] = {}  # the project's segment id -> its codings' guids
        self.taken: set[uuid.UUID] = set()  # segment guids that belong to another project
        self.taken_codings: set[uuid.UUID] = set()
        self.used: set[uuid.UUID] = set()  # selection guids this import has placed
        self.used_codings: set[uuid.UUID] = set()
        self.pending: list[_Pending] = []  # one document's placed selections, coded together by flush()
        self._prefetch()

    def _prefetch(self) -> None:
        store = self.store
        wanted = {s.guid for source in store.record.sources for s in source.selections if s.guid is not None}
        by_guid = {g: g for g in wanted} | {store.local(g): g for g in wanted}
        keys = list(by_guid)
        for at in range(0, len(keys), _CHUNK):
            for guid, segment_id, document_id, project_id in store.session.execute(
                    select(Segment.guid, Segment.id, Segment.document_id, Document.project_id)
                    .join(Document, Document.id == Segment.document_id).where(Segment.guid.in_(keys[at:at + _CHUNK]))):
                if project_id == store.project.id:
                    self.own[by_guid[guid]] = (segment_id, document_id)
                    self.own_guid[segment_id] = guid
                elif guid == by_guid[guid]:
                    self.taken.add(guid)
        ids = list(self.own_guid)  # what a re-import finds: its codings read once, not per selection
        for at in range(0, len(ids), _CHUNK):
            for segment_id, coding_guid in store.session.execute(select(Coding.segment_id, Coding.guid).where(
                    Coding.segment_id.in_(ids[at:at + _CHUNK]))):
                self.own_codings.setdefault(segment_id, set()).add(coding_guid)
        codings = [c[0] for source in store.record.sources for s in source.selections for c in s.codings if c[0]]
        for at in range(0, len(codings), _CHUNK):
            self.taken_codings.update(store.session.scalars(select(Coding.guid).where(
                Coding.guid.in_(codings[at:at + _CHUNK]))))
        if self.taken or self.taken_codings:
            store.note_guids("selection and coding")

    def _segment_guid(self, guid: uuid.UUID) -> uuid.UUID:
        if guid in self.used:
            self.store.report.adjust("PlainTextSelection", guid, "its guid repeats an earlier selection's in the "
                                     "file; it got a new one")
            return uuid.uuid4()
        self.used.add(guid)
        return self.store.local(guid) if guid in self.taken else guid

    def _coding_guid(self, guid: uuid.UUID | None) -> uuid.UUID:
        if guid is None or guid in self.used_codings:
            if guid is not None:
                self.store.report.adjust("Coding", guid, "its guid repeats an earlier coding's in the file; it got "
                                         "a new one")
            return uuid.uuid4()
        self.used_codings.add(guid)
        return self.store.local(guid) if guid in self.taken_codings else guid

    def place(self, document: Document, selection: Selection, start: int, end: int, stored: str) -> None:
        """The selection's codings, grouped by coder, as segments of [start, end); its notes and description
        remembered for the memos."""
        store, report = self.store, self.store.report
        label = (selection.name or stored[start:end])[:60]
        groups: dict[int, tuple] = {}
        for coding_guid, code_guid, user in selection.codings:
            code = store.codes.get(code_guid) if code_guid else None
            if code is None:
                report.skip("Coding", coding_guid, "its code is not in the codebook", label)
                continue
            if not code[2]:
                report.skip("Coding", coding_guid, f"its code '{code[3]}' is a folder or switched off", label)
                continue
            coder = store.coder_for(user, selection.user)
            refs = groups.setdefault(coder.id, (coder, []))[1]
            if any(ref == f"{code[0]}/{code[1]}" for _, ref in refs):
                report.skip("Coding", coding_guid, f"a second coding with '{code[3]}' by the same coder", label)
                continue
            refs.append((coding_guid, f"{code[0]}/{code[1]}"))
        pending = _Pending(selection, document, start, end, stored, label)
        for index, (coder, refs) in enumerate(groups.values()):
            guid = selection.guid if index == 0 else uuid.uuid5(selection.guid, str(coder.guid))  # type: ignore[arg-type]
            known = self.own.get(guid) if guid not in self.used else None
            if known is not None:
                self.used.add(guid)
                if known[1] != document.id:
                    report.skip("PlainTextSelection", guid, "the project has a selection with this guid in another "
                                "document", label)
                    continue
                self._add_missing(known[0], refs, label)
                pending.first = pending.first or known[0]
                continue
            pending.items.append((guid, Selected(coder, start, end, [r for _, r in refs], self._segment_guid(guid),
                                                 [self._coding_guid(g) for g, _ in refs])))
        self.pending.append(pending)

    def flush(self) -> None:
        """Code the placed selections of one document in one go, then attach their notes and descriptions."""
        if not self.pending:
            return
        store, report = self.store, self.store.report
        document = self.pending[0].document
        items = [item for p in self.pending for _, item in p.items]
        outcomes = iter(code_selections(store.session, store.project, document, items, actor=store.actor))
        for pending in self.pending:
            for guid, item in pending.items:
                outcome = next(outcomes)
                if isinstance(outcome, str):
                    report.skip("PlainTextSelection", pending.selection.guid, f"not coded: {outcome}",
                                pending.label)
                    continue
                self.own[guid] = (outcome, document.id)
                report.imported["PlainTextSelection"] += 1
                report.imported["Coding"] += len(item.code_refs)
                pending.first = pending.first or outcome
            self._attach(pending)
        self.pending = []

    def _attach(self, pending: _Pending) -> None:
        selection, store = pending.selection, self.store
        target = store.session.get(Segment, pending.first) if pending.first is not None and (
            selection.notes or selection.description) else None
        where = target if target is not None else (pending.document, pending.start, pending.end, pending.stored)
        for note in selection.notes:
            store.note_targets[note].append(where)
        if selection.description:
            store.descriptions.append((selection.description, where, uuid.uuid5(selection.guid, "description")  # type: ignore[arg-type]
                                       if selection.guid else None, selection.user))

    def _add_missing(self, segment_id: int, refs: list, label: str) -> None:
        """A segment the project holds already: it keeps what it has and gets the file's codings it lacks."""
        store, report = self.store, self.store.report
        report.unchanged["PlainTextSelection"] += 1
        present = self.own_codings.get(segment_id, set())
        for guid, ref in refs:
            if guid is not None and (guid in present or store.local(guid) in present):
                report.unchanged["Coding"] += 1
                continue
            try:
                add_code_to_segment(store.session, store.project, self.own_guid[segment_id], ref, actor=store.actor,
                                    coding_guid=self._coding_guid(guid))
            except Refused:
                report.unchanged["Coding"] += 1  # the segment has this code already (under another coding)
                continue
            report.imported["Coding"] += 1
