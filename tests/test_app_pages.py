"""The app's pages under Streamlit's AppTest, on a fresh SQLite database per test.

Every flow is driven through the page's own widgets and checked against what the
database holds afterwards (read back with the domain functions), not only against
the absence of exceptions.

AppTest in Streamlit 1.67 supports file uploads (`at.file_uploader[...].set_value`
/ `.upload`), so the spreadsheet import and the transcript import are driven
through the page as well.
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from apptest_support import make_app, shown  # noqa: E402
from cases.attributes import attribute_values, list_definitions  # noqa: E402
from cases.documents import document_speakers, list_documents, project_counts  # noqa: E402
from cases.importer import preview_import, store_import  # noqa: E402
from cases.projects import (  # noqa: E402
    create_case,
    create_person,
    create_project,
    get_or_create_coder,
    get_project,
    list_cases,
    list_persons,
    list_projects,
)
from codebooks.service import adopt_codebook, get_codebook, list_project_codebooks  # noqa: E402
from coding.codings import apply_coding, list_codings  # noqa: E402
from demo.load import DEMO_PROJECT  # noqa: E402
from store.db import get_engine, read_session, write_session  # noqa: E402
from store.events import list_events  # noqa: E402
from store.models import CaseDocument, Code  # noqa: E402

TRANSCRIPT = """Interview met de coördinator van het netwerk.

I: Goedemorgen, fijn dat u tijd heeft. Hoe bent u bij het netwerk gekomen?
R: Via een collega van de gemeente. Ik schreef toen <script>alert(1)</script> in een mail. Dat was **bold** eigenlijk.
I: Wat levert het netwerk u op?
R: Vooral nieuwe contacten. En kennis over de regio die we nergens anders krijgen.
I: Dank u wel.
R: Graag gedaan.

