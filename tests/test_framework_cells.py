"""Framework cells, focus-group feedback and anonymisation on SQLite and PostgreSQL (tests/matrix_fixture.py)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from matrix_fixture import build_study  # noqa: E402

from analysis.framework_matrix import (  # noqa: E402
    build_framework_matrix, learning_by_value_cycle, pin_quote, rating_scale, save_cell, set_rating_level,
    unpin_quote, value_cycle_profile,
)
from analysis.matrix import MatrixSpec, build_matrix  # noqa: E402
from cases.projects import get_project  # noqa: E402
from codebooks.service import adopt_codebook  # noqa: E402
from coding.retrieval import retrieve_segments  # noqa: E402
from focusgroups.anonymise import add_mask_term, build_anonymiser  # noqa: E402
from focusgroups.feedback import codebook_walk, list_feedback, promote_to_code, record_feedback  # noqa: E402
from focusgroups.sessions import create_session, get_session, parse_attendees  # noqa: E402
from store.db import read_session, write_session  # noqa: E402
from store.errors import Refused  # noqa: E402
from store.models import Event  # noqa: E402


@pytest.fixture
def study(engine):  # type: ignore[no-untyped-def]
    return build_study(engine)


def segment_guid(s, text_start: str) -> str:  # type: ignore[no-untyped-def]
    """Sanne's segment (she is every document's primary coder but Z1's) whose text starts so."""
    found = [r for r in retrieve_segments(s, get_project(s, "Matrixstudie"), code_keys=[])
             if r.text.startswith(text_start)]
    found.sort(key=lambda r: r.coder != "Sanne")
    return str(found[0].segment)


def framework(study):  # type: ignore[no-untyped-def]
    with read_session(study.engine) as s:
        return build_framework_matrix(s, get_project(s, study.guid), "vc", depth=1)


def view(fm, case: str, code: str):  # type: ignore[no-untyped-def]
    return fm.cells[fm.rows.index(case)][fm.columns.index(code)]


def test_a_rated_cell_with_summary_and_pinned_quotes(study):
    with write_session(study.engine) as s:
        project = get_project(s, study.guid)
        save_cell(s, project, "Noord", "vc.potential", rating=2, actor="Sanne",
                  summary="Leden leren over subsidies. Ze kennen de juiste mensen.")
        pin_quote(s, project, "Noord", "vc.potential", segment_guid(s, "veel over"), actor="Sanne")
        pin_quote(s, project, "Noord", "vc.potential", segment_guid(s, "de juiste mensen"), headline=True,
                  actor="Sanne")
    cell = view(framework(study), "Noord", "vc.potential")
    assert (cell.state, cell.rating, cell.rating_label, cell.validation) == ("assessed", 2, "present", "proposed")
    assert [q.text for q in cell.quotes] == ["de juiste mensen bij de douane", "veel over subsidies"]  # headline 1st
    assert (cell.count, cell.k, cell.n) == (3, 2, 3)
    assert cell.line() == ("present (2) · Leden leren over subsidies. Ze kennen de juiste mensen. · 2 quotes · "
                           "2 of 3 interviewees")
    assert cell.line(counts=False).endswith("· 2 quotes")
    with write_session(study.engine) as s:
        project = get_project(s, study.guid)
        unpin_quote(s, project, "Noord", "vc.potential", segment_guid(s, "de juiste mensen"))
        events = list(s.scalars(select(Event).where(Event.entity == "framework_cell").order_by(Event.id)))
    assert [e.action for e in events] == ["update", "pin", "pin", "unpin"]
    assert events[0].after["rating"] == 2 and events[0].before["rating"] is None
    assert [q.text for q in view(framework(study), "Noord", "vc.potential").quotes] == ["veel over subsidies"]


def test_refusals_leave_the_cell_unchanged(study):
    with write_session(study.engine) as s:
        project = get_project(s, study.guid)
        save_cell(s, project, "Zuid", "vc.realised", rating=3, summary="Omzet verdubbeld.")
    cases = [
        ({"summary": "Een. Twee. Drie. Vier."}, "1 to 3 sentences; this one has 4"),
        ({"state": "no_data", "rating": 2}, "has no rating"),
        ({"rating": 5}, "from 1 to 4"),
        ({"state": "unknown"}, "unknown cell state"),
        ({"validation": "done"}, "unknown validation status"),
    ]
    for kwargs, message in cases:
        with pytest.raises(Refused, match=message):
            with write_session(study.engine) as s:
                save_cell(s, get_project(s, study.guid), "Zuid", "vc.realised", **kwargs)
    with pytest.raises(Refused, match="not coded 'vc.realised' in case 'Zuid'"):
        with write_session(study.engine) as s:
            pin_quote(s, get_project(s, study.guid), "Zuid", "vc.realised", segment_guid(s, "Een goede tip"))
    cell = view(framework(study), "Zuid", "vc.realised")
    assert (cell.rating, cell.summary, cell.quotes) == (3, "Omzet verdubbeld.", [])


