"""The demo study loads on both databases, through the real import path, with every phrase anchored."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from cases.documents import document_turns, list_documents
from cases.projects import get_project, list_cases, list_persons
from coding.codings import list_codings
from coding.memos import list_memos
from demo.load import DEMO_PROJECT, DemoDataError, case_specs, find_phrase, load_demo
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
