"""Memos on the project, a case, a document, a code or a segment."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case as sql_case
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from coding.assignments import NOT_BLIND, BlindScope
from store.errors import Refused
from store.events import changed_by, record_event
from store.history import Undoable
from store.models import (
    MEMO_TARGETS,
    Case,
    CaseDocument,
    Code,
    Coder,
    Document,
    Event,
    Memo,
    Project,
    Segment,
    TextVersion,
    utcnow,
)
from store.snapshot import parents_present, put_back, take_out

_TARGET_TYPES = {"case": Case, "document": Document, "code": Code, "segment": Segment}


def add_memo(
    session: Session,
    project: Project,
    text: str,
    *,
    target: Case | Document | Code | Segment | None = None,
    author: Coder | None = None,
    actor: str | None = None,
    guid: uuid.UUID | None = None,
) -> Memo:
    """A memo on `target` (None = the project itself); `guid` keeps a memo's identity from a project file."""
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
    if guid is not None:
        memo.guid = guid
    session.add(memo)
    session.flush()
    record_event(session, project_guid=project.guid, actor=actor or (author.name if author else "system"),
                 action="create", entity="memo", entity_guid=memo.guid,
                 after={"target": kind, "target_guid": str(target.guid) if target is not None else str(project.guid),
                        "text": text})
    return memo


def update_memo(session: Session, project: Project, memo: Memo, text: str, *, actor: str,
                shown: str | None = None) -> Memo:
    """A memo's new text. `shown`: the text the person edited; when it is another by now, nothing is saved and
    they are told who changed it."""
    text = text.strip()
    if not text:
        raise Refused("a memo needs some text")
    session.refresh(memo, with_for_update=True)  # locked, and read afresh, for this write
    if shown is not None and memo.text != shown:
        raise Refused(f"this memo was {changed_by(session, memo.guid, actor)}; look at it again (nothing was "
                      "saved)")
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


def get_memo(session: Session, project: Project, memo_id: int) -> Memo:
    """One of the project's memos by id (a memo of another project is refused as unknown)."""
    memo = session.get(Memo, memo_id)
    if memo is None or memo.project_id != project.id:
        raise Refused(f"project '{project.name}' has no memo {memo_id}")
    return memo


def delete_memo(session: Session, project: Project, memo: Memo, *, actor: str) -> None:
    """Delete a memo; the event keeps what it said and where it was, so it can be restored."""
    if memo.project_id != project.id:
        raise Refused(f"memo {memo.guid} belongs to another project")
    before = {"target": memo.target, "case_id": memo.case_id, "document_id": memo.document_id,
              "code_id": memo.code_id, "segment_id": memo.segment_id, "author_id": memo.author_id,
              "text": memo.text, "created_at": memo.created_at.isoformat()}
    record_event(session, project_guid=project.guid, actor=actor, action="delete", entity="memo",
                 entity_guid=memo.guid, before=before)
    session.delete(memo)
    session.flush()


EXCERPT_CHARS = 160


@dataclass
class MemoView:
    """A memo as plain data with a display name for what it is on (no ORM objects, safe after the session)."""

    id: int
    guid: uuid.UUID
    target: str  # project | case | document | code | segment
    target_name: str
    text: str
    author: str | None
    created_at: datetime
    updated_at: datetime
    case_id: int | None = None
    document_id: int | None = None
    code_id: int | None = None
    segment_id: int | None = None
    cases: list[str] = field(default_factory=list)  # the case(s) the target belongs to
    document: str | None = None  # document of a document or segment memo
    code_key: str | None = None
    code_label: str | None = None
    segment_start: int | None = None
    segment_end: int | None = None
    excerpt: str | None = None  # the segment's text, cut at EXCERPT_CHARS
    segment_guid: uuid.UUID | None = None

    def as_dict(self) -> dict:
        return {"guid": str(self.guid), "target": self.target, "target_name": self.target_name,
                "cases": self.cases, "document": self.document, "code": self.code_key,
                "segment_start": self.segment_start, "segment_end": self.segment_end, "excerpt": self.excerpt,
                "author": self.author, "created_at": self.created_at.isoformat(),
                "updated_at": self.updated_at.isoformat(), "text": self.text}


