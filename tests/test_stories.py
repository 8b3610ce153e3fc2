"""Value-creation stories (issue 19): steps and their order, the checks, ownership, undo, the bin, the coding marks
they read, and the value-creation matrices, on both databases."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from analysis.story_matrix import build_story_matrix, build_story_reach_matrix, reach_profile
from cases.bin import delete_to_bin, restore_from_bin
from cases.documents import document_text, unlink_document_from_case
from cases.importer import SpeakerDecision, preview_import, store_import
from cases.projects import (
    create_case,
    create_person,
    create_project,
    get_case,
    get_document,
    get_or_create_coder,
    get_project,
)
from codebooks.service import adopt_codebook
from coding.coding_flags import set_coding_flags
from coding.codings import apply_coding
from coding.stories import (
    add_step,
    create_story,
    delete_story,
    edit_step,
    edit_story,
    get_story,
    move_step,
    remove_step,
    story_cycles,
)
from coding.story_undo import story_undoable
from coding.story_views import story_views
from coding.workspace import delete_segment
from store import history
from store.db import read_session, write_session
from store.errors import Refused
from store.events import list_events
from store.models import Coding, Segment, Story, StoryStep

TURNS = {
    "fieldlab": "De fieldlab-sessie in Enschede was echt de moeite waard, ik ging met drie tips naar huis.",
    "contact": "Daar leerde ik Petra kennen, en nu weet ik wie ik moet bellen over subsidies.",
    "pilot": "Met haar hulp zijn we in maart een pilot met twee Duitse klanten gestart.",
    "omzet": "Die pilot heeft ons dit jaar vijf nieuwe orders en een vaste klant opgeleverd.",
    "hope": "Volgend jaar willen we de aanpak misschien ook in de hele regio gaan toepassen.",
    "both": "Ik heb de checklist meteen in ons eigen proces gezet en gebruik hem nu elke week.",
    "other": "Het weer was slecht die dag, dat weet ik nog goed.",
}
CODES = {"fieldlab": ["vc.immediate"], "contact": ["vc.potential.social"], "pilot": ["vc.applied"],
         "omzet": ["vc.realised"], "hope": ["vc.applied"], "both": ["vc.potential.tangible", "vc.applied"],
         "other": ["lo.individual"]}
OTHER_CASE = "Hier in Venlo werken we vooral samen met de gemeente aan nieuwe plannen."


def build(engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Project 'Verhalen': case Grenzeloos with one interview (a turn per TURNS key, coded by Thomas with CODES),
    case Stedenband with another. Returns the segment guid of each key ("venlo": Stedenband's)."""
    text = "".join(f"I: Vraag {i}?\nR: {turn}\n" for i, turn in enumerate(TURNS.values()))
    speakers = {"I": SpeakerDecision("interviewer"), "R": SpeakerDecision("respondent")}
    with write_session(engine) as s:
        project = create_project(s, "Verhalen")
        adopt_codebook(s, project, "value-creation")
        adopt_codebook(s, project, "learning-levels")
        grenzeloos, stedenband = create_case(s, project, "Grenzeloos"), create_case(s, project, "Stedenband")
        create_person(s, project, "Hoekstra", case=grenzeloos)
        doc = store_import(s, project, preview_import("interview_a.txt", text.encode(), language="nl"),
                           cases=[grenzeloos], speakers=speakers)
        other = store_import(s, project, preview_import("interview_b.txt", f"R: {OTHER_CASE}\n".encode(),
                                                        language="nl"),
                             cases=[stedenband], speakers={"R": SpeakerDecision("respondent")})
        thomas, _ = get_or_create_coder(s, project, "Thomas")
        full = document_text(s, doc)
        guids = {}
        for key, turn in TURNS.items():
            start = full.index(turn)
            guids[key] = str(apply_coding(s, project, doc, thomas, start, start + len(turn), CODES[key]).guid)
        start = document_text(s, other).index(OTHER_CASE)
        guids["venlo"] = str(apply_coding(s, project, other, thomas, start, start + 20, ["vc.applied"]).guid)
    return guids


