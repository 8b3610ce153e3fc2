"""What a value-creation coding says beyond its code (DOMAIN 2.1): whether the statement is aspirational (a hope or a
plan, not a deed) and who the value is for. A story's checks read them (coding.stories); only the person who put
the code on the segment sets them, and each change is one logged event.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.errors import Refused
from store.events import changed_by, record_event
from store.models import BENEFICIARIES, Code, Coding, Project, Segment

KEEP = object()  # "leave as it is" for set_coding_flags


def flags_text(flags: dict) -> str:
    """How a coding's marks read: "aspirational, for the team"; "no marks" when it has none."""
    parts = ["aspirational"] if flags.get("aspirational") else []
    if flags.get("beneficiary"):
        parts.append(f"for {'themselves' if flags['beneficiary'] == 'self' else 'the ' + flags['beneficiary']}")
    return ", ".join(parts) or "no marks"


def beneficiary_value(value: str | None) -> str | None:
    """A beneficiary as stored: one of BENEFICIARIES, or None for "not said" ("" and "none" too)."""
    if value is None or value.strip().casefold() in ("", "none"):
        return None
    cleaned = value.strip().casefold()
    if cleaned not in BENEFICIARIES:
        raise Refused(f"unknown beneficiary '{value}' (use one of: {', '.join(BENEFICIARIES)}, or none)")
    return cleaned


def set_coding_flags(session: Session, project: Project, coding_guid: uuid.UUID | str, *, actor: str,
                     aspirational: bool | object = KEEP, beneficiary: str | None | object = KEEP,
                     shown: tuple[bool, str | None] | None = None) -> Coding:
    """Set a coding's aspirational flag and/or beneficiary (KEEP leaves one as it is). `shown`: the (aspirational,
    beneficiary) the person saw; when it is another by now, nothing is saved and they are told who changed it."""
    from coding.workspace import _coding, _own_coding  # here: workspace imports coding.undo, which imports us

    coding = _coding(session, project, coding_guid)
    segment = session.get(Segment, coding.segment_id)
    _own_coding(session, segment, coding, actor, "mark")
    if shown is not None and (coding.aspirational, coding.beneficiary) != shown:
        raise Refused(f"this coding was {changed_by(session, coding.guid, actor)}; look at it again (nothing was "
                      "saved)")
    before = {"aspirational": coding.aspirational, "beneficiary": coding.beneficiary}
    if aspirational is not KEEP:
        coding.aspirational = bool(aspirational)
    if beneficiary is not KEEP:
        coding.beneficiary = beneficiary_value(beneficiary)  # type: ignore[arg-type]
    after = {"aspirational": coding.aspirational, "beneficiary": coding.beneficiary}
    if after == before:
        return coding
    session.flush()
    key = session.scalar(select(Code.key).where(Code.id == coding.code_id))
    record_event(session, project_guid=project.guid, actor=actor, action="mark", entity="coding",
                 entity_guid=coding.guid, before=before, after={**after, "code": key, "segment": str(segment.guid)})
    return coding
