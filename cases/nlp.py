"""Sentence splitting and lemmas with small, rule-based spaCy pipelines.

No statistical models are needed: a blank pipeline with the rule-based
sentencizer splits sentences, and spacy-lookups-data supplies lemma tables.
Pipelines are built once per language (they are slow to create, fast to run)
and only when first needed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from functools import cache

import spacy
from spacy.language import Language
from spacy.lookups import Table

from cases.language import SUPPORTED_LANGUAGES
from cases.sources import trimmed

_MAX_LENGTH = 100_000_000  # tokenizer + sentencizer only, so long texts are fine
_BATCH = 256


def _code(lang: str | None) -> str:
    return lang if lang in SUPPORTED_LANGUAGES else "xx"


@cache
def _sentence_pipeline(code: str) -> Language:
    nlp = spacy.blank(code)
    nlp.add_pipe("sentencizer")
    nlp.max_length = _MAX_LENGTH
    return nlp


def sentence_pipeline(lang: str | None) -> Language:
    """Blank pipeline + sentencizer for nl/de/en; the multi-language one otherwise."""
    return _sentence_pipeline(_code(lang))


def split_sentences(text: str, spans: Sequence[tuple[int, int, str | None]]
                    ) -> list[tuple[int, int, int]]:
    """Sentences as (start, end, span index), absolute offsets, in text order.

    No sentence crosses a span boundary; sentences are trimmed and empty ones
    dropped. The whole text is parsed once with the pipeline of the language
    most spans share (as fast as the bare pipeline), and its sentences are
    clipped to the spans. Turns in another language are split by the same
    pipeline: the sentencizer splits on the same punctuation in nl, de and en,
    and parsing them again with their own tokenizer doubled the import time
    (bench/README.md) for the sake of a few abbreviations.
    """
    return list(iter_sentences(text, spans))


def main_language(languages: Iterable[str | None]) -> str:
    """The pipeline language most spans share (see split_sentences)."""
    counts = Counter(_code(lang) for lang in languages)
    return counts.most_common(1)[0][0] if counts else "xx"


def iter_sentences(text: str, spans: Sequence[tuple[int, int, str | None]], language: str | None = None
                   ) -> Iterator[tuple[int, int, int]]:
    """split_sentences one piece at a time; `language` (else the spans' main one) chooses the pipeline."""
    if not spans:
        return
    nlp = _sentence_pipeline(_code(language) if language else main_language(lang for _, _, lang in spans))
    order = sorted(range(len(spans)), key=lambda j: spans[j][0])
    # The text is parsed in pieces of whole spans (no sentence crosses a span, so the sentences are the same):
    # spaCy's tokens for a 50 MB text at once took gigabytes; a piece's are freed before the next is parsed.
    for group in _span_groups(order, spans):
        lo, hi = spans[group[0]][0], max(spans[j][1] for j in group)
        bounds = [(sent.start_char + lo, sent.end_char + lo) for sent in nlp(text[lo:hi]).sents]
        yield from _clip_to_spans(text, spans, bounds, group)


PIECE_CHARS = 200_000  # how much text one parse holds at most (unless one span alone is longer)


def _span_groups(order: list[int], spans: Sequence[tuple[int, int, str | None]]) -> list[list[int]]:
    """Consecutive spans (in text order) grouped into pieces of about PIECE_CHARS characters."""
    groups: list[list[int]] = []
    current: list[int] = []
    for i in order:
        if current and spans[i][1] - spans[current[0]][0] > PIECE_CHARS:
            groups.append(current)
            current = []
        current.append(i)
    if current:
        groups.append(current)
    return groups


def _clip_to_spans(text: str, spans: Sequence[tuple[int, int, str | None]],
                   bounds: list[tuple[int, int]], order: list[int]) -> list[tuple[int, int, int]]:
    """Cut the parsed sentences at span edges (a label or an unpunctuated turn end starts a new piece)."""
    out: list[tuple[int, int, int]] = []
    k = 0
    for i in order:
        start, end, _ = spans[i]
        while k < len(bounds) and bounds[k][1] <= start:
            k += 1
        j = k
        while j < len(bounds) and bounds[j][0] < end:
            s, e = max(bounds[j][0], start), min(bounds[j][1], end)
            s, e = trimmed(text, s, e)
            if s < e:
                out.append((s, e, i))
            j += 1
    return out


@cache
def _lemma_table(code: str) -> Table | None:
    if code == "xx":
        return None
    nlp = spacy.blank(code)
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")


def lemma_table(lang: str | None) -> Table | None:
    """spaCy's lookup lemma table for the language (None where there is none): what the language's ordinary
    words are."""
    return _lemma_table(_code(lang))


def lemmatise(words: Sequence[str], lang: str) -> list[str]:
    """Lower-cased lookup lemmas; a word without an entry stays itself (lower-cased).

    The word is looked up as written, then lower-cased (German nouns are
    stored capitalised, Dutch entries lower-case).
    """
    table = _lemma_table(_code(lang))
    if table is None:
        return [w.lower() for w in words]
    out = []
    for w in words:
        lemma = table.get(w)
        if lemma is None:
            lemma = table.get(w.lower(), w)
        out.append(lemma.lower())
    return out
