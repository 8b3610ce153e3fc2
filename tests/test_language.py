"""Tests for stop-word based language detection (nl/de/en)."""

import pytest

from cases.language import SUPPORTED_LANGUAGES, detect_language

DUTCH = [
    "We hebben een kick-off meeting gehad met alle stakeholders over de roadmap.",
    "Ik vond het vooral fijn dat iedereen zijn kennis wilde delen.",
    "Het netwerk is in 2019 begonnen met een paar ondernemers uit de regio.",
    "Nou, dat was echt een eye-opener voor ons team, want de business case klopte niet.",
    "Toen hebben we besloten om het anders aan te pakken.",
    "Ja, dat klopt, maar de feedback van de klant was wel positief.",
    "Wij leerden veel van elkaar tijdens de werksessies over data-driven werken.",
]
GERMAN = [
    "Wir haben uns im Netzwerk regelmäßig getroffen und viel voneinander gelernt.",
    "Das war für uns eigentlich der wichtigste Punkt, weil wir sonst keine Zeit hatten.",
    "Ich finde, dass die Zusammenarbeit mit den Hochschulen sehr gut funktioniert.",
    "Also, am Anfang waren wir nur fünf Betriebe aus der Region.",
    "Wir haben dann ein gemeinsames Projekt mit dem Landkreis gestartet.",
    "Ja, das stimmt, aber das Feedback war trotzdem positiv.",
]
ENGLISH = [
    "We met every month and learned a lot from each other.",
    "I think the most important thing was that people trusted each other.",
    "At the start there were only five companies from the region.",
    "Then we decided to start a joint project with the university.",
    "It was really useful because we could share what worked and what did not.",
    "Yes, that's right, but the feedback was still positive.",
]


def test_supported_languages():
    assert SUPPORTED_LANGUAGES == ("nl", "de", "en")


@pytest.mark.parametrize("lang,sentence", [("nl", s) for s in DUTCH]
                         + [("de", s) for s in GERMAN] + [("en", s) for s in ENGLISH])
def test_short_sentences(lang, sentence):
    best, scores = detect_language(sentence)
    assert best == lang
    assert set(scores) == {"nl", "de", "en"}
    assert scores[lang] == max(scores.values()) > 0


def test_dutch_with_english_jargon_is_dutch():
    best, scores = detect_language(
        "De stakeholders wilden een quick win, dus we hebben de business case en de "
        "roadmap in een workshop met het management team besproken.")
    assert best == "nl"
    assert scores["nl"] > scores["en"]


def test_scores_are_fractions_of_tokens():
    best, scores = detect_language("ik ben het niet")  # 4 tokens, all Dutch-only stop words
    assert best == "nl"
    assert scores == {"nl": 1.0, "de": 0.0, "en": 0.0}


@pytest.mark.parametrize("text", ["", "   ", "12:30 42", "Stakeholder roadmap workshop",
                                  "Ja, klopt."])
def test_too_little_evidence_gives_none(text):
    best, scores = detect_language(text)
    assert best is None
    assert set(scores) == {"nl", "de", "en"}


def test_case_and_diacritics_do_not_matter():
    assert detect_language("WIR HABEN FÜR DIE REGION VIEL GETAN")[0] == "de"
