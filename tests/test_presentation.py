"""Presentation mode's view model on a small hand-built study: modes, ladder order, anonymised quotes, feedback.

Noord: N1 (interviewer + Anna Smit, who names Bert Jansen and Enschede). Zuid: Z1 (Dirk Bauer). Speakers are
numbered per role in document-title order, so Anna is Respondent 1 and Dirk Respondent 2. Enschede is on the
mask list as a place; every registered person's name is masked as [person].
"""

from __future__ import annotations

from datetime import date

import pytest

from analysis.framework_matrix import pin_quote, save_cell
from cases.importer import SpeakerDecision, preview_import, store_import
from cases.projects import create_case, create_person, create_project, get_or_create_coder, get_project
from codebooks.service import adopt_codebook
from coding.codings import apply_coding
from focusgroups.anonymise import add_mask_term
from focusgroups.feedback import record_feedback
from focusgroups.presentation import (
    PresentedQuote, attendee_roles, build_presentation, cell_display, cell_quotes, feedback_on, walk_codes, walk_summary,
)
from focusgroups.sessions import create_session, get_session
from store.db import get_engine, read_session, write_session
from store.errors import Refused

N1 = "I: Hoe begon het?\nAnna: Ik leerde veel van Bert Jansen in Enschede. We hebben een pilot gestart.\n"
Z1 = "I: Wat is er veranderd?\nDirk: Onze omzet is verdubbeld. <b>Samen</b> **sterk**\n"
LADDER = ["vc.expected", "vc.immediate", "vc.potential", "vc.applied", "vc.realised", "vc.transformative"]


def span(text: str, phrase: str) -> tuple[int, int]:
    start = text.index(phrase)
    return start, start + len(phrase)


def build_focus_study(engine) -> str:  # type: ignore[no-untyped-def]
    """The study above, with two focus-group sessions (1: codebook walk, 2: matrix validation); its guid."""
    with write_session(engine) as s:
        project = create_project(s, "Focusstudie")
        adopt_codebook(s, project, "value-creation")
        noord, zuid = create_case(s, project, "Noord"), create_case(s, project, "Zuid")
        for name, pseudonym in (("Anna Smit", "R1"), ("Bert Jansen", "R2"), ("Dirk Bauer", "R4")):
            create_person(s, project, name, pseudonym=pseudonym)
        add_mask_term(s, project, "Enschede", "place", "[place]")

        def load(case, title, text, speakers):  # type: ignore[no-untyped-def]
            preview = preview_import(f"{title}.txt", text.encode("utf-8"), language="nl")
            return store_import(s, project, preview, cases=[case], speakers=speakers)

        n1 = load(noord, "N1", N1, {"I": SpeakerDecision("interviewer"),
                                    "Anna": SpeakerDecision("respondent", person="Anna Smit")})
        z1 = load(zuid, "Z1", Z1, {"I": SpeakerDecision("interviewer"),
                                   "Dirk": SpeakerDecision("respondent", person="Dirk Bauer")})
        sanne, _ = get_or_create_coder(s, project, "Sanne")
        learned = apply_coding(s, project, n1, sanne, *span(N1, "Ik leerde veel van Bert Jansen in Enschede."),
                               ["vc.potential.human"])
        apply_coding(s, project, n1, sanne, *span(N1, "een pilot gestart"), ["vc.applied"])
        apply_coding(s, project, z1, sanne, *span(Z1, "Onze omzet is verdubbeld."), ["vc.realised"])
        save_cell(s, project, "Noord", "vc.potential", rating=3, summary="Members learn from each other.")
        save_cell(s, project, "Zuid", "vc.immediate", state="no_data")
        pin_quote(s, project, "Noord", "vc.potential", str(learned.guid), headline=True)
        create_session(s, project, "Focus group 2", date(2026, 11, 20), purpose="validation",
                       attendees={"researcher": 4, "network representative": 6})
        create_session(s, project, "Focus group 1", date(2026, 10, 2), purpose="codebook",
                       attendees={"network representative": 5})
        apply_coding(s, project, z1, sanne, *span(Z1, "<b>Samen</b> **sterk**"), ["vc.transformative"])
        return str(project.guid)


