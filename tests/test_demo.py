"""The demo study loads on both databases, through the real import path, with every phrase anchored."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from cases.documents import document_turns, list_documents
from cases.projects import get_project, list_cases, list_persons
from coding.codings import list_codings
from coding.memos import list_memos
from demo.load import DEMO_PROJECT, DemoDataError, case_specs, document_title, find_phrase, load_demo
from store.db import read_session
from store.models import Document, Event


@pytest.fixture
def demo(engine):  # type: ignore[no-untyped-def]
    summary = load_demo(engine)
    return summary


def test_demo_has_the_study_shape(engine, demo) -> None:  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        project = get_project(s, DEMO_PROJECT)
        cases = list_cases(s, project)
        documents = list_documents(s, project)
        codings = list_codings(s, project)
        persons = list_persons(s, project)
        formats = Counter(d.source_format for d in documents)
        kinds = Counter(d.kind for d in documents)
        languages = Counter(d.language for d in documents)
        memos = list_memos(s, project)
    assert [c.name for c in cases] == sorted(c.name for c in cases)
    assert len(cases) == 3
    assert len(documents) >= 12 and kinds["interview"] == 14
    assert len(codings) >= 250
    assert formats["vtt"] == 1 and formats["docx"] == 1
    assert languages["de"] >= 1 and languages["nl"] >= 10
    assert len({c.coder for c in codings}) == 3
    assert len(persons) >= 16
    assert len(memos) >= 3
    assert demo["codings"] == len(codings)
    # 2–3 transcripts carry a second coder
    coders_per_document = Counter()
    for document, coder in {(c.document, c.coder) for c in codings}:
        coders_per_document[document] += 1
    assert 2 <= sum(1 for n in coders_per_document.values() if n > 1) <= 3


def test_every_demo_coding_holds_its_phrase(engine, demo) -> None:  # type: ignore[no-untyped-def]
    expected = Counter()
    for _folder, spec in case_specs():
        for item in spec.get("codings", []):
            expected[(item["document"], item["coder"], item["phrase"])] += len(set(item["codes"]))
    with read_session(engine) as s:
        project = get_project(s, DEMO_PROJECT)
        stored = Counter((c.document, c.coder, c.text) for c in list_codings(s, project))
    assert stored == expected


def test_interview_codings_lie_inside_speaker_turns(engine, demo) -> None:  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        project = get_project(s, DEMO_PROJECT)
        for document in list_documents(s, project):
            turns = document_turns(s, document)
            if not any(t.label for t in turns):
                continue
            for coding in list_codings(s, project, document=document):
                assert any(t.content_start <= coding.start and coding.end <= t.end for t in turns), coding


def test_demo_load_is_all_or_nothing(engine, demo) -> None:  # type: ignore[no-untyped-def]
    with read_session(engine) as s:
        documents = s.scalar(select(func.count()).select_from(Document))
        events = s.scalar(select(func.count()).select_from(Event))
    with pytest.raises(Exception, match="already exists"):
        load_demo(engine)
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Document)) == documents
        assert s.scalar(select(func.count()).select_from(Event)) == events


def test_find_phrase_fails_loudly() -> None:
    assert find_phrase("een twee een", "een", 2) == (9, 12)
    with pytest.raises(DemoDataError, match="phrase not found"):
        find_phrase("een twee", "drie")


def test_a_missing_phrase_in_the_last_case_leaves_nothing_behind(engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The demo loads in one transaction: a broken anchor late in the data rolls back every earlier case too."""
    import copy

    import demo.load as loader
    from store.models import Base

    specs = copy.deepcopy(case_specs())
    specs[-1][1]["codings"][-1]["phrase"] = "deze zin staat in geen enkel transcript"
    monkeypatch.setattr(loader, "case_specs", lambda: specs)
    with pytest.raises(DemoDataError, match="phrase not found"):
        load_demo(engine)
    with read_session(engine) as s:
        counts = {t.name: s.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}
    assert counts == {name: 0 for name in counts}


# --- framework cells and the mask list (what a facilitator presents) -------------------------------

def _framework_entries() -> list[tuple[str, dict]]:
    return [(spec["case"]["name"], item) for _folder, spec in case_specs() for item in spec.get("framework", [])]


def test_every_framework_entry_is_stored_with_its_pins_in_order(engine, demo) -> None:  # type: ignore[no-untyped-def]
    from analysis.framework_matrix import build_framework_matrix

    entries = _framework_entries()
    assert len(entries) == 18  # 3 cases x 6 value-creation cycles
    with read_session(engine) as s:
        framework = build_framework_matrix(s, get_project(s, DEMO_PROJECT), "vc", depth=1)
    cells = {(c.case, c.code): c for row in framework.cells for c in row}
    for case, item in entries:
        cell = cells[(case, item["code"])]
        assert cell.state == item["state"], (case, item["code"])
        assert cell.rating == item.get("rating"), (case, item["code"])
        assert cell.summary == " ".join(item["summary"].split())
        assert cell.validation == item["validation"]
        assert [q.text for q in cell.quotes] == item.get("pins", []), (case, item["code"])
    assert demo["framework_cells"] == 18
    assert demo["pinned_quotes"] == sum(len(item.get("pins", [])) for _case, item in entries)
    # the demo is varied: all four assessed levels and the non-assessed states a facilitator has to explain
    assert {item.get("rating") for _case, item in entries} == {None, 1, 2, 3, 4}
    assert {item["state"] for _case, item in entries} == {"assessed", "not_assessed", "no_data"}
    by_cell = {(case, item["code"]): item for case, item in entries}
    assert by_cell[("Grenzeloos", "vc.immediate")]["rating"] == 4
    assert by_cell[("Grenzeloos", "vc.transformative")]["rating"] == 1
    assert by_cell[("Grenzeloos", "vc.expected")]["state"] == "not_assessed"


