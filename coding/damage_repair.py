"""The damage review of an imported document: each warning of PDF-extraction damage with its proposed repair, fitted
to the document's turns; accepted repairs become its text through the text-editing path (coding.text_edits), so
segments follow and the edit is logged and can be undone; rejected warnings are not shown again.

A repair must stay inside one turn, and off its speaker label: a running header inside a paragraph goes with one
line break beside it, and a line of furniture that is a paragraph (a turn) of its own goes with the turn. A repair
that fits nowhere is not offered (the warning stays, to be corrected by hand).

A rejection is a person's decision, logged as an event on the document ("reject repair"; "reconsider repair"
takes it back) naming the text version and the warnings' kinds and places, never their text. Repairs made later
log the rejections they leave in place again, on their new text version, exactly where they now are. After any
other edit a rejection is found on the current text by the lines both versions have unchanged: one whose line was
edited, or whose text version is gone (undone, purged), no longer hides its warning.
"""

from __future__ import annotations

import uuid
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from itertools import accumulate

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.damage import DamageWarning, Repair, detect_damage, line_drops, plan_repairs, with_repair
from cases.documents import current_text_version
from cases.projects import get_document
from coding.carry import OffsetMap
from coding.text_edits import TextEdit, replace_spans
from store.errors import Refused
from store.events import record_event
from store.models import Document, Event, Project, TextVersion, Turn

REJECT, RECONSIDER = "reject repair", "reconsider repair"
WHY = "repair"  # the text edit's reason, in its event


@dataclass
class DamageReview:
    """A document's warnings on its current text version: those still to decide, and those rejected earlier."""

    document: str
    document_guid: str
    version: int
    open: list[DamageWarning] = field(default_factory=list)
    rejected: list[DamageWarning] = field(default_factory=list)

    @property
    def repairable(self) -> list[DamageWarning]:
        return [w for w in self.open if w.repair is not None]

    def find(self, ids: Iterable[str]) -> list[DamageWarning]:
        """These warnings (open or rejected), in text order; Refused naming an id the text does not have."""
        by_id = {w.id: w for w in self.open + self.rejected}
        unknown = [i for i in dict.fromkeys(ids) if i not in by_id]
        if unknown:
            raise Refused(f"'{self.document}' (text version {self.version}) has no warning {unknown[0]}; list them "
                          "again")
        return sorted((by_id[i] for i in dict.fromkeys(ids)), key=lambda w: (w.start, w.kind))


@dataclass
class Repaired:
    edit: TextEdit
    applied: list[str]  # the ids whose repairs were made (or would be, for a dry run)
    taken_in: list[str]  # ids whose repair another one's made as well (inside a dropped line, two lines as one)


def review_damage(session: Session, project: Project, document_ref: str) -> DamageReview:
    """The document's damage warnings on its current text, each with a repair fitted to its turns (or none)."""
    document = get_document(session, project, document_ref)
    version = current_text_version(session, document)
    return _review(session, project, document, version, _Turns(session, version))


def _review(session: Session, project: Project, document: Document, version: TextVersion, turns: _Turns
            ) -> DamageReview:
    text = version.text
    warnings = [_fit(text, turns, w) for w in detect_damage(text, version.pages)]
    hidden = _rejected(session, project, document, version) or set()
    review = DamageReview(document.title, str(document.guid), version.version)
    for w in warnings:
        (review.rejected if (w.kind, w.start, w.end) in hidden else review.open).append(w)
    return review


def apply_repairs(session: Session, project: Project, document_ref: str, ids: Iterable[str], *, actor: str,
                  version: int | None = None, dry_run: bool = False, confirm_others: bool = False) -> Repaired:
    """Make the repairs of these warnings (ids from `review_damage`) the document's text, in one new text version.
    `version`, when given, is the text version the ids were read on: a text changed since is refused."""
    document = get_document(session, project, document_ref)
    if not dry_run:  # one change of the text at a time: the repairs are planned on the text they change
        session.refresh(document, ["current_version"], with_for_update=True)
    current = current_text_version(session, document)
    _same_version(document, current, version)
    turns = _Turns(session, current)
    chosen = _review(session, project, document, current, turns).find(ids)
    if not chosen:
        raise Refused("no repair chosen: give the warnings' ids")
    repairs, taken_in = plan_repairs(current.text, chosen, fit=lambda w: _fit(current.text, turns, w))
    replacements = [(r.start, r.end, r.replacement) for r in repairs]
    edit = replace_spans(session, project, str(document.guid), replacements, actor=actor, why=WHY, dry_run=dry_run,
                         confirm_others=confirm_others, dropping=_whole_turns(turns, repairs))
    if edit.written:
        _carry_rejections(session, project, document, current, replacements, actor=actor)
    return Repaired(edit, [w.id for w in chosen if w.id not in taken_in], taken_in)


