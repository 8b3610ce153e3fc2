"""An import in short transactions (cases.staged_import), on both databases: the same rows as one transaction,
nothing of it in the project before its last step, and nothing left behind when that step refuses."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

import cases.staged_import as staged
from cases.documents import list_documents
from cases.importer import ImportRefused, preview_import, store_import
from cases.projects import STAGING_PREFIX, create_case, create_project, get_project, list_cases, list_projects
from cases.staged_import import import_in_steps
from store.db import get_engine, read_session, write_session
from store.models import Event, Project, Sentence, Turn

TEXT = "".join(f"I: Vraag {k}? Nog een zin.\nR: Antwoord {k}. We leerden veel. Echt waar.\n" for k in range(12))


def rows(url: str, title: str) -> tuple[list, list]:
    with read_session(get_engine(url)) as s:
        project = get_project(s, "Stappen")
        document = next(d for d in list_documents(s, project) if d.title == title)
        version = document.current_version
        from store.models import TextVersion
        version_id = s.scalar(select(TextVersion.id).where(TextVersion.document_id == document.id,
                                                           TextVersion.version == version))
        turns = s.execute(select(Turn.ordinal, Turn.start, Turn.end, Turn.content_start, Turn.language)
                          .where(Turn.text_version_id == version_id).order_by(Turn.ordinal)).all()
        sentences = s.execute(select(Sentence.ordinal, Sentence.start, Sentence.end, Turn.ordinal)
                              .join(Turn, Sentence.turn_id == Turn.id)
                              .where(Sentence.text_version_id == version_id).order_by(Sentence.ordinal)).all()
    return [tuple(r) for r in turns], [tuple(r) for r in sentences]


@pytest.fixture
def study(db_url):  # type: ignore[no-untyped-def]
    with write_session(get_engine(db_url)) as s:
        project = create_project(s, "Stappen")
        create_case(s, project, "Oost")
    return db_url


def test_short_transactions_store_the_same_rows_as_one(study, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(staged, "TURNS_PER_TRANSACTION", 5)  # 24 turns: five transactions of rows
    engine = get_engine(study)
    with write_session(engine) as s:  # the same text in one transaction, for comparison
        project = get_project(s, "Stappen")
        store_import(s, project, preview_import("een.txt", TEXT.encode(), language="nl"),
                     cases=[create_case(s, project, "West")], title="In één keer")
    steps = []
    document, created, turns = import_in_steps(
        engine, "Stappen", preview_import("stap.txt", (TEXT + "\n").encode(), language="nl"), case_name="Noord",
        title="In stappen", actor="Sanne", on_step=lambda done, of: steps.append((done, of)))
    assert (created, turns, steps) == (True, 24, [(5, 24), (10, 24), (15, 24), (20, 24), (24, 24)])
    assert rows(study, "In stappen") == rows(study, "In één keer")
    with read_session(engine) as s:
        assert [p.name for p in list_projects(s)] == ["Stappen"]
        assert s.scalar(select(func.count()).select_from(Project)) == 1  # the staging project is gone
        imports = s.scalars(select(Event).where(Event.action == "import")).all()
        assert [(e.actor, e.after["title"], e.after["turns"]) for e in imports][-1] == ("Sanne", "In stappen", 24)
        assert "Noord" in [c.name for c in list_cases(s, get_project(s, "Stappen"))]


def test_nothing_is_in_the_project_before_the_last_step(study, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(staged, "TURNS_PER_TRANSACTION", 5)
    engine, seen = get_engine(study), []

    def look(done: int, of: int) -> None:
        with read_session(engine) as s:
            seen.append(([d.title for d in list_documents(s, get_project(s, "Stappen"))],
                         [p.name for p in list_projects(s)]))

    import_in_steps(engine, "Stappen", preview_import("stap.txt", TEXT.encode(), language="nl"), case_name="Oost",
                    on_step=look)
    assert seen == [([], ["Stappen"])] * 5


def test_a_last_step_that_refuses_leaves_nothing_behind(study, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(staged, "TURNS_PER_TRANSACTION", 5)
    engine = get_engine(study)

    def someone_else_imports_it(done: int, of: int) -> None:
        if done == 5:
            with write_session(engine) as s:
                project = get_project(s, "Stappen")
                store_import(s, project, preview_import("stap.txt", TEXT.encode(), language="nl"),
                             cases=list_cases(s, project), title="Van Tom")

    with pytest.raises(ImportRefused, match="already imported into project 'Stappen' as document 'Van Tom'"):
        import_in_steps(engine, "Stappen", preview_import("stap.txt", TEXT.encode(), language="nl"),
                        case_name="Oost", on_step=someone_else_imports_it)
    with read_session(engine) as s:
        assert [d.title for d in list_documents(s, get_project(s, "Stappen"))] == ["Van Tom"]
        assert s.scalar(select(func.count()).select_from(Project)) == 1
        assert s.scalar(select(func.count()).select_from(Turn)) == 24  # Tom's, and none of the refused import's


def test_an_interrupted_imports_staging_project_is_removed_by_the_next(study) -> None:  # type: ignore[no-untyped-def]
    engine = get_engine(study)
    with write_session(engine) as s:
        s.add(Project(name=f"{STAGING_PREFIX}verlaten", created_at=datetime.now(timezone.utc) - timedelta(days=1)))
        s.add(Project(name=f"{STAGING_PREFIX}bezig"))  # another import, running now: left alone
    import_in_steps(engine, "Stappen", preview_import("stap.txt", TEXT.encode(), language="nl"), case_name="Oost")
    with read_session(engine) as s:
        assert sorted(s.scalars(select(Project.name))) == ["Stappen", f"{STAGING_PREFIX}bezig"]
    with pytest.raises(Exception, match="cannot start with"), write_session(engine) as s:
        create_project(s, f"{STAGING_PREFIX}mijn project")
