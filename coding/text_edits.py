"""Editing a transcript after coding: a turn's text corrected, and every segment carried to the new text.

An edit makes a new text version in one transaction: turns and sentences are rebuilt for it (the edited turn's
sentences split again), and every segment on the old version is carried over by the diff (coding.carry). A
segment whose whole text was deleted stays on the old version, flagged for review, and is listed; so is every
segment whose text changed. An edit that changes another coder's segments is refused unless the person saw
them and confirmed (the preview lists them). The event says which segments moved where, never the text. Undo
puts the previous version and every segment back exactly, unless someone has coded on the new text since.
"""

from __future__ import annotations

import uuid
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from cases.documents import current_text_version
from cases.nlp import iter_sentences
from cases.projects import get_document
from cases.textnorm import normalise_text
from coding.carry import OffsetMap
from store.bulk import insert_rows, new_guids
from store.errors import Refused
from store.events import changed_by, record_event
from store.models import Code, Coder, Coding, Document, Event, Project, Segment, Sentence, Speaker, TextVersion, Turn

EDIT, EDIT_UNDONE = "edit", "undo edit"


@dataclass(frozen=True)
class TouchedSegment:
    """A segment whose text an edit changed: before and after, side by side (after None: all of it deleted)."""

    guid: str
    coder: str
    before: tuple[int, int]
    after: tuple[int, int] | None
    before_text: str
    after_text: str | None

    @property
    def needs_review(self) -> bool:
        return self.after is None


@dataclass
class TextEdit:
    document: str
    turns: list[int]  # the turns whose text changed, numbered from 1
    version: int  # the new text version (the one it would be, for a preview)
    touched: list[TouchedSegment] = field(default_factory=list)
    carried: int = 0  # segments moved to the new version (touched or not)
    replacements: int = 0  # how many ranges of text were replaced
    written: bool = False

    @property
    def where(self) -> str:
        """"turn 2", "turns 2, 5"."""
        return ("turn " if len(self.turns) == 1 else "turns ") + ", ".join(str(n) for n in self.turns)

    def others(self, me: str) -> list[TouchedSegment]:
        return [t for t in self.touched if t.coder != me]


def edit_turn(session: Session, project: Project, document_ref: str, turn: int, text: str, *, actor: str,
              dry_run: bool = False, confirm_others: bool = False) -> TextEdit:
    """Replace the text of turn `turn` (numbered from 1, as people count) with `text`."""
    document, old, turns = _open(session, project, document_ref, lock=not dry_run)
    if not 1 <= turn <= len(turns):
        raise Refused(f"'{document.title}' has turns 1 to {len(turns)}, not {turn}")
    edited = turns[turn - 1]
    content = normalise_text(text).strip("\n")
    if not content.strip():
        raise Refused("a turn needs some text")
    if content == old.text[edited.content_start:edited.end]:
        raise Refused(f"turn {turn} already reads like that; nothing changed")
    return new_version(session, project, document, old, turns, [(edited.content_start, edited.end, content)],
                       actor=actor, dry_run=dry_run, confirm_others=confirm_others, why="edit")


def edit_turns(session: Session, project: Project, document_ref: str, first: int, last: int, texts: list[str], *,
               actor: str, dry_run: bool = False, confirm_others: bool = False) -> TextEdit:
    """Replace the text of turns `first` to `last` (from 1), one text each, in one new version."""
    document, old, turns = _open(session, project, document_ref, lock=not dry_run)
    if not 1 <= first <= last <= len(turns):
        raise Refused(f"'{document.title}' has turns 1 to {len(turns)}, not {first} to {last}")
    if len(texts) != last - first + 1:
        raise Refused(f"turns {first} to {last} are {last - first + 1} turns: give one text for each "
                      f"(one line each), not {len(texts)}")
    replacements = []
    for turn, text in zip(turns[first - 1:last], texts):
        content = normalise_text(text).strip("\n")
        if not content.strip():
            raise Refused(f"turn {turn.ordinal + 1} needs some text")
        if content != old.text[turn.content_start:turn.end]:
            replacements.append((turn.content_start, turn.end, content))
    if not replacements:
        raise Refused(f"turns {first} to {last} already read like that; nothing changed")
    return new_version(session, project, document, old, turns, replacements, actor=actor, dry_run=dry_run,
                       confirm_others=confirm_others, why="edit")


