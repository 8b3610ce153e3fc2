"""UTF-16 ↔ code point conversion and word snapping (coding/offsets.py): properties and worked examples."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from coding.offsets import (
    Utf16Index,
    codepoint_to_utf16,
    snap_to_words,
    utf16_length,
    utf16_to_codepoint,
)

FAMILY = "\U0001F469\u200d\U0001F469\u200d\U0001F467"  # 👩‍👩‍👧: three astral emoji joined by two ZWJ
GRIN = "\U0001F600"  # 😀
E_ACUTE_NFD = "e\u0301"
IJ = "\u0133"  # ĳ, the Dutch ligature letter

# Characters that make offsets and word boundaries interesting, plus any other character.
INTERESTING = [
    "a", "Z", "ß", "ü", "é", E_ACUTE_NFD, "\u0301", "\u0308", IJ, "i", "j", "7",
    GRIN, "\U0001F469", "\U0001F467", "\u200d", "\ufe0f", "\U0001F3FD", "\U0001F1F3", "\U0001F1F1",
    "\U00020BB7", "𝔘", " ", "  ", "\t", "\n", "\r\n", "\u2028", "\u00a0",
    "'", "\u2019", "-", "\u2010", ",", ".", "!", "?", "(", ")", "“", "”", "_",
]
texts = st.lists(
    st.one_of(st.sampled_from(INTERESTING), st.characters(exclude_categories=("Cs",))), max_size=40
).map("".join)


def js_slice(text: str, start16: int, end16: int) -> str:
    """What JavaScript's text.slice(start16, end16) returns (valid when both are pair boundaries)."""
    return text.encode("utf-16-le")[2 * start16:2 * end16].decode("utf-16-le")


def naive_to_utf16(text: str, offset: int) -> int:
    return len(text[:offset].encode("utf-16-le")) // 2


def inside_word(text: str, i: int) -> bool:
    """A boundary at i with word characters on both sides (the definition snap_to_words promises to respect)."""
    from coding.offsets import _is_word_char

    return 0 < i < len(text) and _is_word_char(text, i - 1) and _is_word_char(text, i)