def _project_and_story(s, title="Petra"):  # type: ignore[no-untyped-def]
    project = get_project(s, "Verhalen")
    return project, get_story(s, project, title)


def write_story(engine, guids: dict[str, str], keys: list[str], *, actor: str = "Anna") -> None:  # type: ignore[no-untyped-def]
    with write_session(engine) as s:
        project = get_project(s, "Verhalen")
        story = create_story(s, project, get_case(s, project, "Grenzeloos"), "Petra", actor=actor)
        for key in keys:
            add_step(s, project, story, guids[key], actor=actor, note=f"na {key}")


def cycles_and_warnings(engine, title: str = "Petra") -> tuple[list[str], list[list[str]], list[str]]:  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        project, story = _project_and_story(s, title)
        view = story_views(s, project, story=story)[0]
    return [st.cycle for st in view.steps], [st.warnings for st in view.steps], view.warnings


def test_steps_take_their_cycle_and_keep_a_dense_order(engine):
    guids = build(engine)
    write_story(engine, guids, ["fieldlab", "pilot"])
    with write_session(engine) as s:
        project, story = _project_and_story(s)
        add_step(s, project, story, guids["contact"], actor="Anna", position=2, note="daar leerde ze Petra kennen")
        with pytest.raises(Refused, match=r"several cycles \(vc.potential, vc.applied\)"):
            add_step(s, project, story, guids["both"], actor="Anna")
        with pytest.raises(Refused, match="coded with no value-creation cycle"):
            add_step(s, project, story, guids["other"], actor="Anna")
        with pytest.raises(Refused, match="is not in a document of case 'Grenzeloos'"):
            add_step(s, project, story, guids["venlo"], actor="Anna")
        with pytest.raises(Refused, match="a step of story 'Petra' already"):
            add_step(s, project, story, guids["pilot"], actor="Anna")
        with pytest.raises(Refused, match="position 9 is outside the story"):
            add_step(s, project, story, guids["omzet"], actor="Anna", position=9)
        with pytest.raises(Refused, match="unknown cycle 'later'"):
            add_step(s, project, story, guids["omzet"], actor="Anna", cycle="later")
        add_step(s, project, story, guids["both"], actor="Anna", cycle="applied")
        add_step(s, project, story, guids["omzet"], actor="Anna", cycle="Realised value")
    with read_session(engine) as s:
        project, story = _project_and_story(s)
        view = story_views(s, project, story=story)[0]
        positions = list(s.scalars(select(StoryStep.position).where(StoryStep.story_id == story.id)
                                   .order_by(StoryStep.position)))
    assert positions == [0, 1, 2, 3, 4]
    assert [st.cycle for st in view.steps] == ["vc.immediate", "vc.potential", "vc.applied", "vc.applied",
                                               "vc.realised"]
    assert [st.text for st in view.steps] == [TURNS[k] for k in ("fieldlab", "contact", "pilot", "both", "omzet")]
    assert [st.position for st in view.steps] == [1, 2, 3, 4, 5]
    assert view.steps[1].note == "daar leerde ze Petra kennen"
    assert view.steps[0].turn == 2 and view.steps[0].document == "interview_a"  # turns counted from 1
    assert view.warnings == [] and all(st.warnings == [] for st in view.steps)
    record = view.as_dict()
    assert set(record) >= {"guid", "title", "case", "person", "steps", "warnings"}
    assert set(record["steps"][0]) >= {"position", "segment", "cycle", "document", "turn", "text", "note",
                                       "warnings"}


