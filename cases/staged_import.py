"""Importing a transcript in short transactions, so that nobody else's change waits on it.

SQLite lets one writer in at a time: a 20 MB transcript's rows written in one transaction kept every coder's
Apply waiting for seconds (bench/import_lock_bench.py). Here the document is built in a staging project that no
page, list or member sees, its turns and sentences a few thousand at a time, each batch its own short transaction;
one last short transaction checks it again and moves it into the project with its cases, persons and event. Until
then nothing of it is in the project; if anything fails, the staging project goes with everything in it, so a
refused import still leaves nothing behind. A staging project left by a crash is removed by the next import.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import Engine, delete, select

from cases.importer import (
    ROLES,
    ImportPreview,
    ImportRefused,
    SpeakerDecision,
    checked_title,
    link_persons,
    new_document,
    prepare_rows,
    preview_import,
    record_import,
    store_speakers,
    store_turn_range,
)
from cases.projects import STAGING_PREFIX, create_case, find_case, get_project
from cases.readers import DEFAULT_MAX_IMPORT_BYTES
from store.db import read_session, write_session
from store.errors import Refused
from store.models import CaseDocument, Document, Project, utcnow

TURNS_PER_TRANSACTION = 2_000  # about 0.05 s of inserts on SQLite (turns with their sentences)
STALE_STAGING = timedelta(hours=6)


def import_in_steps(
    engine: Engine, project_ref: str, preview: ImportPreview, *, case_name: str, kind: str = "interview",
    language: str | None = None, speakers: dict[str, SpeakerDecision] | None = None, title: str | None = None,
    document_date: date | None = None, actor: str = "system", on_step: Callable[[int, int], None] | None = None,
) -> tuple[Document, bool, int]:
    """Import `preview` into the project's case `case_name` (made when missing); returns the document, whether
    the case was new, and how many turns it has. `on_step(done, of)` is called after each batch of turns (a progress bar)."""
    speakers = preview.default_speakers() if speakers is None else speakers
    language = language or preview.language
    with read_session(engine) as session:  # everything that refuses before anything is written
        project = get_project(session, project_ref)
        project_id, project_name = project.id, project.name
        checked = checked_title(session, project, preview, kind=kind, title=title, speakers=speakers)
    prepared = prepare_rows(preview, speakers, language)
    with write_session(engine) as session:
        _remove_stale_staging(session)
        staging = Project(name=f"{STAGING_PREFIX}{uuid.uuid4()}", description=f"importing into {project_name}")
        session.add(staging)
        session.flush()
        staging_id = staging.id
        document, version = new_document(session, staging_id, preview, title=checked, kind=kind, language=language,
                                         document_date=document_date)
        document_id, version_id = document.id, version.id
        speaker_ids = store_speakers(session, document, prepared.turns, speakers)
    try:
        sentences, total = 0, len(prepared.turns)
        for first in range(0, total, TURNS_PER_TRANSACTION):
            with write_session(engine) as session:
                sentences += store_turn_range(session, version_id, prepared, speaker_ids, first,
                                              first + TURNS_PER_TRANSACTION)
            if on_step:
                on_step(min(total, first + TURNS_PER_TRANSACTION), total)
        with write_session(engine) as session:  # checked again: someone may have imported it a moment ago
            project = get_project(session, project_ref)
            checked_title(session, project, preview, kind=kind, title=checked, speakers=speakers)
            document = session.get_one(Document, document_id)
            document.project_id = project_id
            case = find_case(session, project, case_name)
            created = case is None
            if case is None:
                case = create_case(session, project, case_name, actor=actor)
            session.add(CaseDocument(case_id=case.id, document_id=document_id))
            link_persons(session, project, document, speakers, [case], actor)
            record_import(session, project, document, preview, [case], actor, total, sentences)
            session.flush()
            session.execute(delete(Project).where(Project.id == staging_id))
        return document, created, total
    except BaseException:
        with write_session(engine) as session:  # nothing of a refused import stays behind
            session.execute(delete(Project).where(Project.id == staging_id))
        raise


def _remove_stale_staging(session) -> None:  # type: ignore[no-untyped-def]
    """Staging projects an interrupted import left (a crash, a killed server)."""
    stale = select(Project.id).where(Project.name.startswith(STAGING_PREFIX),
                                     Project.created_at < utcnow() - STALE_STAGING)
    session.execute(delete(Project).where(Project.id.in_(stale)))


# --- batches (CLI and the Documents page) ---------------------------------------------------------

@dataclass
class ImportOutcome:
    filename: str
    document_title: str | None = None
    error: str | None = None
    turns: int = 0
    warnings: list[str] = field(default_factory=list)  # damage warnings with their places
    notices: list[str] = field(default_factory=list)


def import_files(
    engine: Engine,
    project_ref: str,
    files: Iterable[tuple[str, bytes]],
    *,
    case_name: str,
    kind: str | None = None,
    language: str | None = None,
    role_map: dict[str, str] | None = None,
    actor: str = "system",
    max_bytes: int = DEFAULT_MAX_IMPORT_BYTES,
    document_date: date | None = None,
    on_progress: Callable[[int, ImportOutcome], None] | None = None,
    on_case_created: Callable[[str], None] | None = None,
) -> list[ImportOutcome]:
    """Import files one at a time, each in short transactions; a refused file is reported and changes nothing.
    Without a `kind`, a PDF is a "document" and anything else an "interview"."""
    outcomes: list[ImportOutcome] = []
    for index, (filename, data) in enumerate(files, start=1):
        outcome = ImportOutcome(filename=filename)
        try:
            preview = preview_import(filename, data, language=language, max_bytes=max_bytes)
            speakers = preview.default_speakers()
            if role_map:
                unknown_roles = {label: role for label, role in role_map.items() if role not in ROLES}
                if unknown_roles:
                    raise Refused(f"unknown role(s) in role map: {unknown_roles} (use one of: {', '.join(ROLES)})")
                for label, role in role_map.items():
                    speakers[label] = SpeakerDecision(role=role)
            document, created_case, outcome.turns = import_in_steps(
                engine, project_ref, preview, case_name=case_name, kind=kind or default_kind(preview),
                language=language, speakers=speakers, document_date=document_date, actor=actor)
            outcome.document_title = document.title
            outcome.warnings = [f"{w.kind} at {w.start}: {w.message} [{w.excerpt}]" for w in preview.warnings]
            outcome.notices = list(preview.source.notices)
            if created_case and on_case_created:
                on_case_created(case_name)
        except (ImportRefused, Refused) as exc:
            outcome.error = str(exc) if isinstance(exc, ImportRefused) else f"{filename}: {exc}"
        outcomes.append(outcome)
        if on_progress:
            on_progress(index, outcome)
    return outcomes


def default_kind(preview: ImportPreview) -> str:
    """A PDF is a document (a plan, a report); a transcript an interview, unless the researcher says otherwise."""
    return "document" if preview.source.format == "pdf" else "interview"
