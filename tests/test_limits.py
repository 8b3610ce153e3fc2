"""The same limits on both databases, said in one line before anything is written; the database's own refusals
(a busy SQLite, a unique name taken a moment earlier) come back as one line too, never a traceback.

Each refused write leaves every table as it was.
"""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import func, select

from cases.attributes import set_attribute
from cases.staged_import import import_files
from cases.projects import create_case, create_project
from codebooks.service import add_code, adopt_codebook
from store import db as store_db
from store.db import get_engine, read_session, write_session
from store.errors import Refused
from store.migrate import upgrade
from store.models import Base, Project

TEXT = b"I: Wat bracht het?\nR: Veel.\n"


def _counts(engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        return {t.name: s.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}


@pytest.fixture
def project(engine):  # type: ignore[no-untyped-def]
    with write_session(engine) as s:
        adopt_codebook(s, create_project(s, "Grenzen"), "value-creation")
        create_case(s, s.scalar(select(Project)), "Oost")
    return "Grenzen"


def test_an_over_long_code_key_is_refused_on_every_database(engine, project) -> None:  # type: ignore[no-untyped-def]
    before = _counts(engine)
    with pytest.raises(Refused) as refused, write_session(engine) as s:
        add_code(s, s.scalar(select(Project)), "vc", "vc." + "x" * 4998, "Te lang", parent_key="vc.applied")
    assert str(refused.value) == "a code key is at most 200 characters; this one has 5,001"
    assert _counts(engine) == before


def test_an_over_long_attribute_name_is_refused(engine, project) -> None:  # type: ignore[no-untyped-def]
    before = _counts(engine)
    with pytest.raises(Refused, match=r"^an attribute definition name is at most 200 characters; this one has "
                                      r"100,000$"), write_session(engine) as s:
        p = s.scalar(select(Project))
        from cases.projects import get_case

        set_attribute(s, p, get_case(s, p, "Oost"), "n" * 100_000, "1", type_="text")
    assert _counts(engine) == before


def test_a_nul_in_a_file_name_refuses_that_file_and_the_batch_goes_on(engine, project) -> None:  # type: ignore[no-untyped-def]
    outcomes = import_files(engine, project, [("bad\x00name.txt", TEXT), ("goed.txt", TEXT)], case_name="Oost")
    assert [o.error for o in outcomes] == [
        "bad?name.txt: the file name holds a control character (shown as ?); rename the file", None]
    assert outcomes[1].document_title == "goed"


def test_a_name_taken_a_moment_earlier_is_explained(engine, project) -> None:  # type: ignore[no-untyped-def]
    before = _counts(engine)
    with pytest.raises(Refused) as refused, write_session(engine) as s:
        s.add(Project(name="Grenzen"))  # as a racing writer would: past the name check, into the unique index
    # In words on both databases, not the driver's "UNIQUE constraint failed" or "DETAIL: Key (name)=…".
    assert str(refused.value) == ("someone changed the same thing a moment ago: there is already another project "
                                  "with this name; nothing was written — look again and retry")
    assert _counts(engine) == before


def test_a_write_waiting_on_a_long_one_is_explained(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(store_db, "SQLITE_BUSY_TIMEOUT_MS", 300)  # CI need not wait 15 s for the same answer
    path = tmp_path / "busy.sqlite"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = get_engine(url)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another coder's long write holds the lock
    try:
        with pytest.raises(Refused, match="^the database is busy with another change that is taking long; "
                                          "nothing was written"), write_session(engine) as s:
            create_project(s, "Wachten")
    finally:
        other.execute("ROLLBACK")
        other.close()
    with write_session(engine) as s:  # once the other write ends, it goes through
        create_project(s, "Wachten")
    engine.dispose()


def test_apply_waiting_on_a_long_write_is_explained(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The Coding page's Apply writes on the driver connection (coding.codings.code_span); a busy database is
    explained there too, not raised as the driver's error (the soak benchmark met one under load)."""
    from cases.importer import preview_import, store_import
    from cases.projects import create_case, get_or_create_coder
    from codebooks.service import adopt_codebook
    from coding.codings import code_span

    monkeypatch.setattr(store_db, "SQLITE_BUSY_TIMEOUT_MS", 300)
    path = tmp_path / "busy.sqlite"
    url = f"sqlite:///{path}"
    engine = upgrade(url)
    with write_session(engine) as s:
        project = create_project(s, "Wachten")
        adopt_codebook(s, project, "value-creation")
        document = store_import(s, project, preview_import("w.txt", b"R: Wij werkten samen.\n"),
                                cases=[create_case(s, project, "Oost")])
        get_or_create_coder(s, project, "Sanne")
        ids = (project.guid, document.guid)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another coder's long write holds the lock
    try:
        with pytest.raises(Refused, match="^the database is busy with another change that is taking long; "
                                          "nothing was written"):
            code_span(engine, *ids, "Sanne", 3, 9, ["vc.applied"])
    finally:
        other.execute("ROLLBACK")
        other.close()
    code_span(engine, *ids, "Sanne", 3, 9, ["vc.applied"])  # once the other write ends, it goes through
    engine.dispose()


def test_a_nul_in_typed_text_is_refused_the_same_way_on_both_databases(engine, project) -> None:  # type: ignore[no-untyped-def]
    from coding.memos import add_memo

    before = _counts(engine)
    with pytest.raises(Refused, match="^a memo text cannot hold a NUL character$"), write_session(engine) as s:
        add_memo(s, s.scalar(select(Project)), "voor\x00na", actor="Sanne")
    assert _counts(engine) == before


def test_the_app_retries_a_write_the_busy_database_refused(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """ui.state.retry_when_busy: a busy database is tried again (whole: nothing is written twice), and only when
    it stays busy is the person told, in one line."""
    from ui.state import BUSY_RETRIES, retry_when_busy

    monkeypatch.setattr(store_db, "SQLITE_BUSY_TIMEOUT_MS", 300)
    path = tmp_path / "busy.sqlite"
    url = f"sqlite:///{path}"
    engine = upgrade(url)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another coder's long write holds the lock
    attempts, release_after = [], [2]

    def write() -> str:
        attempts.append(len(attempts) + 1)
        try:
            with write_session(engine) as s:
                return create_project(s, "Wachten").name
        finally:
            if len(attempts) in release_after:
                other.execute("ROLLBACK")  # the long change ends after the second attempt was turned away

    assert retry_when_busy(write) == "Wachten"
    assert attempts == [1, 2, 3]  # two busy, the third went through
    assert _counts(engine)["project"] == 1

    other.execute("BEGIN IMMEDIATE")  # and now it stays busy
    attempts.clear()
    release_after.clear()
    try:
        with pytest.raises(Refused, match="^the database is busy with another change that is taking long"):
            retry_when_busy(write)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert len(attempts) == BUSY_RETRIES + 1
    engine.dispose()