def test_checks_are_shown_never_enforced(engine):
    guids = build(engine)
    write_story(engine, guids, ["contact"])
    assert cycles_and_warnings(engine)[2] == ["fewer than two cycles: a story follows value from one cycle to another"]
    with write_session(engine) as s:
        project, story = _project_and_story(s)
        add_step(s, project, story, guids["omzet"], actor="Anna")
        add_step(s, project, story, guids["fieldlab"], actor="Anna")  # realised -> immediate: a loop
        add_step(s, project, story, guids["hope"], actor="Anna")
        add_step(s, project, story, guids["other"], actor="Anna", cycle="vc.transformative")
        hope = s.scalar(select(Coding.guid).join(Segment).where(Segment.guid == uuid.UUID(guids["hope"])))
        with pytest.raises(Refused, match="Thomas put it on this segment"):
            set_coding_flags(s, project, hope, actor="Anna", aspirational=True)
        set_coding_flags(s, project, hope, actor="Thomas", aspirational=True, beneficiary="Organisation")
        with pytest.raises(Refused, match="unknown beneficiary 'world'"):
            set_coding_flags(s, project, hope, actor="Thomas", beneficiary="world")
    cycles, warnings, story_warnings = cycles_and_warnings(engine)
    assert cycles == ["vc.potential", "vc.realised", "vc.immediate", "vc.applied", "vc.transformative"]
    assert story_warnings == []
    assert warnings == [[], [], ["loop back: Realised value → Immediate value"],
                        ["an aspirational statement used as evidence of applied value"],
                        ["the segment is not coded as Transformative value"]]
    with write_session(engine) as s:
        project = get_project(s, "Verhalen")
        unlink_document_from_case(s, project, get_document(s, project, "interview_a"),
                                  get_case(s, project, "Grenzeloos"), actor="Sanne")
    assert all("its document is no longer in the story's case" in w for w in cycles_and_warnings(engine)[1])
    with read_session(engine) as s:
        coding = s.scalar(select(Coding).join(Segment).where(Segment.guid == uuid.UUID(guids["hope"])))
        assert (coding.aspirational, coding.beneficiary) == (True, "organisation")


def test_move_remove_and_edit_are_one_logged_event_each(engine):
    guids = build(engine)
    write_story(engine, guids, ["fieldlab", "contact", "pilot"])
    with write_session(engine) as s:
        project, story = _project_and_story(s)
        move_step(s, project, story, 3, 1, actor="Anna")
        edit_step(s, project, story, guids["contact"], note="via de borrel", actor="Anna")
        remove_step(s, project, story, 2, actor="Anna")  # fieldlab, now second
        edit_story(s, project, story, title="Petra belt", actor="Anna")
        with pytest.raises(Refused, match="has no step 7"):
            remove_step(s, project, story, 7, actor="Anna")
    with read_session(engine) as s:
        project, story = _project_and_story(s, "Petra belt")
        view = story_views(s, project, story=story)[0]
        events = [e for e in reversed(list_events(s, project.guid)) if e.entity == "story"]
    assert [(st.cycle, st.note) for st in view.steps] == [("vc.applied", "na pilot"),
                                                          ("vc.potential", "via de borrel")]
    assert [e.action for e in events] == ["create", "update", "update", "update", "update", "update", "update",
                                          "update"]
    assert [e.after["what"] for e in events[-4:]] == [
        "moving step 3 of 'Petra' to 1", "editing step 3 of 'Petra'", "removing step 2 from 'Petra'",
        "renaming the story 'Petra'"]
    last = events[-2]  # the removal: the steps before and after, by guid, never the transcript's text
    assert [st["segment"] for st in last.before["steps"]] == [guids["pilot"], guids["fieldlab"], guids["contact"]]
    assert [st["segment"] for st in last.after["steps"]] == [guids["pilot"], guids["contact"]]
    assert all(TURNS["pilot"] not in str(e.before) + str(e.after) for e in events)