@pytest.fixture
def study(db_url: str) -> tuple[object, str]:
    engine = get_engine(db_url)
    return engine, build_focus_study(engine)


def cell(view, case: str, code: str):  # type: ignore[no-untyped-def]
    i, j = view.position(case, code)
    return view.cases[i].cells[j]


def test_value_cycles_in_ladder_order_with_horizon_bands(study) -> None:  # type: ignore[no-untyped-def]
    engine, guid = study
    with read_session(engine) as s:
        view = build_presentation(s, get_project(s, guid))
    assert view.ladder is True
    assert [c.key for c in view.columns] == LADDER
    assert [(b.label, b.columns) for b in view.bands] == [
        ("before", [0]), ("short term", [1]), ("medium term", [2, 3, 4]), ("long term", [5])]
    assert [c.band for c in view.columns] == ["before", "short term", "medium term", "medium term", "medium term",
                                              "long term"]
    assert [c.name for c in view.cases] == ["Noord", "Zuid"]
    assert [c.code_label for c in view.cases[0].cells][:3] == ["Expected value (opt.)", "Immediate value",
                                                               "Potential value"]


def test_each_mode_shows_its_own_text_and_a_stored_state_never_a_zero(study) -> None:  # type: ignore[no-untyped-def]
    engine, guid = study
    with read_session(engine) as s:
        project = get_project(s, guid)
        views = {mode: build_presentation(s, project, mode=mode) for mode in ("summary", "rating", "k_of_n", "quote")}
    expected = {
        ("Noord", "vc.potential"): ("Members learn from each other.", "strong (3)", "1 of 1",
                                    "“Ik leerde veel van [person] in [place].” — Respondent 1"),
        ("Noord", "vc.applied"): ("not yet assessed", "not yet assessed", "1 of 1",
                                  "“een pilot gestart” — Respondent 1"),
        ("Noord", "vc.expected"): ("not yet assessed", "not yet assessed", "0 of 1", "no quote"),
        ("Zuid", "vc.immediate"): ("no data", "no data", "no data", "no data"),
        ("Zuid", "vc.realised"): ("not yet assessed", "not yet assessed", "1 of 1",
                                  "“Onze omzet is verdubbeld.” — Respondent 2"),
    }
    for (case, code), texts in expected.items():
        got = tuple(cell(views[mode], case, code).text for mode in ("summary", "rating", "k_of_n", "quote"))
        assert got == texts, (case, code)


def test_counts_are_hidden_by_default_and_say_what_lies_behind_a_cell(study) -> None:  # type: ignore[no-untyped-def]
    engine, guid = study
    with read_session(engine) as s:
        project = get_project(s, guid)
        hidden = build_presentation(s, project)
        shown = build_presentation(s, project, show_counts=True)
    assert hidden.show_counts is False and shown.show_counts is True
    assert cell(hidden, "Noord", "vc.potential").counts == "1 coded segment · 1 document · 1 of 1 interviewees"
    assert cell(hidden, "Zuid", "vc.expected").counts == "0 coded segments · 0 documents · 0 of 1 interviewees"
    assert cell(hidden, "Noord", "vc.potential").counts_short == "1 coded · 1 of 1"
    # Summary and rating text carry no numbers of their own.
    assert "of" not in cell(hidden, "Noord", "vc.potential").text


