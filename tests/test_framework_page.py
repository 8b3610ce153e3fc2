"""The Framework matrix page under AppTest (SQLite): edit a cell (state, rating, summary, validation) in a form,
refusals shown, quotes pinned from the cell's own segments, "no data" and unevidenced ratings shown as such,
the value-cycle profile and learning level x value cycle one click away, and the settings.

The study is tests/matrix_fixture.py plus the learning-levels codebook and one learning-level coding.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from apptest_support import make_app, shown  # noqa: E402
from matrix_fixture import N1, build_study, span  # noqa: E402

from analysis.framework_matrix import (  # noqa: E402
    build_framework_matrix, learning_by_value_cycle, pin_quote, rating_scale, save_cell,
)
from analysis.framework_undo import cell_undoable  # noqa: E402
from cases.projects import get_document, get_or_create_coder, get_project, list_coders  # noqa: E402
from codebooks.service import adopt_codebook  # noqa: E402
from coding.codings import apply_coding, list_codings  # noqa: E402
from focusgroups.anonymise import list_mask_terms  # noqa: E402
from store.db import get_engine, read_session, write_session  # noqa: E402
from store.events import list_events  # noqa: E402
from store.history import take_back  # noqa: E402
from store.models import FrameworkCell  # noqa: E402
from ui.state import md_escape  # noqa: E402


@pytest.fixture
def study(sqlite_url):  # type: ignore[no-untyped-def]
    engine = get_engine(sqlite_url)
    built = build_study(engine)
    with write_session(engine) as s:
        project = get_project(s, built.guid)
        adopt_codebook(s, project, "learning-levels")
        sanne, _ = get_or_create_coder(s, project, "Sanne")
        apply_coding(s, project, get_document(s, project, "N1"), sanne, *span(N1, "leerde daar veel"),
                     ["lo.individual"])
    return sqlite_url, built.guid


def open_framework(monkeypatch, url: str, guid: str):  # type: ignore[no-untyped-def]
    at = make_app(monkeypatch, url, project_guid=guid, coder="Sanne")
    at.run()
    at.switch_page("pages/framework.py")
    at.run()
    assert not at.exception, at.exception
    return at


def cells_grid(at):  # type: ignore[no-untyped-def]
    (element,) = [d for d in at.dataframe if (d.key or "").startswith("fw_table_")]
    return element


def choose(at, case: str, code: str) -> None:  # type: ignore[no-untyped-def]
    frame = cells_grid(at).value
    at.selectbox(key="fw_case").set_value(list(frame.index).index(case))
    at.selectbox(key="fw_code").set_value(list(frame.columns).index(code))
    at.run()
    assert not at.exception, at.exception


def by_label(widgets, label: str):  # type: ignore[no-untyped-def]
    (found,) = [w for w in widgets if w.label == label]
    return found


KEEP = "keep"


def fill_cell(at, *, state: str | None = None, rating: int | None | str = KEEP, summary: str | None = None,
              validation: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """Fill the cell form and save; rating None chooses "no rating", KEEP leaves the radio alone."""
    if state is not None:
        by_label(at.selectbox, "State").set_value(state)
    if rating != KEEP:
        by_label(at.radio, "Rating").set_value(rating or 0)  # 0 is "no rating"
    if summary is not None:
        by_label(at.text_area, "Summary (1–3 sentences)").input(summary)
    if validation is not None:
        by_label(at.selectbox, "Validation").set_value(validation)
    by_label(at.button, "Save cell").click()
    at.run()
    assert not at.exception, at.exception


def stored(url: str, guid: str, case: str, code: str):  # type: ignore[no-untyped-def]
    with read_session(get_engine(url)) as s:
        framework = build_framework_matrix(s, get_project(s, guid), "vc", depth=None)
        i = framework.rows.index(case)
        j = framework.columns.index(code)
        return framework.cells[i][j]


def test_save_a_rated_cell_with_a_summary_and_see_it_in_the_matrix(monkeypatch, study):
    url, guid = study
    at = open_framework(monkeypatch, url, guid)
    frame = cells_grid(at).value
    assert list(frame.index) == ["Leeg", "Noord", "Zuid"]
    assert frame.loc["Noord", "vc.immediate"] == "not rated · 2 of 3 interviewees"
    choose(at, "Noord", "vc.immediate")
    assert "Noord × Immediate value" in [h.value for h in at.subheader]
    # Each level shows its decision rule beside it.
    rating = by_label(at.radio, "Rating")
    assert "Described with examples by at least two sources (≥3 needs two sources)." in list(rating.proto.captions)
    fill_cell(at, rating=3, summary="Members pick up usable tips. Bert names a customs contact.",
              validation="discussed")
    assert "Saved Noord × vc.immediate." in shown(at.success)
    assert cells_grid(at).value.loc["Noord", "vc.immediate"] == "strong (3) · 2 of 3 interviewees · discussed"
    at.toggle(key="fw_summaries").set_value(True)
    at.run()
    # whole summaries, wrapped, in a static table whose cells are escaped text
    (whole,) = at.table
    assert whole.value.loc["Noord", "Immediate value"] == md_escape(
        "strong (3) · Members pick up usable tips. Bert names a customs contact. · 2 of 3 interviewees · discussed")
    cell = stored(url, guid, "Noord", "vc.immediate")
    assert (cell.state, cell.rating, cell.validation) == ("assessed", 3, "discussed")
    with read_session(get_engine(url)) as s:
        event = list_events(s, get_project(s, guid).guid, limit=1)[0]
    assert (event.entity, event.actor) == ("framework_cell", "Sanne")
    assert any("Decision rule for 3 · strong" in c.value for c in at.caption)

    # Removing the rating clears it; the cell stays assessed and says it is not rated.
    fill_cell(at, rating=None)
    assert at.table[0].value.loc["Noord", "Immediate value"].startswith("not rated · Members pick up")


def test_a_four_sentence_summary_and_a_rated_no_data_cell_are_refused(monkeypatch, study):
    url, guid = study
    at = open_framework(monkeypatch, url, guid)
    choose(at, "Noord", "vc.immediate")
    fill_cell(at, summary="One. Two. Three. Four.")
    assert "a cell summary has 1 to 3 sentences; this one has 4" in shown(at.error)
    assert stored(url, guid, "Noord", "vc.immediate").state is None  # nothing was written
    fill_cell(at, state="no_data", rating=2, summary="Nothing found.")
    assert "a cell marked 'no_data' has no rating; rate only assessed cells" in shown(at.error)


def test_a_no_data_cell_reads_no_data_and_an_unevidenced_rating_is_flagged(monkeypatch, study):
    url, guid = study
    at = open_framework(monkeypatch, url, guid)
    choose(at, "Leeg", "vc.immediate")
    fill_cell(at, state="no_data")
    frame = cells_grid(at).value
    assert frame.loc["Leeg", "vc.immediate"] == "no data · 0 of 0 interviewees"
    assert frame.loc["Leeg", "vc.applied"] == "not rated · 0 of 0 interviewees"

    choose(at, "Leeg", "vc.realised")
    fill_cell(at, rating=2)
    assert any("Rated without coded evidence" in w.value for w in at.warning)
    assert cells_grid(at).value.loc["Leeg", "vc.realised"] == (
        "present (2) · 0 of 0 interviewees · ⚠ rated without coded evidence")

    # The Matrices page shows the stored state, not a zero.
    at.switch_page("pages/matrices.py")
    at.run()
    (grid,) = [d for d in at.dataframe if (d.key or "").startswith("matrix_table_")]
    assert grid.value.loc["Leeg", "vc.immediate"] == "no data"


def test_pin_quotes_from_the_cells_own_segments(monkeypatch, study):
    url, guid = study
    at = open_framework(monkeypatch, url, guid)
    choose(at, "Noord", "vc.immediate")
    pins = [b for b in at.button if b.label == "Pin"]
    assert len(pins) == 2  # N2: "Een goede tip", "Gezellige avond"
    texts = [str(m.value) for m in at.markdown]
    assert f"**{md_escape('N2 · turn 2 · respondent (R2) · coded by Sanne')}**" in texts
    guid_second = pins[1].key.removeprefix("pin_")
    pins[1].click()
    at.run()
    assert "Quote pinned." in shown(at.success)
    # Pinning on a cell nobody assessed yet stores it as not assessed.
    assert cells_grid(at).value.loc["Noord", "vc.immediate"] == "not rated · 1 quote · 2 of 3 interviewees"  # pinning assesses the cell
    cell = stored(url, guid, "Noord", "vc.immediate")
    assert [q.segment for q in cell.quotes] == [guid_second]
    # The pinned quote comes first, marked as the headline; the other can be pinned as the new headline.
    texts = [str(m.value) for m in at.markdown]
    headline = next(t for t in texts if t.startswith("Headline quote · "))
    assert "Gezellige avond" in texts[texts.index(headline) + 1]
    by_label(at.button, "Pin as headline").click()
    at.run()
    cell = stored(url, guid, "Noord", "vc.immediate")
    assert len(cell.quotes) == 2 and cell.quotes[1].segment == guid_second
    first = cell.quotes[0].segment
    at.button(key=f"unpin_{first}").click()
    at.run()
    assert [q.segment for q in stored(url, guid, "Noord", "vc.immediate").quotes] == [guid_second]


def test_a_clicked_table_cell_opens_its_editor(monkeypatch, study):
    url, guid = study
    at = open_framework(monkeypatch, url, guid)
    grid = cells_grid(at)
    at.session_state[grid.key] = {"selection": {"rows": [], "columns": [], "cells": [[2, "vc.realised"]]}}
    at.run()
    assert not at.exception, at.exception
    assert "Zuid × Realised value" in [h.value for h in at.subheader]
    assert any("Onze omzet in Duitsland" in str(m.value) for m in at.markdown)
    # The selects can still move away from the clicked cell.
    at.selectbox(key="fw_case").set_value(1)
    at.run()
    assert "Noord × Realised value" in [h.value for h in at.subheader]


def test_profile_and_learning_levels_are_one_click_away(monkeypatch, study):
    url, guid = study
    at = open_framework(monkeypatch, url, guid)
    frames = [d.value for d in at.dataframe]
    (profile,) = [f for f in frames if all(" · " in str(c) for c in f.columns)]
    columns = list(profile.columns)
    # Ladder order (immediate -> transformative), each named with its horizon band.
    assert columns == ["before · Expected value (opt.)", "short term · Immediate value",
                       "medium term · Potential value", "medium term · Applied value", "medium term · Realised value",
                       "long term · Transformative value"]
    assert profile.loc["Noord", next(c for c in columns if c.endswith("Potential value"))] == "3"

    learning = [f for f in frames if any("(n=" in str(c) for c in f.columns)]
    assert len(learning) == 1
    with read_session(get_engine(url)) as s:
        co = learning_by_value_cycle(s, get_project(s, guid))
    i = [c.key for c in co.rows].index("lo.individual")
    j = [c.key for c in co.columns].index("vc.potential")
    # Sanne's "leerde daar veel" carries both codes (a pair with itself) and overlaps her "veel over subsidies".
    assert co.n12[i][j] == 2
    assert learning[0].iloc[i, j] == f"2 · c={co.c(i, j):.2f}"


def test_settings_rating_scale_mask_list_and_primary_coder(monkeypatch, study):
    url, guid = study
    at = open_framework(monkeypatch, url, guid)
    at.text_input(key="scale_label_2").input("clearly present")
    at.text_input(key="scale_rule_2").input("One concrete example.")
    by_label(at.button, "Save scale").click()
    at.run()
    assert not at.exception, at.exception
    with read_session(get_engine(url)) as s:
        project = get_project(s, guid)
        assert [(r.level, r.label, r.rule) for r in rating_scale(s, project)][1] == (
            2, "clearly present", "One concrete example.")

    at.text_input(key="mask_term").input("Douane Oldenzaal")
    at.selectbox(key="mask_kind").set_value("organisation")
    by_label(at.button, "Add to mask list").click()
    at.run()
    assert not at.exception, at.exception
    assert "Masking Douane Oldenzaal." in shown(at.success)
    at.button(key="mask_delete_button").click()
    at.run()
    with read_session(get_engine(url)) as s:
        assert list_mask_terms(s, get_project(s, guid)) == []

    with read_session(get_engine(url)) as s:
        n1 = str(get_document(s, get_project(s, guid), "N1").guid)
    at.selectbox(key="primary_document").set_value(n1)
    at.run()
    at.selectbox(key=f"primary_coder_{n1}").set_value("Tom")
    at.button(key="primary_set").click()
    at.run()
    assert not at.exception, at.exception
    with read_session(get_engine(url)) as s:
        project = get_project(s, guid)
        tom = next(c for c in list_coders(s, project) if c.name == "Tom")
        assert get_document(s, project, "N1").primary_coder_id == tom.id
        assert s.scalar(select(FrameworkCell.id)) is None  # settings write no cells


def test_a_quote_pinned_from_outside_the_scope_is_listed_and_can_be_unpinned(monkeypatch, study):
    url, guid = study
    with write_session(get_engine(url)) as s:
        project = get_project(s, guid)
        (toms,) = [c.segment for c in list_codings(s, project) if c.coder == "Tom" and c.document == "N1"]
        pin_quote(s, project, "Noord", "vc.potential", str(toms), actor="Tom")  # Tom is not N1's primary coder
    at = open_framework(monkeypatch, url, guid)
    choose(at, "Noord", "vc.potential")
    texts = [str(m.value) for m in at.markdown]
    assert f"Pinned · **{md_escape('N1 · turn 2 · respondent (R1) · coded by Tom')}**" in texts
    at.button(key=f"unpin_{toms}").click()
    at.run()
    assert not at.exception, at.exception
    assert "Quote unpinned." in shown(at.success)
    assert stored(url, guid, "Noord", "vc.potential").quotes == []


def test_undo_on_the_cell_takes_back_only_your_own_last_change_to_it(monkeypatch, study):
    url, guid = study
    at = open_framework(monkeypatch, url, guid)
    choose(at, "Noord", "vc.immediate")
    assert not any((b.key or "").startswith("fw_undo") for b in at.button)  # nothing done here yet
    fill_cell(at, rating=3, summary="Members pick up usable tips.")
    assert [c.value for c in at.caption if "↶ Undo" in c.value] == [
        md_escape("↶ Undo: saving state – → assessed, rating – → 3, the summary on Noord × Immediate value")]
    with write_session(get_engine(url)) as s:  # another researcher adds to the same cell afterwards
        save_cell(s, get_project(s, guid), "Noord", "vc.immediate", validation="discussed", actor="Lieke")
    at.run()
    assert not any(b.key == "fw_undo" for b in at.button)  # not offered: it would take Lieke's change with it
    assert any("not offered: Lieke changed it after you (update)" in c for c in shown(at.caption))
    with write_session(get_engine(url)) as s:  # Lieke takes hers back; Sanne's undo is offered again
        project = get_project(s, guid)
        take_back(s, project, "Lieke", cell_undoable(s, project, "Noord", "vc.immediate"))
    at.run()
    assert not any("not offered" in c.value for c in at.caption)
    at.button(key="fw_undo").click().run()
    assert not at.exception, at.exception
    assert shown(at.success) == ["Undone: saving state – → assessed, rating – → 3, the summary on Noord × "
                                 "Immediate value."]
    assert stored(url, guid, "Noord", "vc.immediate").state is None  # as before: nothing stored
    at.button(key="fw_redo").click().run()
    cell = stored(url, guid, "Noord", "vc.immediate")
    assert (cell.rating, cell.summary) == (3, "Members pick up usable tips.")