def memo_views(
    session: Session,
    project: Project,
    target: str | None = None,
    case: Case | None = None,
    author: str | Coder | None = None,
    *,
    document: Document | None = None,
    language: str = "en",
    blind: BlindScope = NOT_BLIND,
) -> list[MemoView]:
    """The project's memos, oldest first, each with its target's display name; two queries.

    `case` keeps memos on that case, on its documents and on segments of its documents; `document` keeps the
    memos on that document and on its segments (what the Coding page shows beside the text); `author` is a coder
    or a coder's name.
    """
    if target is not None and target not in MEMO_TARGETS:
        raise Refused(f"unknown memo target '{target}' (use one of: {', '.join(MEMO_TARGETS)})")
    doc_id = func.coalesce(Memo.document_id, Segment.document_id)
    span = Segment.end - Segment.start
    excerpt = func.substr(TextVersion.text, Segment.start + 1,
                          sql_case((span > EXCERPT_CHARS, EXCERPT_CHARS + 1), else_=span))
    stmt = (
        select(Memo.id, Memo.guid, Memo.target, Memo.text, Memo.created_at, Memo.updated_at, Memo.case_id,
               Memo.code_id, Memo.segment_id, Coder.name, Case.name, Document.id, Document.title, Code.key,
               Code.label_en, Code.label_nl, Code.label_de, Segment.start, Segment.end, excerpt, Segment.guid)
        .outerjoin(Coder, Memo.author_id == Coder.id)
        .outerjoin(Case, Memo.case_id == Case.id)
        .outerjoin(Code, Memo.code_id == Code.id)
        .outerjoin(Segment, Memo.segment_id == Segment.id)
        .outerjoin(TextVersion, Segment.text_version_id == TextVersion.id)
        .outerjoin(Document, Document.id == doc_id)
        .where(Memo.project_id == project.id)
        .order_by(Memo.created_at, Memo.id)
    )
    if target is not None:
        stmt = stmt.where(Memo.target == target)
    if case is not None:
        stmt = stmt.where(or_(Memo.case_id == case.id,
                              doc_id.in_(select(CaseDocument.document_id).where(CaseDocument.case_id == case.id))))
    if document is not None:
        stmt = stmt.where(doc_id == document.id)
    if author is not None:
        stmt = stmt.where(Coder.id == author.id) if isinstance(author, Coder) else stmt.where(Coder.name == author)
    if blind.active:  # on a document coded blind, only the viewer's own memos (others' speak of their codings)
        stmt = stmt.where(or_(doc_id.is_(None), doc_id.not_in(sorted(blind.document_ids)),
                              Memo.author_id == blind.coder_id))
    rows = session.execute(stmt).all()
    doc_ids = {r[11] for r in rows if r[11] is not None}
    doc_cases: dict[int, list[str]] = {}
    if doc_ids:
        for d_id, name in session.execute(
            select(CaseDocument.document_id, Case.name).join(Case, Case.id == CaseDocument.case_id)
            .where(CaseDocument.document_id.in_(doc_ids))
        ):
            doc_cases.setdefault(d_id, []).append(name)
        for names in doc_cases.values():
            names.sort(key=lambda n: (n.casefold(), n))
    views = []
    for (m_id, guid, kind, text, created, updated, case_id, code_id, segment_id, author_name, case_name, d_id,
         title, code_key, label_en, label_nl, label_de, s_start, s_end, cut, s_guid) in rows:
        view = MemoView(id=m_id, guid=guid, target=kind, target_name="", text=text, author=author_name,
                        created_at=created, updated_at=updated, case_id=case_id, document_id=d_id, code_id=code_id,
                        segment_id=segment_id, document=title)
        if kind == "project":
            view.target_name = project.name
        elif kind == "case":
            view.target_name = case_name or ""
            view.cases = [case_name] if case_name else []
        elif kind == "document":
            view.target_name = title or ""
            view.cases = doc_cases.get(d_id, [])
        elif kind == "code":
            labels = {"en": label_en, "nl": label_nl, "de": label_de}
            view.code_key = code_key
            view.code_label = next((labels[lang] for lang in (language, "en", "nl") if labels.get(lang)), code_key)
            view.target_name = f"{code_key} — {view.code_label}" if view.code_label != code_key else code_key or ""
        elif kind == "segment":
            cut = cut or ""
            view.excerpt = cut if len(cut) <= EXCERPT_CHARS else cut[:EXCERPT_CHARS].rstrip() + "…"
            view.segment_start, view.segment_end, view.segment_guid = s_start, s_end, s_guid
            view.cases = doc_cases.get(d_id, [])
            view.target_name = f"{title}, {s_start}–{s_end}: “{view.excerpt}”"
        views.append(view)
    return views