def reject_warnings(session: Session, project: Project, document_ref: str, ids: Iterable[str], *, actor: str,
                    version: int | None = None) -> int:
    """Keep these places as they are: their warnings are no longer listed as open. Returns how many were open."""
    return _decide(session, project, document_ref, ids, REJECT, actor=actor, version=version)


def reconsider_warnings(session: Session, project: Project, document_ref: str, ids: Iterable[str], *, actor: str,
                        version: int | None = None) -> int:
    """Take rejections back: these warnings are listed as open again. Returns how many were rejected."""
    return _decide(session, project, document_ref, ids, RECONSIDER, actor=actor, version=version)


def _decide(session: Session, project: Project, document_ref: str, ids: Iterable[str], action: str, *, actor: str,
            version: int | None) -> int:
    document = get_document(session, project, document_ref)
    session.refresh(document, ["current_version"], with_for_update=True)  # not while the text is being edited
    current = current_text_version(session, document)
    _same_version(document, current, version)
    review = _review(session, project, document, current, _Turns(session, current))
    chosen = review.find(ids)
    if not chosen:
        raise Refused("no warning chosen: give the warnings' ids")
    before = {w.id for w in (review.open if action == REJECT else review.rejected)}
    record_event(session, project_guid=project.guid, actor=actor, action=action, entity="document",
                 entity_guid=document.guid,
                 after={"text_version": str(current.guid), "version": current.version,
                        "warnings": [[w.kind, w.start, w.end] for w in chosen]})
    return sum(w.id in before for w in chosen)


def _same_version(document: Document, current: TextVersion, version: int | None) -> None:
    if version is not None and version != current.version:
        raise Refused(f"the text of '{document.title}' changed since its warnings were listed (text version "
                      f"{version}, now {current.version}): look at them again")


class _Turns:
    """A text version's turns as (start, content_start, end), in order, with their starts and ends to bisect."""

    def __init__(self, session: Session, version: TextVersion) -> None:
        self.spans: list[tuple[int, int, int]] = [(a, b, c) for a, b, c in session.execute(
            select(Turn.start, Turn.content_start, Turn.end).where(Turn.text_version_id == version.id)
            .order_by(Turn.ordinal))]
        self.starts = [t[0] for t in self.spans]
        self.ends = [t[2] for t in self.spans]


def _fit(text: str, where: _Turns, warning: DamageWarning) -> DamageWarning:
    """The warning with a repair that stays in its turn's text (page furniture: or takes away the turns it is all
    of), or with none."""
    if warning.repair is None:
        return warning
    turns, starts = where.spans, where.starts
    k = bisect_right(starts, warning.start) - 1
    m = bisect_right(starts, max(warning.start, warning.end - 1)) - 1
    if k < 0 or not turns[k][1] <= warning.start or warning.end > turns[m][2]:
        return with_repair(text, warning, None)  # in a speaker label, or outside every turn
    if warning.kind == "page_furniture" and all(start == content for start, content, _ in turns[k:m + 1]) \
            and not text[turns[k][0]:warning.start].strip() and not text[warning.end:turns[m][2]].strip():
        if m + 1 < len(turns):  # paragraphs of their own: they go, with the break before the next one
            return with_repair(text, warning, Repair(turns[k][0], turns[m + 1][0], ""))
        return with_repair(text, warning, Repair(turns[k - 1][2], turns[m][2], "") if k > 0 else None)
    _, content, end = turns[k]
    if k != m:
        return with_repair(text, warning, None)
    if warning.kind != "page_furniture":
        fits = content <= warning.repair.start and warning.repair.end <= end
        return warning if fits else with_repair(text, warning, None)
    for drop in line_drops(text, warning.start, warning.end):
        if content <= drop.start and drop.end <= end:
            return with_repair(text, warning, drop)
    return with_repair(text, warning, None)


