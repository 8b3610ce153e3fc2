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
from collections.abc import Callable
from datetime import date, timedelta

from sqlalchemy import Engine, delete, select

from cases.importer import (
    ImportPreview, PreparedRows, SpeakerDecision, checked_title, link_persons, new_document, prepare_rows,
    record_import, store_turn_range,
)
from cases.importer import _store_speakers as store_speakers
from cases.projects import STAGING_PREFIX, create_case, find_case, get_project
from store.db import write_session
from store.models import CaseDocument, Document, Project, utcnow

TURNS_PER_TRANSACTION = 2_000  # about 0.05 s of inserts on SQLite (turns with their sentences)
STALE_STAGING = timedelta(hours=6)


def import_in_steps(
    engine: Engine, project_ref: str, preview: ImportPreview, *, case_name: str, kind: str = "interview",
    language: str | None = None, speakers: dict[str, SpeakerDecision] | None = None, title: str | None = None,
    document_date: date | None = None, actor: str = "system", prepared: PreparedRows | None = None,
    on_step: Callable[[int, int], None] | None = None,
) -> tuple[Document, bool, int]:
    """Import `preview` into the project's case `case_name` (made when missing); returns the document, whether
    the case was new, and how many turns it has. `on_step(done, of)` is called after each batch of turns (a progress bar)."""
    speakers = preview.default_speakers() if speakers is None else speakers
    language = language or preview.language
    with write_session(engine) as session:  # everything that refuses before anything is written
        project = get_project(session, project_ref)
        project_id, project_name = project.id, project.name
        checked = checked_title(session, project, preview, kind=kind, title=title, speakers=speakers)
    prepared = prepared or prepare_rows(preview, speakers, language)
    with write_session(engine) as session:
        _remove_stale_staging(session)
        staging = Project(name=f"{STAGING_PREFIX}{uuid.uuid4()}", description=f"importing into {project_name}")
        session.add(staging)
        session.flush()
        staging_id = staging.id
        document, version = new_document(session, staging_id, preview, title=checked, kind=kind, language=language,
                                         document_date=document_date)
        document_id, version_id = document.id, version.id
        speaker_ids = store_speakers(session, None, document, prepared.turns, speakers, [], actor)
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

