"""The Retrieve page under AppTest (SQLite): codes → segments with their turns and links; text search; lemma pairs."""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import parse_qs

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from apptest_support import make_app, shown  # noqa: E402
from cases.importer import SpeakerDecision, preview_import, store_import  # noqa: E402
from cases.projects import create_case, create_person, create_project, get_or_create_coder, get_project  # noqa: E402
from codebooks.service import adopt_codebook  # noqa: E402
from coding.codings import apply_coding, list_codings  # noqa: E402
from coding.search import clear_cache, list_lemma_pairs  # noqa: E402
from store.db import get_engine, read_session, write_session  # noqa: E402

NOORD = """I: Wat heeft het netwerk u gebracht?
R: Ik leerde daar <script>alert(1)</script> veel over **subsidies** & regels.
I: En de gemeente?
R: We hebben het geleerd door te doen, samen met de gemeente.
"""

ZUID = """I: Was hat das Netzwerk gebracht?
R: Ich kenne jetzt die richtigen Leute. Wir lernten viel voneinander.
"""


def span(text: str, phrase: str) -> tuple[int, int]:
    start = text.index(phrase)
    return start, start + len(phrase)


@pytest.fixture
def study(sqlite_url):  # type: ignore[no-untyped-def]
    clear_cache()
    engine = get_engine(sqlite_url)
    with write_session(engine) as s:
        project = create_project(s, "Studie")
        adopt_codebook(s, project, "value-creation")
        noord, zuid = create_case(s, project, "Noord"), create_case(s, project, "Zuid")
        create_person(s, project, "Anna de Vries", pseudonym="R1")
        docs = {}
        for case, filename, text, lang in ((noord, "gesprek noord.txt", NOORD, "nl"),
                                           (zuid, "gesprek zuid.txt", ZUID, "de")):
            preview = preview_import(filename, text.encode("utf-8"), language=lang)
            speakers = {"I": SpeakerDecision("interviewer"),
                        "R": SpeakerDecision("respondent", person="Anna de Vries" if case is noord else None)}
            docs[case.name] = store_import(s, project, preview, cases=[case], speakers=speakers)
        sanne, _ = get_or_create_coder(s, project, "Sanne")
        apply_coding(s, project, docs["Noord"], sanne, *span(NOORD, "veel over **subsidies**"), ["vc.potential.human"])
        apply_coding(s, project, docs["Zuid"], sanne, *span(ZUID, "die richtigen Leute"), ["vc.potential.social"])
        apply_coding(s, project, docs["Noord"], sanne, *span(NOORD, "Wat heeft het netwerk"), ["vc.immediate"])
        guid = str(project.guid)
        doc_guids = {name: str(d.guid) for name, d in docs.items()}
    yield sqlite_url, guid, doc_guids
    clear_cache()


def open_retrieve(monkeypatch, url: str, guid: str, coder: str | None = "Sanne"):  # type: ignore[no-untyped-def]
    at = make_app(monkeypatch, url, project_guid=guid, coder=coder)
    at.run()
    assert not at.exception
    at.switch_page("pages/retrieve.py")
    at.run()
    assert not at.exception, at.exception
    return at


def markdowns(at) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(m.value) for m in at.markdown]


def hits_frame(at):  # type: ignore[no-untyped-def]
    (frame,) = [d.value for d in at.dataframe if "match" in d.value.columns]
    return frame


def link_targets(at) -> list[dict[str, list[str]]]:  # type: ignore[no-untyped-def]
    """Query parameters of every link to the Coding page: st.page_link elements or markdown links."""
    out = []
    for element in at.get("page_link"):
        proto = element.proto
        assert proto.page == "coding"
        out.append(parse_qs(proto.query_string))
    for text in markdowns(at):
        if "](/coding?" in text:
            out.append(parse_qs(text.split("](/coding?", 1)[1].rstrip(")")))
    return out


