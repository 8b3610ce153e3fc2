"""Guess whether a stretch of text is Dutch, German or English.

Transcripts switch language within a turn and Dutch carries English jargon, so
segments are tagged one by one with a cheap, explainable score: the share of
tokens that are stop words of exactly one language, using spaCy's own
stop-word lists (words shared between languages, like "in" or "was", say
nothing and are ignored). Content words such as "stakeholders" are not stop
words, so jargon does not tip a Dutch sentence to English.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

SUPPORTED_LANGUAGES = ("nl", "de", "en")
_MIN_HITS = 3
_TOKEN = re.compile(r"[^\W\d_]+(?:['’‘][^\W\d_]+)*")


@lru_cache(maxsize=1)
def _distinctive() -> dict[str, str]:
    """{stop word: language} for the stop words that belong to exactly one of the three languages."""
    from spacy.lang.de.stop_words import STOP_WORDS as de
    from spacy.lang.en.stop_words import STOP_WORDS as en
    from spacy.lang.nl.stop_words import STOP_WORDS as nl

    lists = {"nl": set(nl), "de": set(de), "en": set(en)}
    return {word: lang for lang, words in lists.items()
            for word in words - set().union(*(v for k, v in lists.items() if k != lang))}


def detect_language(text: str) -> tuple[str | None, dict[str, float]]:
    """Return (best language or None, score per language as a fraction of tokens).

    None when the best language has fewer than three different distinguishing
    stop words, or when the two best languages tie. A long text is judged on
    evenly spread excerpts (about 12,000 characters), which is plenty for stop
    words and keeps a book-length transcript from costing a second.
    """
    tokens = _TOKEN.findall(_sample(text).casefold())
    language_of = _distinctive()
    clues = [tok for tok in tokens if tok in language_of]
    hits = Counter(language_of[tok] for tok in clues)
    n = len(tokens) or 1
    scores = {lang: hits[lang] / n for lang in SUPPORTED_LANGUAGES}
    ranked = sorted(SUPPORTED_LANGUAGES, key=lambda lang: hits[lang], reverse=True)
    # Evidence is counted in distinct words: one word repeated ("go go go") is one clue, not three.
    distinct = {tok for tok in clues if language_of[tok] == ranked[0]}
    if len(distinct) < _MIN_HITS or hits[ranked[0]] == hits[ranked[1]]:
        return None, scores
    return ranked[0], scores


_SAMPLE_CHARS = 12_000
_SAMPLE_PIECES = 6


def _sample(text: str) -> str:
    """The whole text when short, else evenly spread excerpts cut at spaces."""
    if len(text) <= _SAMPLE_CHARS:
        return text
    piece = _SAMPLE_CHARS // _SAMPLE_PIECES
    step = len(text) // _SAMPLE_PIECES
    excerpts = []
    for k in range(_SAMPLE_PIECES):
        start = text.find(" ", k * step) + 1 if k else 0
        end = text.rfind(" ", start, start + piece)
        excerpts.append(text[start:end if end > start else start + piece])
    return " ".join(excerpts)
