"""Lemma-aware keyword-in-context search on SQLite and PostgreSQL, project lemma pairs, coding hits."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from cases.documents import document_text
from cases.importer import SpeakerDecision, preview_import, store_import
from cases.projects import create_case, create_project, get_document, get_project
from codebooks.service import adopt_codebook
from coding.codings import list_codings
from coding.search import (
    CONTEXT_CHARS,
    add_lemma_pair,
    clear_cache,
    code_hits,
    list_lemma_pairs,
    remove_lemma_pair,
    search_text,
    words,
)
from store.db import read_session, write_session
from store.errors import Refused
from store.events import list_events
from store.models import Event

DUTCH = """I: Hoe was het in het netwerk?
R: 😀👍🏽 Ik leerde daar veel. We leerden samen met de gemeente. Leren is fijn.
I: En later?
R: Ze hebben het geleerd door te doen. Het leer van mijn tas is oud.
R: We learned a lot from the other members of the network and the region.
"""

GERMAN = """I: Wie war das Netzwerk für Sie?
R: Wir lernten viel voneinander. Sie hat dort gelernt, wie es geht. Das Lernen macht Spaß.
"""

ENGLISH = """I: What did the network give you?
R: We learned a lot. She learns fast and the children went home early.
"""


@pytest.fixture(autouse=True)
def _fresh_cache():  # type: ignore[no-untyped-def]
    clear_cache()
    yield
    clear_cache()


def _import(s, project, case, filename, text, language):  # type: ignore[no-untyped-def]
    preview = preview_import(filename, text.encode("utf-8"), language=language)
    speakers = {"I": SpeakerDecision("interviewer"), "R": SpeakerDecision("respondent")}
    return store_import(s, project, preview, cases=[case], speakers=speakers)


@pytest.fixture
def corpus(engine):  # type: ignore[no-untyped-def]
    with write_session(engine) as s:
        project = create_project(s, "Zoeken")
        adopt_codebook(s, project, "value-creation")
        nl, de = create_case(s, project, "Noord"), create_case(s, project, "Süd")
        _import(s, project, nl, "nl interview.txt", DUTCH, "nl")
        _import(s, project, de, "de Interview.txt", GERMAN, "de")
        _import(s, project, de, "en interview.txt", ENGLISH, "en")
        guid = str(project.guid)
    return engine, guid


def search(corpus, query, **kwargs):  # type: ignore[no-untyped-def]
    engine, guid = corpus
    with read_session(engine) as s:
        return search_text(s, get_project(s, guid), query, **kwargs)


def found(hits) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(h.document, h.text) for h in hits]


def test_dutch_lemmas_find_inflected_forms(corpus):
    hits = search(corpus, "leren", document="nl interview")
    assert [h.text for h in hits] == ["leerde", "leerden", "Leren"]  # not "geleerd" (missing from the tables)
    assert all(h.turn == 1 for h in hits)
    assert [h.text for h in search(corpus, "LEERDEN", document="nl interview")] == ["leerde", "leerden", "Leren"]
    # Without lemmas: the word form only, case-insensitively.
    assert [h.text for h in search(corpus, "leren", lemma=False)] == ["Leren"]


def test_a_project_lemma_pair_adds_a_form_the_tables_miss(corpus):
    engine, guid = corpus
    with write_session(engine) as s:
        project = get_project(s, guid)
        pair = add_lemma_pair(s, project, "nl", "Geleerd", "leren", actor="Sanne")
        assert (pair.form, pair.lemma) == ("geleerd", "leren")
    hits = search(corpus, "leren", document="nl interview")
    assert [h.text for h in hits] == ["leerde", "leerden", "Leren", "geleerd"]
    assert hits[-1].turn == 3
    # The pair works for the query word as well.
    assert [h.text for h in search(corpus, "geleerd", document="nl interview")] == [
        "leerde", "leerden", "Leren", "geleerd"]
    with read_session(engine) as s:
        project = get_project(s, guid)
        assert [(p.language, p.form, p.lemma) for p in list_lemma_pairs(s, project)] == [("nl", "geleerd", "leren")]
        latest = list_events(s, project.guid, limit=1)[0]
    assert (latest.actor, latest.action, latest.entity) == ("Sanne", "create", "lemma_pair")
    assert latest.after == {"language": "nl", "form": "geleerd", "lemma": "leren"}
    # The pair belongs to Dutch: German text is not affected, and removing it takes the form away again.
    with write_session(engine) as s:
        remove_lemma_pair(s, get_project(s, guid), "nl", "geleerd", actor="Sanne")
    assert [h.text for h in search(corpus, "leren", document="nl interview")] == ["leerde", "leerden", "Leren"]


@pytest.mark.parametrize("language, form, lemma, message", [
    ("fr", "appris", "apprendre", "not 'fr'"),
    ("nl", "heb geleerd", "leren", "one word"),
    ("nl", "geleerd", "", "lemma is empty"),
])
def test_lemma_pair_refusals(corpus, language, form, lemma, message):
    engine, guid = corpus
    with pytest.raises(Refused, match=message):
        with write_session(engine) as s:
            add_lemma_pair(s, get_project(s, guid), language, form, lemma)


def test_updating_a_pair_logs_before_and_after(corpus):
    engine, guid = corpus
    with write_session(engine) as s:
        project = get_project(s, guid)
        add_lemma_pair(s, project, "nl", "geleerd", "leer")
        add_lemma_pair(s, project, "nl", "geleerd", "leren")
        add_lemma_pair(s, project, "nl", "geleerd", "leren")  # unchanged: no event
    with read_session(engine) as s:
        events = s.scalars(select(Event).where(Event.entity == "lemma_pair").order_by(Event.id)).all()
    assert [(e.action, e.before, e.after["lemma"]) for e in events] == [
        ("create", None, "leer"), ("update", {"language": "nl", "form": "geleerd", "lemma": "leer"}, "leren")]


def test_german_and_english(corpus):
    assert found(search(corpus, "lernen")) == [("de Interview", "lernten"), ("de Interview", "gelernt"),
                                               ("de Interview", "Lernen")]
    assert found(search(corpus, "learn", case="Süd")) == [("en interview", "learned"), ("en interview", "learns")]
    assert [h.text for h in search(corpus, "child")] == ["children"]
    assert [h.text for h in search(corpus, "go", document="en interview")] == ["went"]


def test_a_turn_in_another_language_uses_its_own_lemmas(corpus):
    # The last turn of the Dutch interview is English; its words are lemmatised as English.
    hits = search(corpus, "learn", case="Noord")
    assert [(h.text, h.turn) for h in hits] == [("learned", 4)]


def test_multi_word_queries_match_consecutive_words_within_a_sentence(corpus):
    assert [h.text for h in search(corpus, "leren samen")] == ["leerden samen"]
    assert search(corpus, "samen leren") == []
    assert search(corpus, "veel leren") == []  # "veel. We leerden": a sentence end lies between
    assert [h.text for h in search(corpus, "wir lernen viel")] == ["Wir lernten viel"]
    assert [h.text for h in search(corpus, "child go")] == ["children went"]


def test_offsets_are_code_points_with_emoji_before_the_hit(corpus):
    engine, guid = corpus
    (hit,) = search(corpus, "leerde", lemma=False)
    with read_session(engine) as s:
        text = document_text(s, get_document(s, get_project(s, guid), "nl interview"))
    assert (hit.start, hit.end) == (DUTCH.index("leerde"), DUTCH.index("leerde") + 6)
    assert text[hit.start:hit.end] == "leerde"
    assert "👍🏽" in hit.left  # context reaches back over the emoji (a code point each, not UTF-16 units)
    assert text[hit.start - len(hit.left):hit.start] == hit.left
    assert text[hit.end:hit.end + len(hit.right)] == hit.right
    assert hit.left.startswith("😀")  # the context stays inside the turn: no speaker label
    assert hit.document_guid is not None and hit.cases == ["Noord"]
    assert (hit.speaker, hit.role) == ("R", "respondent")


def test_context_is_about_sixty_characters_and_never_cuts_a_word(corpus):
    engine, guid = corpus
    with read_session(engine) as s:
        project = get_project(s, guid)
        texts = {t: document_text(s, get_document(s, project, t)) for t in ("nl interview", "en interview")}
    hits = search(corpus, "network") + search(corpus, "gemeente") + search(corpus, "home") + search(corpus, "region")
    assert len(hits) == 5
    for hit in hits:
        text = texts[hit.document]
        left_from, right_to = hit.start - len(hit.left), hit.end + len(hit.right)
        assert len(hit.left) <= CONTEXT_CHARS and len(hit.right) <= CONTEXT_CHARS
        assert left_from == hit.turn_start or text[left_from - 1].isspace()
        assert right_to == hit.turn_end or text[right_to].isspace()
        assert hit.turn_start <= left_from and right_to <= hit.turn_end  # inside the turn's content
    (region,) = search(corpus, "region")
    assert region.left == "learned a lot from the other members of the network and the "  # "We " is 61–63 back
    (early,) = search(corpus, "early")
    assert early.left == "learned a lot. She learns fast and the children went home "  # 60 back is inside "We"
    (fijn,) = search(corpus, "gemeente")
    assert fijn.right == ". Leren is fijn."  # the turn ends there: no label of the next turn


def test_speaker_labels_are_not_searched_and_filters_apply(corpus):
    assert search(corpus, "R") == []
    assert [(h.document, h.turn) for h in search(corpus, "netwerk")] == [("nl interview", 0)]
    assert [h.document for h in search(corpus, "network")] == ["en interview", "nl interview"]
    assert search(corpus, "network", case="Noord")[0].document == "nl interview"
    assert len(search(corpus, "network", limit=1)) == 1
    with pytest.raises(Refused, match="word to search"):
        search(corpus, " … ")
    with pytest.raises(Refused, match="no case"):
        search(corpus, "leren", case="West")


def test_word_regex():
    assert [w for _, _, w in words("zo'n auto's, re-use 😀straße e\u0301te_x")] == [
        "zo'n", "auto's", "re", "use", "straße", "e\u0301te", "x"]


def test_the_word_index_is_cached_per_text_version(corpus):
    engine, _guid = corpus
    statements: list[str] = []

    def listener(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    search(corpus, "leren")
    event.listen(engine, "before_cursor_execute", listener)
    try:
        search(corpus, "lernen")
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert not any("FROM text_version" in q and "text_version.text" in q for q in statements)


def test_code_hits_as_match_sentence_or_turn_once(corpus):
    engine, guid = corpus
    hits = search(corpus, "leren", document="nl interview")
    with write_session(engine) as s:
        project = get_project(s, guid)
        result = code_hits(s, project, hits[:2], ["vc.potential.human"], coder="Sanne", unit="match")
        assert (result.created, result.skipped) == (2, 0)
        again = code_hits(s, project, hits[:2], ["vc.potential.human"], coder="Sanne", unit="match")
        assert (again.created, again.skipped) == (0, 2)
        by_turn = code_hits(s, project, hits, ["vc.immediate"], coder="Sanne", unit="turn")
        assert (by_turn.created, by_turn.skipped) == (1, 0)  # three hits in one turn: one segment
        by_sentence = code_hits(s, project, hits[1:2], ["vc.applied"], coder="Tom", unit="sentence")
        assert by_sentence.created == 1
    with read_session(engine) as s:
        codings = list_codings(s, get_project(s, guid))
    assert [(c.code, c.coder, c.text) for c in codings] == [
        ("vc.immediate", "Sanne", "😀👍🏽 Ik leerde daar veel. We leerden samen met de gemeente. Leren is fijn."),
        ("vc.potential.human", "Sanne", "leerde"),
        ("vc.applied", "Tom", "We leerden samen met de gemeente."),
        ("vc.potential.human", "Sanne", "leerden"),
    ]
    with pytest.raises(Refused, match="who you are"):
        with write_session(engine) as s:
            code_hits(s, get_project(s, guid), hits, ["vc.immediate"], coder=" ")


def test_cli_search(corpus, capsys):
    import json

    import cli

    engine, guid = corpus
    url = engine.url.render_as_string(hide_password=False)
    assert cli.main(["--db", url, "search", "lernen", "--project", guid, "--format", "json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert [(h["document"], h["text"], h["turn"], h["turn_ordinal"]) for h in hits] == [
        ("de Interview", "lernten", 2, 1), ("de Interview", "gelernt", 2, 1), ("de Interview", "Lernen", 2, 1)]
    assert cli.main(["--db", url, "search", "Lernen", "--exact", "--project", guid, "--format", "json"]) == 0
    assert [h["text"] for h in json.loads(capsys.readouterr().out)] == ["Lernen"]
