"""Tests for the versioned text normalisation."""

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from cases.textnorm import NORMALISATION_VERSION, normalise_text

FORBIDDEN = (
    {chr(c) for c in range(0x20) if c not in (0x09, 0x0A)}
    | {"\x7f"} | {chr(c) for c in range(0x80, 0xA0)}
    | {"\ufffe", "\uffff", "\ufeff", "\u200b", "\u2060", "\u00ad", "\u00a0", "\u202f",
       "\u2007"}
)

SPECIALS = sorted(FORBIDDEN) + [
    "\r\n", "\r", "\n", "\t", "\ud800", "\udfff", "\u200d", "\u200c", "e\u0301",
    "\u0301", "\u0308", "ß", "ĳ", "😀", "👩\u200d💻", " ", "a",
]


def test_version_is_one():
    assert NORMALISATION_VERSION == 1


def test_bom_removed_at_start_and_inside():
    assert normalise_text("\ufeffHallo\ufeff wereld") == "Hallo wereld"


def test_line_endings_become_lf():
    assert normalise_text("a\r\nb\rc\nd\r\n\r\n") == "a\nb\nc\nd\n\n"


def test_nfc_composes_accents():
    out = normalise_text("Cafe\u0301 en u\u0308ber")
    assert out == "Café en über"
    assert len(out) == len("Café en über")


def test_controls_removed_but_tab_and_lf_kept():
    raw = "a\x00b\x07c\td\ne\x1bf\x7fg\x85h\x9fi"
    assert normalise_text(raw) == "abc\td\nefghi"


def test_surrogates_and_noncharacters_removed():
    assert normalise_text("x\ud800y\udc00z\ufffe\uffff!") == "xyz!"


def test_spaces_and_invisible_characters():
    assert normalise_text("10\u00a0km\u202fen\u2007zo") == "10 km en zo"
    assert normalise_text("samen\u00adwerking") == "samenwerking"
    assert normalise_text("zero\u200bwidth\u2060join") == "zerowidthjoin"


def test_zwj_and_zwnj_kept():
    family = "👩\u200d👩\u200d👧"
    assert normalise_text(family) == family
    assert normalise_text("a\u200cb") == "a\u200cb"


def test_trailing_whitespace_and_blank_lines_kept():
    assert normalise_text("regel   \n\n  volgende\t\n") == "regel   \n\n  volgende\t\n"


def test_removed_character_between_base_and_accent_composes():
    assert normalise_text("e\u200b\u0301") == "é"
    assert normalise_text(normalise_text("e\u200b\u0301")) == "é"


def test_cr_lf_split_by_removed_character():
    assert normalise_text("a\r\u200b\nb") == "a\nb"


def test_ordinary_text_unchanged():
    s = "Wij leerden veel. Größe, Zürich, ĳs en 😀 blijven staan."
    assert normalise_text(s) == s


text_with_specials = st.lists(
    st.one_of(st.sampled_from(SPECIALS), st.characters(), st.text(max_size=5)),
    max_size=40).map("".join)


@settings(max_examples=400)
@given(text_with_specials)
def test_idempotent(raw):
    once = normalise_text(raw)
    assert normalise_text(once) == once


@settings(max_examples=400)
@given(text_with_specials)
def test_output_has_no_forbidden_characters(raw):
    out = normalise_text(raw)
    assert not (set(out) & FORBIDDEN)
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in out)
    assert unicodedata.is_normalized("NFC", out)