LINE_BREAKS = set("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


# --- conversion: properties ---------------------------------------------------------------------

@given(texts)
@example(FAMILY)
@example("a" + GRIN + "b" + GRIN + GRIN)
def test_every_codepoint_boundary_round_trips(text: str) -> None:
    index = Utf16Index(text)
    assert index.length16 == len(text.encode("utf-16-le")) // 2 == utf16_length(text)
    for cp in range(len(text) + 1):
        o16 = index.to_utf16(cp)
        assert o16 == naive_to_utf16(text, cp)
        assert index.to_codepoint(o16) == cp
        assert codepoint_to_utf16(text, cp) == o16 and utf16_to_codepoint(text, o16) == cp


@given(texts)
def test_every_utf16_offset_converts_or_is_refused_inside_a_pair(text: str) -> None:
    index = Utf16Index(text)
    units = text.encode("utf-16-le")
    for o16 in range(index.length16 + 1):
        splits_pair = o16 < index.length16 and 0xDC00 <= int.from_bytes(units[2 * o16:2 * o16 + 2], "little") <= 0xDFFF
        if splits_pair:
            with pytest.raises(ValueError, match="surrogate pair"):
                index.to_codepoint(o16)
        else:
            assert index.to_utf16(index.to_codepoint(o16)) == o16


@given(texts, st.data())
def test_codepoint_slice_equals_javascript_slice(text: str, data: st.DataObject) -> None:
    index = Utf16Index(text)
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    s16, e16 = index.to_utf16(start), index.to_utf16(end)
    assert text[start:end] == js_slice(text, s16, e16)
    assert index.to_codepoint(s16) == start and index.to_codepoint(e16) == end


@given(texts, st.integers(-5, 5))
def test_out_of_range_offsets_are_refused(text: str, beyond: int) -> None:
    index = Utf16Index(text)
    assume(beyond != 0)
    bad = -1 if beyond < 0 else len(text) + beyond
    bad16 = -1 if beyond < 0 else index.length16 + beyond
    with pytest.raises(ValueError, match="outside"):
        index.to_utf16(bad)
    with pytest.raises(ValueError, match="outside"):
        index.to_codepoint(bad16)


# --- conversion: examples -----------------------------------------------------------------------

def test_emoji_counts_two_units_and_its_middle_is_refused() -> None:
    text = f"Ik zag {GRIN} en ß"
    index = Utf16Index(text)
    assert (len(text), index.length16) == (13, 14)
    assert index.to_utf16(7) == 7 and index.to_utf16(8) == 9  # before and after 😀
    assert index.to_codepoint(9) == 8 and index.to_codepoint(14) == 13
    with pytest.raises(ValueError, match="U\\+1F600"):
        index.to_codepoint(8)
    with pytest.raises(ValueError):
        utf16_to_codepoint(text, 8)
    assert js_slice(text, index.to_utf16(7), index.to_utf16(13)) == f"{GRIN} en ß"


def test_zwj_family_is_five_codepoints_and_eight_units() -> None:
    text = f"gezin {FAMILY}!"
    index = Utf16Index(text)
    assert len(FAMILY) == 5 and utf16_length(FAMILY) == 8
    assert index.to_utf16(6) == 6 and index.to_utf16(11) == 14 and index.to_utf16(12) == 15
    assert [index.to_codepoint(o) for o in (6, 8, 9, 11, 14, 15)] == [6, 7, 8, 9, 11, 12]
    for inside in (7, 10, 13):
        with pytest.raises(ValueError):
            index.to_codepoint(inside)
    assert index.to_codepoint_outward(7, side="start") == 6 and index.to_codepoint_outward(7, side="end") == 7


@pytest.mark.parametrize("text", [
    "Straße", "über", "Cafe\u0301", "Café", "ĳsbeer", "ijsbeer", "zo'n", "e\u0301e\u0301e\u0301",
])
def test_bmp_only_texts_count_the_same_in_both(text: str) -> None:
    index = Utf16Index(text)
    assert not index.has_astral
    assert [index.to_utf16(i) for i in range(len(text) + 1)] == list(range(len(text) + 1))
    assert [index.to_codepoint(i) for i in range(len(text) + 1)] == list(range(len(text) + 1))


def test_combining_accent_is_its_own_code_point_before_nfc_not_after() -> None:
    nfd, nfc = "Cafe\u0301 open", unicodedata.normalize("NFC", "Cafe\u0301 open")
    assert (len(nfd), len(nfc)) == (10, 9)
    assert codepoint_to_utf16(nfd, 5) == 5 and codepoint_to_utf16(nfc, 4) == 4


def test_offsets_must_be_ints() -> None:
    with pytest.raises(TypeError):
        Utf16Index("abc").to_utf16(1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Utf16Index("abc").to_codepoint(True)


def test_index_is_fast_on_a_long_text() -> None:
    text = ("Zij zei: " + GRIN + " dat was ß-leuk. " + FAMILY + " ") * 20_000  # about 640k code points
    index = Utf16Index(text)
    import time

    began = time.perf_counter()
    for cp in range(0, len(text), 97):
        assert index.to_codepoint(index.to_utf16(cp)) == cp
    assert time.perf_counter() - began < 2.0


# --- snapping: properties -----------------------------------------------------------------------


def _draw_span(text: str, data: st.DataObject) -> tuple[int, int]:
    start = data.draw(st.integers(0, len(text)), label="start")
    end = data.draw(st.integers(start, len(text)), label="end")
    return start, end


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(texts, st.data())
def test_snapping_properties(text: str, data: st.DataObject) -> None:
    start, end = _draw_span(text, data)
    s, e = snap_to_words(text, start, end)
    assert 0 <= s <= e <= len(text)
    # idempotent
    assert snap_to_words(text, s, e) == (s, e)
    # never loses what the user selected, apart from whitespace
    kept = [i for i in range(start, end) if not text[i].isspace()]
    assert all(s <= i < e for i in kept)
    if not kept:
        assert s == e  # only whitespace (or nothing) selected: an empty span
        return
    # no whitespace at the edges, no cut word at either edge
    assert not text[s].isspace() and not text[e - 1].isspace()
    assert not inside_word(text, s) and not inside_word(text, e)
    # never crosses a line break the original selection did not contain
    assert all(start <= i < end for i in range(s, e) if text[i] in LINE_BREAKS)
    # widening only: the result covers the trimmed original
    assert s <= kept[0] and e >= kept[-1] + 1


@given(texts, st.data())
def test_snapped_span_maps_to_the_same_javascript_slice(text: str, data: st.DataObject) -> None:
    start, end = _draw_span(text, data)
    s, e = snap_to_words(text, start, end)
    index = Utf16Index(text)
    assert js_slice(text, index.to_utf16(s), index.to_utf16(e)) == text[s:e]


def test_snap_refuses_bad_spans() -> None:
    with pytest.raises(ValueError):
        snap_to_words("abc", 2, 1)
    with pytest.raises(ValueError):
        snap_to_words("abc", 0, 4)
    with pytest.raises(ValueError):
        snap_to_words("abc", -1, 2)


# --- snapping: examples -------------------------------------------------------------------------

def snap_text(text: str, fragment_start: int, fragment_end: int) -> str:
    s, e = snap_to_words(text, fragment_start, fragment_end)
    return text[s:e]


def test_snap_widens_to_whole_words_and_trims_whitespace() -> None:
    text = "Wij leerden veel van elkaar."
    assert snap_text(text, 5, 14) == "leerden veel"          # "eerden ve"
    assert snap_text(text, 3, 12) == "leerden"               # " leerden " → trimmed
    assert snap_text(text, 21, 28) == "elkaar."              # punctuation the user selected stays
    assert snap_text(text, 22, 26) == "elkaar"               # no punctuation added either


def test_snap_german_and_dutch_letters() -> None:
    assert snap_text("Die Straße ist lang", 4, 8) == "Straße"          # "Stra"
    assert snap_text("Die Straße ist lang", 8, 9) == "Straße"          # "ß" alone
    assert snap_text("Wir sind über Berge gegangen", 10, 12) == "über"  # "üb"
    assert snap_text("Het \u0133sbeertje", 4, 5) == "\u0133sbeertje"    # "ĳ" ligature letter
    assert snap_text("Het ijsbeertje", 5, 6) == "ijsbeertje"            # "j" of "ij"
    assert snap_text("Het is zo'n gedoe", 7, 9) == "zo'n"               # apostrophe inside a word
    assert snap_text("Het is zo’n gedoe", 10, 11) == "zo’n"
    assert snap_text("Naar Noord-Holland toe", 5, 9) == "Noord-Holland"
    assert snap_text("zij - en hij", 2, 5) == "zij -"  # a hyphen between spaces joins nothing
    assert snap_to_words("zij - en hij", 4, 5) == (4, 5)


def test_snap_combining_accents_before_and_after_nfc() -> None:
    nfd = "Het cafe\u0301 is open"
    assert snap_text(nfd, 4, 8) == "cafe\u0301"          # "cafe" without its accent gets the accent
    assert snap_text(nfd, 8, 9) == "cafe\u0301"          # the accent alone gets its word
    nfc = unicodedata.normalize("NFC", nfd)
    assert snap_text(nfc, 4, 7) == "café"
    # an accent after a space is no part of a word and does not pull the space in
    assert snap_to_words("a \u0301b", 3, 4) == (2, 4)


def test_snap_keeps_emoji_sequences_whole() -> None:
    text = f"Ons gezin {FAMILY} lachte {GRIN}!"
    fam = text.index(FAMILY)
    # only the middle woman of the family selected → the whole ZWJ sequence
    assert snap_to_words(text, fam + 2, fam + 3) == (fam, fam + len(FAMILY))
    assert snap_text(text, text.index(GRIN), text.index(GRIN) + 2) == GRIN + "!"
    thumbs = "ok \U0001F44D\U0001F3FD klaar"           # 👍🏽: base + skin-tone modifier
    assert snap_text(thumbs, 3, 4) == "\U0001F44D\U0001F3FD"
    flags = "vlag \U0001F1F3\U0001F1F1\U0001F1E9\U0001F1EA hier"  # 🇳🇱🇩🇪
    assert snap_text(flags, 6, 7) == "\U0001F1F3\U0001F1F1"
    assert snap_text(flags, 7, 8) == "\U0001F1E9\U0001F1EA"
    heart = "ik \u2764\ufe0f je"
    assert snap_text(heart, 3, 4) == "\u2764\ufe0f"


def test_snap_never_crosses_a_newline_it_did_not_select() -> None:
    text = "eerste regel\ntweede regel"
    assert snap_text(text, 12, 16) == "tweede"            # "\ntwe" → trimmed, widened within the line
    assert snap_text(text, 10, 16) == "regel\ntweede"     # the newline was selected: both sides widen
    assert snap_to_words("ab\n\u0301cd", 3, 4) == (3, 6)  # a mark after a newline does not pull it in


def test_snap_whitespace_only_or_empty_selection_stays_empty() -> None:
    assert snap_to_words("een  twee", 3, 5) == (5, 5)
    assert snap_to_words("een twee", 5, 5) == (5, 5)
    assert snap_to_words("", 0, 0) == (0, 0)
