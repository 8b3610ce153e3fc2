"""Tests for sentence splitting and lookup lemmas."""

import spacy

from cases.nlp import lemmatise, sentence_pipeline, split_sentences


def sentences(text, spans):
    return [(text[s:e], i) for s, e, i in split_sentences(text, spans)]


def test_pipeline_is_cached_and_has_sentencizer():
    nlp = sentence_pipeline("nl")
    assert nlp is sentence_pipeline("nl")
    assert nlp.lang == "nl" and "sentencizer" in nlp.pipe_names


def test_unknown_language_falls_back_to_multilingual():
    assert sentence_pipeline(None).lang == "xx"
    assert sentence_pipeline("fr") is sentence_pipeline(None)
    assert isinstance(sentence_pipeline("fr"), spacy.language.Language)


def test_split_within_spans_trimmed_and_in_order():
    text = "I: Hoe gaat het? Goed.\nR: Prima. Dank je wel!  \nB: Das ist gut. Ja."
    r, b = text.index("Prima"), text.index("Das")
    spans = [(3, 22, "nl"), (b, len(text), "de"), (r, text.index("\nB:"), "nl")]
    assert sentences(text, spans) == [("Hoe gaat het?", 0), ("Goed.", 0), ("Prima.", 2),
                                      ("Dank je wel!", 2), ("Das ist gut.", 1), ("Ja.", 1)]


def test_sentences_never_cross_span_boundaries():
    text = "Dit is een zin zonder punt en dit loopt door tot hier. Einde."
    cut = text.index("tot")
    got = split_sentences(text, [(0, cut, "nl"), (cut, len(text), "nl")])
    assert all(e <= cut or s >= cut for s, e, _ in got)
    assert [text[s:e] for s, e, _ in got] == [
        "Dit is een zin zonder punt en dit loopt door", "tot hier.", "Einde."]


def test_empty_and_whitespace_spans_dropped():
    text = "   \n  Hallo.  "
    assert sentences(text, [(0, 3, "nl"), (3, len(text), None), (5, 5, "en")]) == [
        ("Hallo.", 1)]


def test_offsets_are_code_points_with_emoji_and_accents():
    text = "😀 Größe zählt. Café ĳs! 👩\u200d💻 Done."
    got = split_sentences(text, [(0, len(text), "de")])
    assert [text[s:e] for s, e, _ in got] == ["😀 Größe zählt.", "Café ĳs!",
                                             "👩\u200d💻 Done."]


def test_lemmatise_dutch():
    assert lemmatise(["leerden", "Leerden", "gesprekken", "ging", "xyzzy"], "nl") == [
        "leren", "leren", "gesprek", "gaan", "xyzzy"]


def test_lemmatise_german_english_and_unknown():
    assert lemmatise(["Häuser", "gingen"], "de") == ["haus", "gehen"]
    assert lemmatise(["went", "Children"], "en") == ["go", "child"]
    assert lemmatise(["Went"], "fr") == ["went"]
    assert lemmatise([], "nl") == []


def test_parsing_in_pieces_gives_the_sentences_of_one_whole_parse(monkeypatch):
    """Long texts are parsed a piece of whole turns at a time (bounded memory); the sentences must not change,
    whatever the piece size: turns without a full stop, labels between turns, a turn longer than a piece."""
    import random

    import cases.nlp as nlp

    rng = random.Random(7)
    words = ["het", "netwerk", "leert", "Dr.", "samen", "z.B.", "we", "zeggen", "ja", "nou"]
    lines, spans, pos = [], [], 0
    for k in range(300):
        label = ("I: ", "R: ", "Anna: ")[k % 3]
        body = " ".join(rng.choice(words) + rng.choice(["", "", ".", "?", "!", " …"]) for _ in range(rng.randint(1, 40)))
        line = label + body + ("\n" if k % 7 else "\n\n")
        spans.append((pos + len(label), pos + len(label) + len(body), "nl"))
        lines.append(line)
        pos += len(line)
    text = "".join(lines)
    monkeypatch.setattr(nlp, "PIECE_CHARS", 10**9)
    whole = split_sentences(text, spans)
    for piece in (1, 50, 400, 5000):
        monkeypatch.setattr(nlp, "PIECE_CHARS", piece)
        assert split_sentences(text, spans) == whole, piece
