"""Replaying a project's event log: what the log says its coding, memos, framework cells and feedback are.

The log is the one record of who changed what. If replaying it from the project's creation, over the imported
documents, does not give what the tables hold, the log is not telling the truth; `log_disagreements` says where.
Replay works on plain values only (guids, keys, text), so it reads nothing but the events.

Covered: segments and codings (apply, resize, add code, recode, remove, delete, merge of codes, undo and redo,
segments carried by text edits and their undo),
memos, framework cells with their pinned quotes, feedback, value-creation stories with their steps; documents,
focus-group sessions, cases and stories deleted into the bin and restored (a document's steps leaving their
stories and coming back); merges of cases. An event it cannot follow is named in `gaps` instead of being guessed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from store.models import (
    Case,
    Code,
    Coder,
    Coding,
    Document,
    Event,
    Feedback,
    FocusGroupSession,
    FrameworkCell,
    Memo,
    Person,
    Project,
    Segment,
    Story,
    StoryStep,
)

CELL_FIELDS = ("state", "rating", "summary", "validation", "quotes")


@dataclass
class ProjectState:
    segments: dict[str, tuple] = field(default_factory=dict)  # guid -> (document guid, start, end, coder)
    codings: dict[str, tuple] = field(default_factory=dict)  # guid -> (segment guid, code key)
    memos: dict[str, tuple] = field(default_factory=dict)  # guid -> (target kind, target guid, text)
    cells: dict[tuple, tuple] = field(default_factory=dict)  # (case guid, code guid) -> CELL_FIELDS' values
    feedback: dict[str, tuple] = field(default_factory=dict)  # guid -> (session, case, code, stance, role, note)
    # guid -> (case guid, title, person guid, ((step guid, segment guid, cycle key, note), ...))
    stories: dict[str, tuple] = field(default_factory=dict)

    def parts(self) -> dict[str, dict]:
        return {"segments": self.segments, "codings": self.codings, "memos": self.memos, "cells": self.cells,
                "feedback": self.feedback, "stories": self.stories}


@dataclass
class Replayed(ProjectState):
    gaps: list[str] = field(default_factory=list)
    _gone: dict[str, tuple] = field(default_factory=dict)  # the last state of whatever was deleted, by guid
    _binned: dict[str, ProjectState] = field(default_factory=dict)  # bin item guid -> what went with it
    _by_id: dict[int, Event] = field(default_factory=dict)
    _cell_keys: dict[str, tuple] = field(default_factory=dict)  # cell guid -> (case guid, code guid)
    _segment_ids: dict[str, str] = field(default_factory=dict)  # segment guid -> its id, as cells' quotes name it
    _last_bin_item: str = ""
    _current: int = 0  # the event being replayed
    _unpinned: dict[str, dict] = field(default_factory=dict)  # bin item -> {cell: [(position, quote)]} it unpinned
    _unstepped: dict[str, dict] = field(default_factory=dict)  # bin item -> {story: [(position, step)]} it took
    _unset: dict[str, dict] = field(default_factory=dict)  # bin item -> {story: person guid} it unset


def replay_events(events: Iterable[Event]) -> Replayed:
    state = Replayed()
    for event in events:
        state._by_id[event.id] = event
        state._current = event.id
        try:
            if event.action == "undo":
                _backward(state, state._by_id[event.after["undoes"]], event)
            elif event.action == "redo":
                undone = state._by_id[event.after["redoes"]]
                _forward(state, state._by_id[undone.after["undoes"]])
            else:
                _forward(state, event)
        except KeyError as missing:  # it changes something the log never made, or had already taken away
            state.gaps.append(f"event {event.id}: {event.action} of {event.entity} {event.entity_guid} refers to "
                              f"{missing}, which the log does not have at that point")
    return state


def log_disagreements(session: Session, project: Project) -> dict[str, list]:
    """Where replaying the project's log and its tables disagree, per part; empty lists when the log is true.
    The replay's gaps are listed under "gaps"."""
    events = session.scalars(select(Event).where(Event.project_guid == project.guid).order_by(Event.id))
    replayed, stored = replay_events(events), stored_state(session, project)
    found: dict[str, list] = {"gaps": list(replayed.gaps)}
    for part, expected in replayed.parts().items():
        actual = stored.parts()[part]
        found[part] = sorted(
            [("only in the log", k, expected[k]) for k in expected.keys() - actual.keys()]
            + [("only in the tables", k, actual[k]) for k in actual.keys() - expected.keys()]
            + [("differs", k, expected[k], actual[k]) for k in expected.keys() & actual.keys()
               if expected[k] != actual[k]], key=repr)
    return found


