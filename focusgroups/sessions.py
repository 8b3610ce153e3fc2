"""Focus-group sessions: when, for what and with whom the matrices or codebooks were presented.

A session's purpose decides what participants can say (`focusgroups.feedback`): session 1 ("codebook") walks
the codebooks, session 2 ("validation") presents the matrices. Attendees are counted by role, never named.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from cases.projects import clean_name, find_by_name_or_guid
from cases.renames import rename_unique
from store.errors import Refused
from store.events import record_event
from store.models import SESSION_PURPOSES, FocusGroupSession, Project


def _attendees(attendees: dict[str, int] | None) -> dict[str, int]:
    out: dict[str, int] = {}
    for role, count in (attendees or {}).items():
        role = " ".join(str(role).split())
        if not role:
            raise Refused("an attendee role needs a name (e.g. network representative, researcher)")
        try:
            number = int(count)
        except (TypeError, ValueError):
            raise Refused(f"attendees for '{role}' must be a whole number, not '{count}'") from None
        if number < 0 or number > 500:
            raise Refused(f"attendees for '{role}' must be between 0 and 500, not {number}")
        if number:
            out[role] = number
    return out


def parse_attendees(text: str) -> dict[str, int]:
    """"6 network representative, 4 researcher" or "network representative=6; researcher=4"."""
    out: dict[str, int] = {}
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if "=" in part:
            role, _, number = part.partition("=")
        else:
            number, _, role = part.partition(" ")
        try:
            out[" ".join(role.split())] = int(number.strip())
        except ValueError:
            raise Refused(f"write attendees as '6 network representative, 4 researcher', not '{part}'") from None
    return _attendees(out)


def create_session(session: Session, project: Project, name: str, held_on: date, *, purpose: str = "validation",
                   attendees: dict[str, int] | None = None, notes: str = "", actor: str = "system"
                   ) -> FocusGroupSession:
    name = clean_name(name, "focus-group session")
    if purpose not in SESSION_PURPOSES:
        raise Refused(f"a focus-group session is for one of {', '.join(SESSION_PURPOSES)}, not '{purpose}'")
    if session.scalar(select(FocusGroupSession.id).where(FocusGroupSession.project_id == project.id,
                                                         FocusGroupSession.name == name)):
        raise Refused(f"project '{project.name}' already has a focus-group session '{name}'")
    fg = FocusGroupSession(project_id=project.id, name=name, held_on=held_on, purpose=purpose,
                           attendees=_attendees(attendees), notes=notes.strip())
    session.add(fg)
    session.flush()
    record_event(session, project_guid=project.guid, actor=actor, action="create", entity="focus_group_session",
                 entity_guid=fg.guid, after={"name": name, "held_on": held_on, "purpose": purpose,
                                             "attendees": fg.attendees})
    return fg


def list_sessions(session: Session, project: Project) -> list[FocusGroupSession]:
    return list(session.scalars(select(FocusGroupSession).where(FocusGroupSession.project_id == project.id)
                                .order_by(FocusGroupSession.held_on, FocusGroupSession.name)))


def get_session(session: Session, project: Project, ref: str) -> FocusGroupSession:
    found = find_by_name_or_guid(session, project, FocusGroupSession, FocusGroupSession.name, ref)
    if found is None:
        raise Refused(f"project '{project.name}' has no focus-group session '{ref}'")
    return found


def rename_session(session: Session, project: Project, fg: FocusGroupSession, new_name: str, *, actor: str,
                   shown: str | None = None) -> bool:
    """A session's name (unique per project); its feedback stays with it. True when the name changed."""
    return rename_unique(session, project, fg, new_name, attribute="name", what="focus-group session",
                         taken="a focus-group session", entity="focus_group_session", actor=actor, shown=shown)