def _open(session: Session, project: Project, document_ref: str, *, lock: bool = True
          ) -> tuple[Document, TextVersion, list[Turn]]:
    """The document (locked: one change of its text at a time), its current text version and turns."""
    document = get_document(session, project, document_ref)
    if lock:  # a preview only reads
        session.refresh(document, ["current_version"], with_for_update=True)
    old = current_text_version(session, document)
    return document, old, list(session.scalars(select(Turn).where(Turn.text_version_id == old.id)
                                                .order_by(Turn.ordinal)))


def replace_spans(session: Session, project: Project, document_ref: str, replacements: list[tuple[int, int, str]],
                  *, actor: str, why: str, dry_run: bool = False, confirm_others: bool = False,
                  dropping: Collection[int] = ()) -> TextEdit:
    """Replace these [start, end) ranges of the document's current text (each inside one turn, its speaker label
    included; not overlapping). Turns numbered in `dropping` (from 1) go altogether: a replacement with nothing
    takes each away with what separates it from a neighbour (from its start to the next turn's start, or at the
    end from the previous turn's end), and may take several next to each other."""
    document, old, turns = _open(session, project, document_ref, lock=not dry_run)
    if not dropping:
        return new_version(session, project, document, old, turns, replacements, actor=actor, dry_run=dry_run,
                           confirm_others=confirm_others, why=why)
    gone, wipes = _dropped(document, turns, replacements, set(dropping))
    starts = [t.start for t in turns]
    edited = {turns[bisect_right(starts, start) - 1].id for start, end, _ in replacements if (start, end) not in wipes}

    def layout(old_turns: list[Turn], mapping: OffsetMap) -> list[TurnRow]:
        return [TurnRow(t, mapping.position(t.start), mapping.position(t.content_start),
                        mapping.position(t.end, after=True), t.id in edited) for t in old_turns if t.id not in gone]

    return new_version(session, project, document, old, turns, replacements, actor=actor, dry_run=dry_run,
                       confirm_others=confirm_others, why=why, layout=layout)


def _dropped(document: Document, turns: list[Turn], replacements: list[tuple[int, int, str]], numbers: set[int]
             ) -> tuple[set[int], set[tuple[int, int]]]:
    """The ids of the turns `numbers` names, and the ranges that take them away. Every other replacement must lie
    inside one turn (new_version does not check that when it is given a layout)."""
    wrong = sorted(n for n in numbers if not 1 <= n <= len(turns))
    if wrong:
        raise Refused(f"'{document.title}' has turns 1 to {len(turns)}, not {wrong[0]}")
    if len(numbers) == len(turns):
        raise Refused(f"that would take away every turn of '{document.title}'; a document needs some text")
    starts, ends = [t.start for t in turns], [t.end for t in turns]
    covered: set[int] = set()
    wipes: set[tuple[int, int]] = set()
    for start, end, new in replacements:
        turn = turns[bisect_right(starts, start) - 1] if start >= starts[0] else None
        inside = turn is not None and turn.start <= start <= end <= turn.end
        reached = turns[bisect_right(ends, start):bisect_left(starts, end)]  # the turns it overlaps
        whole = [t for t in reached if start <= t.start and t.end <= end and (start < t.start or t.end < end)]
        if not new and reached and len(whole) == len(reached) and all(t.ordinal + 1 in numbers for t in whole):
            covered.update(t.ordinal + 1 for t in whole)
            wipes.add((start, end))
        elif not inside:
            raise Refused(f"a change at {start}–{end} is not inside one turn")
    missing = sorted(numbers - covered)
    if missing:
        raise Refused(f"turn {missing[0]} would go, but no change takes it away with what separates it from the next")
    return {turns[n - 1].id for n in numbers}, wipes


@dataclass(frozen=True)
class TurnRow:
    """A turn of the new version: the old turn it continues (speaker, times, language), its offsets in the new
    text, and whether its sentences are split again."""

    source: Turn
    start: int
    content_start: int
    end: int
    resplit: bool


Layout = Callable[[list[Turn], OffsetMap], list[TurnRow]]


def _changed_turns(turns: list[Turn], starts: list[int], start: int, end: int) -> list[int]:
    """The turns a change is said to change: those it takes away whole, else the one it starts in."""
    taken = [k for k in range(bisect_left(starts, start), bisect_left(starts, end))
             if start <= turns[k].start and turns[k].end <= end]
    return taken or [bisect_right(starts, start) - 1]