Conclusie: het netwerk werkt voor deze respondent.
"""


# ----------------------------------------------------------------------------------- helpers

def one(widgets: Any, label: str, *, form: str | None = None) -> Any:
    """The single widget (or element) with this label, optionally inside the form with this key."""
    found = [w for w in widgets if getattr(w, "label", None) == label
             and (form is None or getattr(w, "form_id", "") == form)]
    assert len(found) == 1, f"expected one widget labelled {label!r} (form {form!r}), found {len(found)}"
    return found[0]


def texts(elements: Any) -> list[str]:
    return shown(elements)


def new_project(url: str, name: str = "Studie", codebooks: tuple[str, ...] = ("value-creation",)) -> str:
    with write_session(get_engine(url)) as s:
        project = create_project(s, name)
        for key in codebooks:
            adopt_codebook(s, project, key)
        return str(project.guid)


def import_transcript(url: str, guid: str, *, case: str = "Grenzeloos", filename: str = "interview_jansen.txt",
                      text: str = TRANSCRIPT) -> str:
    """Import a transcript at the domain level with the detected speakers; returns the document guid."""
    with write_session(get_engine(url)) as s:
        project = get_project(s, guid)
        the_case = create_case(s, project, case)
        preview = preview_import(filename, text.encode("utf-8"))
        doc = store_import(s, project, preview, cases=[the_case])
        return str(doc.guid)


def code_by_key(url: str, guid: str, book: str, key: str) -> Code | None:
    with read_session(get_engine(url)) as s:
        codebook = get_codebook(s, get_project(s, guid), book)
        return next((c for c in codebook.codes if c.key == key), None)


def open_page(monkeypatch: pytest.MonkeyPatch, url: str, guid: str, page: str, **kwargs: Any):  # type: ignore[no-untyped-def]
    at = make_app(monkeypatch, url, project_guid=guid, **kwargs)
    at.run()
    assert not at.exception
    at.switch_page(page)
    at.run()
    assert not at.exception
    return at


# ----------------------------------------------------------------------------------- projects

def test_empty_database_offers_the_demo(monkeypatch, sqlite_url):
    at = make_app(monkeypatch, sqlite_url)
    at.run()
    assert not at.exception
    assert "Load demo project" in [b.label for b in at.button]
    assert "No projects yet." in texts(at.markdown)
    assert at.sidebar.selectbox[0].value is None
    assert "project" not in at.query_params


def test_create_project_through_the_form_stores_codebooks_and_opens_it(monkeypatch, sqlite_url):
    at = make_app(monkeypatch, sqlite_url, coder="Sanne")
    at.run()
    assert not at.exception
    one(at.text_input, "Name", form="create_project").input("Studie Oost")
    one(at.multiselect, "Codebooks").set_value(["value-creation", "learning-layers"])
    one(at.button, "Create project").click()
    at.run()

    with read_session(get_engine(sqlite_url)) as s:
        projects = list_projects(s)
        assert [p.name for p in projects] == ["Studie Oost"]
        project = projects[0]
        assert {b.key for b in list_project_codebooks(s, project)} == {"value-creation", "learning-layers"}
    guid = str(project.guid)
    # Opening the new project from page code must not write the sidebar widget's key after it was drawn
    # (StreamlitWidgetAlreadyInstantiatedError).
    assert not at.exception
    assert at.query_params.get("project") == guid
    assert one(at.sidebar.selectbox, "Project").value == guid
    assert "**Studie Oost** · open" in texts(at.markdown)


def test_duplicate_project_name_shows_an_error_and_stores_nothing(monkeypatch, sqlite_url):
    guid = new_project(sqlite_url, "Studie Oost", codebooks=())
    at = make_app(monkeypatch, sqlite_url)
    at.run()
    one(at.text_input, "Name", form="create_project").input("Studie Oost")
    one(at.multiselect, "Codebooks").set_value(["value-creation"])
    one(at.button, "Create project").click()
    at.run()
    assert not at.exception
    assert any("already exists" in e for e in texts(at.error)), texts(at.error)
    with read_session(get_engine(sqlite_url)) as s:
        projects = list_projects(s)
        assert [str(p.guid) for p in projects] == [guid]
        assert list_project_codebooks(s, projects[0]) == []  # the codebook adoption was rolled back too
    assert "project" not in at.query_params


def test_open_button_opens_another_project(monkeypatch, sqlite_url):
    first = new_project(sqlite_url, "Alfa")
    second = new_project(sqlite_url, "Beta")
    at = make_app(monkeypatch, sqlite_url, project_guid=first)
    at.run()
    assert not at.exception
    assert one(at.sidebar.selectbox, "Project").value == first
    assert at.button(key=f"open_{first}").disabled
    at.button(key=f"open_{second}").click()
    at.run()
    assert not at.exception
    assert at.query_params.get("project") == second
    assert one(at.sidebar.selectbox, "Project").value == second
    assert "**Beta** · open" in texts(at.markdown)
    assert at.button(key=f"open_{second}").disabled


def test_adopt_a_codebook_through_the_adopt_form(monkeypatch, sqlite_url):
    guid = new_project(sqlite_url, "Alfa", codebooks=("value-creation",))
    at = make_app(monkeypatch, sqlite_url, project_guid=guid)
    at.run()
    assert not at.exception
    box = one(at.selectbox, "Codebook", form="adopt")
    assert "value-creation" not in box.options and "Value creation cycles" not in box.options
    box.set_value("learning-layers")
    one(at.button, "Adopt").click()
    at.run()
    assert not at.exception
    with read_session(get_engine(sqlite_url)) as s:
        keys = [b.key for b in list_project_codebooks(s, get_project(s, guid))]
    assert keys == ["value-creation", "learning-layers"]
    assert at.query_params.get("project") == guid
    assert "learning-layers" not in one(at.selectbox, "Codebook", form="adopt").options


def test_adopt_form_confirms_what_was_adopted(monkeypatch, sqlite_url):
    guid = new_project(sqlite_url, "Alfa", codebooks=("value-creation",))
    at = make_app(monkeypatch, sqlite_url, project_guid=guid)
    at.run()
    one(at.selectbox, "Codebook", form="adopt").set_value("learning-layers")
    one(at.button, "Adopt").click()
    at.run()
    assert not at.exception
    assert texts(at.success) == ["Adopted codebook 'learning-layers'."]


def test_load_demo_button_imports_and_opens_the_demo(monkeypatch, sqlite_url):
    at = make_app(monkeypatch, sqlite_url)
    at.run()
    at.button(key="load_demo").click()
    at.run(timeout=180)
    assert not texts(at.error), texts(at.error)  # a Refused from load_demo (e.g. inconsistent demo data)
    with read_session(get_engine(sqlite_url)) as s:
        demo = get_project(s, DEMO_PROJECT)
        counts = project_counts(s, demo)
        codings = list_codings(s, demo)
    assert counts["documents"] >= 12
    assert len(codings) >= 250
    assert not at.exception
    assert any(m.startswith(f"Demo loaded: 3 cases, {counts['documents']} documents") for m in texts(at.success)), \
        texts(at.success)
    assert at.query_params.get("project") == str(demo.guid)
    assert one(at.sidebar.selectbox, "Project").value == str(demo.guid)
    assert "load_demo" not in [b.key for b in at.button]


# ----------------------------------------------------------------------------------- shared link

def test_shared_link_opens_project_and_pages_keep_it_and_the_remembered_name(monkeypatch, sqlite_url):
    guid = new_project(sqlite_url, "Alfa")
    new_project(sqlite_url, "Beta")
    at = make_app(monkeypatch, sqlite_url, project_guid=guid, coder="Sanne")
    at.query_params["coder"] = "Anna"  # a link that once said who someone was: it says nothing now
    at.run()
    assert not at.exception
    assert one(at.sidebar.selectbox, "Project").value == guid
    assert "Sanne" in [m.value for m in at.sidebar.markdown]
    for page, title in (("pages/cases.py", "Cases & attributes"), ("pages/documents.py", "Documents"),
                        ("pages/codebooks.py", "Codebooks"), ("pages/projects.py", "Kruispunt")):
        at.switch_page(page)
        at.run()
        assert not at.exception, page
        assert at.title[0].value == title
        assert at.query_params.get("project") == guid, page
        assert one(at.sidebar.selectbox, "Project").value == guid
        assert "Sanne" in [m.value for m in at.sidebar.markdown]


def test_local_mode_asks_the_name_once_and_records_changes_under_it(monkeypatch, sqlite_url):
    guid = new_project(sqlite_url, "Alfa")
    at = make_app(monkeypatch, sqlite_url, project_guid=guid, coder=None)
    at.switch_page("pages/cases.py")
    at.run()
    one(at.text_input, "Case name").input("Grenzeloos")
    one(at.button, "Create case").click().run()
    assert shown(at.error) == [
        "give your name under 'Your name' in the sidebar first: every change records who made it"]
    one(at.sidebar.text_input, "Your name").input("  Sanne   de Vries ")
    at.sidebar.button[0].click().run()
    assert not at.exception
    assert "Sanne de Vries" in [m.value for m in at.sidebar.markdown]
    again = make_app(monkeypatch, sqlite_url, project_guid=guid, coder="Sanne de Vries")  # a new browser session
    again.switch_page("pages/cases.py")
    again.run()
    assert not [w for w in again.sidebar.text_input if w.label == "Your name" and w.form_id == "your_name"]
    one(again.text_input, "Case name").input("Grenzeloos")
    one(again.button, "Create case").click().run()
    assert not again.exception
    with read_session(get_engine(sqlite_url)) as s:
        assert [e.actor for e in list_events(s, uuid.UUID(guid)) if e.entity == "case"] == ["Sanne de Vries"]


def test_choosing_none_in_the_sidebar_closes_the_project(monkeypatch, sqlite_url):
    guid = new_project(sqlite_url, "Alfa")
    at = make_app(monkeypatch, sqlite_url, project_guid=guid)
    at.run()
    assert one(at.sidebar.selectbox, "Project").value == guid
    one(at.sidebar.selectbox, "Project").set_value(None)
    at.run()
    assert not at.exception
    # ui/state.py project_picker: `wanted = st.session_state.get(PROJECT_KEY) or st.query_params.get("project")`
    # falls back to the still-set query param when the user picked "— none —", so the project re-opens.
    assert one(at.sidebar.selectbox, "Project").value is None
    assert "project" not in at.query_params


def test_pages_ask_for_a_project_when_none_is_open(monkeypatch, sqlite_url):
    new_project(sqlite_url, "Alfa")
    at = make_app(monkeypatch, sqlite_url)
    at.run()
    for page in ("pages/cases.py", "pages/documents.py", "pages/codebooks.py"):
        at.switch_page(page)
        at.run()
        assert not at.exception, page
        assert any("Open or create a project" in i for i in texts(at.info)), page


# ----------------------------------------------------------------------------------- cases & attributes

def test_create_case_and_person_through_the_forms(monkeypatch, sqlite_url):
    guid = new_project(sqlite_url)
    at = open_page(monkeypatch, sqlite_url, guid, "pages/cases.py", coder="Sanne")
    one(at.text_input, "Case name").input("Grenzeloos")
    one(at.text_area, "Description").input("Een Nederlands-Duitse ondernemersclub")
    one(at.button, "Create case").click()
    at.run()
    assert not at.exception
    with read_session(get_engine(sqlite_url)) as s:
        cases = list_cases(s, get_project(s, guid))
    assert [(c.name, c.description) for c in cases] == [("Grenzeloos", "Een Nederlands-Duitse ondernemersclub")]
    assert list(at.dataframe[0].value["case"]) == ["Grenzeloos"]

    one(at.text_input, "Name", form="new_person").input("Jan Hoekstra")
    one(at.text_input, "Pseudonym").input("A-R1")
    one(at.text_input, "Role in the network").input("chair")
    one(at.selectbox, "Case", form="new_person").set_value("Grenzeloos")
    one(at.button, "Add person").click()
    at.run()
    assert not at.exception
    with read_session(get_engine(sqlite_url)) as s:
        persons = list_persons(s, get_project(s, guid))
    assert [(p.name, p.pseudonym, p.role, p.case_id) for p in persons] == [("Jan Hoekstra", "A-R1", "chair", cases[0].id)]
    assert list(at.dataframe[1].value["name"]) == ["Jan Hoekstra"]
    with read_session(get_engine(sqlite_url)) as s:
        events = list_events(s, get_project(s, guid).guid)
    assert {(e.action, e.entity, e.actor) for e in events if e.entity in ("case", "person")} == {
        ("create", "case", "Sanne"), ("create", "person", "Sanne")}


def test_empty_case_name_is_refused(monkeypatch, sqlite_url):
    guid = new_project(sqlite_url)
    at = open_page(monkeypatch, sqlite_url, guid, "pages/cases.py")
    one(at.button, "Create case").click()
    at.run()
    assert not at.exception
    assert any("case name is empty" in e for e in texts(at.error)), texts(at.error)
    with read_session(get_engine(sqlite_url)) as s:
        assert list_cases(s, get_project(s, guid)) == []


def _set_attribute_form(at, on: str, entity: str, name: str, value: str, type_: str = "(infer)") -> None:  # type: ignore[no-untyped-def]
    at.radio(key="attr_target").set_value(on)
    at.run()
    assert not at.exception
    one(at.selectbox, on.capitalize(), form="set_attribute").set_value(entity)
    one(at.text_input, "Attribute").input(name)
    one(at.text_input, "Value").input(value)
    one(at.selectbox, "Type").set_value(type_)
    one(at.button, "Set").click()
    at.run()


def test_set_attributes_on_a_case_and_a_person_with_dutch_numbers(monkeypatch, sqlite_url):
    guid = new_project(sqlite_url)
    with write_session(get_engine(sqlite_url)) as s:
        project = get_project(s, guid)
        case = create_case(s, project, "Stedenband")
        create_case(s, project, "Grenzeloos")
        person = create_person(s, project, "Marloes Verhagen", case=case)
        case_id, person_id = case.id, person.id
    at = open_page(monkeypatch, sqlite_url, guid, "pages/cases.py")

    _set_attribute_form(at, "case", "Stedenband", "inwoners", "1.065.000")
    assert not at.exception
    assert not texts(at.error), texts(at.error)
    _set_attribute_form(at, "case", "Stedenband", "budget_mln", "6,5", "float")
    assert not texts(at.error), texts(at.error)
    _set_attribute_form(at, "person", "Marloes Verhagen", "membership_years", "6")
    assert not at.exception
    assert not texts(at.error), texts(at.error)

    with read_session(get_engine(sqlite_url)) as s:
        project = get_project(s, guid)
        case_values = attribute_values(s, project, "case")
        person_values = attribute_values(s, project, "person")
        types = {(d.target, d.name): d.type for d in list_definitions(s, project)}
    assert case_values == {case_id: {"inwoners": 1065000, "budget_mln": 6.5}}
    assert type(case_values[case_id]["inwoners"]) is int
    assert person_values == {person_id: {"membership_years": 6}}
    assert types == {("case", "inwoners"): "integer", ("case", "budget_mln"): "float",
                     ("person", "membership_years"): "integer"}
    cases_table = at.dataframe[0].value.set_index("case")
    assert cases_table.loc["Stedenband", "inwoners"] == 1065000


def test_bad_attribute_value_shows_the_problem_and_stores_nothing(monkeypatch, sqlite_url):
    guid = new_project(sqlite_url)
    with write_session(get_engine(sqlite_url)) as s:
        create_case(s, get_project(s, guid), "Stedenband")
    at = open_page(monkeypatch, sqlite_url, guid, "pages/cases.py")
    _set_attribute_form(at, "case", "Stedenband", "inwoners", "abc", "integer")
    assert not at.exception
    errors = texts(at.error)
    assert len(errors) == 1 and "'abc' is not a number" in errors[0] and "integer" in errors[0], errors
    with read_session(get_engine(sqlite_url)) as s:
        project = get_project(s, guid)
        assert attribute_values(s, project, "case") == {}
        assert list_definitions(s, project) == []  # the definition was rolled back with the value


def test_attribute_sheet_import_through_the_uploader(monkeypatch, sqlite_url):
    guid = new_project(sqlite_url)
    with write_session(get_engine(sqlite_url)) as s:
        project = get_project(s, guid)
        ids = {name: create_case(s, project, name).id for name in ("Grenzeloos", "Stedenband")}
    at = open_page(monkeypatch, sqlite_url, guid, "pages/cases.py")
    sheet = "case;inwoners;land;oppervlakte\nGrenzeloos;1.065.000;NL;6,5\nStedenband;48.200;NL;12\n".encode()
    at.file_uploader(key="sheet").set_value(("attributen.csv", sheet, "text/csv"))
    at.run()
    assert not at.exception
    at.button(key="import_sheet").click()
    at.run()
    assert not at.exception
    assert not texts(at.error), texts(at.error)
    assert any("6 values set on 2 cases" in m for m in texts(at.success)), texts(at.success)
    with read_session(get_engine(sqlite_url)) as s:
        values = attribute_values(s, get_project(s, guid), "case")
    assert values == {ids["Grenzeloos"]: {"inwoners": 1065000, "land": "NL", "oppervlakte": 6.5},
                      ids["Stedenband"]: {"inwoners": 48200, "land": "NL", "oppervlakte": 12.0}}


def test_attribute_sheet_with_an_unknown_case_is_refused(monkeypatch, sqlite_url):
    guid = new_project(sqlite_url)
    with write_session(get_engine(sqlite_url)) as s:
        create_case(s, get_project(s, guid), "Grenzeloos")
    at = open_page(monkeypatch, sqlite_url, guid, "pages/cases.py")
    at.file_uploader(key="sheet").set_value(("a.csv", b"case,inwoners\nGrenzeloos,10\nNergens,20\n", "text/csv"))
    at.run()
    at.button(key="import_sheet").click()
    at.run()
    assert not at.exception
    assert any("Nergens" in e for e in texts(at.error)), texts(at.error)
    with read_session(get_engine(sqlite_url)) as s:
        assert attribute_values(s, get_project(s, guid), "case") == {}


# ----------------------------------------------------------------------------------- documents

def test_read_tab_shows_turns_literally_and_sets_the_document_param(monkeypatch, sqlite_url):
    guid = new_project(sqlite_url)
    doc_guid = import_transcript(sqlite_url, guid)
    at = open_page(monkeypatch, sqlite_url, guid, "pages/documents.py")
    assert at.selectbox(key="read_document").value == doc_guid
    assert "interview_jansen (Grenzeloos)" in at.selectbox(key="read_document").options
    assert at.query_params.get("document") == doc_guid

    speakers = at.dataframe[0].value
    assert dict(zip(speakers["label"], speakers["role"])) == {"I": "interviewer", "R": "respondent"}

    source = [str(m.value) for m in at.markdown]  # the Markdown source itself: the escapes are the point here
    turns = [m for m in source if m.startswith("**")]
    assert any(m.startswith("**I** · interviewer  \n") for m in turns), turns
    respondent = [m for m in turns if m.startswith("**R** · respondent  \n")]
    assert len(respondent) == 3, turns
    script_turn = next(m for m in respondent if "script" in m)
    assert "<script>" not in script_turn
    assert "\\<script\\>alert\\(1\\)\\</script\\>" in script_turn
    assert "\\*\\*bold\\*\\*" in script_turn
    assert not any("<script>" in m for m in source)
    assert len(at.get("html")) == 0
    assert not any("⟩" in m for m in turns)

    at.toggle(key="show_sentences").set_value(True)
    at.run()
    assert not at.exception
    turns = [m for m in texts(at.markdown) if m.startswith("**")]
    assert any(" ⟩ " in m for m in turns), turns
    assert at.query_params.get("document") == doc_guid


def test_read_tab_keeps_the_document_from_the_url(monkeypatch, sqlite_url):
    guid = new_project(sqlite_url)
    import_transcript(sqlite_url, guid, case="A", filename="a_eerste.txt")
    second = import_transcript(sqlite_url, guid, case="B", filename="b_tweede.txt", text=TRANSCRIPT + "\nI: Nog iets?\n")
    at = make_app(monkeypatch, sqlite_url, project_guid=guid)
    at.query_params["document"] = second
    at.run()
    at.switch_page("pages/documents.py")
    at.run()
    assert not at.exception
    assert at.selectbox(key="read_document").value == second
    assert at.query_params.get("document") == second
    with read_session(get_engine(sqlite_url)) as s:
        first = next(str(d.guid) for d in list_documents(s, get_project(s, guid)) if str(d.guid) != second)
    at.selectbox(key="read_document").set_value(first)
    at.run()
    assert not at.exception
    assert at.query_params.get("document") == first
    at.run()  # a later rerun keeps the chosen document (the URL now names it)
    assert at.selectbox(key="read_document").value == first
    assert at.query_params.get("document") == first


def test_import_tab_previews_speakers_and_stores_the_document(monkeypatch, sqlite_url):
    guid = new_project(sqlite_url)
    at = open_page(monkeypatch, sqlite_url, guid, "pages/documents.py", coder="Sanne")
    assert any("No documents yet" in i for i in texts(at.info))
    at.file_uploader(key="uploads").set_value([("interview_jansen.txt", TRANSCRIPT.encode("utf-8"), "text/plain")])
    at.run()
    assert not at.exception

    labels = {m for m in texts(at.markdown) if m.startswith("`")}
    assert any(m.startswith("`I` × 3") for m in labels), labels
    assert any(m.startswith("`R` × 3") for m in labels), labels
    assert any(m.startswith("`Conclusie` × 1") for m in labels), labels
    assert speaker_ticks(at) == [True, True, False]
    assert [sb.value for sb in at.selectbox if (sb.key or "").startswith("role_")] == ["interviewer", "respondent",
                                                                                       "unknown"]
    assert any(m.startswith("**R** · respondent:") for m in texts(at.markdown))

    assert at.selectbox(key="import_case").value == ""  # a new case
    assert at.selectbox(key="import_case").options == ["+ New case…"]
    at.text_input(key="import_new_case").input("Grenzeloos")
    next(ti for ti in at.text_input if (ti.key or "").startswith("person_") and ti.key.endswith("_1")).input(
        "Jan Hoekstra")
    one(at.text_input, "Title").input("Interview Jansen")
    one(at.button, "Import this file").click()
    at.run()
    assert not at.exception
    assert not texts(at.error), texts(at.error)
    assert any("Imported 'Interview Jansen' into case 'Grenzeloos'" in m for m in texts(at.success))

    with read_session(get_engine(sqlite_url)) as s:
        project = get_project(s, guid)
        docs = list_documents(s, project)
        assert [d.title for d in docs] == ["Interview Jansen"]
        doc = docs[0]
        speakers = {sp.label: (sp.role, p.name if p else None) for sp, p in document_speakers(s, doc)}
        cases = list_cases(s, project)
        linked = s.scalars(select(CaseDocument.case_id).where(CaseDocument.document_id == doc.id)).all()
    assert speakers == {"I": ("interviewer", None), "R": ("respondent", "Jan Hoekstra")}
    assert [c.name for c in cases] == ["Grenzeloos"]
    assert linked == [cases[0].id]
    assert doc.language == "nl" and doc.source_filename == "interview_jansen.txt"


SECOND = """Noot: de opname begint na twee minuten.