def test_choose_codes_and_see_segments_with_context_and_links(monkeypatch, study):
    url, guid, docs = study
    at = open_retrieve(monkeypatch, url, guid)
    assert "Choose one or more codes to see their coded segments." in [i.value for i in at.info]
    at.multiselect(key="retrieve_codes").set_value(["vc.potential"])
    at.run()
    assert not at.exception
    assert "2 coded segment(s)" in [c.value for c in at.caption]
    assert "Potential value · vc\\.potential · 2" in [h.value for h in at.subheader]  # escaped Markdown
    texts = markdowns(at)
    # The same code across cases together, case by case.
    assert texts.index("##### Noord") < texts.index("##### Zuid")
    # The context is the whole turn, escaped: markup in the transcript is shown as text, the coded part in bold.
    context = next(t for t in texts if "alert" in t)
    assert context == ("Ik leerde daar \\<script\\>alert\\(1\\)\\</script\\> **veel over \\*\\*subsidies\\*\\*** "
                       "\\& regels\\.")
    assert "<script>" not in "".join(texts)
    header = next(t for t in texts if t.startswith("**gesprek noord**"))
    assert "turn 2" in header and "respondent" in header and "R1" in header and "Sanne" in header
    links = link_targets(at)
    assert {"project": [guid], "document": [docs["Noord"]], "turn": ["1"]} in links
    assert {"project": [guid], "document": [docs["Zuid"]], "turn": ["1"]} in links

    # Without sub-codes nothing is coded with vc.potential itself.
    at.toggle(key="retrieve_subtrees").set_value(False)
    at.run()
    assert "0 coded segment(s)" in [c.value for c in at.caption]


def test_filters_narrow_the_segments(monkeypatch, study):
    url, guid, docs = study
    at = open_retrieve(monkeypatch, url, guid)
    at.multiselect(key="retrieve_codes").set_value(["vc"])
    at.run()
    assert "3 coded segment(s)" in [c.value for c in at.caption]
    at.selectbox(key="retrieve_case").set_value("Zuid")
    at.run()
    assert "1 coded segment(s)" in [c.value for c in at.caption]
    at.selectbox(key="retrieve_case").set_value(None)
    at.selectbox(key="retrieve_role").set_value("interviewer")
    at.run()
    assert "1 coded segment(s)" in [c.value for c in at.caption]
    assert any("Wat heeft het netwerk" in t for t in markdowns(at))
    at.selectbox(key="retrieve_role").set_value(None)
    at.selectbox(key="retrieve_document").set_value(docs["Zuid"])
    at.run()
    assert "1 coded segment(s)" in [c.value for c in at.caption]
    assert not at.exception


def test_search_shows_keyword_in_context_rows_and_codes_a_hit(monkeypatch, study):
    url, guid, docs = study
    at = open_retrieve(monkeypatch, url, guid)
    at.text_input(key="search_query").input("leren")
    at.run()
    assert not at.exception
    assert "1 hit(s)" in [c.value for c in at.caption]  # "geleerd" is missing from the tables
    frame = hits_frame(at)
    assert list(frame["match"]) == ["leerde"]
    assert frame.loc[0, "left"] == "Ik"
    assert frame.loc[0, "right"].startswith("daar <script>alert(1)</script> veel")  # a grid shows text as text
    assert docs["Noord"] in frame.loc[0, "open"]

    # Code the hit's sentence straight from the results.
    ref = at.multiselect(key="code_hits_pick").options[0]
    at.multiselect(key="code_hits_pick").set_value([ref])
    at.multiselect(key="code_hits_codes").set_value(["vc.immediate"])
    at.radio(key="code_hits_unit").set_value("sentence")
    next(b for b in at.button if b.label == "Code selected hits").click()
    at.run()
    assert not at.exception
    assert "Coded 1 span(s)." in shown(at.success)
    with read_session(get_engine(url)) as s:
        codings = [(c.code, c.text) for c in list_codings(s, get_project(s, guid)) if c.code == "vc.immediate"]
    assert ("vc.immediate", "Ik leerde daar <script>alert(1)</script> veel over **subsidies** & regels.") in codings


def test_add_a_lemma_pair_through_the_form(monkeypatch, study):
    url, guid, _docs = study
    at = open_retrieve(monkeypatch, url, guid)
    at.selectbox(key="pair_language").set_value("nl")
    at.text_input(key="pair_form").input("geleerd")
    at.text_input(key="pair_lemma").input("leren")
    next(b for b in at.button if b.label == "Add lemma pair").click()
    at.run()
    assert not at.exception
    with read_session(get_engine(url)) as s:
        assert [(p.language, p.form, p.lemma) for p in list_lemma_pairs(s, get_project(s, guid))] == [
            ("nl", "geleerd", "leren")]
    at.text_input(key="search_query").input("leren")
    at.run()
    assert list(hits_frame(at)["match"]) == ["leerde", "geleerd"]


def test_german_search_and_a_refused_query(monkeypatch, study):
    url, guid, _docs = study
    at = open_retrieve(monkeypatch, url, guid)
    at.text_input(key="search_query").input("lernen")
    at.run()
    assert list(hits_frame(at)["match"]) == ["lernten"]
    at.text_input(key="search_query").input("…")
    at.run()
    assert not at.exception
    assert "type a word to search for" in shown(at.error)