def new_version(session: Session, project: Project, document: Document, old: TextVersion, turns: list[Turn],
                replacements: list[tuple[int, int, str]], *, actor: str, why: str, dry_run: bool,
                confirm_others: bool, layout: Layout | None = None) -> TextEdit:
    """The new text version with every segment carried to it (or, `dry_run`, what that would change). Turns keep
    their number unless `layout` (a split or a join) says otherwise."""
    old_text = old.text
    starts = [t.start for t in turns]
    changed = sorted({k for start, end, _ in replacements for k in _changed_turns(turns, starts, start, end)})
    for start, end, _ in replacements:
        turn = turns[bisect_right(starts, start) - 1] if starts and start >= starts[0] else None
        if layout is None and (turn is None or not turn.start <= start <= end <= turn.end):
            raise Refused(f"a change at {start}–{end} is not inside one turn")
    try:
        new_text, mapping = OffsetMap.of_stretches(old_text, replacements)
    except ValueError as exc:
        raise Refused(str(exc)) from None
    number = (session.scalar(select(func.max(TextVersion.version)).where(TextVersion.document_id == document.id))
              or 0) + 1
    result = TextEdit(document.title, [turns[i].ordinal + 1 for i in changed], number,
                      replacements=len(replacements))
    coders = dict(session.execute(select(Coder.id, Coder.name).where(Coder.project_id == project.id)).all())
    query = select(Segment.id, Segment.guid, Segment.coder_id, Segment.start, Segment.end).where(
        Segment.text_version_id == old.id)
    segments = list(session.execute(query if dry_run else query.with_for_update()))  # a preview locks nothing
    moves: dict[str, list[int]] = {}
    gone: list[int] = []
    for row_id, guid, coder_id, start, end in segments:
        carried = mapping.carry(start, end)
        after_text = None if carried.gone else new_text[carried.start:carried.end]
        if carried.gone:
            gone.append(row_id)
        else:
            moves[str(guid)] = [start, end, carried.start, carried.end]
        if after_text != old_text[start:end]:
            result.touched.append(TouchedSegment(str(guid), coders.get(coder_id, "?"), (start, end),
                                                 None if carried.gone else (carried.start, carried.end),
                                                 old_text[start:end], after_text))
    result.carried = len(moves)
    others = result.others(actor)
    if dry_run:
        return result
    if others and not confirm_others:
        raise Refused(f"this {why} changes {len(others)} segment(s) of "
                      f"{', '.join(sorted({t.coder for t in others}))}: look at them in the preview and confirm")
    old.naming = {"title": document.title, "labels": {str(speaker_id): label for speaker_id, label in session.execute(
        select(Speaker.id, Speaker.label).where(Speaker.document_id == document.id))}}  # for undo
    version = TextVersion(document_id=document.id, version=number, text=new_text, length=len(new_text),
                          normalisation_version=old.normalisation_version,
                          pages=[mapping.position(start) for start in old.pages] if old.pages else None)
    session.add(version)
    session.flush()
    resplit = {turns[i].id for i in changed}
    rows = layout(turns, mapping) if layout is not None else [
        TurnRow(t, mapping.position(t.start), mapping.position(t.content_start),
                mapping.position(t.end, after=True), t.id in resplit) for t in turns]
    _rebuild_turns(session, old.id, version.id, rows, new_text, mapping)
    _place(session, version.id, {guid: (new_start, new_end) for guid, (_, _, new_start, new_end) in moves.items()})
    if gone:
        session.execute(update(Segment).where(Segment.id.in_(gone)).values(needs_review=True))
    document.current_version = number
    record_event(session, project_guid=project.guid, actor=actor, action=EDIT, entity="document",
                 entity_guid=document.guid, before={"version": old.version},
                 after={"version": number, "why": why, "turns": result.turns, "replacements": len(replacements),
                        "moved": moves, "needs_review": [str(g) for i, g, *_ in segments if i in gone],
                        "changed": len(result.touched)})
    result.written = True
    return result


def _place(session: Session, version_id: int, spans: dict[str, tuple[int, int]]) -> None:
    """Put segments (by guid) on a text version at these offsets, in one statement."""
    if spans:
        session.execute(update(Segment.__table__).where(Segment.__table__.c.guid == bindparam("g"))
                        .values(text_version_id=version_id, start=bindparam("s"), end=bindparam("e")),
                        [{"g": uuid.UUID(guid), "s": start, "e": end} for guid, (start, end) in spans.items()])


