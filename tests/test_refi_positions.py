"""REFI-QDA positions in each producer's convention map to offsets in the stored (normalised) text."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cases.textnorm import normalise_text
from exports.refi_positions import (
    CONVENTIONS,
    Placement,
    SourcePositions,
    choose_convention,
    convention_for_origin,
    name_matches,
    on_word_boundaries,
    place_selection,
)


def vendor(raw: str, k: int, convention: str) -> int:
    """Reference: the position of raw code-point index k as the producer counts it (BOM already stripped)."""
    head = raw[:k]
    if convention == "codepoints":
        return len(head)
    if convention == "lf":
        return len(head.replace("\r\n", "\n"))
    if convention == "utf16":
        return len(head.encode("utf-16-le")) // 2
    return len(head.encode("utf-8"))


def clean_points(raw: str) -> list[int]:
    """Raw indices that are not inside a CRLF (nor a CR, removed characters, LF) and not inside a combining
    sequence (before a combining mark, after any removed characters): at those, the stored index of raw index k is
    len(normalise_text(raw[:k]))."""
    whole, points = normalise_text(raw), []
    for k in range(len(raw) + 1):
        rest = normalise_text(raw[k:])
        if normalise_text(raw[:k]) + rest == whole and not (rest and unicodedata.combining(rest[0])):
            points.append(k)
    return points


def assert_round_trips(raw: str) -> None:
    body = raw[1:] if raw.startswith("\ufeff") else raw
    positions = SourcePositions(raw, normalise_text(raw))
    for convention in CONVENTIONS:
        assert positions.length(convention) == vendor(body, len(body), convention)
        for k in clean_points(body):
            expected = len(normalise_text(body[:k]))
            for side in ("start", "end"):
                assert positions.to_stored(vendor(body, k, convention), convention, side=side) == expected, (
                    convention, k, side)


MIXED = ("\ufeffDiet\r\nand 😀 health\rcafe\u0301 caf\u00e9\u00a0ok\r\n"
         "soft\u00adhyphen a\u00a0b\u00a0c\nStra\u00dfe 😀😀\r\n")


def test_every_convention_round_trips_on_a_mixed_text():
    assert_round_trips(MIXED)
    assert_round_trips(MIXED[1:])
    assert_round_trips("")
    assert_round_trips("\r\n\r\n\r")


def test_known_positions_in_each_convention():
    raw = "Hi\r\n😀 ok\r\ncafe\u0301!"
    stored = normalise_text(raw)
    assert stored == "Hi\n😀 ok\ncafé!"
    positions = SourcePositions(raw, stored)
    # "ok": code points 6, CRLF as one 5, UTF-16 units 7, UTF-8 bytes 9; stored offset 5
    assert [positions.to_stored(p, c) for p, c in [(6, "codepoints"), (5, "lf"), (7, "utf16"), (9, "utf8")]] == [5] * 4
    # "!": after "cafe" + U+0301, which NFC makes one character
    assert positions.to_stored(15, "codepoints") == 12
    assert positions.to_stored(13, "lf") == 12
    assert positions.to_stored(16, "utf16") == 12
    assert positions.to_stored(19, "utf8") == 12
    assert stored[12] == "!"
    assert [positions.length(c) for c in CONVENTIONS] == [16, 14, 17, 20]


def test_positions_inside_a_unit_round_outward():
    positions = SourcePositions("a😀b\r\nc", "a😀b\nc")
    assert positions.to_stored(2, "utf16", side="start") == 1  # between the surrogates
    assert positions.to_stored(2, "utf16", side="end") == 2
    for byte in (2, 3, 4):  # inside the four UTF-8 bytes of the emoji
        assert positions.to_stored(byte, "utf8", side="start") == 1
        assert positions.to_stored(byte, "utf8", side="end") == 2
    assert positions.to_stored(4, "codepoints", side="start") == 3  # between CR and LF
    assert positions.to_stored(4, "codepoints", side="end") == 4
    assert positions.to_stored(5, "utf16", side="start") == 3
    assert positions.to_stored(5, "utf16", side="end") == 4
    composed = SourcePositions("xe\u0301y", "x\u00e9y")
    assert composed.to_stored(2, "codepoints", side="start") == 1  # between e and its accent
    assert composed.to_stored(2, "codepoints", side="end") == 2
    nbsp = SourcePositions("\u00e9\u00a0b", "\u00e9 b")
    assert nbsp.to_stored(1, "utf8", side="start") == 0  # inside the two bytes of é
    assert nbsp.to_stored(3, "utf8", side="start") == 1  # inside the NBSP
    assert nbsp.to_stored(3, "utf8", side="end") == 2


def test_beyond_the_end_or_negative_is_none():
    positions = SourcePositions("a😀\r\n", "a😀\n")
    assert [positions.length(c) for c in CONVENTIONS] == [4, 3, 5, 7]
    assert positions.to_stored(5, "utf16") == 3
    assert positions.to_stored(6, "utf16") is None
    assert positions.to_stored(4, "lf") is None
    assert positions.to_stored(8, "utf8", side="end") is None
    assert positions.to_stored(-1, "codepoints") is None
    with pytest.raises(ValueError):
        positions.to_stored(0, "bytes")


def test_leading_bom_is_not_counted_and_stored_may_be_omitted():
    with_bom, without = SourcePositions("\ufeffab\r\nc"), SourcePositions("ab\r\nc", "ab\nc")
    assert with_bom.stored == "ab\nc"
    for convention in CONVENTIONS:
        assert [with_bom.to_stored(p, convention) for p in range(6)] == [
            without.to_stored(p, convention) for p in range(6)]
    assert with_bom.to_stored(4, "codepoints") == 3


def test_changes_close_together_keep_the_text_between_them():
    # a diff of the whole line would merge "b" into one change with the NBSPs around it
    positions = SourcePositions("a\u00a0b\u00a0c", "a b c")
    assert [positions.to_stored(p, "codepoints") for p in range(6)] == [0, 1, 2, 3, 4, 5]
    accents = SourcePositions("xe\u0301ye\u0301z", "x\u00e9y\u00e9z")
    assert [accents.to_stored(p, "codepoints") for p in (0, 1, 3, 4, 6, 7)] == [0, 1, 2, 3, 4, 5]


def test_removed_characters_between_cr_and_lf_belong_to_the_break():
    removed = [chr(c) for c in range(0x10000) if normalise_text(chr(c)) == ""]
    assert len(removed) > 2000
    for ch in removed:
        raw = "a\u00a0b\u00a0c\r" + ch + "\nx"  # CR, removed character, LF: one LF in the stored text
        positions = SourcePositions(raw, normalise_text(raw))
        assert positions.stored == "a b c\nx"
        assert [positions.to_stored(p, "codepoints") for p in (2, 3, 4, 5, 8)] == [2, 3, 4, 5, 6], repr(ch)
        assert positions.to_stored(7, "codepoints", side="end") == 6
        assert positions.to_stored(7, "codepoints", side="start") == 5


def test_a_stored_text_that_is_not_the_normalised_raw_is_mapped_as_a_whole():
    positions = SourcePositions("ab\r\ncd\nef", "ab\ncdef")  # a line break fewer
    assert positions.to_stored(4, "codepoints") == 3
    assert positions.to_stored(7, "codepoints") == 5
    assert positions.to_stored(9, "codepoints") == 7
    assert positions.to_stored(10, "codepoints") is None


def test_many_lines():
    lines = [f"regel {i} 😀 caf\u00e9" for i in range(3000)]
    raw = "\r\n".join(lines)
    positions = SourcePositions(raw, normalise_text(raw))
    for k in range(0, len(raw), 997):
        if raw[k - 1:k + 1] != "\r\n":
            for convention in CONVENTIONS:
                assert positions.to_stored(vendor(raw, k, convention), convention) == len(normalise_text(raw[:k]))


ALPHABET = ["a", " ", "\r\n", "\n", "\r", "\u00e9", "e\u0301", "😀", "\u00a0", "\u00df", "\u00ad", "\ufeff", "\u0301"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(ALPHABET), max_size=24).map("".join))
def test_round_trip_property(raw):
    assert_round_trips(raw)
    positions = SourcePositions(raw, normalise_text(raw))
    for convention in CONVENTIONS:
        starts = [positions.to_stored(p, convention) for p in range(positions.length(convention) + 1)]
        ends = [positions.to_stored(p, convention, side="end") for p in range(positions.length(convention) + 1)]
        assert starts == sorted(starts) and ends == sorted(ends)
        assert all(s <= e for s, e in zip(starts, ends))
        assert ends[-1] == len(positions.stored)


def test_convention_for_origin():
    assert convention_for_origin("NVivo 14") == "utf16"
    assert convention_for_origin("ATLAS.ti Windows 23") == "lf"
    assert convention_for_origin("Taguette 1.4.1") == "utf8"
    assert convention_for_origin("MAXQDA 2022") == "codepoints"
    assert convention_for_origin(None) == "codepoints"


def test_name_matches():
    assert name_matches("Diet and health", "Diet and health")
    assert name_matches("Diet and he", "Diet and health are linked")  # truncated
    assert name_matches("Diet and he…", "Diet and health")
    assert name_matches("Diet and he...", "Diet and health")
    assert name_matches("health are closely", "health are clo")  # longer than the selection
    assert name_matches("DIET  and\nHealth", "diet and health")
    assert name_matches("Stra\u00dfe", "STRASSE")
    assert name_matches("a", "a")
    assert not name_matches("a", "and so on")  # too short to say
    assert not name_matches("Diet and wealth", "Diet and health")
    assert not name_matches("", "Diet")
    assert not name_matches("…", "Diet")


def test_on_word_boundaries():
    text = "Diet and health."
    assert on_word_boundaries(text, 0, 4)
    assert on_word_boundaries(text, 9, 16)
    assert on_word_boundaries(text, 4, 9)  # spaces at both edges
    assert not on_word_boundaries(text, 1, 4)
    assert not on_word_boundaries(text, 0, 3)
    assert not on_word_boundaries(text, 0, 17)


NVIVO = "Interview 1\r\nR: 😀 Diet and health are closely linked.\r\nI: 😀😀 Tell me more about diet.\r\n"


def selections(raw: str, convention: str, phrases: list[str]) -> list:
    positions = SourcePositions(raw, normalise_text(raw))
    result = []
    for phrase in phrases:
        k = raw.index(phrase)
        result.append((positions, positions.stored, vendor(raw, k, convention),
                       vendor(raw, k + len(phrase), convention), phrase))
    return result


def test_choose_convention_finds_nvivo_utf16_positions():
    chosen, scores = choose_convention(selections(NVIVO, "utf16", ["Diet and health", "Tell me more", "diet"]),
                                       "codepoints")
    assert chosen == "utf16"
    assert scores["utf16"] == 9
    assert scores["codepoints"] < 9


def test_choose_convention_finds_atlas_lf_positions():
    raw = "Eerste regel\r\nTweede regel over gezondheid\r\nDerde regel over voeding\r\n"
    chosen, scores = choose_convention(selections(raw, "lf", ["gezondheid", "Derde regel", "voeding"]), "codepoints")
    assert chosen == "lf"
    assert scores["lf"] == 9


def test_choose_convention_keeps_the_declared_one_when_all_fit():
    raw = "plain text\nwith lines\n"
    chosen, scores = choose_convention(selections(raw, "codepoints", ["plain", "with lines"]), "utf8")
    assert chosen == "utf8"
    assert set(scores.values()) == {6}
    assert choose_convention([], "lf") == ("lf", dict.fromkeys(CONVENTIONS, 0))


def test_place_selection():
    raw = "Intro.\r\nDiet and health are linked, said R.\r\nEnd 😀."
    positions = SourcePositions(raw, normalise_text(raw))
    stored = positions.stored
    at = stored.index("Diet")
    exact = place_selection(positions, stored, 8, 23, "Diet and health", "codepoints")
    assert exact == Placement(at, at + 15, "exact", "its name matches the text")
    assert place_selection(positions, stored, 8, 12, None, "codepoints").status == "exact"

    moved = place_selection(positions, stored, 10, 25, "Diet and health", "codepoints")
    assert (moved.start, moved.end, moved.status) == (at, at + 15, "adjusted")
    assert moved.reason == "moved 2 characters to where its name 'Diet and health' is"
    # raw 3..30 is stored 3..29; the name is shorter than that, so the span keeps its 26 characters
    truncated = place_selection(positions, stored, 3, 30, "Diet and he…", "codepoints")
    assert (truncated.start, truncated.end, truncated.status) == (at, at + 26, "adjusted")
    assert "moved 4 characters" in truncated.reason

    length = positions.length("utf16")
    clamped = place_selection(positions, stored, length - 3, length + 10, "😀.", "utf16")
    assert (clamped.start, clamped.end, clamped.status) == (len(stored) - 2, len(stored), "adjusted")
    assert "end of the text" in clamped.reason

    unverified = place_selection(positions, stored, 8, 23, "Something else entirely", "codepoints")
    assert unverified == Placement(at, at + 15, "unverified",
                                   "its name does not match the text at this position and was not found elsewhere")

    assert place_selection(positions, stored, length, length + 5, "x", "utf16").status == "outside"
    assert place_selection(positions, stored, 10, 10, "Diet", "codepoints").status == "outside"
    assert place_selection(positions, stored, 12, 8, "Diet", "codepoints").status == "outside"
    assert place_selection(positions, stored, -1, 4, "Intro", "codepoints").status == "outside"


def test_place_selection_finds_a_name_far_away_and_across_a_line_break():
    raw = "x" * 30_000 + "\nhealth\nand diet\n"
    positions = SourcePositions(raw, normalise_text(raw))
    far = place_selection(positions, positions.stored, 0, 10, "Health and diet", "codepoints")
    assert (far.start, far.end, far.status) == (30_001, 30_016, "adjusted")
    assert far.reason == "moved 30001 characters to where its name 'Health and diet' is"