# --- applying one event ----------------------------------------------------------------------------------------

def _forward(s: Replayed, e: Event) -> None:
    g, before, after = str(e.entity_guid), e.before or {}, e.after or {}
    kind = (e.entity, e.action)
    if kind == ("segment", "create"):
        if "codings" not in after:
            s.gaps.append(f"event {e.id}: a segment logged without its codings' guids")
            return
        s.segments[g] = (after["document"], after["start"], after["end"], after["coder"])
        s.codings.update({c: (g, key) for c, key in zip(after["codings"], after["codes"])})
    elif kind == ("segment", "update"):
        document, _, _, coder = s.segments[g]
        s.segments[g] = (document, after["start"], after["end"], coder)
    elif kind == ("segment", "delete"):
        _drop_segment(s, g)
    elif kind in (("coding", "create"), ("coding", "update")):
        s.codings[g] = (after["segment"], after["code"])
    elif kind == ("coding", "delete"):
        _drop(s, s.codings, g)
    elif kind == ("memo", "create"):
        s.memos[g] = (after["target"], after["target_guid"], after["text"])
    elif kind == ("memo", "update"):
        s.memos[g] = (*s.memos[g][:2], after["text"])
    elif kind == ("memo", "delete"):
        _drop(s, s.memos, g)
    elif e.entity == "framework_cell":
        _cell_change(s, e)
    elif kind == ("feedback", "create"):
        if "note" not in after:
            s.gaps.append(f"event {e.id}: feedback logged without its note")
            return
        s.feedback[g] = (after["session_guid"], after.get("case_guid"), after["code"], after["stance"],
                         after["participant_role"], after["note"])
    elif kind == ("document", "edit"):  # a text edit carried segments to the new text
        _move_segments(s, {guid: spans[2:] for guid, spans in after["moved"].items()})
    elif kind == ("document", "undo edit"):
        _move_segments(s, {guid: spans[:2] for guid, spans in s._by_id[after["undoes"]].after["moved"].items()})
    elif kind == ("code", "merge"):
        _merge_codes(s, before["key"], after["into_key"], g, after["into"])
    elif e.action in ("delete", "restore") and e.entity in ("document", "focus_group_session", "case", "story"):
        _bin(s, e)
    elif e.entity == "story":
        _story_change(s, e)
    elif e.action == "move" and e.entity in ("feedback", "memo"):  # to another case, by a merge of cases
        part = s.feedback if e.entity == "feedback" else s.memos
        if e.entity == "feedback":
            session_guid, _, *rest = part[g]
            part[g] = (session_guid, after["case"], *rest)
        else:
            part[g] = ("case", after["case"], part[g][2])


def _backward(s: Replayed, change: Event, undo: Event) -> None:
    g, before, after = str(change.entity_guid), change.before or {}, change.after or {}
    kind = (change.entity, change.action)
    if kind == ("segment", "create"):
        _drop_segment(s, g)
    elif kind == ("segment", "update"):
        document, _, _, coder = s.segments[g]
        s.segments[g] = (document, before["start"], before["end"], coder)
    elif kind == ("segment", "delete"):
        s.segments[g] = s._gone[g]
        for item in before.get("codings", []):
            s.codings[item["guid"]] = s._gone[item["guid"]]
    elif kind == ("coding", "create"):
        _drop(s, s.codings, g)
    elif kind == ("coding", "update"):
        s.codings[g] = (s.codings[g][0], before["code"])
    elif kind == ("coding", "delete"):
        s.codings[g] = (before["segment"], before["code"])
    elif kind == ("memo", "create"):
        _drop(s, s.memos, g)
    elif kind == ("memo", "update"):
        s.memos[g] = (*s.memos[g][:2], before["text"])
    elif kind == ("memo", "delete"):
        s.memos[g] = s._gone[g]
    elif change.entity == "framework_cell":
        _set_cell(s, (after["case_guid"], after["code_guid"]), before)
    elif kind == ("feedback", "create"):
        _drop(s, s.feedback, g)
    elif kind == ("story", "create"):
        _drop(s, s.stories, g)
    elif kind == ("story", "update"):
        s.stories[g] = _story(s.stories[g][0], before)
    else:
        s.gaps.append(f"event {undo.id}: an undo of {change.entity} {change.action}")


