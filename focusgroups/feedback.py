"""What participants say back in a focus-group session: member validation of codebooks and matrices.

Session 1 ("codebook") walks the codebooks and records per code: recognised, not recognised, or a concept
the codebook is missing. Session 2 ("validation") presents the matrices and records stances on cells
(case + code) and codes: agree, disagree, amend, add. A note can be promoted to a new code.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.projects import get_case
from codebooks.service import add_code, code_label, default_parent, find_code, get_codebook
from store.errors import Refused
from store.events import record_event
from store.history import Undoable
from store.models import Case, Code, Event, Feedback, FocusGroupSession, Project, Story, StoryStep
from store.snapshot import parents_present, put_back, take_out

STANCES_BY_PURPOSE = {
    "validation": ("agree", "disagree", "amend", "add"),
    "codebook": ("recognised", "not_recognised", "missing"),
}
MAX_NOTE = 4000
STANCE_LABELS = {"agree": "agree", "disagree": "disagree", "amend": "amend", "add": "add",
                 "recognised": "recognised", "not_recognised": "not recognised", "missing": "missing"}


@dataclass
class FeedbackRecord:
    guid: str
    session: str
    held_on: date
    case: str | None
    code: str | None
    stance: str
    participant_role: str
    note: str
    recorded_by: str
    created_at: datetime
    promoted_to: str | None
    story_step: str | None = None  # the guid of the story step the remark is about (the story walk)

    def as_dict(self) -> dict:
        return {"guid": self.guid, "session": self.session, "held_on": self.held_on.isoformat(), "case": self.case,
                "code": self.code, "stance": self.stance, "participant_role": self.participant_role,
                "note": self.note, "recorded_by": self.recorded_by, "created_at": self.created_at.isoformat(),
                "promoted_to": self.promoted_to, "story_step": self.story_step}


def record_feedback(session: Session, project: Project, fg: FocusGroupSession, *, stance: str,
                    code: str | None = None, case: str | None = None, participant_role: str = "",
                    note: str = "", actor: str = "system", story_step: str | None = None) -> Feedback:
    """One remark onto a cell (case + code), a code, or (stance "missing") the codebook as a whole; or, with
    `story_step` (a step's guid), onto one step of a value-creation story: its case and cycle are the cell."""
    step = _story_step(session, project, story_step) if story_step else None
    if step is not None:
        case, code = step
    allowed = STANCES_BY_PURPOSE[fg.purpose]
    if stance not in allowed:
        raise Refused(f"in a {fg.purpose} session the stance is one of {', '.join(allowed)}, not '{stance}'")
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise Refused(f"a feedback note is at most {MAX_NOTE:,} characters")
    if stance in ("amend", "add", "missing") and not note:
        raise Refused(f"a remark with stance '{stance}' needs a note saying what participants proposed")
    found_code = find_code(session, project, code) if code else None
    found_case = get_case(session, project, case) if case else None
    if found_case is not None and found_code is None:
        raise Refused("feedback on a case is about one of its cells: name the code as well")
    if found_code is None and stance != "missing":
        raise Refused(f"a '{stance}' remark is about a code or a cell: name the code")
    row = Feedback(session_id=fg.id, case_id=found_case.id if found_case else None,
                   code_id=found_code.id if found_code else None, stance=stance,
                   participant_role=" ".join(participant_role.split())[:100], note=note, recorded_by=actor,
                   story_step_guid=uuid.UUID(story_step) if step is not None else None)
    session.add(row)
    session.flush()
    record_event(session, project_guid=project.guid, actor=actor, action="create", entity="feedback",
                 entity_guid=row.guid, after={"session": fg.name, "session_guid": str(fg.guid),
                                              "case": found_case.name if found_case else None,
                                              "case_guid": str(found_case.guid) if found_case else None,
                                              "code": found_code.key if found_code else None, "stance": stance,
                                              "participant_role": row.participant_role, "note": note,
                                              **({"story_step": story_step} if step is not None else {})})
    return row


def _story_step(session: Session, project: Project, guid: str) -> tuple[str, str]:
    """(case name, cycle code key) of a story step of this project."""
    try:
        wanted = uuid.UUID(str(guid))
    except ValueError:
        wanted = None
    row = session.execute(select(Case.name, Code.key).select_from(StoryStep)
                          .join(Story, StoryStep.story_id == Story.id).join(Case, Story.case_id == Case.id)
                          .join(Code, StoryStep.cycle_code_id == Code.id)
                          .where(StoryStep.guid == wanted, Story.project_id == project.id)).first() if wanted else None
    if row is None:
        raise Refused(f"project '{project.name}' has no story step '{guid}'")
    return row[0], row[1]


def list_feedback(session: Session, project: Project, *, fg: FocusGroupSession | None = None,
                  case: str | None = None, code: str | None = None,
                  story_step: str | None = None) -> list[FeedbackRecord]:
    stmt = (select(Feedback, FocusGroupSession.name, FocusGroupSession.held_on)
            .join(FocusGroupSession, Feedback.session_id == FocusGroupSession.id)
            .where(FocusGroupSession.project_id == project.id))
    if fg is not None:
        stmt = stmt.where(Feedback.session_id == fg.id)
    if case is not None:
        stmt = stmt.where(Feedback.case_id == get_case(session, project, case).id)
    if code is not None:
        stmt = stmt.where(Feedback.code_id == find_code(session, project, code).id)
    if story_step is not None:
        stmt = stmt.where(Feedback.story_step_guid == uuid.UUID(str(story_step)))
    rows = session.execute(stmt).all()
    case_names = dict(session.execute(select(Case.id, Case.name).where(Case.project_id == project.id)).all())
    code_ids = {f.code_id for f, _, _ in rows} | {f.promoted_code_id for f, _, _ in rows}
    code_ids.discard(None)
    code_keys = dict(session.execute(select(Code.id, Code.key).where(Code.id.in_(code_ids))).all()) \
        if code_ids else {}
    out = [FeedbackRecord(guid=str(f.guid), session=name, held_on=held_on, case=case_names.get(f.case_id),
                          code=code_keys.get(f.code_id), stance=f.stance, participant_role=f.participant_role,
                          note=f.note, recorded_by=f.recorded_by, created_at=f.created_at,
                          promoted_to=code_keys.get(f.promoted_code_id),
                          story_step=str(f.story_step_guid) if f.story_step_guid else None)
           for f, name, held_on in rows]
    out.sort(key=lambda r: (r.held_on, r.session, r.created_at, r.guid))
    return out


def promote_to_code(session: Session, project: Project, feedback_guid: str, *, codebook: str, key: str,
                    label: str, parent: str | None = None, actor: str = "system") -> Code:
    """Turn a participant's remark into a new code (e.g. trust, leadership), remembering where it came from."""
    try:
        row = session.scalar(select(Feedback).join(FocusGroupSession).where(
            Feedback.guid == uuid.UUID(feedback_guid), FocusGroupSession.project_id == project.id))
    except ValueError:
        row = None
    if row is None:
        raise Refused(f"project '{project.name}' has no feedback '{feedback_guid}'")
    if row.promoted_code_id is not None:
        raise Refused("this remark has already been promoted to a code")
    book = get_codebook(session, project, codebook)
    if parent is None:
        parent = default_parent(session, project, book.key)
    code = add_code(session, project, book.key, key, label_en=label, parent_key=parent,
                    definition=row.note, actor=actor)
    row.promoted_code_id = code.id
    record_event(session, project_guid=project.guid, actor=actor, action="promote", entity="feedback",
                 entity_guid=row.guid, after={"code": code.key, "codebook": book.key})
    return code


@dataclass
class CodebookWalkLine:
    code: str | None
    recognised: int
    not_recognised: int
    missing: list[str]


def codebook_walk(session: Session, project: Project, fg: FocusGroupSession) -> list[CodebookWalkLine]:
    """Per code: how often participants recognised it or not; missing concepts (under a code or at large)."""
    lines: dict[str | None, CodebookWalkLine] = {}
    for record in list_feedback(session, project, fg=fg):
        line = lines.setdefault(record.code, CodebookWalkLine(record.code, 0, 0, []))
        if record.stance == "recognised":
            line.recognised += 1
        elif record.stance == "not_recognised":
            line.not_recognised += 1
        elif record.stance == "missing":
            line.missing.append(record.note)
    return sorted(lines.values(), key=lambda line: (line.code is None, line.code or ""))


# --- undo and redo in the presentation: the person's own last remark recorded in this session -----------------

def feedback_undoable(session: Session, fg: FocusGroupSession) -> Undoable:
    """Undo and redo for the remarks a person recorded in one focus-group session."""
    fg_guid = str(fg.guid)

    def in_scope(session: Session, changes: list[Event]) -> set[int]:
        old = [e.entity_guid for e in changes if "session_guid" not in (e.after or {})]  # logged before sessions
        here = set(session.scalars(select(Feedback.guid).where(Feedback.session_id == fg.id,
                                                                 Feedback.guid.in_(old)))) if old else set()
        return {e.id for e in changes if (e.after or {}).get("session_guid") == fg_guid or e.entity_guid in here}

    return Undoable("feedback", frozenset({"create"}), in_scope, _describe_remark, _remark_undo_blocker,
                    _remark_redo_blocker, _take_remark_back, _record_remark_again)


def _remark(session: Session, guid: uuid.UUID) -> Feedback | None:
    return session.scalar(select(Feedback).where(Feedback.guid == guid))


def _describe_remark(session: Session, project: Project, change: Event) -> str:
    after = change.after or {}
    code = None
    if after.get("code"):
        try:
            code = code_label(find_code(session, project, after["code"]))
        except Refused:  # the code is gone since: its key is what is known
            code = after["code"]
    on = " × ".join(v for v in (after.get("case"), code) if v) or "the codebook"
    who = f" ({after['participant_role']})" if after.get("participant_role") else ""
    return f"recording “{after.get('stance', 'a remark').replace('_', ' ')}”{who} on {on}"


def _remark_undo_blocker(session: Session, project: Project, change: Event) -> str | None:
    row = _remark(session, change.entity_guid)
    if row is None:
        return "the remark is gone"
    if row.promoted_code_id is not None:
        code = session.get(Code, row.promoted_code_id)
        return f"it became the code '{code.key if code else '?'}'; that code stays, so the remark stays too"
    return None


def _remark_redo_blocker(session: Session, project: Project, change: Event, undo_event: Event) -> str | None:
    if _remark(session, change.entity_guid) is not None:
        return "the remark is there again"
    return None if parents_present(session, undo_event.before or {}) else "its session, case or code is gone"


def _take_remark_back(session: Session, project: Project, change: Event) -> dict:
    return take_out(session, "feedback", _remark(session, change.entity_guid).id)


def _record_remark_again(session: Session, project: Project, change: Event, undo_event: Event) -> None:
    put_back(session, undo_event.before or {})