def _rebuild_turns(session: Session, old_id: int, new_id: int, rows: list[TurnRow], text: str,
                   mapping: OffsetMap) -> None:
    """The new version's turns, and its sentences: split again in the turns that changed, carried in the rest."""
    guids = iter(new_guids(len(rows)))
    insert_rows(session, Turn.__table__, ("guid", "text_version_id", "ordinal", "speaker_id", "start", "end",
                                          "content_start", "start_ms", "end_ms", "language"),
                [(next(guids), new_id, k, r.source.speaker_id, r.start, r.end, r.content_start, r.source.start_ms,
                  r.source.end_ms, r.source.language) for k, r in enumerate(rows)])
    new_turn = dict(session.execute(select(Turn.ordinal, Turn.id).where(Turn.text_version_id == new_id)).all())
    kept = {r.source.id: new_turn[k] for k, r in enumerate(rows) if not r.resplit}
    sentences = []
    for turn_id, start, end in session.execute(select(Sentence.turn_id, Sentence.start, Sentence.end)
                                               .where(Sentence.text_version_id == old_id).order_by(Sentence.start)):
        if turn_id in kept:
            sentences.append((kept[turn_id], mapping.position(start), mapping.position(end, after=True)))
    again = [(k, r) for k, r in enumerate(rows) if r.resplit]
    spans = [(r.content_start, r.end, r.source.language) for _, r in again]
    for start, end, index in iter_sentences(text, spans):
        sentences.append((new_turn[again[index][0]], start, end))
    sentences.sort(key=lambda r: r[1])
    insert_rows(session, Sentence.__table__, ("guid", "text_version_id", "turn_id", "ordinal", "start", "end"),
                [(guid, new_id, turn_id, k, start, end)
                 for k, (guid, (turn_id, start, end)) in enumerate(zip(new_guids(len(sentences)), sentences))])


def split_turn(session: Session, project: Project, document_ref: str, turn: int, at: int, *, actor: str,
               dry_run: bool = False, confirm_others: bool = False) -> TextEdit:
    """Split turn `turn` (from 1) `at` characters into its text: the rest becomes a turn of the same speaker on a
    new line with the same label."""
    document, old, turns = _open(session, project, document_ref, lock=not dry_run)
    if not 1 <= turn <= len(turns):
        raise Refused(f"'{document.title}' has turns 1 to {len(turns)}, not {turn}")
    source = turns[turn - 1]
    length = source.end - source.content_start
    if not 0 < at < length:
        raise Refused(f"turn {turn} has {length} characters: split it between 1 and {length - 1}")
    point = source.content_start + at
    label = old.text[source.start:source.content_start]
    inserted = "\n" + label

    def layout(old_turns: list[Turn], mapping: OffsetMap) -> list[TurnRow]:
        rows = []
        for t in old_turns:
            if t.id != source.id:
                rows.append(TurnRow(t, mapping.position(t.start), mapping.position(t.content_start),
                                    mapping.position(t.end, after=True), False))
                continue
            cut = mapping.position(point)  # before what was inserted there
            rows.append(TurnRow(t, mapping.position(t.start), mapping.position(t.content_start), cut, True))
            rows.append(TurnRow(t, cut + 1, cut + len(inserted), mapping.position(t.end, after=True), True))
        return rows

    return new_version(session, project, document, old, turns, [(point, point, inserted)], actor=actor,
                       why="split", dry_run=dry_run, confirm_others=confirm_others, layout=layout)


def join_turns(session: Session, project: Project, document_ref: str, turn: int, *, actor: str,
               dry_run: bool = False, confirm_others: bool = False) -> TextEdit:
    """Join turn `turn` (from 1) with the next one: the next one's label goes, its text follows after a space."""
    document, old, turns = _open(session, project, document_ref, lock=not dry_run)
    if not 1 <= turn < len(turns):
        raise Refused(f"'{document.title}' has turns 1 to {len(turns)}: join one of 1 to {len(turns) - 1} with the "
                      "next")
    first, second = turns[turn - 1], turns[turn]

    def layout(old_turns: list[Turn], mapping: OffsetMap) -> list[TurnRow]:
        rows = []
        for t in old_turns:
            if t.id == second.id:
                continue
            end = second.end if t.id == first.id else t.end
            rows.append(TurnRow(t, mapping.position(t.start), mapping.position(t.content_start),
                                mapping.position(end, after=True), t.id == first.id))
        return rows

    return new_version(session, project, document, old, turns, [(first.end, second.content_start, " ")],
                       actor=actor, why="join", dry_run=dry_run, confirm_others=confirm_others, layout=layout)