def _move_segments(s: Replayed, spans: dict[str, list[int]]) -> None:
    for guid, (start, end) in spans.items():
        document, _, _, coder = s.segments[guid]
        s.segments[guid] = (document, start, end, coder)


def _drop(s: Replayed, part: dict, guid: str) -> None:
    if guid not in part:  # two changes that each say they took it away: the log contradicts itself
        s.gaps.append(f"event {s._current}: takes away {guid}, which the log had already taken away or never made")
        return
    s._gone[guid] = part.pop(guid)


def _drop_segment(s: Replayed, guid: str) -> None:
    for coding in [c for c, (segment, _) in s.codings.items() if segment == guid]:
        _drop(s, s.codings, coding)
    _drop(s, s.segments, guid)


def _cell_change(s: Replayed, e: Event) -> None:
    before, after = e.before or {}, e.after or {}
    if e.action == "move" and "case" in after:  # a cell given to another case by a merge of cases
        old = s._cell_keys[str(e.entity_guid)]
        new_key = (after["case"], old[1])
        s.cells[new_key] = s.cells.pop(old)
        s._cell_keys[str(e.entity_guid)] = new_key
        return
    if e.action == "delete" and "case_guid" not in before:  # a cell one side of a merge of cases loses
        s.cells.pop(s._cell_keys[str(e.entity_guid)])
        return
    if e.action == "move":  # a cell given to another code by a merge of codes
        old = (after["case_guid"], before["code_guid"])
        new_key = (after["case_guid"], after["code_guid"])
        if old in s.cells:
            s.cells[new_key] = s.cells.pop(old)
        s._cell_keys[str(e.entity_guid)] = new_key
        return
    if e.action == "delete":  # an empty cell dropped by a merge of codes
        s.cells.pop((before["case_guid"], before["code_guid"]), None)
        return
    if "cause" in after:  # a quote pinned back by a restore: put back with its segments (see _bin)
        return
    if "cause" in before:  # a quote unpinned because its segment went into the bin: kept with the bin item
        key, segment = s._cell_keys.get(str(e.entity_guid)), s._segment_ids.get(before["unpin"])
        if key is None or segment is None or key not in s.cells:
            s.gaps.append(f"event {e.id}: a quote unpinned from a cell the log never showed pinned")
            return
        cell = list(s.cells[key])
        s._unpinned.setdefault(s._last_bin_item, {}).setdefault(key, []).append((cell[-1].index(segment), segment))
        cell[-1] = tuple(q for q in cell[-1] if q != segment)
        s.cells[key] = tuple(cell)
        return
    if "quotes" not in after:
        s.gaps.append(f"event {e.id}: a framework cell change logged without the cell after it")
        return
    key = (after["case_guid"], after["code_guid"])
    s._cell_keys[str(e.entity_guid)] = key
    if e.action == "pin":  # learn the pinned segment's id: the quote the cell did not have before
        new = [q for q in after["quotes"] if q not in (before.get("quotes") or [])]
        if new:
            s._segment_ids[after["segment"]] = new[0]
    _set_cell(s, key, after)


def _set_cell(s: Replayed, key: tuple, values: dict) -> None:
    if values.get("state") is None:  # the cell did not exist before this change
        s.cells.pop(key, None)
    else:
        s.cells[key] = tuple(tuple(values[f]) if f == "quotes" else values[f] for f in CELL_FIELDS)


