"""Memos on the project, a case, a document, a code or a segment."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.errors import Refused
from store.events import record_event
from store.models import MEMO_TARGETS, Case, Code, Coder, Document, Memo, Project, Segment, utcnow

_TARGET_TYPES = {"case": Case, "document": Document, "code": Code, "segment": Segment}


def add_memo(
    session: Session,
    project: Project,
    text: str,
    *,
    target: Case | Document | Code | Segment | None = None,
    author: Coder | None = None,
    actor: str | None = None,
) -> Memo:
    """A memo on `target` (None = the project itself)."""
    text = text.strip()
    if not text:
        raise Refused("a memo needs some text")
    kind = "project"
    links: dict[str, int] = {}
    if target is not None:
        kind = next((k for k, t in _TARGET_TYPES.items() if isinstance(target, t)), "")
        if kind not in MEMO_TARGETS:
            raise Refused(f"memos cannot be attached to {type(target).__name__}")
        links[f"{kind}_id"] = target.id
    memo = Memo(project_id=project.id, target=kind, author_id=author.id if author else None, text=text, **links)
    session.add(memo)
    session.flush()
    record_event(session, project_guid=project.guid, actor=actor or (author.name if author else "system"),
                 action="create", entity="memo", entity_guid=memo.guid,
                 after={"target": kind, "target_guid": str(target.guid) if target is not None else str(project.guid),
                        "text": text})
    return memo


def update_memo(session: Session, project: Project, memo: Memo, text: str, *, actor: str) -> Memo:
    text = text.strip()
    if not text:
        raise Refused("a memo needs some text")
    before = {"text": memo.text}
    memo.text = text
    memo.updated_at = utcnow()
    session.flush()
    record_event(session, project_guid=project.guid, actor=actor, action="update", entity="memo",
                 entity_guid=memo.guid, before=before, after={"text": text})
    return memo


def list_memos(session: Session, project: Project, target: str | None = None) -> list[Memo]:
    stmt = select(Memo).where(Memo.project_id == project.id)
    if target:
        stmt = stmt.where(Memo.target == target)
    return sorted(session.scalars(stmt), key=lambda m: (m.created_at, m.id))