Jan-Willem: Welkom allemaal, we beginnen met een rondje.
Piet: Dank je. Ik werk bij de gemeente en zit sinds vorig jaar in het netwerk.
Jan-Willem: Wat heeft het netwerk je tot nu toe gebracht?
Piet: Vooral contacten met collega's over de grens.
"""


def speaker_ticks(at) -> list[bool]:  # type: ignore[no-untyped-def]
    """The 'speaker' checkboxes of the preview, in label order."""
    return [cb.value for cb in at.checkbox if (cb.key or "").startswith("keep_")]


def test_preview_of_another_file_uses_its_own_speaker_suggestions(monkeypatch, sqlite_url):
    guid = new_project(sqlite_url)
    at = open_page(monkeypatch, sqlite_url, guid, "pages/documents.py")
    at.file_uploader(key="uploads").set_value([("a.txt", TRANSCRIPT.encode(), "text/plain"),
                                               ("b.txt", SECOND.encode(), "text/plain")])
    at.run()
    assert not at.exception
    assert speaker_ticks(at) == [True, True, False]  # I, R, Conclusie
    at.selectbox(key="preview_file").set_value("b.txt")
    at.run()
    assert not at.exception
    labels = [m.split(" × ")[0] for m in texts(at.markdown) if m.startswith("`")]
    assert len(labels) == 3 and labels[0] == "`Noot`", labels
    # the speaker widgets are keyed by file, so b.txt gets its own suggestions, not a.txt's ticks
    assert speaker_ticks(at) == [False, True, True]
    assert [sb.value for sb in at.selectbox if (sb.key or "").startswith("role_")] == ["unknown", "respondent",
                                                                                       "respondent"]


def test_speaker_labels_in_the_preview_are_shown_as_typed(monkeypatch, sqlite_url):
    guid = new_project(sqlite_url)
    at = open_page(monkeypatch, sqlite_url, guid, "pages/documents.py")
    at.file_uploader(key="uploads").set_value([("b.txt", SECOND.encode(), "text/plain")])
    at.run()
    assert not at.exception
    labels = [m.split(" × ")[0] for m in texts(at.markdown) if m.startswith("`")]
    assert "`Jan-Willem`" in labels, labels


def test_import_all_files_with_the_detected_speakers(monkeypatch, sqlite_url):
    guid = new_project(sqlite_url)
    with write_session(get_engine(sqlite_url)) as s:
        create_case(s, get_project(s, guid), "Stedenband")
    at = open_page(monkeypatch, sqlite_url, guid, "pages/documents.py", coder="Sanne")
    at.file_uploader(key="uploads").set_value([("a.txt", TRANSCRIPT.encode(), "text/plain"),
                                               ("b.txt", SECOND.encode(), "text/plain")])
    at.run()
    assert at.selectbox(key="import_case").value == "Stedenband"
    at.button(key="import_all").click()
    at.run()
    assert not at.exception
    assert texts(at.success) == ["2 imported, 0 refused."]
    with read_session(get_engine(sqlite_url)) as s:
        project = get_project(s, guid)
        docs = {d.title: d for d in list_documents(s, project)}
        speakers = {t: {sp.label: sp.role for sp, _ in document_speakers(s, d)} for t, d in docs.items()}
        case_id = list_cases(s, project)[0].id
        linked = set(s.scalars(select(CaseDocument.case_id)).all())
    assert set(speakers) == {"a", "b"}
    assert speakers["a"] == {"I": "interviewer", "R": "respondent"}
    assert "Noot" not in speakers["b"] and set(speakers["b"]) == {"Jan-Willem", "Piet"}
    assert linked == {case_id}


def test_read_tab_lists_a_document_imported_in_the_same_run(monkeypatch, sqlite_url):
    guid = new_project(sqlite_url)
    at = open_page(monkeypatch, sqlite_url, guid, "pages/documents.py")
    at.file_uploader(key="uploads").set_value([("interview_jansen.txt", TRANSCRIPT.encode(), "text/plain")])
    at.run()
    at.text_input(key="import_new_case").input("Grenzeloos")
    one(at.button, "Import this file").click()
    at.run()
    assert not at.exception
    assert any("Imported 'interview_jansen'" in m for m in texts(at.success))
    # pages/documents.py reads `documents` once at the top and neither reruns nor refreshes after an import,
    # so the Read tab (switching tabs does not rerun) still says "No documents yet" next to the success message.
    assert not any("No documents yet" in i for i in texts(at.info))
    assert at.selectbox(key="read_document").value is not None


def test_after_an_import_read_opens_the_new_document_and_a_known_file_is_named_at_preview(monkeypatch, sqlite_url):
    guid = new_project(sqlite_url)
    first = import_transcript(sqlite_url, guid, filename="a_eerste.txt")
    at = open_page(monkeypatch, sqlite_url, guid, "pages/documents.py", coder="Sanne")
    at.file_uploader(key="uploads").set_value([("z_tweede.txt", (TRANSCRIPT + "R: Nog iets.\n").encode(),
                                                 "text/plain")])
    at.run()
    one(at.button, "Import this file").click()
    at.run()
    assert not at.exception
    with read_session(get_engine(sqlite_url)) as s:
        new = next(str(d.guid) for d in list_documents(s, get_project(s, guid)) if d.title == "z_tweede")
    # the Read tab shows the imported document, not the alphabetically first one
    assert at.selectbox(key="read_document").value == new != first
    assert at.query_params["document"] == new

    at.file_uploader(key="uploads").set_value([("kopie.txt", TRANSCRIPT.encode(), "text/plain")])  # = a_eerste
    at.run()
    assert texts(at.warning) == ["kopie.txt is already in this project as the document 'a_eerste'; importing it "
                                 "again would be refused."]
    assert one(at.button, "Import this file").disabled


# ----------------------------------------------------------------------------------- codebooks

def test_codebooks_page_lists_codebooks_codes_and_label_languages(monkeypatch, sqlite_url):
    guid = new_project(sqlite_url, codebooks=("value-creation", "network-conditions"))
    at = open_page(monkeypatch, sqlite_url, guid, "pages/codebooks.py")
    book = at.selectbox(key="codebook")
    assert book.value == "value-creation"
    assert book.options == ["Value creation cycles (value-creation, v1.0)",
                            next(o for o in book.options if "(network-conditions," in o)]
    labels = [e.label.lstrip("\u3000") for e in at.expander]
    assert any(label.startswith("Immediate value · vc.immediate  (0 codings") for label in labels), labels
    assert any("Value creation · vc  (0 codings, folder)" in label for label in labels), labels
    assert any(m.startswith("**Definition:** ") for m in texts(at.markdown))
    assert not any("Onmiddellijke waarde" in label for label in labels)

    at.selectbox(key="label_language").set_value("nl")
    at.run()
    assert not at.exception
    labels = [e.label.lstrip("\u3000") for e in at.expander]
    assert any(label.startswith("Onmiddellijke waarde · vc.immediate") for label in labels), labels

    at.selectbox(key="codebook").set_value("network-conditions")
    at.run()
    assert not at.exception
    assert not any("vc.immediate" in e.label for e in at.expander)
    with read_session(get_engine(sqlite_url)) as s:
        codes = get_codebook(s, get_project(s, guid), "network-conditions").codes
    assert len(at.expander) == len(codes)


def test_add_code_with_a_parent(monkeypatch, sqlite_url):
    guid = new_project(sqlite_url)
    at = open_page(monkeypatch, sqlite_url, guid, "pages/codebooks.py", coder="Sanne")
    one(at.text_input, "Key").input("vc.immediate.peer")
    one(at.selectbox, "Parent").set_value("vc.immediate")
    one(at.text_input, "Label (en)").input("Peer support")
    one(at.text_input, "Label (nl)").input("Steun van collega's")
    one(at.text_area, "Definition").input("Help from a peer during a meeting.")
    one(at.button, "Add code").click()
    at.run()
    assert not at.exception
    assert texts(at.success) == ["Added code 'vc.immediate.peer'."]
    code = code_by_key(sqlite_url, guid, "value-creation", "vc.immediate.peer")
    parent = code_by_key(sqlite_url, guid, "value-creation", "vc.immediate")
    assert code is not None and parent is not None
    assert code.parent_id == parent.id
    assert (code.label_en, code.label_nl, code.definition) == ("Peer support", "Steun van collega's",
                                                                "Help from a peer during a meeting.")
    assert any("Peer support · vc.immediate.peer" in e.label for e in at.expander)
    with read_session(get_engine(sqlite_url)) as s:
        latest = list_events(s, get_project(s, guid).guid, limit=1)[0]
    assert (latest.action, latest.entity, latest.actor, latest.after["key"]) == ("create", "code", "Sanne",
                                                                                  "vc.immediate.peer")


def test_add_code_with_a_duplicate_key_is_refused(monkeypatch, sqlite_url):
    guid = new_project(sqlite_url)
    before = code_by_key(sqlite_url, guid, "value-creation", "vc.immediate")
    at = open_page(monkeypatch, sqlite_url, guid, "pages/codebooks.py")
    one(at.text_input, "Key").input("vc.immediate")
    one(at.text_input, "Label (en)").input("Again")
    one(at.button, "Add code").click()
    at.run()
    assert not at.exception
    assert any("already has a code 'vc.immediate'" in e for e in texts(at.error)), texts(at.error)
    assert code_by_key(sqlite_url, guid, "value-creation", "vc.immediate").label_en == before.label_en


def test_rename_changes_the_label_not_the_key(monkeypatch, sqlite_url):
    guid = new_project(sqlite_url)
    before = code_by_key(sqlite_url, guid, "value-creation", "vc.immediate")
    at = open_page(monkeypatch, sqlite_url, guid, "pages/codebooks.py")
    at.selectbox(key="rename_key").set_value("vc.immediate")
    at.selectbox(key="rename_lang").set_value("nl")
    one(at.text_input, "New label").input("Directe waarde")
    one(at.button, "Rename").click()
    at.run()
    assert not at.exception
    assert texts(at.success) == ["Renamed 'vc.immediate' (nl)."]
    after = code_by_key(sqlite_url, guid, "value-creation", "vc.immediate")
    assert after.id == before.id and after.guid == before.guid and after.key == "vc.immediate"
    assert after.label_nl == "Directe waarde"
    assert after.label_en == before.label_en


def test_move_code_under_another_parent(monkeypatch, sqlite_url):
    guid = new_project(sqlite_url)
    at = open_page(monkeypatch, sqlite_url, guid, "pages/codebooks.py")
    at.selectbox(key="move_key").set_value("vc.strategic")
    at.selectbox(key="move_parent").set_value("vc.potential")
    one(at.button, "Move").click()
    at.run()
    assert not at.exception
    assert texts(at.success) == ["Moved 'vc.strategic' under vc.potential."]
    moved = code_by_key(sqlite_url, guid, "value-creation", "vc.strategic")
    parent = code_by_key(sqlite_url, guid, "value-creation", "vc.potential")
    assert moved.parent_id == parent.id
    labels = [e.label for e in at.expander]
    strategic = next(label for label in labels if "· vc.strategic " in label)
    assert strategic.startswith("　　")  # now at depth 2 (vc > vc.potential > vc.strategic)


def test_move_code_under_its_own_child_is_refused(monkeypatch, sqlite_url):
    guid = new_project(sqlite_url)
    at = open_page(monkeypatch, sqlite_url, guid, "pages/codebooks.py")
    at.selectbox(key="move_key").set_value("vc.potential")
    at.selectbox(key="move_parent").set_value("vc.potential.human")
    one(at.button, "Move").click()
    at.run()
    assert not at.exception
    assert any("own descendant" in e for e in texts(at.error)), texts(at.error)
    moved = code_by_key(sqlite_url, guid, "value-creation", "vc.potential")
    root = code_by_key(sqlite_url, guid, "value-creation", "vc")
    assert moved.parent_id == root.id


def _coded_project(url: str, codes_per_segment: list[list[str]]) -> str:
    """A project with one document and one segment per entry, coded with those codes by 'Sanne'."""
    guid = new_project(url)
    doc_guid = import_transcript(url, guid)
    with write_session(get_engine(url)) as s:
        project = get_project(s, guid)
        doc = next(d for d in list_documents(s, project) if str(d.guid) == doc_guid)
        coder, _ = get_or_create_coder(s, project, "Sanne")
        for i, keys in enumerate(codes_per_segment):
            apply_coding(s, project, doc, coder, 10 * i, 10 * i + 8, keys)
    return guid


def test_merge_moves_codings_to_the_target(monkeypatch, sqlite_url):
    guid = _coded_project(sqlite_url, [["vc.expected"], ["vc.expected"], ["vc.immediate"]])
    at = open_page(monkeypatch, sqlite_url, guid, "pages/codebooks.py")
    assert any(e.label.lstrip("\u3000").replace("\\", "").startswith("Expected value (opt.) · vc.expected  (2 codings") for e in at.expander)
    at.selectbox(key="merge_source").set_value("vc.expected")
    at.selectbox(key="merge_target").set_value("vc.immediate")
    one(at.button, "Merge").click()
    at.run()
    assert not at.exception
    assert texts(at.success) == ["Merged 'vc.expected' into 'vc.immediate': 2 coding(s) reassigned."]
    assert code_by_key(sqlite_url, guid, "value-creation", "vc.expected") is None
    with read_session(get_engine(sqlite_url)) as s:
        codings = list_codings(s, get_project(s, guid))
    assert [c.code for c in codings] == ["vc.immediate"] * 3
    assert any(e.label.lstrip("\u3000").startswith("Immediate value · vc.immediate  (3 codings") for e in at.expander)


def test_delete_is_refused_for_a_used_code_and_allowed_for_an_unused_one(monkeypatch, sqlite_url):
    guid = _coded_project(sqlite_url, [["vc.expected"]])
    at = open_page(monkeypatch, sqlite_url, guid, "pages/codebooks.py")
    at.selectbox(key="delete_key").set_value("vc.expected")
    one(at.button, "Delete").click()
    at.run()
    assert not at.exception
    errors = texts(at.error)
    assert len(errors) == 1 and "used by 1 coding(s)" in errors[0], errors
    assert code_by_key(sqlite_url, guid, "value-creation", "vc.expected") is not None
    with read_session(get_engine(sqlite_url)) as s:
        assert [c.code for c in list_codings(s, get_project(s, guid))] == ["vc.expected"]

    at.selectbox(key="delete_key").set_value("vc.potential")
    one(at.button, "Delete").click()
    at.run()
    assert not at.exception
    assert any("has child codes" in e for e in texts(at.error)), texts(at.error)
    assert code_by_key(sqlite_url, guid, "value-creation", "vc.potential") is not None

    at.selectbox(key="delete_key").set_value("vc.orienting")
    one(at.button, "Delete").click()
    at.run()
    assert not at.exception
    assert not texts(at.error), texts(at.error)
    assert code_by_key(sqlite_url, guid, "value-creation", "vc.orienting") is None
    assert "vc.orienting" not in at.selectbox(key="delete_key").options


def test_documents_page_sets_cases_and_date(monkeypatch, sqlite_url):
    import datetime

    from cases.documents import document_case_names

    guid = new_project(sqlite_url)
    with write_session(get_engine(sqlite_url)) as s:
        project = get_project(s, guid)
        oost, _ = create_case(s, project, "Oost"), create_case(s, project, "West")
        store_import(s, project, preview_import("fg.txt", TRANSCRIPT.encode()), cases=[oost])
    at = open_page(monkeypatch, sqlite_url, guid, "pages/documents.py")
    at.multiselect[0].select("West")
    at.date_input[0].set_value(datetime.date(2025, 5, 1))
    next(b for b in at.button if b.label == "Save").click()
    at.run()
    assert not at.exception
    with read_session(get_engine(sqlite_url)) as s:
        project = get_project(s, guid)
        [doc] = list_documents(s, project)
        assert document_case_names(s, project)[doc.id] == ["Oost", "West"]
        assert doc.document_date == datetime.date(2025, 5, 1)