def _merge_codes(s: Replayed, source: str, target: str, source_guid: str, target_guid: str) -> None:
    """As codebooks.service.merge_codes does: a segment that has both keeps the target's coding."""
    with_target = {segment for segment, key in s.codings.values() if key == target}
    for coding, (segment, key) in list(s.codings.items()):
        if key == source:
            if segment in with_target:
                _drop(s, s.codings, coding)
            else:
                s.codings[coding] = (segment, target)
    for memo, (kind, target_guid_, text) in list(s.memos.items()):
        if kind == "code" and target_guid_ == source_guid:
            s.memos[memo] = (kind, target_guid, text)
    for remark, (session, case, key, *rest) in list(s.feedback.items()):
        if key == source:
            s.feedback[remark] = (session, case, target, *rest)


def _bin(s: Replayed, e: Event) -> None:
    """A document (its segments, codings and memos; the quotes pinned from them come through `_cell_change`), a
    case (its memos, framework cells and remarks) or a focus-group session (its remarks) deleted into the bin, kept
    aside by bin item, and put back whole on restore."""
    g = str(e.entity_guid)
    item = (e.before or e.after or {}).get("bin_item", "")
    if e.action == "restore":
        kept = s._binned.pop(item, ProjectState())
        for part, values in kept.parts().items():
            s.parts()[part].update(values)
        for story, taken in s._unstepped.pop(item, {}).items():  # a document's steps back in their places
            if story in s.stories:
                steps = list(s.stories[story][3])
                for position, step in reversed(taken):  # each taken out of what the ones before left
                    steps.insert(position, step)
                s.stories[story] = (*s.stories[story][:3], tuple(steps))
        for story, person in s._unset.pop(item, {}).items():
            if story in s.stories:
                s.stories[story] = (s.stories[story][0], s.stories[story][1], person, s.stories[story][3])
        for key, quotes in s._unpinned.pop(item, {}).items():
            if key in s.cells:
                cell = list(s.cells[key])
                restored = list(cell[-1])
                for position, segment in reversed(quotes):  # the inverse of the unpinning, step by step
                    restored.insert(position, segment)
                cell[-1] = tuple(restored)
                s.cells[key] = tuple(cell)
        return
    kept = ProjectState()
    if e.entity == "document":
        segments = {k for k, v in s.segments.items() if v[0] == g}
        kept.segments = {k: s.segments.pop(k) for k in segments}
        kept.codings = {k: s.codings.pop(k) for k, v in list(s.codings.items()) if v[0] in segments}
        kept.memos = {k: s.memos.pop(k) for k, v in list(s.memos.items())
                      if (v[0], v[1]) == ("document", g) or (v[0] == "segment" and v[1] in segments)}
    elif e.entity == "case":  # its memos, framework cells (with their quotes), remarks and stories
        kept.memos = {k: s.memos.pop(k) for k, v in list(s.memos.items()) if (v[0], v[1]) == ("case", g)}
        kept.feedback = {k: s.feedback.pop(k) for k, v in list(s.feedback.items()) if v[1] == g}
        kept.cells = {k: s.cells.pop(k) for k in [k for k in s.cells if k[0] == g]}
        kept.stories = {k: s.stories.pop(k) for k, v in list(s.stories.items()) if v[0] == g}
    elif e.entity == "story":
        kept.stories = {g: s.stories.pop(g)}
    else:
        kept.feedback = {k: s.feedback.pop(k) for k, v in list(s.feedback.items()) if v[0] == g}
    s._binned[item] = kept
    s._last_bin_item = item


def _story(case: str, state: dict) -> tuple:
    """A story as replayed from the steps an event keeps (coding.stories.story_state)."""
    return (case, state["title"], state.get("person"),
            tuple((x["guid"], x["segment"], x["cycle"], x["note"]) for x in state.get("steps") or []))