def test_only_the_author_or_an_owner_changes_a_story(engine):
    guids = build(engine)
    write_story(engine, guids, ["fieldlab", "pilot"])
    with write_session(engine) as s:
        project, story = _project_and_story(s)
        with pytest.raises(Refused, match="story 'Petra' is Anna's: only they \\(or an owner\\) can change it"):
            remove_step(s, project, story, 1, actor="Bram")
    with write_session(engine) as s:
        project, story = _project_and_story(s)
        remove_step(s, project, story, 1, actor="Bram", as_owner=True)
    assert cycles_and_warnings(engine)[0] == ["vc.applied"]


def test_undo_and_redo_take_back_only_what_still_stands(engine):
    guids = build(engine)
    write_story(engine, guids, ["fieldlab", "contact"])
    kind = story_undoable()
    with write_session(engine) as s:
        project, story = _project_and_story(s)
        move_step(s, project, story, 2, 1, actor="Anna")
    with write_session(engine) as s:
        assert history.take_back(s, get_project(s, "Verhalen"), "Anna", kind) == "moving step 2 of 'Petra' to 1"
    assert cycles_and_warnings(engine)[0] == ["vc.immediate", "vc.potential"]
    with write_session(engine) as s:
        history.do_again(s, get_project(s, "Verhalen"), "Anna", kind)
    assert cycles_and_warnings(engine)[0] == ["vc.potential", "vc.immediate"]
    with write_session(engine) as s:  # an owner changes Anna's story after her: her undo must not overwrite it
        project, story = _project_and_story(s)
        add_step(s, project, story, guids["pilot"], actor="Olga", as_owner=True)
    with write_session(engine) as s:
        project = get_project(s, "Verhalen")
        offer = history.offer(s, project, "Anna", kind, "undo")
        assert offer is not None and offer.blocked == "Olga changed it after you (update)"
        with pytest.raises(Refused, match="Olga changed it after you"):
            history.take_back(s, project, "Anna", kind)
    with write_session(engine) as s:  # Olga's own undo, then Anna's, back to the creation
        project = get_project(s, "Verhalen")
        history.take_back(s, project, "Olga", kind)
    with write_session(engine) as s:
        project = get_project(s, "Verhalen")
        for _ in range(4):  # the move (redone), two steps added, the creation
            history.take_back(s, project, "Anna", kind)
    with read_session(engine) as s:
        assert s.scalar(select(Story.id)) is None
    with write_session(engine) as s:
        history.do_again(s, get_project(s, "Verhalen"), "Anna", kind)
    assert cycles_and_warnings(engine)[2] == ["no steps yet"]


def test_the_bin_holds_stories_and_the_steps_a_document_takes_along(engine):
    guids = build(engine)
    write_story(engine, guids, ["fieldlab", "contact", "pilot"])
    with write_session(engine) as s:
        project, story = _project_and_story(s)
        segment = s.scalar(select(Segment).where(Segment.guid == uuid.UUID(guids["contact"])))
        with pytest.raises(Refused, match="the segment is a step of the story 'Petra'; remove it there first"):
            delete_segment(s, project, segment.guid, actor="Thomas")
        steps_before = [str(g) for g in s.scalars(select(StoryStep.guid).order_by(StoryStep.position))]
        delete_story(s, project, story, actor="Anna")
    with write_session(engine) as s:
        assert s.scalar(select(Story.id)) is None
        restore_from_bin(s, get_project(s, "Verhalen"), "Petra", actor="Anna")
    with read_session(engine) as s:
        assert [str(g) for g in s.scalars(select(StoryStep.guid).order_by(StoryStep.position))] == steps_before
    with write_session(engine) as s:  # the interview goes: the story stays, its steps go with the segments
        project = get_project(s, "Verhalen")
        preview = delete_to_bin(s, project, "document", "interview_a", actor="Olga")
        assert "3 story step(s)" in preview.goes
        story_guid = s.scalar(select(Story.guid))
    assert cycles_and_warnings(engine)[0] == []
    with read_session(engine) as s:
        effects = [e for e in list_events(s, get_project(s, "Verhalen").guid)
                   if e.entity == "story" and e.action == "unstep"]
        assert sorted(e.before["unstep"] for e in effects) == sorted(guids[k] for k in ("fieldlab", "contact", "pilot"))
        assert {e.entity_guid for e in effects} == {story_guid}
    with write_session(engine) as s:
        restore_from_bin(s, get_project(s, "Verhalen"), "interview_a", actor="Olga")
    assert cycles_and_warnings(engine)[0] == ["vc.immediate", "vc.potential", "vc.applied"]


