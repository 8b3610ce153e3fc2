"""The Presentation page under AppTest (SQLite): choose or create a session, step through the cases, switch
cell modes, reveal a cell's anonymised quotes, record feedback in the drawer, and walk the codebook (session 1).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from apptest_support import make_app, shown  # noqa: E402
from cases.projects import create_case, get_project, list_cases  # noqa: E402
from focusgroups.feedback import list_feedback  # noqa: E402
from focusgroups.sessions import get_session, list_sessions  # noqa: E402
from store.db import get_engine, read_session, write_session  # noqa: E402
from test_presentation import build_focus_study  # noqa: E402

FACILITATOR = "Fien"


@pytest.fixture
def study(sqlite_url: str):  # type: ignore[no-untyped-def]
    engine = get_engine(sqlite_url)
    guid = build_focus_study(engine)
    with read_session(engine) as s:
        sessions = {fg.name: str(fg.guid) for fg in list_sessions(s, get_project(s, guid))}
    return sqlite_url, guid, sessions


def open_page(monkeypatch, url: str, guid: str):  # type: ignore[no-untyped-def]
    at = make_app(monkeypatch, url, project_guid=guid, coder=FACILITATOR)
    at.run()
    assert not at.exception
    at.switch_page("pages/presentation.py")
    at.run()
    assert not at.exception, at.exception
    return at


def start(at, session_guid: str, language: str = "en"):  # type: ignore[no-untyped-def]
    at.selectbox(key="pres_session_pick").set_value(session_guid)
    at.selectbox(key="pres_language_pick").set_value(language).run()
    at.button(key="pres_start").click().run()
    assert not at.exception, at.exception
    return at


def texts(at) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m.value) for m in at.markdown] + [str(c.value) for c in at.caption]


def headers(at) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(h.value) for h in at.header]


def test_create_a_session_and_it_is_chosen(monkeypatch, study) -> None:  # type: ignore[no-untyped-def]
    url, guid, _ = study
    at = open_page(monkeypatch, url, guid)
    assert [t.value for t in at.title] == ["Presentation"]
    at.text_input(key="pres_new_name").input("Focus group 3")
    at.text_input(key="pres_new_attendees").input("6 network representative, 4 researcher")
    at.radio(key="pres_new_purpose").set_value("validation")
    at.button(key="FormSubmitter:pres_new_session-Create session").click().run()
    assert not at.exception, at.exception
    with read_session(get_engine(url)) as s:
        fg = get_session(s, get_project(s, guid), "Focus group 3")
        assert (fg.purpose, fg.attendees) == ("validation", {"network representative": 6, "researcher": 4})
        created = str(fg.guid)
    assert at.selectbox(key="pres_session_pick").value == created
    assert any("Focus group 3" in s and "created" in s for s in shown(at.success))


def test_bad_attendees_are_refused_with_the_reason(monkeypatch, study) -> None:  # type: ignore[no-untyped-def]
    url, guid, _ = study
    at = open_page(monkeypatch, url, guid)
    at.text_input(key="pres_new_name").input("Focus group 4")
    at.text_input(key="pres_new_attendees").input("six network representatives")
    at.button(key="FormSubmitter:pres_new_session-Create session").click().run()
    assert shown(at.error) == [
        "write attendees as '6 network representative, 4 researcher', not 'six network representatives'"]


def test_step_through_the_cases_then_all_side_by_side(monkeypatch, study) -> None:  # type: ignore[no-untyped-def]
    url, guid, sessions = study
    at = start(open_page(monkeypatch, url, guid), sessions["Focus group 2"])
    assert at.query_params["present"] == "1"  # app.py hides the page list while this is set
    assert at.button(key="pres_exit").label == "Exit presentation"
    assert "Noord" in headers(at)
    assert "**Case 1 of 2**" in texts(at)
    assert "Members learn from each other\\." in texts(at)
    # Counts are hidden until the facilitator asks for them.
    assert not any("coded segment" in t for t in texts(at))
    at.toggle(key="pres_counts").set_value(True).run()
    assert "1 coded segment · 1 document · 1 of 1 interviewees" in [c.value.replace("\\", "") for c in at.caption]
    at.button(key="pres_next").click().run()
    assert "Zuid" in headers(at)
    at.button(key="pres_next").click().run()
    assert "All cases side by side" in headers(at)
    assert at.button(key="pres_next").disabled
    at.radio(key="pres_mode").set_value("k_of_n").run()
    assert [at.button(key=f"pres_cell_0_{j}").label for j in range(6)] == [
        "0 of 1", "0 of 1", "1 of 1", "1 of 1", "0 of 1", "0 of 1"]
    assert at.button(key="pres_cell_1_1").label == "no data"  # a stored state, never a zero
    at.radio(key="pres_mode").set_value("rating").run()
    assert at.button(key="pres_cell_0_2").label == "strong \\(3\\)"
    at.button(key="pres_exit").click().run()
    assert "present" not in at.query_params
    assert [t.value for t in at.title] == ["Presentation"]
    assert at.selectbox(key="pres_session_pick").value == sessions["Focus group 2"]  # not the first in the list


def test_clicking_a_cell_reveals_its_quotes_anonymised(monkeypatch, study) -> None:  # type: ignore[no-untyped-def]
    url, guid, sessions = study
    at = start(open_page(monkeypatch, url, guid), sessions["Focus group 2"])
    at.button(key="pres_all").click().run()
    at.button(key="pres_cell_0_2").click().run()
    assert not at.exception, at.exception
    assert "Quotes · Noord × Potential value" in [str(s.value) for s in at.subheader]
    assert "Ik leerde veel van \\[person\\] in \\[place\\]\\." in texts(at)
    assert "Respondent 1 · pinned" in [c.value for c in at.caption]
    assert not any("Bert Jansen" in t or "Anna" in t for t in texts(at))
    assert at.button(key="pres_cell_0_2").proto.type == "primary"  # the chosen cell stands out
    at.toggle(key="pres_names").set_value(True).run()
    assert "Ik leerde veel van Bert Jansen in Enschede\\." in texts(at)
    assert "Anna \\(R1\\) · N1 · turn 2 · pinned" in [c.value for c in at.caption]
    # Transcript text is escaped, never rendered as HTML or Markdown.
    at.toggle(key="pres_names").set_value(False).run()
    at.button(key="pres_cell_1_5").click().run()
    assert "\\<b\\>Samen\\</b\\> \\*\\*sterk\\*\\*" in texts(at)
    assert "Respondent 2" in [c.value for c in at.caption]


def test_quotes_open_under_the_card_case_by_case(monkeypatch, study) -> None:  # type: ignore[no-untyped-def]
    url, guid, sessions = study
    at = start(open_page(monkeypatch, url, guid), sessions["Focus group 2"], language="nl")
    assert "**Toegepaste waarde**" in texts(at)  # code labels in the chosen language
    at.button(key="pres_card_0_3").click().run()
    assert "Quotes · Noord × Toegepaste waarde" in [str(s.value) for s in at.subheader]
    assert "een pilot gestart" in texts(at)


def test_drawer_feedback_is_stored_on_the_chosen_cell(monkeypatch, study) -> None:  # type: ignore[no-untyped-def]
    url, guid, sessions = study
    at = start(open_page(monkeypatch, url, guid), sessions["Focus group 2"])
    at.button(key="pres_all").click().run()
    at.button(key="pres_cell_1_4").click().run()
    assert (at.selectbox(key="fb_case").value, at.selectbox(key="fb_code").value) == ("Zuid", "vc.realised")
    assert at.selectbox(key="fb_role").options == ["unspecified", "network representative", "researcher"]
    at.radio(key="fb_stance").set_value("amend")
    at.selectbox(key="fb_role").set_value("network representative")
    at.text_area(key="fb_note").input("Doubled thanks to the fair in Enschede.")
    at.button(key="FormSubmitter:fb_form-Record feedback").click().run()
    assert not at.exception, at.exception
    assert any("Feedback recorded on Zuid × Realised value" in s for s in shown(at.success))
    # the facilitator took it down on the wrong cell: undo takes back exactly that remark, redo records it again
    assert "↶ Undo: recording “amend” (network representative) on Zuid × Realised value" in shown(at.caption)
    at.button(key="fb_undo").click().run()
    assert shown(at.success) == ["Undone: recording “amend” (network representative) on Zuid × Realised value."]
    with read_session(get_engine(url)) as s:
        project = get_project(s, guid)
        assert list_feedback(s, project, fg=get_session(s, project, "Focus group 2")) == []
    at.button(key="fb_redo").click().run()
    assert not at.exception, at.exception
    with read_session(get_engine(url)) as s:
        project = get_project(s, guid)
        stored = list_feedback(s, project, fg=get_session(s, project, "Focus group 2"))
    assert [(r.case, r.code, r.stance, r.participant_role, r.note, r.recorded_by) for r in stored] == [
        ("Zuid", "vc.realised", "amend", "network representative", "Doubled thanks to the fair in Enschede.",
         FACILITATOR)]
    assert "**Recorded in this session on Zuid × Realised value: 1**" in texts(at)
    assert "amend · network representative · Doubled thanks to the fair in Enschede\\." in [
        c.value for c in at.caption]
    # An 'add' without a note is refused with the reason, nothing stored.
    at.radio(key="fb_stance").set_value("add")
    at.button(key="FormSubmitter:fb_form-Record feedback").click().run()
    assert "a remark with stance 'add' needs a note saying what participants proposed" in shown(at.error)


def test_feedback_on_a_code_can_become_a_new_code(monkeypatch, study) -> None:  # type: ignore[no-untyped-def]
    url, guid, sessions = study
    at = start(open_page(monkeypatch, url, guid), sessions["Focus group 2"])
    at.selectbox(key="fb_case").set_value("")
    at.selectbox(key="fb_code").set_value("vc.potential")
    at.radio(key="fb_stance").set_value("add")
    at.text_area(key="fb_note").input("Trust between members grows first.")
    at.button(key="FormSubmitter:fb_form-Record feedback").click().run()
    assert not at.exception, at.exception
    at.text_input(key="fb_promote_key").input("vc.trust")
    at.text_input(key="fb_promote_label").input("Trust")
    at.button(key="FormSubmitter:fb_promote-Promote to code").click().run()
    assert not at.exception, at.exception
    assert any("New code vc.trust created" in s for s in shown(at.success))
    with read_session(get_engine(url)) as s:
        project = get_project(s, guid)
        stored = list_feedback(s, project, fg=get_session(s, project, "Focus group 2"))
    assert [(r.case, r.code, r.stance, r.promoted_to) for r in stored] == [(None, "vc.potential", "add", "vc.trust")]


def test_session_one_walks_the_codebook(monkeypatch, study) -> None:  # type: ignore[no-untyped-def]
    url, guid, sessions = study
    at = start(open_page(monkeypatch, url, guid), sessions["Focus group 1"], language="nl")
    assert [t.value for t in at.title] == ["Codebook walk · Value creation cycles"]
    assert "Verwachte waarde" in headers(at)
    assert "**Code 1 of 11**" in texts(at)
    assert "order 1 · vc\\.expected · rank 0 · horizon\\: before" in texts(at)
    at.button(key="walk_next").click().run()
    assert "Onmiddellijke waarde" in headers(at)
    assert "NL: Onmiddellijke waarde · EN: Immediate value" in " ".join(texts(at)).replace("\\", "")
    at.radio(key="walk_stance").set_value("recognised")
    at.selectbox(key="walk_role").set_value("network representative")
    at.button(key="FormSubmitter:walk_form-Record").click().run()
    assert not at.exception, at.exception
    at.radio(key="walk_stance").set_value("missing")
    at.radio(key="walk_about").set_value("codebook")
    at.text_area(key="walk_note").input("trust between members")
    at.button(key="FormSubmitter:walk_form-Record").click().run()
    assert not at.exception, at.exception
    with read_session(get_engine(url)) as s:
        project = get_project(s, guid)
        stored = list_feedback(s, project, fg=get_session(s, project, "Focus group 1"))
    assert [(r.code, r.stance, r.participant_role, r.note) for r in stored] == [
        ("vc.immediate", "recognised", "network representative", ""), (None, "missing", "", "trust between members")]
    (summary,) = [d.value for d in at.dataframe]
    row = summary[summary["code"] == "vc.immediate"].iloc[0]
    assert (row["recognised"], row["not recognised"]) == (1, 0)
    assert summary.iloc[-1]["missing"] == "trust between members"


def test_a_reload_presents_the_same_matrix_from_the_url(monkeypatch, study) -> None:  # type: ignore[no-untyped-def]
    url, guid, sessions = study
    at = start(open_page(monkeypatch, url, guid), sessions["Focus group 2"], language="nl")
    assert (at.query_params["book"], at.query_params["depth"], at.query_params["lang"]) == ("value-creation", "1",
                                                                                           "nl")
    dutch = texts(at) + headers(at)
    assert any("Onmiddellijke waarde" in t for t in dutch)
    # A new browser session with the same URL (a reload): no session state, the URL says what to show.
    again = make_app(monkeypatch, url, project_guid=guid, coder=FACILITATOR)
    for key in ("present", "fg", "book", "depth", "lang"):
        again.query_params[key] = at.query_params[key]
    again.run()
    again.switch_page("pages/presentation.py")
    again.run()
    assert not again.exception, again.exception
    assert texts(again) + headers(again) == dutch
    again.query_params["lang"] = "xx"  # nonsense falls back to English labels
    again.run()
    assert not again.exception
    again.button(key="pres_exit").click().run()
    assert not {"present", "book", "depth", "lang"} & set(again.query_params)


def test_a_session_for_one_network_shows_the_chosen_cases_and_the_others_as_letters(monkeypatch, study) -> None:  # type: ignore[no-untyped-def]
    url, guid, sessions = study
    with write_session(get_engine(url)) as s:
        create_case(s, get_project(s, guid), "Testcase")
    with read_session(get_engine(url)) as s:
        case_guids = {c.name: str(c.guid) for c in list_cases(s, get_project(s, guid))}
    at = open_page(monkeypatch, url, guid)
    at.multiselect(key="pres_cases_pick").set_value([case_guids["Noord"], case_guids["Zuid"]])
    at.selectbox(key="pres_own_pick").set_value(case_guids["Noord"])
    start(at, sessions["Focus group 2"])
    assert at.query_params["cases"] == f"{case_guids['Noord']},{case_guids['Zuid']}"
    assert at.query_params["own"] == case_guids["Noord"]
    assert "**Case 1 of 2**" in texts(at)  # the test case is not in the room
    at.button(key="pres_all").click().run()
    assert not at.exception, at.exception
    everything = texts(at) + headers(at) + [b.label for b in at.button] + [str(o) for o in
                                                                          at.selectbox(key="fb_case").options]
    assert "**Case A**" in texts(at)
    assert not any("Zuid" in t or "Testcase" in t for t in everything)
    # a remark recorded on Case A: the message, the undo offer and, after undo, what was undone say Case A too
    at.selectbox(key="fb_case").set_value("Zuid")
    at.radio(key="fb_stance").set_value("agree")
    at.button(key="FormSubmitter:fb_form-Record feedback").click().run()
    assert not at.exception, at.exception
    said = shown(at.success) + shown(at.caption)
    assert any(s.startswith("↶ Undo: recording “agree” on Case A × ") for s in said), said
    at.button(key="fb_undo").click().run()
    said = shown(at.success) + shown(at.caption) + texts(at)
    assert any(s.startswith("Undone: recording “agree” on Case A × ") for s in said), said
    assert not any("Zuid" in s for s in said)


def test_a_link_to_a_missing_session_falls_back_to_choosing_one(monkeypatch, study) -> None:  # type: ignore[no-untyped-def]
    url, guid, _ = study
    at = make_app(monkeypatch, url, project_guid=guid, coder=FACILITATOR)
    at.query_params["present"] = "1"
    at.query_params["fg"] = "00000000-0000-0000-0000-000000000000"
    at.run()
    at.switch_page("pages/presentation.py")
    at.run()
    assert not at.exception, at.exception
    assert "present" not in at.query_params
    assert [t.value for t in at.title] == ["Presentation"]


def test_without_an_open_project_the_page_says_so(monkeypatch, study) -> None:  # type: ignore[no-untyped-def]
    url, _, _ = study
    at = make_app(monkeypatch, url)
    at.run()
    at.switch_page("pages/presentation.py")
    at.run()
    assert not at.exception, at.exception
    assert [str(i.value) for i in at.info] == ["Open or create a project on the Projects page first."]
