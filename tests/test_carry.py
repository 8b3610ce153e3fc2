"""Carrying segments across a text edit (issue 14): the diff (diff-match-patch) says where each character went.

Hypothesis generates texts, spans and edits (derandomised, so the suite never changes between runs) and checks
the rules: a span the diff leaves untouched covers exactly its old text; an insertion strictly inside a span
grows it; a span is "gone" only when every one of its characters was deleted; carried spans stay inside the new
text. Worked examples on a Dutch sentence show the everyday cases."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coding.carry import OffsetMap

WORDS = ["we", "hebben", "samen", "een", "subsidie", "aangevraagd", "Enschede", "Gronau", "netwerk", "leren",
         "ondernemers", "grens", "bijeenkomst", "ideeën", "daarna"]


@st.composite
def text_span_edit(draw):  # type: ignore[no-untyped-def]
    words = draw(st.lists(st.sampled_from(WORDS), min_size=3, max_size=30))
    text = " ".join(words) + "."
    s = draw(st.integers(0, len(text) - 1))
    e = draw(st.integers(s + 1, len(text)))
    a = draw(st.integers(0, len(text)))
    b = draw(st.integers(a, min(len(text), a + 25)))
    inserted = draw(st.text(alphabet="abcdeéijnorstuv ß", max_size=15))
    return text, (s, e), (a, b, inserted)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(text_span_edit())
def test_the_rules_of_carrying(case):
    old, (s, e), (a, b, inserted) = case
    new = old[:a] + inserted + old[b:]
    mapping = OffsetMap(old, new)
    carried = mapping.carry(s, e)
    assert 0 <= carried.start <= carried.end <= len(new)
    if carried.gone:
        assert carried.start == carried.end
    else:
        assert carried.start < carried.end
    untouched = b <= s or a >= e  # the edit lies outside the span (or only at its edges)
    if untouched and old[s:e] not in (old[a:b], inserted) and not _ambiguous(old, new, s, e):
        assert new[carried.start:carried.end] == old[s:e]
    if a == b and s < a < e and inserted:  # a pure insertion strictly inside grows the span by what was inserted
        assert new[carried.start:carried.end] == old[s:a] + inserted + old[a:e]
    if a <= s and e <= b and not inserted:  # all of it deleted: gone, never squeezed onto a neighbour
        assert carried.gone


def _ambiguous(old: str, new: str, s: int, e: int) -> bool:
    """Where the same text stands on both sides of an edit, the diff may attribute the change to either copy
    (deleting the first "ab" of "abab" and the second look alike): then only the text is checked, not where."""
    return old.count(old[s:e]) > 1 or new.count(old[s:e]) != old.count(old[s:e])


@settings(max_examples=300, deadline=None, derandomize=True)
@given(text_span_edit())
def test_a_span_the_diff_leaves_whole_keeps_its_text(case):
    old, (s, e), (a, b, inserted) = case
    new = old[:a] + inserted + old[b:]
    carried = OffsetMap(old, new).carry(s, e)
    if not carried.gone and carried.end - carried.start == e - s and new[carried.start:carried.end] != old[s:e]:
        pytest.fail(f"same length but other text: {old[s:e]!r} -> {new[carried.start:carried.end]!r}")


SENTENCE = "We hebben daarna samen een subsidie aangevraagd in Enschde."


@pytest.mark.parametrize(("new", "span", "expected"), [
    # a typo fixed inside the segment
    (SENTENCE.replace("Enschde", "Enschede"), "in Enschde", "in Enschede"),
    # a word inserted inside grows it; one inserted before it leaves it as it was
    (SENTENCE.replace("een subsidie", "een Europese subsidie"), "samen een subsidie", "samen een Europese subsidie"),
    (SENTENCE.replace("We hebben", "Ja, we hebben"), "hebben daarna", "hebben daarna"),
    # a word deleted inside shrinks it
    (SENTENCE.replace(" daarna", ""), "hebben daarna samen", "hebben samen"),
])
def test_everyday_edits(new, span, expected):
    s = SENTENCE.index(span)
    carried = OffsetMap(SENTENCE, new).carry(s, s + len(span))
    assert new[carried.start:carried.end] == expected


def test_a_deleted_segment_is_gone_and_says_where():
    new = SENTENCE.replace(" daarna samen", "")
    s = SENTENCE.index("daarna samen")
    carried = OffsetMap(SENTENCE, new).carry(s, s + len("daarna samen"))
    assert carried.gone and new[:carried.start].rstrip() == "We hebben"  # where its text stood


def test_offsets_outside_the_diffed_stretch_shift_by_its_growth():
    old_turn, new_turn = "een subsidie", "een Europese subsidie"
    mapping = OffsetMap(old_turn, new_turn, offset=100)
    assert mapping.carry(10, 20).start == 10  # before the stretch: unchanged
    assert (mapping.carry(120, 130).start, mapping.carry(120, 130).end) == (129, 139)  # after it: shifted by 9