def test_no_demo_cell_is_rated_without_coded_evidence(engine, demo) -> None:  # type: ignore[no-untyped-def]
    from analysis.framework_matrix import build_framework_matrix

    with read_session(engine) as s:
        framework = build_framework_matrix(s, get_project(s, DEMO_PROJECT), "vc", depth=1)
    stored = [c for row in framework.cells for c in row if c.state is not None]
    assert len(stored) == 18
    assert [c for c in stored if c.assigned_not_evidenced] == []
    for cell in stored:
        if cell.state == "assessed":
            assert cell.count >= len(cell.quotes) >= 1, (cell.case, cell.code)
            assert "⚠" not in cell.line(), cell.line()
        else:  # "no data" or "not assessed" must not hide coded segments of the primary coders
            assert cell.count == 0 and cell.quotes == [], (cell.case, cell.code)
    # every pinned quote was coded by the document's primary coder
    primary = {document_title(d["file"]): d["coders"][0] for _f, spec in case_specs() for d in spec["documents"]}
    assert all(q.coder == primary[q.document] for c in stored for q in c.quotes)


def test_demo_masks_are_stored_and_mask_quotes(engine, demo) -> None:  # type: ignore[no-untyped-def]
    from focusgroups.anonymise import build_anonymiser, list_mask_terms

    expected = {(m["term"], m["kind"], m.get("replacement", ""))
                for _f, spec in case_specs() for m in spec.get("masks", [])}
    with read_session(engine) as s:
        project = get_project(s, DEMO_PROJECT)
        stored = {(t.term, t.kind, t.replacement) for t in list_mask_terms(s, project)}
        anonymiser = build_anonymiser(s, project)
        texts = {c.text for c in list_codings(s, project)}
    assert stored == expected and demo["masks"] == len(expected)
    assert {"place", "person", "organisation"} <= {kind for _t, kind, _r in stored}
    quotes = {
        "In de krant stond: twee ondernemers uit Losser en Bad Bentheim. De club kwam er eigenlijk niet in voor.":
            "In de krant stond: twee ondernemers uit [plaats] en [plaats]. De club kwam er eigenlijk niet in voor.",
        "Dat is eigenlijk het enige. Maar dat was niet de club, hè. Dat waren Erik en Birgit.":
            "Dat is eigenlijk het enige. Maar dat was niet de club, hè. Dat waren [naam] en [naam].",
        "Ik zie mezelf nu toch meer als bestuurder van de regio, niet alleen van Kempenrode.":
            "Ik zie mezelf nu toch meer als bestuurder van de regio, niet alleen van [gemeente].",
    }
    for quote, masked in quotes.items():
        assert quote in texts  # a real demo quote, not a made-up sentence
        assert anonymiser.mask(quote) == masked


@pytest.mark.parametrize("pin", [
    "deze zin staat in geen enkel transcript",
    "Deelnemers wisselden ter plekke telefoonnummers uit",  # coded in this case, but not as transformative value
])
def test_a_broken_pin_in_the_last_case_leaves_nothing_behind(engine, monkeypatch, pin):  # type: ignore[no-untyped-def]
    import copy

    import demo.load as loader
    from store.models import Base

    specs = copy.deepcopy(case_specs())
    last = specs[-1][1]
    cell = last["framework"][-1]
    cell["pins"][-1] = pin
    monkeypatch.setattr(loader, "case_specs", lambda: specs)
    with pytest.raises(DemoDataError) as raised:
        load_demo(engine)
    message = str(raised.value)
    assert last["case"]["name"] in message and cell["code"] in message and pin[:40] in message
    with read_session(engine) as s:
        counts = {t.name: s.scalar(select(func.count()).select_from(t)) for t in Base.metadata.sorted_tables}
    assert counts == {name: 0 for name in counts}


def test_demo_ships_stories_from_its_own_transcripts(engine, demo) -> None:  # type: ignore[no-untyped-def]
    from coding.story_views import story_views

    with read_session(engine) as s:
        project = get_project(s, DEMO_PROJECT)
        views = story_views(s, project)
        marked = list_codings(s, project)
    per_case = Counter(v.case for v in views)
    assert demo["stories"] == len(views) and all(2 <= n <= 4 for n in per_case.values()) and len(per_case) == 3
    for view in views:  # every step quotes its coded segment's text, and every story reaches two cycles or more
        assert view.warnings == [], view.title
        assert len(view.cycles_reached()) >= 2 and all(step.note for step in view.steps)
    warnings = Counter(w.split(":")[0] for v in views for step in v.steps for w in step.warnings)
    assert warnings == {"loop back": 2, "an aspirational statement used as evidence of applied value": 1}
    assert sum(c.aspirational for c in marked) >= 2 and {c.beneficiary for c in marked} >= {"self", "stakeholder"}
