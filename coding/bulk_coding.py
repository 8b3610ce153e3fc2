"""Many selections of one document coded in one go: the checks and events of `coding.codings.apply_coding`, with
the lookups made once per document instead of once per selection.

A project file (REFI-QDA) brings thousands of coded selections per document. Coded one by one, each is five round
trips to the database (its text version, its codes with the "already coded" check, a lock, the rows, the event),
which on PostgreSQL made a 100,000-coding import take five times its floor (bench/qdpx_bench.py). Here the text
version, the codes and the document's existing codings are read once; each selection is checked in memory as
`apply_coding` checks it (inside the text, every code known, unambiguous, codable and switched on, not already
coded by this coder on this span, counting the selections before it in the batch); and the rows and events go in
as a few multi-row statements. The events are exactly those `apply_coding` writes, so replay and undo read them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from codebooks.service import split_code_ref
from coding.codings import lock_coder_document
from store.bulk import new_guids
from store.models import Code, Codebook, Coder, Coding, Document, Event, Project, Segment, TextVersion, utcnow


@dataclass
class Selected:
    """One span to code: who, where, which codes ("codebook/key" or a key), and the guids to keep (or None)."""

    coder: Coder
    start: int
    end: int
    code_refs: list[str]
    guid: uuid.UUID | None = None
    coding_guids: list[uuid.UUID] | None = None


def code_selections(session: Session, project: Project, document: Document, items: list[Selected], *,
                    actor: str) -> list[int | str]:
    """Code each item as `apply_coding` would, in the caller's transaction; per item the new segment's id, or
    the one-line reason it was refused (nothing of it written)."""
    session.flush()
    version = session.execute(select(TextVersion.id, TextVersion.version, TextVersion.length).where(
        TextVersion.document_id == document.id, TextVersion.version == document.current_version)).one()
    wanted = {split_code_ref(r)[1] for item in items for r in item.code_refs}
    codes: dict[str, list[tuple]] = {}
    for row in session.execute(select(Code.id, Code.key, Codebook.key, Code.codable, Code.enabled).join(Codebook)
                               .where(Codebook.project_id == project.id, Code.key.in_(wanted))):
        codes.setdefault(row[1], []).append(tuple(row))
    for coder_id in sorted({item.coder.id for item in items}):
        lock_coder_document(session, document.id, coder_id)
    done = {tuple(r) for r in session.execute(
        select(Segment.coder_id, Segment.start, Segment.end, Code.key).join(Coding, Coding.segment_id == Segment.id)
        .join(Code, Code.id == Coding.code_id).where(Segment.document_id == document.id,
                                                     Segment.text_version_id == version.id))}
    now = utcnow()
    outcome: list[int | str] = []
    accepted: list[tuple[int, Selected, list[tuple], uuid.UUID, list[uuid.UUID]]] = []
    for index, item in enumerate(items):
        reason, chosen = _check(item, codes, done, version.length, document.title, project.name)
        if reason is not None:
            outcome.append(reason)
            continue
        done.update((item.coder.id, item.start, item.end, c[1]) for c in chosen)
        guids = [uuid.UUID(g) for g in new_guids(1 + len(chosen))]
        segment_guid = item.guid or guids[0]
        coding_guids = item.coding_guids if item.coding_guids and len(item.coding_guids) == len(chosen) \
            else guids[1:]
        accepted.append((index, item, chosen, segment_guid, coding_guids))
        outcome.append(-1)
    if not accepted:
        return outcome
    ids = session.execute(insert(Segment).returning(Segment.id, sort_by_parameter_order=True), [
        {"guid": guid, "document_id": document.id, "text_version_id": version.id, "coder_id": item.coder.id,
         "start": item.start, "end": item.end, "created_at": now} for _, item, _, guid, _ in accepted]).scalars().all()
    session.execute(insert(Coding), [
        {"guid": coding_guid, "segment_id": segment_id, "code_id": code[0], "created_at": now, "origin": "manual"}
        for segment_id, (_, _, chosen, _, guids) in zip(ids, accepted) for code, coding_guid in zip(chosen, guids)])
    session.execute(insert(Event), [
        {"project_guid": project.guid, "at": now, "actor": actor, "action": "create", "entity": "segment",
         "entity_guid": segment_guid, "before": None,
         "after": {"document": str(document.guid), "text_version": version.version, "start": item.start,
                   "end": item.end, "coder": item.coder.name, "codes": [c[1] for c in chosen],
                   "codings": [str(g) for g in guids], "origin": "manual"}}
        for _, item, chosen, segment_guid, guids in accepted])
    for segment_id, (index, *_rest) in zip(ids, accepted):
        outcome[index] = segment_id
    return outcome


def _check(item: Selected, codes: dict[str, list[tuple]], done: set[tuple], length: int, title: str,
           project_name: str) -> tuple[str | None, list[tuple]]:
    """apply_coding's refusals, in its words; else the codes to apply (one per code, in the order given)."""
    if not item.code_refs:
        return "no code given", []
    if not (0 <= item.start < item.end <= length):
        return f"span {item.start}–{item.end} is outside document '{title}' (0–{length}, start before end)", []
    chosen: dict[int, tuple] = {}
    for ref in item.code_refs:
        book, key = split_code_ref(ref)
        found = [c for c in codes.get(key, []) if book is None or c[2] == book]
        if not found:
            return f"project '{project_name}' has no code '{key}'", []
        if len(found) > 1:
            return f"code '{key}' exists in several codebooks; write it as codebook/{key}", []
        code = found[0]
        if not code[3]:
            return f"code '{code[1]}' is a folder and cannot be applied; use one of its children", []
        if not code[4]:
            return f"code '{code[1]}' is switched off in this project", []
        chosen.setdefault(code[0], code)
    if all((item.coder.id, item.start, item.end, c[1]) in done for c in chosen.values()):
        return (f"{item.coder.name} already coded {item.start}–{item.end} of '{title}' with "
                f"{', '.join(sorted(c[1] for c in chosen.values()))}"), []
    return None, list(chosen.values())