def _story_change(s: Replayed, e: Event) -> None:
    g, before, after = str(e.entity_guid), e.before or {}, e.after or {}
    if e.action == "create":
        s.stories[g] = _story(after["case"], after)
    elif e.action == "update":
        s.stories[g] = _story(s.stories[g][0], after)
    elif e.action == "move" and "step" in after:  # a code merge moved a step's cycle
        case, title, person, steps = s.stories[g]
        s.stories[g] = (case, title, person, tuple((x[0], x[1], after["cycle"] if x[0] == after["step"] else x[2],
                                                    x[3]) for x in steps))
    elif e.action == "move":  # to another case, by a merge of cases
        s.stories[g] = (after["case"], *s.stories[g][1:])
    elif e.action == "unstep":  # its segment went into the bin with its document
        case, title, person, steps = s.stories[g]
        taken = [(i, x) for i, x in enumerate(steps) if x[1] == before["unstep"]]
        s._unstepped.setdefault(s._last_bin_item, {}).setdefault(g, []).extend(taken)
        s.stories[g] = (case, title, person, tuple(x for x in steps if x[1] != before["unstep"]))
    elif e.action == "unset" and before.get("unset") == "person_id":  # its person went into the bin
        s._unset.setdefault(s._last_bin_item, {})[g] = s.stories[g][2]
        s.stories[g] = (*s.stories[g][:2], None, s.stories[g][3])
    elif e.action not in ("step", "set"):  # those come back with their bin item's restore
        s.gaps.append(f"event {e.id}: {e.action} of a story")


# --- what the tables hold --------------------------------------------------------------------------------------

def stored_state(session: Session, project: Project) -> ProjectState:
    state = ProjectState()
    documents = select(Document.id).where(Document.project_id == project.id)
    for guid, document, start, end, coder in session.execute(
            select(Segment.guid, Document.guid, Segment.start, Segment.end, Coder.name)
            .join(Document, Segment.document_id == Document.id).join(Coder, Segment.coder_id == Coder.id)
            .where(Segment.document_id.in_(documents))):
        state.segments[str(guid)] = (str(document), start, end, coder)
    for guid, segment, key in session.execute(
            select(Coding.guid, Segment.guid, Code.key).join(Segment, Coding.segment_id == Segment.id)
            .join(Code, Coding.code_id == Code.id).where(Segment.document_id.in_(documents))):
        state.codings[str(guid)] = (str(segment), key)
    targets = {"case": (Case, Memo.case_id), "document": (Document, Memo.document_id), "code": (Code, Memo.code_id),
               "segment": (Segment, Memo.segment_id)}
    for memo in session.scalars(select(Memo).where(Memo.project_id == project.id)):
        if memo.target == "project":
            target = project.guid
        else:
            model, column = targets[memo.target]
            target = session.scalar(select(model.guid).where(model.id == getattr(memo, column.key)))
        state.memos[str(memo.guid)] = (memo.target, str(target), memo.text)
    for cell, case, code in session.execute(
            select(FrameworkCell, Case.guid, Code.guid).join(Case, FrameworkCell.case_id == Case.id)
            .join(Code, FrameworkCell.code_id == Code.id).where(FrameworkCell.project_id == project.id)):
        quotes = tuple(str(q.segment_id) for q in sorted(cell.quotes, key=lambda q: q.position))
        state.cells[(str(case), str(code))] = (cell.state, cell.rating, cell.summary, cell.validation, quotes)
    fg, case, code = aliased(FocusGroupSession), aliased(Case), aliased(Code)
    for row, session_guid, case_guid, code_key in session.execute(
            select(Feedback, fg.guid, case.guid, code.key).join(fg, Feedback.session_id == fg.id)
            .outerjoin(case, Feedback.case_id == case.id).outerjoin(code, Feedback.code_id == code.id)
            .where(fg.project_id == project.id)):
        state.feedback[str(row.guid)] = (str(session_guid), str(case_guid) if case_guid else None, code_key,
                                         row.stance, row.participant_role, row.note)
    person = aliased(Person)
    for story, case_guid, person_guid in session.execute(
            select(Story, Case.guid, person.guid).join(Case, Story.case_id == Case.id)
            .outerjoin(person, Story.person_id == person.id).where(Story.project_id == project.id)):
        steps = session.execute(select(StoryStep.guid, Segment.guid, Code.key, StoryStep.note)
                                .join(Segment, StoryStep.segment_id == Segment.id)
                                .join(Code, StoryStep.cycle_code_id == Code.id)
                                .where(StoryStep.story_id == story.id).order_by(StoryStep.position))
        state.stories[str(story.guid)] = (str(case_guid), story.title, str(person_guid) if person_guid else None,
                                          tuple((str(a), str(b), c, d) for a, b, c, d in steps))
    return state