def test_quotes_are_anonymised_by_default_and_named_only_on_request(study) -> None:  # type: ignore[no-untyped-def]
    engine, guid = study
    with read_session(engine) as s:
        project = get_project(s, guid)
        view = build_presentation(s, project)
        pinned = cell_quotes(s, project, view, "Noord", "vc.potential")
        derived = cell_quotes(s, project, view, "Zuid", "vc.realised")
        named = cell_quotes(s, project, view, "Noord", "vc.potential", show_names=True)
        empty = cell_quotes(s, project, view, "Zuid", "vc.expected")
    assert [(q.text, q.speaker, q.where, q.pinned) for q in pinned] == [
        ("Ik leerde veel van [person] in [place].", "Respondent 1", "", True)]
    assert [(q.text, q.speaker, q.where, q.pinned) for q in derived] == [
        ("Onze omzet is verdubbeld.", "Respondent 2", "", False)]
    assert [(q.text, q.speaker, q.where) for q in named] == [
        ("Ik leerde veel van Bert Jansen in Enschede.", "Anna (R1)", "N1 · turn 2")]
    assert empty == []


def test_a_cell_without_pins_shows_its_own_segments(study) -> None:  # type: ignore[no-untyped-def]
    engine, guid = study
    with read_session(engine) as s:
        project = get_project(s, guid)
        view = build_presentation(s, project)
        quotes = cell_quotes(s, project, view, "Noord", "vc.applied")
        with pytest.raises(Refused, match="no cell 'Oost' x 'vc.applied'"):
            cell_quotes(s, project, view, "Oost", "vc.applied")
    assert [(q.text, q.speaker, q.pinned) for q in quotes] == [("een pilot gestart", "Respondent 1", False)]


def test_feedback_lands_on_the_cell_it_was_given_on(study) -> None:  # type: ignore[no-untyped-def]
    engine, guid = study
    with write_session(engine) as s:
        project = get_project(s, guid)
        fg = get_session(s, project, "Focus group 2")
        view = build_presentation(s, project)
        target = cell(view, "Zuid", "vc.realised")
        record_feedback(s, project, fg, stance="amend", case=target.case, code=target.code,
                        participant_role="network representative", note="Turnover doubled thanks to the fair.")
        record_feedback(s, project, fg, stance="agree", code="vc.realised", participant_role="researcher")
    with read_session(engine) as s:
        project = get_project(s, guid)
        fg = get_session(s, project, "Focus group 2")
        on_cell = feedback_on(s, project, fg, case="Zuid", code="vc.realised")
        on_other_cell = feedback_on(s, project, fg, case="Noord", code="vc.realised")
        on_code = feedback_on(s, project, fg, code="vc.realised")
        after = build_presentation(s, project, show_counts=True)
    assert [(r.case, r.code, r.stance, r.participant_role, r.note) for r in on_cell] == [
        ("Zuid", "vc.realised", "amend", "network representative", "Turnover doubled thanks to the fair.")]
    assert on_other_cell == []
    assert [(r.case, r.code, r.stance) for r in on_code] == [(None, "vc.realised", "agree")]
    assert cell(after, "Zuid", "vc.realised").counts.endswith("1 feedback remark")
    assert "feedback" not in cell(after, "Noord", "vc.realised").counts


def test_attendee_roles_largest_group_first(study) -> None:  # type: ignore[no-untyped-def]
    engine, guid = study
    with read_session(engine) as s:
        fg = get_session(s, get_project(s, guid), "Focus group 2")
        assert attendee_roles(fg) == ["network representative", "researcher"]


