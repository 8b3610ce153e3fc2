"""Really removing personal data (issue 14), on both databases: after pseudonymising and purging a project, the
whole database (the SQLite file with its WAL, or a pg_dump of the PostgreSQL database) and every export hold none
of the removed names; what is refused and why."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from test_pseudonymise import P, build  # noqa: E402

import cli  # noqa: E402
from cases.attributes import set_attribute  # noqa: E402
from cases.projects import get_case, get_document, get_or_create_coder, get_project  # noqa: E402
from cases.purge import clear_free_pages, purge_originals  # noqa: E402
from coding.memos import add_memo  # noqa: E402
from coding.pseudonymise import pseudonymise_document  # noqa: E402
from coding.text_edits import edit_turn  # noqa: E402
from exports.case_report import build_case_report  # noqa: E402
from exports.cross_case_report import build_cross_case_report  # noqa: E402
from store.db import read_session, write_session  # noqa: E402
from store.errors import Refused  # noqa: E402
from store.models import TextVersion  # noqa: E402

NAMES = ("Vries", "Hoekstra", "Bakkerij Smit", "Straßmann", "Strassmann", "Günter")


def study(engine) -> None:  # type: ignore[no-untyped-def]
    """The pseudonymisation study, with the names also in a memo, an attribute and the document's title."""
    build(engine)
    with write_session(engine) as s:
        project = get_project(s, P)
        case = get_case(s, project, "Oost")
        anna, _ = get_or_create_coder(s, project, "Anna")
        add_memo(s, project, "Jan de Vries klonk enthousiast over Bakkerij Smit.", target=case, author=anna,
                 actor="Anna")
        set_attribute(s, project, case, "contact", "Hoekstra", actor="Anna")
        from cases.renames import rename_document

        rename_document(s, project, get_document(s, project, "gesprek"), "gesprek Hoekstra", actor="Anna")
    with write_session(engine) as s:
        pseudonymise_document(s, get_project(s, P), "gesprek Hoekstra", actor="Olga")


def whole_database(url: str, tmp_path: Path) -> bytes:
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    from test_backup_restore import libpq

    dump = tmp_path / "all.sql"
    subprocess.run(["pg_dump", "-f", str(dump), libpq(url)], check=True, timeout=300)
    return dump.read_bytes()


def docx_text(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return b"".join(z.read(name) for name in z.namelist())


def test_after_the_purge_no_name_is_left_anywhere(engine, db_url, tmp_path):
    study(engine)
    before = whole_database(db_url, tmp_path)
    assert all(name.encode() in before for name in ("Vries", "Hoekstra", "Bakkerij Smit"))  # the test can fail
    with write_session(engine) as s, pytest.raises(Refused, match="type its name"):
        purge_originals(s, get_project(s, P), confirm="pseudo", actor="Olga")
    with write_session(engine) as s:
        purged = purge_originals(s, get_project(s, P), confirm=P, actor="Olga")
    clear_free_pages(engine)
    assert (purged.documents, purged.versions, purged.list_entries) == (1, 1, 3)
    after = whole_database(db_url, tmp_path)
    assert [name for name in NAMES if name.encode() in after] == []
    with read_session(engine) as s:
        project = get_project(s, P)
        case = get_case(s, project, "Oost")
        exports = docx_text(build_case_report(s, project, case)) + docx_text(build_cross_case_report(s, project))
        assert s.scalar(select(func.count()).select_from(TextVersion)) == 1
        document = get_document(s, project, "gesprek R1")
        assert document.original_bytes.decode() == s.scalar(select(TextVersion.text))
    assert [name for name in NAMES if name.encode() in exports] == []


def test_the_purge_waits_for_segments_in_review(engine):
    study(engine)
    with write_session(engine) as s:  # Anna's whole coded text goes in an edit: her segment waits for review
        edit_turn(s, get_project(s, P), "gesprek R1", 2, "R1: Geen commentaar.", actor="Olga", confirm_others=True)
    with write_session(engine) as s, pytest.raises(Refused, match="segments wait for review"):
        purge_originals(s, get_project(s, P), confirm=P, actor="Olga")


def test_purging_one_document_on_the_command_line(capsys, db_url, engine):
    study(engine)
    capsys.readouterr()
    assert cli.main(["--db", db_url, "--as", "Olga", "purge-originals", "--project", P, "--document",
                     "gesprek R1", "--confirm", P]) == 0
    assert "purged 1 document(s): 1 earlier text version(s)" in capsys.readouterr().out
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(TextVersion)) == 1


def test_an_owner_purges_from_the_documents_page(monkeypatch, sqlite_url, tmp_path):
    from apptest_support import shown
    from study_support import open_page

    from store.db import get_engine

    study(get_engine(sqlite_url))
    at, _ = open_page(monkeypatch, sqlite_url, P, "pages/documents.py", coder="Olga")
    at.text_input(key="purge_confirm").input("Pseudo?").run()
    at.button(key="purge_go").click().run()
    assert shown(at.error) == ["to purge the originals of project 'Pseudo' for good, type its name"]
    at.text_input(key="purge_confirm").input(P).run()
    at.button(key="purge_go").click().run()
    assert not at.exception, at.exception
    assert shown(at.success)[0].startswith("Purged 1 document(s): 1 earlier text version(s)")
    assert [name for name in NAMES if name.encode() in whole_database(sqlite_url, tmp_path)] == []


def test_undoing_a_pseudonymisation_brings_the_title_back_until_the_purge(engine):
    from coding.text_edits import undo_edit

    study(engine)
    with write_session(engine) as s:
        undo_edit(s, get_project(s, P), "gesprek R1", actor="Olga")
    with read_session(engine) as s:
        assert get_document(s, get_project(s, P), "gesprek Hoekstra").title == "gesprek Hoekstra"


def test_the_purge_waits_for_an_empty_bin_and_an_edit_cannot_be_undone_after_it(engine):
    from cases.bin import delete_to_bin, empty_bin
    from cases.projects import create_person
    from coding.text_edits import undo_edit

    study(engine)
    with write_session(engine) as s:
        project = get_project(s, P)
        create_person(s, project, "Piet Weg")
    with write_session(engine) as s:
        delete_to_bin(s, get_project(s, P), "person", "Piet Weg", actor="Olga")
    with write_session(engine) as s, pytest.raises(Refused, match="empty the bin first"):
        purge_originals(s, get_project(s, P), confirm=P, actor="Olga")
    with write_session(engine) as s:
        empty_bin(s, get_project(s, P), confirm=P, actor="Olga")
    with write_session(engine) as s:
        purge_originals(s, get_project(s, P), confirm=P, actor="Olga")
    with write_session(engine) as s, pytest.raises(Refused, match="was purged; the edit can no longer be undone"):
        undo_edit(s, get_project(s, P), "gesprek R1", actor="Olga")


def test_two_speakers_one_pseudonym_is_refused(engine):
    from cases.projects import create_person
    from coding.pseudonymise import pseudonymise_document
    from focusgroups.anonymise import add_mask_term

    build(engine)
    with write_session(engine) as s:
        project = get_project(s, P)
        add_mask_term(s, project, "I", "person", "R1")  # the interviewer would become R1, like Hoekstra
        create_person(s, project, "Nobody Else")
    with write_session(engine) as s, pytest.raises(Refused, match="several speakers would be called R1"):
        pseudonymise_document(s, get_project(s, P), "gesprek", actor="Olga")