def test_validation_moves_step_by_step(study):
    with write_session(study.engine) as s:
        project = get_project(s, study.guid)
        save_cell(s, project, "Noord", "vc.immediate", validation="discussed")
        save_cell(s, project, "Noord", "vc.immediate", validation="confirmed")
        with pytest.raises(Refused, match="from 'confirmed' to one of discussed, not to 'proposed'"):
            save_cell(s, project, "Noord", "vc.immediate", validation="proposed")
    assert view(framework(study), "Noord", "vc.immediate").validation == "confirmed"


def test_assigned_without_evidence_and_states(study):
    with write_session(study.engine) as s:
        project = get_project(s, study.guid)
        save_cell(s, project, "Leeg", "vc.realised", rating=3)
        save_cell(s, project, "Zuid", "vc.realised", state="no_data")
        save_cell(s, project, "Zuid", "vc.immediate", state="not_applicable")
    fm = framework(study)
    assert view(fm, "Leeg", "vc.realised").assigned_not_evidenced
    assert "rated without coded evidence" in view(fm, "Leeg", "vc.realised").line()
    assert view(fm, "Zuid", "vc.realised").line(counts=False) == "no data · ⚠ marked no data but 1 coded segments"
    assert view(fm, "Zuid", "vc.immediate").line(counts=False) == "not applicable"
    assert not view(fm, "Noord", "vc.immediate").assigned_not_evidenced


def test_rating_scale_is_configurable(study):
    with write_session(study.engine) as s:
        project = get_project(s, study.guid)
        assert [r.label for r in rating_scale(s, project)] == ["weak", "present", "strong", "very strong"]
        set_rating_level(s, project, 2, "aanwezig", "Een bron met een voorbeeld")
        save_cell(s, project, "Noord", "vc.immediate", rating=2)
        with pytest.raises(Refused, match="from 1 to 4, not 7"):
            set_rating_level(s, project, 7, "x", "")
    assert view(framework(study), "Noord", "vc.immediate").rating_label == "aanwezig"


def test_value_cycle_profile_bands_and_learning_matrix(study):
    with write_session(study.engine) as s:
        adopt_codebook(s, get_project(s, study.guid), "learning-levels")
    with read_session(study.engine) as s:
        project = get_project(s, study.guid)
        fm, bands = value_cycle_profile(s, project)
        co = learning_by_value_cycle(s, project, unit="document")
    assert fm.columns == ["vc.expected", "vc.immediate", "vc.potential", "vc.applied", "vc.realised",
                          "vc.transformative"]
    assert [(b.label, [fm.columns[j] for j in b.columns]) for b in bands] == [
        ("before", ["vc.expected"]), ("short term", ["vc.immediate"]),
        ("medium term", ["vc.potential", "vc.applied", "vc.realised"]), ("long term", ["vc.transformative"])]
    assert view(fm, "Noord", "vc.potential").count == 3
    assert [c.key for c in co.rows] == ["lo.individual", "lo.team", "lo.organisation", "lo.environment"]
    assert len(co.columns) == 6