def undo_edit(session: Session, project: Project, document_ref: str, *, actor: str) -> TextEdit:
    """Take back the document's last edit: its previous text version and every segment exactly as they were."""
    document = get_document(session, project, document_ref)
    session.refresh(document, ["current_version"], with_for_update=True)
    change = session.scalar(select(Event).where(Event.entity_guid == document.guid, Event.entity == "document",
                                                Event.action == EDIT).order_by(Event.id.desc()).limit(1))
    if change is None or change.after["version"] != document.current_version:
        raise Refused(f"'{document.title}' has no edit to undo")
    if change.actor != actor:
        raise Refused(f"the last edit of '{document.title}' is {change.actor}'s: only they can undo it")
    new = current_text_version(session, document)
    old = session.scalar(select(TextVersion).where(TextVersion.document_id == document.id,
                                                   TextVersion.version == change.before["version"]))
    if old is None:
        raise Refused(f"the text before the last edit of '{document.title}' was purged; the edit can no longer "
                      "be undone")
    moved = change.after["moved"]
    here = {str(guid): (start, end) for guid, start, end in session.execute(
        select(Segment.guid, Segment.start, Segment.end).where(Segment.text_version_id == new.id).with_for_update())}
    later = [guid for guid, span in here.items() if guid not in moved or list(span) != moved[guid][2:]]
    if later:
        raise Refused(f"the edited text was coded since ({changed_by(session, uuid.UUID(later[0]), actor)}); "
                      "undoing the edit would lose that")
    _place(session, old.id, {guid: (start, end) for guid, (start, end, _, _) in moved.items()})
    review = [uuid.UUID(g) for g in change.after.get("needs_review", [])]
    if review:
        session.execute(update(Segment).where(Segment.guid.in_(review)).values(needs_review=False))
    document.current_version = old.version
    _restore_naming(session, project, document, old, actor)
    session.flush()
    session.execute(delete(TextVersion).where(TextVersion.id == new.id))  # its turns and sentences go with it
    record_event(session, project_guid=project.guid, actor=actor, action=EDIT_UNDONE, entity="document",
                 entity_guid=document.guid, before={"version": new.version},
                 after={"version": old.version, "undoes": change.id})
    return TextEdit(document.title, change.after["turns"], old.version, carried=len(moved), written=True)


def _restore_naming(session: Session, project: Project, document: Document, old: TextVersion, actor: str) -> None:
    """The title and speaker labels the document had with that text (a pseudonymisation or a new label renamed
    them); each put back is an event that names only what it is now."""
    naming = old.naming or {}
    if naming.get("title") and naming["title"] != document.title:
        document.title = naming["title"]
        record_event(session, project_guid=project.guid, actor=actor, action="restore", entity="document",
                     entity_guid=document.guid, after={"title": document.title})
    labels = naming.get("labels", {})
    for speaker in session.scalars(select(Speaker).where(Speaker.document_id == document.id)):
        label = labels.get(str(speaker.id))
        if label and label != speaker.label:
            speaker.label = label
            record_event(session, project_guid=project.guid, actor=actor, action="restore", entity="speaker",
                         entity_guid=speaker.guid, after={"label": label})


@dataclass(frozen=True)
class ReviewItem:
    guid: str
    document: str
    coder: str
    codes: list[str]
    text: str  # the text it had, on the version it was made on


def review_list(session: Session, project: Project, document_ref: str | None = None) -> list[ReviewItem]:
    """The segments an edit left without text (all of them, or one document's), for the pages and the matrices'
    note."""
    stmt = (select(Segment.guid, Document.title, Coder.name, Segment.start, Segment.end, TextVersion.text, Code.key)
            .join(Document, Document.id == Segment.document_id).join(Coder, Coder.id == Segment.coder_id)
            .join(TextVersion, TextVersion.id == Segment.text_version_id)
            .join(Coding, Coding.segment_id == Segment.id).join(Code, Code.id == Coding.code_id)
            .where(Document.project_id == project.id, Segment.needs_review.is_(True)))
    if document_ref is not None:
        stmt = stmt.where(Document.id == get_document(session, project, document_ref).id)
    items: dict[str, ReviewItem] = {}
    for guid, title, coder, start, end, text, key in session.execute(stmt.order_by(Document.title, Segment.start)):
        item = items.setdefault(str(guid), ReviewItem(str(guid), title, coder, [], text[start:end]))
        item.codes.append(key)
    return list(items.values())