def test_value_creation_matrices_cell_by_cell(engine):
    guids = build(engine)
    write_story(engine, guids, ["fieldlab", "contact", "pilot", "omzet"])
    with write_session(engine) as s:
        project = get_project(s, "Verhalen")
        grenzeloos, stedenband = get_case(s, project, "Grenzeloos"), get_case(s, project, "Stedenband")
        second = create_story(s, project, grenzeloos, "Tips", actor="Anna")
        for key in ("fieldlab", "both"):
            add_step(s, project, second, guids[key], actor="Anna", cycle="vc.potential" if key == "both" else None)
        venlo = create_story(s, project, stedenband, "Venlo", actor="Anna")
        add_step(s, project, venlo, guids["venlo"], actor="Anna")
    with read_session(engine) as s:
        project = get_project(s, "Verhalen")
        cycles = [c.key for c in story_cycles(s, project)]
        matrix = build_story_matrix(s, project)
        reach = build_story_reach_matrix(s, project)
        profile = reach_profile(story_views(s, project), story_cycles(s, project))
        with pytest.raises(Refused, match="depth 1"):
            build_story_matrix(s, project, depth=2)
        with pytest.raises(Refused, match="not 'learning-levels'"):
            build_story_reach_matrix(s, project, codebook="learning-levels")
    assert cycles == ["vc.expected", "vc.immediate", "vc.potential", "vc.applied", "vc.realised", "vc.transformative"]
    assert matrix.row_labels == ["Petra (Grenzeloos)", "Tips (Grenzeloos)", "Venlo (Stedenband)"]
    quotes = [[[st.text for st in cell] for cell in row] for row in matrix.steps]
    assert quotes == [
        [[], [TURNS["fieldlab"]], [TURNS["contact"]], [TURNS["pilot"]], [TURNS["omzet"]], []],
        [[], [TURNS["fieldlab"]], [TURNS["both"]], [], [], []],
        [[], [], [], [OTHER_CASE[:20]], [], []],
    ]
    assert matrix.cell_segments(1, 2) == [guids["both"]]
    assert matrix.cell_text(0, 3) == f"3. interview_a · turn 6: {TURNS['pilot']}"
    assert reach.row_labels == ["Grenzeloos", "Stedenband"]
    assert reach.counts == [[0, 2, 2, 1, 1, 0], [0, 0, 0, 1, 0, 0]]
    assert reach.cell_segments(0, 1) == [guids["fieldlab"]]  # two stories, one segment
    nothing = dict.fromkeys(cycles, 0)
    assert profile == {"Grenzeloos": {**nothing, "vc.potential": 1, "vc.realised": 1},
                       "Stedenband": {**nothing, "vc.applied": 1}}
    record = matrix.as_json()
    assert record["columns"] == cycles and record["values"][0][3][0]["text"] == TURNS["pilot"]


def test_a_story_needs_the_value_creation_codebook(engine):
    with write_session(engine) as s:
        project = create_project(s, "Zonder")
        case = create_case(s, project, "A")
        with pytest.raises(Refused, match="add the 'value-creation' codebook to project 'Zonder' first"):
            create_story(s, project, case, "X", actor="Anna")
        adopt_codebook(s, project, "value-creation")
        create_story(s, project, case, "X", actor="Anna")
        with pytest.raises(Refused, match="already has a story 'X'"):
            create_story(s, project, case, " X ", actor="Anna")
        with pytest.raises(Refused, match="a story needs a title"):
            create_story(s, project, case, "  ", actor="Anna")