# --- undo and redo on the Memos page: the person's own last change to a memo ---------------------------------

MEMO_ACTIONS = frozenset({"create", "update", "delete"})
MEMO_TARGET_COLUMNS = ("case_id", "document_id", "code_id", "segment_id")


def memo_undoable() -> Undoable:
    """Undo and redo for a person's memo changes anywhere in the project (the Memos page lists them all)."""
    return Undoable("memo", MEMO_ACTIONS, lambda session, changes: {e.id for e in changes}, _describe_memo_change,
                    _memo_undo_blocker, _memo_redo_blocker, _reverse_memo_change, _replay_memo_change)


def _memo_by_guid(session: Session, guid: uuid.UUID) -> Memo | None:
    return session.scalar(select(Memo).where(Memo.guid == guid))


def _describe_memo_change(session: Session, project: Project, change: Event) -> str:
    text = (change.after or {}).get("text") or (change.before or {}).get("text") or ""
    words = text.split()
    snippet = " ".join(words[:6]) + (" …" if len(words) > 6 else "")
    verb = {"create": "writing", "update": "editing", "delete": "deleting"}[change.action]
    return f"{verb} the memo “{snippet}”"


def _text_is(session: Session, change: Event, text: str | None) -> str | None:
    """None when the memo is there with this text (or, for text None, when it is not there); else why not."""
    memo = _memo_by_guid(session, change.entity_guid)
    if text is None:
        return "the memo exists again" if memo is not None else None
    if memo is None:
        return "the memo is gone"
    return None if memo.text == text else "the memo has been edited since"


def _targets_present(session: Session, record: dict) -> str | None:
    for column, model in zip(MEMO_TARGET_COLUMNS, (Case, Document, Code, Segment), strict=True):
        if record.get(column) is not None and session.get(model, record[column]) is None:
            return "what the memo was on is gone"
    return None


def _memo_undo_blocker(session: Session, project: Project, change: Event) -> str | None:
    before, after = change.before or {}, change.after or {}
    if change.action == "delete":
        return _text_is(session, change, None) or _targets_present(session, before)
    return _text_is(session, change, after.get("text"))


def _memo_redo_blocker(session: Session, project: Project, change: Event, undo_event: Event) -> str | None:
    before = change.before or {}
    if change.action == "create":
        removed = undo_event.before or {}
        if _text_is(session, change, None):
            return "the memo exists again"
        return None if removed and parents_present(session, removed) else "what the memo was on is gone"
    return _text_is(session, change, before.get("text"))


def _reverse_memo_change(session: Session, project: Project, change: Event) -> dict | None:
    memo = _memo_by_guid(session, change.entity_guid)
    if change.action == "create":
        return take_out(session, "memo", memo.id)
    if change.action == "update":
        memo.text, memo.updated_at = (change.before or {})["text"], utcnow()
    else:
        before = change.before or {}
        restored = Memo(project_id=project.id, target=before["target"], author_id=before.get("author_id"),
                        text=before["text"], **{c: before.get(c) for c in MEMO_TARGET_COLUMNS})
        restored.guid = change.entity_guid
        if before.get("created_at"):
            restored.created_at = datetime.fromisoformat(before["created_at"])
        session.add(restored)
    return None


def _replay_memo_change(session: Session, project: Project, change: Event, undo_event: Event) -> None:
    memo = _memo_by_guid(session, change.entity_guid)
    if change.action == "create":
        put_back(session, undo_event.before or {})
    elif change.action == "update":
        memo.text, memo.updated_at = (change.after or {})["text"], utcnow()
    else:
        session.delete(memo)
