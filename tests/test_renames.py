"""Correcting names and moving a document, on both databases, from the library, the command line and the app."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

import cli
from analysis.matrix import MatrixSpec, build_matrix
from apptest_support import make_app
from cases.attributes import list_definitions, set_attribute
from cases.documents import document_case_names
from cases.importer import SpeakerDecision, preview_import, store_import
from cases.projects import (
    create_case, create_person, create_project, get_case, get_document, get_or_create_coder, get_project,
    list_projects,
)
from cases.renames import (
    move_document, rename_attribute, rename_case, rename_document, rename_person, rename_project,
)
from codebooks.service import adopt_codebook
from coding.codings import apply_coding
from focusgroups.sessions import create_session, get_session, rename_session
from store.db import get_engine, read_session, write_session
from store.errors import Refused
from store.models import Event

TEXT = "I: Wat bracht het?\nR: Een nieuw contact in Duitsland.\n"


def _study(engine):  # type: ignore[no-untyped-def]
    with write_session(engine) as s:
        project = create_project(s, "Grensregio")
        create_project(s, "Andere studie")
        adopt_codebook(s, project, "value-creation")
        oost, west = create_case(s, project, "Netwerk Oost"), create_case(s, project, "Netwerk West")
        document = store_import(s, project, preview_import("interview 1.txt", TEXT.encode()), cases=[oost],
                                speakers={"I": SpeakerDecision("interviewer"), "R": SpeakerDecision("respondent")})
        store_import(s, project, preview_import("interview 2.txt", TEXT.encode() + b"R: Meer.\n"), cases=[west],
                     speakers={"I": SpeakerDecision("interviewer"), "R": SpeakerDecision("respondent")})
        create_person(s, project, "Anja de Vries", pseudonym="R1", case=oost)
        create_person(s, project, "Bert Jansen", pseudonym="R2", case=west)
        set_attribute(s, project, oost, "land", "NL")
        create_session(s, project, "FG1", date(2026, 11, 20))
        create_session(s, project, "FG2", date(2026, 12, 1))
        coder, _ = get_or_create_coder(s, project, "Sanne")
        apply_coding(s, project, document, coder, TEXT.index("Een"), TEXT.index("Een") + 13, ["vc.potential.social"],
                     actor="Sanne")
    return project


def _renames(engine) -> list[tuple]:  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        return [(e.entity, e.before, e.after) for e in s.scalars(select(Event).where(Event.action == "rename")
                                                                   .order_by(Event.id))]


def test_renames_keep_names_unique_log_once_and_follow_into_the_matrix(engine) -> None:  # type: ignore[no-untyped-def]
    project = _study(engine)
    with write_session(engine) as s:
        project = get_project(s, "Grensregio")
        assert rename_case(s, project, get_case(s, project, "Netwerk Oost"), "  Netwerk   Noord ", actor="Sanne")
        assert not rename_case(s, project, get_case(s, project, "Netwerk Noord"), "Netwerk Noord", actor="Sanne")
        document = get_case(s, project, "Netwerk Noord").documents[0]
        assert rename_document(s, project, document, "interview Anja", actor="Sanne")
    refusals = {
        "a project named 'Andere studie' already exists": lambda s, p: rename_project(s, p, "Andere studie",
                                                                                        actor="x"),
        "already has a case named 'Netwerk West'": lambda s, p: rename_case(s, p, get_case(s, p, "Netwerk Noord"),
                                                                            "Netwerk West", actor="x"),
        "already has a document titled 'interview 2'": lambda s, p: rename_document(
            s, p, get_case(s, p, "Netwerk Noord").documents[0], "interview 2", actor="x"),
        "already has a person named 'Bert Jansen'": lambda s, p: rename_person(
            s, p, _person(s, p, "Anja de Vries"), name="Bert Jansen", actor="x"),
        "the pseudonym 'r2' already stands for Bert Jansen": lambda s, p: rename_person(
            s, p, _person(s, p, "Anja de Vries"), pseudonym="r2", actor="x"),
        "case name is empty": lambda s, p: rename_case(s, p, get_case(s, p, "Netwerk Noord"), "   ", actor="x"),
        "no case attribute 'sector'": lambda s, p: rename_attribute(s, p, "case", "sector", "branche", actor="x"),
        "already has a focus-group session 'FG2'": lambda s, p: rename_session(s, p, get_session(s, p, "FG1"),
                                                                               "FG2", actor="x"),
    }
    before = _renames(engine)
    for message, attempt in refusals.items():
        with pytest.raises(Refused, match=message), write_session(engine) as s:
            attempt(s, get_project(s, "Grensregio"))
    assert _renames(engine) == before
    with write_session(engine) as s:
        project = get_project(s, "Grensregio")
        assert rename_person(s, project, _person(s, project, "Anja de Vries"), name="Anja Vos", pseudonym="R3",
                             actor="Sanne")
        assert rename_attribute(s, project, "case", "land", "country", actor="Sanne")
        assert rename_session(s, project, get_session(s, project, "FG1"), "Focusgroep 1", actor="Sanne")
        assert rename_project(s, project, "Grensregio NL-DE", actor="Sanne")
    assert _renames(engine) == [
        ("case", {"name": "Netwerk Oost"}, {"name": "Netwerk Noord"}),
        ("document", {"title": "interview 1"}, {"title": "interview Anja"}),
        ("person", {"name": "Anja de Vries", "pseudonym": "R1"}, {"name": "Anja Vos", "pseudonym": "R3"}),
        ("attribute_definition", {"name": "land", "target": "case"}, {"name": "country", "target": "case"}),
        ("focus_group_session", {"name": "FG1"}, {"name": "Focusgroep 1"}),
        ("project", {"name": "Grensregio"}, {"name": "Grensregio NL-DE"}),
    ]
    with read_session(engine) as s:
        project = get_project(s, "Grensregio NL-DE")
        matrix = build_matrix(s, project, MatrixSpec(rows="attribute:country", codebook="value-creation", depth=1))
        assert [r.label for r in matrix.rows] == ["NL", "(no value)"]
        cases = build_matrix(s, project, MatrixSpec(rows="cases", codebook="value-creation", depth=1))
        assert [r.label for r in cases.rows] == ["Netwerk Noord", "Netwerk West"]
        assert [d.name for d in list_definitions(s, project)] == ["country"]


def _person(s, project, name: str):  # type: ignore[no-untyped-def]
    from cases.projects import get_person

    return get_person(s, project, name)


def test_moving_a_document_logs_each_link_and_unlink(engine) -> None:  # type: ignore[no-untyped-def]
    _study(engine)
    with write_session(engine) as s:
        project = get_project(s, "Grensregio")
        document = get_case(s, project, "Netwerk Oost").documents[0]
        assert move_document(s, project, document, get_case(s, project, "Netwerk West"), add=True, actor="S") == []
        assert move_document(s, project, document, get_case(s, project, "Netwerk West"), actor="S") == ["Netwerk Oost"]
        names = document_case_names(s, project)[document.id]
        events = [(e.action, e.entity) for e in s.scalars(select(Event).where(Event.entity_guid == document.guid)
                                                          .order_by(Event.id))][-2:]
    assert names == ["Netwerk West"]
    assert events == [("link", "document"), ("unlink", "document")]


def test_corrections_on_the_command_line(capsys, db_url, engine) -> None:  # type: ignore[no-untyped-def]
    _study(engine)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = cli.main(["--db", db_url, *args])
        out, err = capsys.readouterr()
        return code, out.strip(), err.strip()

    assert run("case-rename", "--project", "Grensregio", "Netwerk Oost", "Netwerk Noord") == \
        (0, "case 'Netwerk Oost' is now 'Netwerk Noord'", "")
    assert run("case-rename", "--project", "Grensregio", "Netwerk Noord", "Netwerk West") == \
        (1, "", "error: project 'Grensregio' already has a case named 'Netwerk West'")
    assert run("document-rename", "--project", "Grensregio", "interview 1", "interview Anja")[0] == 0
    assert run("document-move", "--project", "Grensregio", "interview Anja", "--case", "Netwerk West") == \
        (0, "'interview Anja' is in case 'Netwerk West', no longer in Netwerk Noord", "")
    assert run("person-rename", "--project", "Grensregio", "Anja de Vries", "--pseudonym", "R9") == \
        (0, "person 'Anja de Vries' (pseudonym 'R9')", "")
    assert run("person-rename", "--project", "Grensregio", "Anja de Vries")[0] == 1
    assert run("attribute-rename", "--project", "Grensregio", "land", "country")[0] == 0
    assert run("fg-session-rename", "--project", "Grensregio", "FG1", "FG1")[1] == \
        "focus-group session 'FG1' is now 'FG1' (it already was; nothing changed)"
    assert run("project-rename", "Grensregio", "Grensregio NL-DE")[0] == 0
    import json

    listed = json.loads(run("documents", "--project", "Grensregio NL-DE", "--format", "json")[1])
    assert sorted((d["title"], d["cases"]) for d in listed) == [("interview 2", ["Netwerk West"]),
                                                                ("interview Anja", ["Netwerk West"])]
    with read_session(engine) as s:
        project = get_project(s, "Grensregio NL-DE")
        assert sorted(document_case_names(s, project).values()) == [["Netwerk West"], ["Netwerk West"]]


def test_renaming_a_case_in_the_app(monkeypatch, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    engine = get_engine(sqlite_url)
    _study(engine)
    with read_session(engine) as s:
        guid = str(get_project(s, "Grensregio").guid)
    at = make_app(monkeypatch, sqlite_url, project_guid=guid, coder="Sanne")
    at.run()
    at.switch_page("pages/cases.py").run()
    assert not at.exception
    at.selectbox(key="rename_case_pick").select("Netwerk Oost").run()
    at.text_input(key="rename_case_Netwerk Oost_name").input("Netwerk West")
    next(b for b in at.button if b.label == "Rename").click()
    at.run()
    assert [e.value for e in at.error] == ["project 'Grensregio' already has a case named 'Netwerk West'"]
    at.text_input(key="rename_case_Netwerk Oost_name").input("Netwerk <b>Noord</b>")
    next(b for b in at.button if b.label == "Rename").click()
    at.run()
    assert not at.exception
    assert [m.value.replace("\\", "") for m in at.success] == ["Renamed case 'Netwerk Oost' to 'Netwerk <b>Noord</b>'."]
    with read_session(engine) as s:
        assert get_case(s, get_project(s, guid), "Netwerk <b>Noord</b>").name == "Netwerk <b>Noord</b>"


def test_the_projects_page_renames_and_deletes_the_open_project(monkeypatch, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    engine = get_engine(sqlite_url)
    _study(engine)
    with read_session(engine) as s:
        guid = str(get_project(s, "Grensregio").guid)
    at = make_app(monkeypatch, sqlite_url, project_guid=guid, coder="Sanne")
    at.run()
    assert not at.exception
    at.text_input(key="rename_project_name").input("Grensregio NL-DE")
    next(b for b in at.button if b.label == "Rename").click()
    at.run()
    assert not at.exception
    assert [m.value.replace("\\", "") for m in at.success] == ["Renamed the project to 'Grensregio NL-DE'."]
    at.text_input(key="delete_project_confirm").input("Grensregio").run()
    at.button(key="delete_project").click()
    at.run()
    assert [e.value.replace("\\", "") for e in at.error] == \
        ["to delete project 'Grensregio NL-DE' for good, type its name"]
    at.text_input(key="delete_project_confirm").input("Grensregio NL-DE").run()
    at.button(key="delete_project").click()
    at.run()
    assert not at.exception
    assert at.success[0].value.replace("\\", "").startswith("Deleted project 'Grensregio NL-DE' for good (2 documents")
    with read_session(engine) as s:
        assert [p.name for p in list_projects(s)] == ["Andere studie"]
    assert at.sidebar.selectbox[0].value is None  # the sidebar no longer offers the deleted project as open


def test_a_rename_from_an_older_view_is_refused_and_says_who(engine) -> None:  # type: ignore[no-untyped-def]
    _study(engine)
    with write_session(engine) as s:
        project = get_project(s, "Grensregio")
        document = get_document(s, project, "interview 1")
        assert rename_document(s, project, document, "Gesprek Oost", actor="Joost", shown="interview 1")
        session_row = get_session(s, project, "FG1")
        assert rename_session(s, project, session_row, "Eerste sessie", actor="Joost", shown="FG1")
    before = _count_events(engine)
    with pytest.raises(Refused) as refused, write_session(engine) as s:
        project = get_project(s, "Grensregio")
        document = get_document(s, project, "Gesprek Oost")
        rename_document(s, project, document, "Interview Anja", actor="Sanne", shown="interview 1")
    assert str(refused.value) == ("the document was changed by Joost a moment ago: it is now called 'Gesprek Oost'; "
                                  "nothing was renamed")
    with pytest.raises(Refused, match="the project was changed in another tab of yours"), write_session(engine) as s:
        project = get_project(s, "Grensregio")
        rename_project(s, project, "Grensregio 2", actor="Sanne", shown="Grensregio")  # its name is the same …
        rename_project(s, project, "Grensregio 3", actor="Sanne", shown="Grensregio")  # … until the first rename
    assert _count_events(engine) == before  # the refusal took the whole transaction back


def _count_events(engine) -> int:  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        return s.scalar(select(func.count()).select_from(Event))


def test_without_a_name_nothing_is_written(monkeypatch, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    engine = get_engine(sqlite_url)
    _study(engine)
    with read_session(engine) as s:
        guid = str(get_project(s, "Grensregio").guid)
        events = s.scalar(select(func.count()).select_from(Event))
    at = make_app(monkeypatch, sqlite_url, project_guid=guid, coder=None)
    at.run()
    at.switch_page("pages/cases.py").run()
    at.selectbox(key="rename_case_pick").select("Netwerk Oost").run()
    at.text_input(key="rename_case_Netwerk Oost_name").input("Netwerk Noord")
    next(b for b in at.button if b.label == "Rename").click()
    at.run()
    assert not at.exception
    assert [e.value.replace("\\", "") for e in at.error] == [
        "give your name under 'Your name' in the sidebar first: every change records who made it"]
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Event)) == events
        assert get_case(s, get_project(s, guid), "Netwerk Oost").name == "Netwerk Oost"


def test_a_database_refusal_is_explained_not_a_traceback(monkeypatch, sqlite_url) -> None:  # type: ignore[no-untyped-def]
    """A write that loses a race (here: the unique project name, taken inside the same change) is explained in
    one line and writes nothing."""
    from streamlit.testing.v1 import AppTest

    engine = get_engine(sqlite_url)
    _study(engine)
    monkeypatch.setenv("KRUISPUNT_DB_URL", sqlite_url)

    def page() -> None:
        from store.models import Project
        from ui.state import run_write

        def clash(session) -> str:  # type: ignore[no-untyped-def]
            session.add(Project(name="Andere studie"))  # the name another project already has
            session.flush()
            return "never said"

        run_write(clash)

    at = AppTest.from_function(page, default_timeout=60)
    at.run()
    assert not at.exception
    [error] = at.error
    assert error.value.replace("\\", "") == ("someone changed the same thing a moment ago: there is already another "
                                             "project with this name; nothing was written — look again and retry")
    with read_session(engine) as s:
        assert sorted(p.name for p in list_projects(s)) == ["Andere studie", "Grensregio"]