def test_codebook_walk_lists_codes_in_order_and_tallies_the_session(study) -> None:  # type: ignore[no-untyped-def]
    engine, guid = study
    with write_session(engine) as s:
        project = get_project(s, guid)
        codes = walk_codes(s, project, "vc")
        fg = get_session(s, project, "Focus group 1")
        record_feedback(s, project, fg, stance="recognised", code="vc.immediate",
                        participant_role="network representative")
        record_feedback(s, project, fg, stance="recognised", code="vc.immediate")
        record_feedback(s, project, fg, stance="not_recognised", code="vc.expected")
        record_feedback(s, project, fg, stance="missing", note="trust between members")
    assert codes[0].key == "vc.expected" and codes[0].order == 1 and codes[0].depth == 0
    assert [c.key for c in codes if c.depth == 0] == LADDER
    assert ("vc.potential.human", 1) in [(c.key, c.depth) for c in codes]
    first = codes[1]
    assert (first.key, first.label_en, first.label_nl, first.horizon) == (
        "vc.immediate", "Immediate value", "Onmiddellijke waarde", "short")
    with read_session(engine) as s:
        project = get_project(s, guid)
        lines = walk_summary(s, project, get_session(s, project, "Focus group 1"), "vc")
    by_code = {line.code: line for line in lines}
    assert len(lines) == len(codes) + 1
    assert (by_code["vc.immediate"].recognised, by_code["vc.immediate"].not_recognised) == (2, 0)
    assert (by_code["vc.expected"].recognised, by_code["vc.expected"].not_recognised) == (0, 1)
    assert (by_code["vc.applied"].recognised, by_code["vc.applied"].missing) == (0, [])
    assert lines[-1].code is None and lines[-1].missing == ["trust between members"]


def test_an_unknown_mode_is_refused(study) -> None:  # type: ignore[no-untyped-def]
    engine, guid = study
    with read_session(engine) as s:
        project = get_project(s, guid)
        with pytest.raises(Refused, match="not 'heatmap'"):
            build_presentation(s, project, mode="heatmap")
        view = build_presentation(s, project)
        with pytest.raises(Refused, match="not 'heatmap'"):
            cell_display(view.framework.cells[0][0], "heatmap")


def test_a_shortened_quote_keeps_its_speaker(study) -> None:  # type: ignore[no-untyped-def]
    engine, guid = study
    with read_session(engine) as s:
        view = build_presentation(s, get_project(s, guid), mode="quote")
    i, j = view.position("Noord", "vc.potential")
    quote = PresentedQuote(segment="x", text="Ik leerde veel van [person] in [place].", speaker="Respondent 1",
                           where="", pinned=True)
    assert cell_display(view.framework.cells[i][j], "quote", quote, limit=12) == "“Ik leerde v…” — Respondent 1"
    assert view.cases[i].cells[j].short == view.cases[i].cells[j].text  # short enough already


def test_the_facilitator_chooses_the_cases_and_others_appear_as_letters(study) -> None:  # type: ignore[no-untyped-def]
    engine, guid = study
    with write_session(engine) as s:
        project = get_project(s, guid)
        create_case(s, project, "Testcase")  # e.g. a case made while trying the tool: not for the room
        save_cell(s, project, "Noord", "vc.applied", summary="Zij leerden het van Zuid.")
    with read_session(engine) as s:
        project = get_project(s, guid)
        everything = build_presentation(s, project)
        assert [c.label for c in everything.cases] == ["Noord", "Testcase", "Zuid"]
        chosen = build_presentation(s, project, cases=["Noord", "Zuid"])
        assert [(c.name, c.label) for c in chosen.cases] == [("Noord", "Noord"), ("Zuid", "Zuid")]
        for_noord = build_presentation(s, project, cases=["Noord", "Zuid"], own_case="Noord", mode="summary")
        assert [(c.name, c.label) for c in for_noord.cases] == [("Noord", "Noord"), ("Zuid", "Case A")]
        # another network's name is replaced wherever it occurs in what the room reads
        assert cell(for_noord, "Noord", "vc.applied").text == "Zij leerden het van Case A."
        # its quotes are anonymised even when the facilitator asks for names
        (quote,) = cell_quotes(s, project, for_noord, "Zuid", "vc.realised", show_names=True)
        assert (quote.speaker, quote.where) == ("Respondent 2", "")
        (own,) = cell_quotes(s, project, for_noord, "Noord", "vc.applied", show_names=True)
        assert own.speaker.startswith("Anna")
        with pytest.raises(Refused, match="has no case 'Oost'"):
            build_presentation(s, project, cases=["Oost"])
        with pytest.raises(Refused, match="no cell 'Testcase'"):
            cell_quotes(s, project, chosen, "Testcase", "vc.applied")