def test_focus_group_feedback_onto_cells_and_codes(study):
    with write_session(study.engine) as s:
        project = get_project(s, study.guid)
        fg = create_session(s, project, "FG2", date(2026, 11, 20),
                            attendees=parse_attendees("6 network representative, 4 researcher"))
        record_feedback(s, project, fg, stance="agree", code="vc.immediate", case="Noord",
                        participant_role="network representative", note="Herkenbaar")
        remark = record_feedback(s, project, fg, stance="add", code="vc.potential", participant_role="researcher",
                                 note="Vertrouwen tussen leden ontbreekt")
        with pytest.raises(Refused, match="stance is one of agree, disagree, amend, add, not 'recognised'"):
            record_feedback(s, project, fg, stance="recognised", code="vc.immediate")
        with pytest.raises(Refused, match="needs a note"):
            record_feedback(s, project, fg, stance="amend", code="vc.immediate", case="Noord")
        with pytest.raises(Refused, match="name the code as well"):
            record_feedback(s, project, fg, stance="agree", case="Noord")
        with pytest.raises(Refused, match="already has a focus-group session 'FG2'"):
            create_session(s, project, "FG2", date(2026, 11, 21))
        code = promote_to_code(s, project, str(remark.guid), codebook="vc", key="vc.trust", label="Trust")
        assert code.parent_id is not None  # kept under the vc folder
        with pytest.raises(Refused, match="already been promoted"):
            promote_to_code(s, project, str(remark.guid), codebook="vc", key="vc.trust2", label="Trust")
    with read_session(study.engine) as s:
        project = get_project(s, study.guid)
        records = list_feedback(s, project, fg=get_session(s, project, "FG2"))
        on_cell = list_feedback(s, project, case="Noord")
        fm = build_framework_matrix(s, project, "vc", depth=1)
        m = build_matrix(s, project, MatrixSpec(rows="cases", codebook="vc", depth=1))
    assert [(r.stance, r.case, r.code, r.promoted_to) for r in records] == [
        ("agree", "Noord", "vc.immediate", None), ("add", None, "vc.potential", "vc.trust")]
    assert [r.note for r in on_cell] == ["Herkenbaar"]
    assert view(fm, "Noord", "vc.immediate").feedback == 1
    assert "vc.trust" in m.column_keys()  # the promoted code is a column from now on


def test_codebook_walk_in_session_one(study):
    with write_session(study.engine) as s:
        project = get_project(s, study.guid)
        fg = create_session(s, project, "FG1", date(2026, 3, 2), purpose="codebook")
        record_feedback(s, project, fg, stance="recognised", code="vc.immediate", participant_role="researcher")
        record_feedback(s, project, fg, stance="recognised", code="vc.immediate", participant_role="network rep")
        record_feedback(s, project, fg, stance="not_recognised", code="vc.transformative")
        record_feedback(s, project, fg, stance="missing", note="Leiderschap")
        with pytest.raises(Refused, match="not 'agree'"):
            record_feedback(s, project, fg, stance="agree", code="vc.immediate")
        walk = codebook_walk(s, project, fg)
    assert [(w.code, w.recognised, w.not_recognised, w.missing) for w in walk] == [
        ("vc.immediate", 2, 0, []), ("vc.transformative", 0, 1, []), (None, 0, 0, ["Leiderschap"])]


def test_attendees_are_parsed_or_refused() -> None:
    assert parse_attendees("6 network representative; researcher=4") == {"network representative": 6,
                                                                         "researcher": 4}
    with pytest.raises(Refused, match="write attendees as"):
        parse_attendees("many researchers")


def test_anonymised_speakers_and_masked_names(study):
    with write_session(study.engine) as s:
        project = get_project(s, study.guid)
        add_mask_term(s, project, "Duitsland", "place")
        add_mask_term(s, project, "douane", "organisation", "[instantie]")
        add_mask_term(s, project, "Hauptstraße", "place")
        with pytest.raises(Refused, match="already on the mask list"):
            add_mask_term(s, project, "duitsland", "place")
    with read_session(study.engine) as s:
        project = get_project(s, study.guid)
        anonymiser = build_anonymiser(s, project)
        m = build_matrix(s, project, MatrixSpec(rows="cases", codebook="vc", depth=1, measure="quotes"))
    quotes = {q.text: q for row in m.quotes for cell in row for q in cell}
    # Respondents are numbered in document-title order: Anna (N1) 1, Bert and Carla (N2) 2 and 3, Dirk (Z1) 4.
    assert anonymiser.speaker(quotes["Een goede tip"].speaker_key, "respondent") == "Respondent 2"
    assert anonymiser.speaker(quotes["Gezellige avond"].speaker_key, "respondent") == "Respondent 3"
    assert anonymiser.speaker(quotes["Hoe begon het"].speaker_key, "interviewer").startswith("Interviewer")
    assert anonymiser.mask("In duitsland bij de Douane") == "In [place] bij de [instantie]"
    assert anonymiser.mask("Bert Jansen zei het") == "[person] zei het"  # registered person names
    assert anonymiser.mask("Duitslandweg") == "Duitslandweg"  # whole words only
    assert anonymiser.mask("an der hauptstraße und Hauptstraße") == "an der [place] und [place]"