def test_a_case_merge_takes_its_stories_along(engine):
    from cases.merge import merge_cases, merge_plan

    guids = build(engine)
    with write_session(engine) as s:
        project = get_project(s, "Verhalen")
        venlo = create_story(s, project, get_case(s, project, "Stedenband"), "Venlo", actor="Anna")
        add_step(s, project, venlo, guids["venlo"], actor="Anna")
        source, target = get_case(s, project, "Stedenband"), get_case(s, project, "Grenzeloos")
        assert "1 value-creation story(ies)" in merge_plan(s, project, source, target).moves
        merge_cases(s, project, source, target, actor="Olga")
    with read_session(engine) as s:
        (view,) = story_views(s, get_project(s, "Verhalen"))
    assert (view.title, view.case, [st.warnings for st in view.steps]) == ("Venlo", "Grenzeloos", [[]])


def test_code_merges_and_deletions_never_drop_a_step_silently(engine):
    from codebooks.service import delete_code, merge_codes

    guids = build(engine)
    write_story(engine, guids, ["fieldlab", "pilot"])
    with write_session(engine) as s:
        project, story = _project_and_story(s)
        add_step(s, project, story, guids["other"], actor="Anna", cycle="vc.transformative")  # coded otherwise
        with pytest.raises(Refused, match="code 'vc.transformative' is the cycle of 1 story step"):
            delete_code(s, project, "value-creation", "vc.transformative", actor="Olga")
        merge_codes(s, project, "value-creation", "vc.immediate", "vc.potential", actor="Olga")
    cycles, _, _ = cycles_and_warnings(engine)
    assert cycles == ["vc.potential", "vc.applied", "vc.transformative"]
    with read_session(engine) as s:
        moved = [e for e in list_events(s, get_project(s, "Verhalen").guid) if e.entity == "story" and
                 e.action == "move"]
    assert [(e.before["cycle"], e.after["cycle"], e.actor) for e in moved] == [("vc.immediate", "vc.potential",
                                                                                 "Olga")]


def test_undo_is_not_offered_when_a_steps_segment_is_gone(engine):
    guids = build(engine)
    write_story(engine, guids, ["fieldlab", "pilot"])
    with write_session(engine) as s:
        project, story = _project_and_story(s)
        remove_step(s, project, story, guids["pilot"], actor="Anna")
        delete_segment(s, project, guids["pilot"], actor="Thomas")  # no longer a step: Thomas may delete it
    with write_session(engine) as s:
        project = get_project(s, "Verhalen")
        offer = history.offer(s, project, "Anna", story_undoable(), "undo")
        assert offer is not None and offer.blocked == "a segment of one of its steps is gone"
        with pytest.raises(Refused, match="a segment of one of its steps is gone"):
            history.take_back(s, project, "Anna", story_undoable())


def test_a_story_follows_a_person_of_its_case(engine):
    from cases.projects import create_person, get_person

    build(engine)
    with write_session(engine) as s:
        project = get_project(s, "Verhalen")
        grenzeloos, stedenband = get_case(s, project, "Grenzeloos"), get_case(s, project, "Stedenband")
        create_person(s, project, "Ilse", case=stedenband)
        from coding.stories import story_persons

        assert [p.name for p in story_persons(s, project, grenzeloos)] == ["Hoekstra"]
        with pytest.raises(Refused, match="Ilse belongs to another case than 'Grenzeloos'"):
            create_story(s, project, grenzeloos, "X", person=get_person(s, project, "Ilse"), actor="Anna")
        story = create_story(s, project, grenzeloos, "X", actor="Anna")
        with pytest.raises(Refused, match="Ilse belongs to another case"):
            edit_story(s, project, story, person=get_person(s, project, "Ilse"), actor="Anna")