def _whole_turns(where: _Turns, repairs: list[Repair]) -> list[int]:
    """The turns (from 1) these repairs take away whole (with what separates them from a neighbour)."""
    turns, starts, ends = where.spans, where.starts, where.ends
    gone = []
    for r in repairs:
        if r.replacement:
            continue
        for k in range(bisect_right(ends, r.start), bisect_left(starts, r.end)):
            start, _, end = turns[k]
            if r.start <= start and end <= r.end and (r.start < start or end < r.end):
                gone.append(k + 1)
    return gone


def _rejected(session: Session, project: Project, document: Document, current: TextVersion
              ) -> set[tuple[str, int, int]] | None:
    """The (kind, start, end) on the current text of every warning rejected and not reconsidered since (None: no
    warning of the document was ever rejected)."""
    events = list(session.scalars(select(Event).where(
        Event.project_guid == project.guid, Event.entity == "document", Event.entity_guid == document.guid,
        Event.action.in_((REJECT, RECONSIDER))).order_by(Event.id)))
    if not events:
        return None
    kept = {str(guid) for guid in session.scalars(select(TextVersion.guid).where(
        TextVersion.document_id == document.id))}  # not those undone or purged
    carried = [k for k, e in enumerate(events)  # each says all that was rejected then: the log before is not read
               if "carried_from" in e.after and e.after["text_version"] in kept]
    maps: dict[str, _LineMap | None] = {str(current.guid): None}
    hidden: set[tuple[str, int, int]] = set()
    for event in events[carried[-1] if carried else 0:]:
        guid = event.after["text_version"]
        if guid not in maps:
            old = session.scalar(select(TextVersion).where(TextVersion.document_id == document.id,
                                                           TextVersion.guid == uuid.UUID(guid))) if guid in kept else None
            maps[guid] = _LineMap(old.text, current.text) if old is not None else _LineMap("", "")
        mapping = maps[guid]
        places = [(kind, *span) for kind, start, end in event.after["warnings"]
                  if (span := (start, end) if mapping is None else mapping.carry(start, end)) is not None]
        if event.action == REJECT:
            hidden.update(places)
        else:
            hidden.difference_update(places)
    return hidden


def _carry_rejections(session: Session, project: Project, document: Document, old: TextVersion,
                      replacements: list[tuple[int, int, str]], *, actor: str) -> None:
    """All rejections on `old` that the repairs left in place, logged again on the new text version, exactly where
    they now are (read later without comparing the texts, and without the events before)."""
    hidden = _rejected(session, project, document, old)
    if hidden is None:
        return
    new_text, mapping = OffsetMap.of_stretches(old.text, replacements)
    kept = []
    for kind, start, end in sorted(hidden, key=lambda place: place[1:]):
        carried = mapping.carry(start, end)
        if not carried.gone and new_text[carried.start:carried.end] == old.text[start:end]:
            kept.append([kind, carried.start, carried.end])
    new = current_text_version(session, document)
    record_event(session, project_guid=project.guid, actor=actor, action=REJECT, entity="document",
                 entity_guid=document.guid, after={"text_version": str(new.guid), "version": new.version,
                                                   "warnings": kept, "carried_from": old.version})


class _LineMap:
    """Offsets of an earlier text version on the current one, for the lines both have unchanged (matched as whole
    lines, which is quick however many places changed); a span on a changed line has no place (None)."""

    def __init__(self, old: str, new: str) -> None:
        old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
        old_at, new_at = [0, *accumulate(map(len, old_lines))], [0, *accumulate(map(len, new_lines))]
        head = 0  # the lines before and after the changes, matched without the matcher (one edited turn: all but it)
        while head < min(len(old_lines), len(new_lines)) and old_lines[head] == new_lines[head]:
            head += 1
        tail = 0
        while tail < min(len(old_lines), len(new_lines)) - head and old_lines[-1 - tail] == new_lines[-1 - tail]:
            tail += 1
        matcher = SequenceMatcher(None, old_lines[head:len(old_lines) - tail], new_lines[head:len(new_lines) - tail],
                                  autojunk=False)
        blocks = [(0, 0, head), *((head + a, head + b, size) for a, b, size in matcher.get_matching_blocks()),
                  (len(old_lines) - tail, len(new_lines) - tail, tail)]
        self.blocks = [(old_at[a], old_at[a + size], new_at[b]) for a, b, size in blocks if size]
        self.starts = [block[0] for block in self.blocks]

    def carry(self, start: int, end: int) -> tuple[int, int] | None:
        k = bisect_right(self.starts, start) - 1
        if k < 0 or end > self.blocks[k][1]:
            return None
        shift = self.blocks[k][2] - self.blocks[k][0]
        return start + shift, end + shift
