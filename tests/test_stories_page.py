"""The Stories page under AppTest: a story created, built from the case's coded segments, reordered, annotated,
undone and moved to the bin through the page, read back from the database; titles, notes and quotes shown
literally; the value-creation matrix and its cells."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from apptest_support import make_app
from apptest_support import shown as said

from cases.projects import get_project
from coding.story_views import story_views
from store.db import get_engine, read_session, write_session
from tests.test_stories import TURNS, build
from ui.state import md_escape

PAGE = "pages/stories.py"
TITLE = "Petra <b>pilot</b> *klanten*"


def one(widgets: Any, label: str) -> Any:
    found = [w for w in widgets if getattr(w, "label", None) == label]
    assert len(found) == 1, f"expected one widget labelled {label!r}, found {len(found)}"
    return found[0]


def button(at, key: str):  # type: ignore[no-untyped-def]
    return next(b for b in at.button if b.key == key)


def stories(url: str) -> list:  # type: ignore[type-arg]
    with read_session(get_engine(url)) as s:
        return story_views(s, get_project(s, "Verhalen"))


def open_page(monkeypatch, url: str, page: str = PAGE):  # type: ignore[no-untyped-def]
    """The app on project "Verhalen" as Anna, switched to `page` and run."""
    with read_session(get_engine(url)) as s:
        guid = str(get_project(s, "Verhalen").guid)
    at = make_app(monkeypatch, url, project_guid=guid, coder="Anna")
    at.run()
    at.switch_page(page).run()
    return at


def test_building_a_story_on_the_page(monkeypatch, sqlite_url):
    guids = build(get_engine(sqlite_url))
    at = open_page(monkeypatch, sqlite_url)
    assert not at.exception
    assert at.title[0].value == "Stories"
    assert "Grenzeloos has no stories yet." in said(at.info)

    one(at.text_input, "Title of the new story").input(TITLE)
    one(at.selectbox, "Whose story").set_value("Hoekstra")
    one(at.button, "Create story").click()
    at.run()
    assert not at.exception
    assert [(v.title, v.person, v.author) for v in stories(sqlite_url)] == [(TITLE, "Hoekstra", "Anna")]
    assert one(at.selectbox, "Story").value == TITLE

    # add from the candidates: immediate, then the realised turn, then the contact at position 2
    for cycle, key, position in (("vc.immediate", "fieldlab", None), ("vc.realised", "omzet", None),
                                 ("vc.potential", "contact", 2)):
        one(at.selectbox, "Segments coded with").set_value(cycle)
        at.run()
        if position is not None:
            next(n for n in at.number_input if n.label == "At position").set_value(position)
            at.run()
        button(at, f"story_add_{guids[key]}_{cycle}").click()
        at.run()
        assert not at.exception, at.exception
    assert [s.cycle for s in stories(sqlite_url)[0].steps] == ["vc.immediate", "vc.potential", "vc.realised"]
    one(at.selectbox, "Segments coded with").set_value("vc.immediate")
    at.run()
    assert button(at, f"story_add_{guids['fieldlab']}_vc.immediate").disabled  # a step already

    steps = stories(sqlite_url)[0].steps
    button(at, f"step_up_{steps[2].guid}").click()  # realised before potential: a loop back
    at.run()
    assert [s.cycle for s in stories(sqlite_url)[0].steps] == ["vc.immediate", "vc.realised", "vc.potential"]
    assert md_escape("⚠ loop back: Realised value → Potential value") in [c.value for c in at.caption]

    note = "Daar <i>kende</i> ze **Petra** al"
    next(t for t in at.text_area if t.key == f"step_note_{steps[1].guid}").input(note)
    next(b for b in at.button if b.label == "Save step" and b.form_id == f"step_edit_{steps[1].guid}").click()
    at.run()
    assert stories(sqlite_url)[0].steps[2].note == note
    assert md_escape(f"↳ {note}") in [c.value for c in at.caption]  # literal, never Markdown or HTML
    assert md_escape(TURNS["contact"]) in [m.value for m in at.markdown]
    assert all(not m.allow_html for m in at.markdown)

    undo = next(b for b in at.button if b.key == "story_undo")
    undo.click()
    at.run()
    assert stories(sqlite_url)[0].steps[2].note == ""
    button(at, f"step_remove_{steps[0].guid}").click()
    at.run()
    assert [s.cycle for s in stories(sqlite_url)[0].steps] == ["vc.realised", "vc.potential"]

    # the value-creation matrix: this case's story, then every case's stories reaching each cycle
    frame = at.dataframe[0].value
    assert list(frame.index) == [f"{TITLE} (Grenzeloos, Hoekstra)"]
    assert frame.loc[frame.index[0], "Realised value"] == f"1. interview_a · turn 8: {TURNS['omzet']}"
    one(at.radio, "Show").set_value("cases")
    at.run()
    frame = at.dataframe[0].value
    assert frame.loc["Grenzeloos"].tolist() == [0, 0, 1, 0, 1, 0]
    assert frame.loc["Stedenband"].tolist() == [0] * 6

    at.checkbox(key=f"story_delete_sure_{stories(sqlite_url)[0].guid}").check()
    at.run()
    one(at.button, "Delete story").click()
    at.run()
    assert stories(sqlite_url) == []
    assert "Grenzeloos has no stories yet." in said(at.info)


def test_a_project_without_the_value_creation_codebook_says_so(monkeypatch, sqlite_url):
    from cases.projects import create_case, create_project

    with write_session(get_engine(sqlite_url)) as s:
        project = create_project(s, "Leeg")
        create_case(s, project, "A")
        guid = str(project.guid)
    at = make_app(monkeypatch, sqlite_url, project_guid=guid, coder="Anna")
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    assert said(at.info)[0].startswith("Stories follow the value-creation cycles: add the 'value-creation' codebook")


def test_marks_and_add_to_story_beside_the_text_and_in_retrieve(monkeypatch, sqlite_url):
    from cases.projects import get_case
    from coding.codings import list_codings
    from coding.stories import create_story
    from ui.code_margin import SEGMENTS_OPEN

    guids = build(get_engine(sqlite_url))
    with write_session(get_engine(sqlite_url)) as s:
        project = get_project(s, "Verhalen")
        create_story(s, project, get_case(s, project, "Grenzeloos"), "Petra", actor="Thomas")
        guid = str(project.guid)
        document = str(next(d.guid for d in project_documents(s, project) if d.title == "interview_a"))
    at = make_app(monkeypatch, sqlite_url, project_guid=guid, coder="Thomas")
    at.query_params["document"] = document
    at.query_params["turn"] = "5"  # the pilot turn
    at.run()
    at.switch_page("pages/coding.py").run()
    at.session_state[SEGMENTS_OPEN] = True
    at.run()
    assert not at.exception
    at.checkbox(key=next(c.key for c in at.checkbox if c.key.startswith("marks_aspirational_"))).check()
    at.selectbox(key=next(b.key for b in at.selectbox if b.key.startswith("marks_beneficiary_"))).set_value("team")
    next(b for b in at.button if b.label == "Save marks").click()
    at.run()
    assert not at.exception
    with read_session(get_engine(sqlite_url)) as s:
        pilot = next(c for c in list_codings(s, get_project(s, "Verhalen")) if str(c.segment) == guids["pilot"])
    assert (pilot.aspirational, pilot.beneficiary) == (True, "team")

    at.text_input(key="coding_story_note").input("Met haar hulp")
    next(b for b in at.button if b.label == "Add to story").click()
    at.run()
    assert not at.exception
    view = stories(sqlite_url)[0]
    assert [(s.segment, s.cycle, s.note) for s in view.steps] == [(guids["pilot"], "vc.applied", "Met haar hulp")]
    assert view.steps[0].warnings == ["an aspirational statement used as evidence of applied value"]

    at.switch_page("pages/retrieve.py").run()
    at.multiselect(key="retrieve_codes").select("vc.realised")
    at.run()
    at.selectbox(key="retrieve_story_story").set_value(view.guid)
    next(b for b in at.button if b.label == "Add to story").click()
    at.run()
    assert not at.exception
    assert [s.segment for s in stories(sqlite_url)[0].steps] == [guids["pilot"], guids["omzet"]]


def project_documents(s, project):  # type: ignore[no-untyped-def]
    from cases.documents import list_documents

    return list_documents(s, project)


def test_the_charts_show_how_far_stories_get(monkeypatch, sqlite_url):
    import json

    from tests.test_stories import write_story

    guids = build(get_engine(sqlite_url))
    write_story(get_engine(sqlite_url), guids, ["fieldlab", "pilot", "omzet", "contact"])  # reaches realised
    at = open_page(monkeypatch, sqlite_url, "pages/charts.py")
    assert not at.exception
    figures = {json.loads(e.proto.spec)["layout"]["title"]["text"]: json.loads(e.proto.spec)
               for e in at.get("plotly_chart")}
    reach = figures["How far do stories get: stories per case by the highest cycle they reach"]
    bars = {bar["name"]: dict(zip(bar["y"], bar["x"])) for bar in reach["data"]}
    assert bars["Realised value"] == {"Grenzeloos": 1, "Stedenband": 0}
    assert sum(sum(row.values()) for row in bars.values()) == 1


def test_the_story_walk_in_presentation_mode(monkeypatch, sqlite_url):
    from datetime import date

    from cases.projects import get_case
    from coding.stories import add_step, create_story
    from focusgroups.anonymise import add_mask_term
    from focusgroups.feedback import list_feedback
    from focusgroups.sessions import create_session, get_session
    from tests.test_stories import write_story

    engine = get_engine(sqlite_url)
    guids = build(engine)
    write_story(engine, guids, ["fieldlab", "contact", "pilot"])  # "Petra", Grenzeloos
    with write_session(engine) as s:
        project = get_project(s, "Verhalen")
        venlo = create_story(s, project, get_case(s, project, "Stedenband"), "Venlo met Petra", actor="Anna")
        add_step(s, project, venlo, guids["venlo"], actor="Anna")
        add_mask_term(s, project, "Petra", kind="person", actor="Anna")
        fg = create_session(s, project, "Focus group 2", date(2026, 12, 1), attendees={"member": 5}, actor="Anna")
        guid, fg_guid = str(project.guid), str(fg.guid)
        own = str(get_case(s, project, "Grenzeloos").guid)
    at = make_app(monkeypatch, sqlite_url, project_guid=guid, coder="Fien")
    at.run()
    at.switch_page("pages/presentation.py").run()
    at.selectbox(key="pres_session_pick").set_value(fg_guid)
    at.selectbox(key="pres_own_pick").set_value(own)  # a session for Grenzeloos: Stedenband is "Case A"
    at.button(key="pres_start").click().run()
    at.radio(key="pres_what").set_value("stories").run()
    assert not at.exception, at.exception
    assert [h.value for h in at.header] == [md_escape("[person]")]  # the title's name masked
    captions = [c.value for c in at.caption]
    assert md_escape("Grenzeloos · reaches Immediate value, Potential value, Applied value") in captions
    assert md_escape("interview 1 · Respondent 1 · turn 2") in captions  # never the title or the label
    assert md_escape(TURNS["fieldlab"]) in [m.value for m in at.markdown]
    at.button(key="pres_story_next").click().run()
    assert [h.value for h in at.header] == [md_escape("Venlo met [person]")]
    assert md_escape("Case A · reaches Applied value") in [c.value for c in at.caption]  # the other network
    at.button(key="pres_story_prev").click().run()

    step = stories(sqlite_url)[0].steps[2]  # Petra's pilot
    at.button(key=f"pres_story_step_{step.guid}").click().run()
    at.radio(key="story_fb_stance").set_value("amend")
    at.selectbox(key="story_fb_role").set_value("member")
    at.text_area(key="story_fb_note").input("Het was eerder een proef dan een pilot.")
    at.button(key="FormSubmitter:story_fb_form-Record feedback").click().run()
    assert not at.exception, at.exception
    with read_session(engine) as s:
        project = get_project(s, "Verhalen")
        stored = list_feedback(s, project, fg=get_session(s, project, fg_guid))
    assert [(r.case, r.code, r.stance, r.participant_role, r.story_step) for r in stored] == [
        ("Grenzeloos", "vc.applied", "amend", "member", step.guid)]
    assert md_escape("amend · member · Het was eerder een proef dan een pilot.") in [c.value for c in at.caption]
    at.button(key="story_fb_undo").click().run()
    with read_session(engine) as s:
        project = get_project(s, "Verhalen")
        assert list_feedback(s, project, fg=get_session(s, project, fg_guid)) == []
    # a remark on the other network's story: its name stays hidden in the undo line and the remarks
    at.button(key="pres_story_next").click().run()
    at.text_area(key="story_fb_note").input("Stedenband doet dit ook")
    at.button(key="FormSubmitter:story_fb_form-Record feedback").click().run()
    assert not at.exception, at.exception
    shown_text = [c.value for c in at.caption] + [s.value for s in at.success]
    assert any("Case A × Applied value" in c for c in shown_text), shown_text
    assert not any("Stedenband" in c for c in shown_text), shown_text


def test_a_step_opens_its_turn_in_the_transcript(monkeypatch, sqlite_url):
    from tests.test_stories import write_story

    guids = build(get_engine(sqlite_url))
    write_story(get_engine(sqlite_url), guids, ["fieldlab", "pilot"])
    with read_session(get_engine(sqlite_url)) as s:
        project = get_project(s, "Verhalen")
        guid = str(project.guid)
        from cases.projects import get_document

        document = str(get_document(s, project, "interview_a").guid)
    at = make_app(monkeypatch, sqlite_url, project_guid=guid, coder="Anna")
    at.run()
    at.switch_page(PAGE).run()
    from urllib.parse import parse_qsl

    targets = [dict(parse_qsl(link.proto.query_string)) for link in at.get("page_link")]
    assert {"project": guid, "document": document, "turn": "1"} in targets  # the fieldlab turn (ordinal 1)
    assert {"project": guid, "document": document, "turn": "5"} in targets  # the pilot turn


def test_the_matrices_page_shows_the_value_creation_matrix(monkeypatch, sqlite_url):
    from tests.test_stories import write_story

    guids = build(get_engine(sqlite_url))
    write_story(get_engine(sqlite_url), guids, ["fieldlab", "omzet"])
    at = open_page(monkeypatch, sqlite_url, "pages/matrices.py")
    at.radio(key="matrix_mode").set_value("stories").run()
    assert not at.exception
    frame = at.dataframe[0].value
    assert list(frame.index) == ["Petra (Grenzeloos)"]
    assert frame.loc["Petra (Grenzeloos)", "Realised value"] == f"2. interview_a · turn 8: {TURNS['omzet']}"
    at.selectbox(key="story_cell_stories").set_value((0, 4)).run()
    assert md_escape(TURNS["omzet"]) in [m.value for m in at.markdown]


def test_a_renamed_story_stays_the_one_shown(monkeypatch, sqlite_url):
    from tests.test_stories import write_story

    guids = build(get_engine(sqlite_url))
    write_story(get_engine(sqlite_url), guids, ["fieldlab"])
    at = open_page(monkeypatch, sqlite_url)
    story = stories(sqlite_url)[0]
    at.text_input(key=f"story_title_{story.guid}").input("Petra belt")
    at.selectbox(key=f"story_person_{story.guid}").set_value("Hoekstra")
    next(b for b in at.button if b.label == "Save story").click()
    at.run()
    assert not at.exception
    assert at.selectbox(key="stories_story").value == "Petra belt"
    assert [(v.title, v.person) for v in stories(sqlite_url)] == [("Petra belt", "Hoekstra")]


def test_a_story_written_elsewhere_shows_on_the_next_run(monkeypatch, sqlite_url):
    """The page keeps a case's stories per project revision: a story someone else writes (a logged change) is
    there on the next run, and so is a step added to it."""
    from cases.projects import get_case
    from coding.stories import add_step, create_story, get_story

    guids = build(get_engine(sqlite_url))
    at = open_page(monkeypatch, sqlite_url)
    assert "Grenzeloos has no stories yet." in said(at.info)
    with write_session(get_engine(sqlite_url)) as s:
        project = get_project(s, "Verhalen")
        create_story(s, project, get_case(s, project, "Grenzeloos"), "Elders geschreven", actor="Bram")
    at.run()
    assert not at.exception
    assert one(at.selectbox, "Story").value == "Elders geschreven"
    assert "Grenzeloos has no stories yet." not in said(at.info)
    with write_session(get_engine(sqlite_url)) as s:
        project = get_project(s, "Verhalen")
        add_step(s, project, get_story(s, project, "Elders geschreven"), guids["fieldlab"], actor="Bram")
    at.run()
    assert not at.exception
    one(at.selectbox, "Segments coded with").set_value("vc.immediate")
    at.run()
    assert button(at, f"story_add_{guids['fieldlab']}_vc.immediate").disabled  # now a step of the story shown

