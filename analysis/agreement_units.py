"""The units agreement is counted on (DOMAIN §4.1), turned into reliability data and disagreement regions.

Pure functions over what `analysis.agreement` loads: each document's length, turns and sentences, and each coder's
coded spans per code. For the character, sentence and turn units every unit of the compared documents counts, so
text nobody coded is agreement on "not coded" (the report says how much there is); document presence asks whether
a coder used the code anywhere in the document; the overlap unit takes each coded span of each coder and asks
whether every other coder has the same code on a span overlapping it by at least the threshold, measured on both
spans (so it has no true negatives, and only percent agreement is reported for it).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

CHARACTERS, SENTENCES, TURNS, OVERLAP, DOCUMENTS = "characters", "sentence", "turn", "overlap", "document"
UNITS = (CHARACTERS, SENTENCES, TURNS, OVERLAP, DOCUMENTS)
MULTIPLE = "(several codes)"  # categorical mode: a coder gave one unit more than one code of the codebook


@dataclass(frozen=True)
class Span:
    segment: str  # the segment's guid
    coder: int  # position in the compared coders
    code: str
    start: int
    end: int


@dataclass
class UnitDocument:
    """One compared document: its length, turns as (start, end) of their text, sentences as (start, end)."""

    key: int
    length: int
    turns: list[tuple[int, int]]
    sentences: list[tuple[int, int]]
    spans: list[Span] = field(default_factory=list)


@dataclass(frozen=True)
class Region:
    """Where the coders disagreed on a code: the document, the range, and who coded it there."""

    document: int
    code: str
    start: int
    end: int
    values: tuple  # per coder: True (coded), False (not), None (no value)


@dataclass
class UnitData:
    """Reliability data per code (present/absent), the disagreement regions, and the count of units nobody coded."""

    per_code: dict[str, Counter] = field(default_factory=dict)
    regions: list[Region] = field(default_factory=list)
    units: float = 0
    uncoded: float = 0


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]


def _by_coder_and_code(document: UnitDocument, coders: int) -> dict[str, list[list[tuple[int, int]]]]:
    """{code: [merged spans of coder 0, of coder 1, …]} for the codes used in the document."""
    raw: dict[str, list[list[tuple[int, int]]]] = defaultdict(lambda: [[] for _ in range(coders)])
    for span in document.spans:
        raw[span.code][span.coder].append((span.start, span.end))
    return {code: [_merged(spans) for spans in lists] for code, lists in raw.items()}


def _covers(merged: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether any merged span overlaps [start, end) by at least one character."""
    i = bisect_right(merged, (start, float("inf"))) - 1
    if i >= 0 and merged[i][1] > start:
        return True
    return i + 1 < len(merged) and merged[i + 1][0] < end


def _coverage(document: UnitDocument, coders: int) -> list[tuple[int, int]]:
    """Every character range some coder coded with some compared code (to count the uncoded text)."""
    return _merged([(s.start, s.end) for s in document.spans])


def unit_data(documents: Sequence[UnitDocument], codes: Sequence[str], coders: int, unit: str,
              threshold: float = 0.9) -> UnitData:
    """Reliability data per code for `unit` over the documents, with the regions of disagreement."""
    data = UnitData(per_code={code: Counter() for code in codes})
    for document in documents:
        used = _by_coder_and_code(document, coders)
        if unit == OVERLAP:
            _overlap(document, used, coders, threshold, data)
            continue
        ranges = [] if unit == CHARACTERS else _unit_ranges(document, unit)
        absent = (False,) * coders
        if unit == CHARACTERS:
            size = float(document.length)
            coded = sum(e - s for s, e in _coverage(document, coders))
        else:
            size = float(len(ranges))
            everything = _coverage(document, coders)
            coded = sum(1 for s, e in ranges if _covers(everything, s, e))
        data.units += size
        data.uncoded += size - coded
        for code in codes:
            lists = used.get(code)
            if lists is None:  # nobody used it here: every unit agrees on "not coded"
                data.per_code[code][absent] += size
                continue
            if unit == CHARACTERS:
                _characters(document, code, lists, data)
            else:
                _units(document.key, code, ranges, lists, data)
    return data


def _units(key: int, code: str, ranges: list[tuple[int, int]], lists: list[list[tuple[int, int]]],
           data: UnitData) -> None:
    """Which units each coder's spans of the code touch (found by bisection: units do not overlap); every other
    unit is agreement on "not coded", counted in one step."""
    starts = [s for s, _ in ranges]
    touched: dict[int, list[bool]] = {}
    for coder, spans in enumerate(lists):
        for span_start, span_end in spans:
            i = max(0, bisect_right(starts, span_start) - 1)
            while i < len(ranges) and ranges[i][0] < span_end:
                if ranges[i][1] > span_start:
                    touched.setdefault(i, [False] * len(lists))[coder] = True
                i += 1
    data.per_code[code][(False,) * len(lists)] += len(ranges) - len(touched)
    for i in sorted(touched):
        values = tuple(touched[i])
        data.per_code[code][values] += 1
        if len(set(values)) > 1:
            data.regions.append(Region(key, code, ranges[i][0], ranges[i][1], values))


def _unit_ranges(document: UnitDocument, unit: str) -> list[tuple[int, int]]:
    if unit == SENTENCES:
        return document.sentences
    if unit == TURNS:
        return document.turns
    if unit == DOCUMENTS:
        return [(0, document.length)]
    raise ValueError(f"unknown unit '{unit}'")


def _characters(document: UnitDocument, code: str, lists: list[list[tuple[int, int]]], data: UnitData) -> None:
    """Sweep the document's characters between every span boundary: each stretch is many units of one kind."""
    bounds = sorted({0, document.length, *(x for spans in lists for s, e in spans for x in (s, e)
                                              if 0 <= x <= document.length)})
    open_region: list | None = None
    for start, end in zip(bounds, bounds[1:]):
        values = tuple(_covers(spans, start, end) for spans in lists)
        data.per_code[code][values] += end - start
        if len(set(values)) > 1:
            if open_region and open_region[1] == start and open_region[2] == values:
                open_region[1] = end
            else:
                if open_region:
                    data.regions.append(Region(document.key, code, open_region[0], open_region[1], open_region[2]))
                open_region = [start, end, values]
    if open_region:
        data.regions.append(Region(document.key, code, open_region[0], open_region[1], open_region[2]))


def _overlap(document: UnitDocument, used: dict, coders: int, threshold: float, data: UnitData) -> None:
    """Each coded span is a unit: the coder who made it says "coded"; each other coder says "coded" when they
    have the same code on a span that overlaps at least `threshold` of both spans."""
    for span in document.spans:
        if span.code not in data.per_code:
            continue
        others = [s for s in document.spans if s.code == span.code and s.coder != span.coder]
        values = tuple(True if c == span.coder else any(_matches(span, o, threshold) for o in others if o.coder == c)
                       for c in range(coders))
        data.per_code[span.code][values] += 1
        data.units += 1
        if len(set(values)) > 1:
            data.regions.append(Region(document.key, span.code, span.start, span.end, values))


def _matches(a: Span, b: Span, threshold: float) -> bool:
    overlap = min(a.end, b.end) - max(a.start, b.start)
    return overlap > 0 and overlap >= threshold * (a.end - a.start) and overlap >= threshold * (b.end - b.start)


def categorical_data(documents: Sequence[UnitDocument], codes: Sequence[str], coders: int,
                     unit: str) -> tuple[Counter, float]:
    """Each unit's one code per coder (the codes treated as mutually exclusive): None where a coder left it
    uncoded (a missing value), MULTIPLE where they gave it several; returns the data and how many units had
    MULTIPLE from some coder."""
    if unit == OVERLAP:
        raise ValueError("categorical mode needs units every coder sees: characters, sentences, turns or documents")
    wanted = set(codes)
    ratings: Counter = Counter()
    for document in documents:
        spans = [s for s in document.spans if s.code in wanted]
        if unit == CHARACTERS:
            _categorical_characters(document, spans, coders, ratings)
            continue
        ranges = _unit_ranges(document, unit)
        starts = [s for s, _ in ranges]
        given: list[list[set[str]]] = [[set() for _ in range(coders)] for _ in ranges]
        for span in spans:  # the units a span touches, found by bisection (units do not overlap)
            i = max(0, bisect_right(starts, span.start) - 1)
            while i < len(ranges) and ranges[i][0] < span.end:
                if ranges[i][1] > span.start:
                    given[i][span.coder].add(span.code)
                i += 1
        for per_coder in given:
            ratings[_one_each(per_coder)] += 1
    several = sum(w for values, w in ratings.items() if MULTIPLE in values)
    return ratings, several


def _categorical_characters(document: UnitDocument, spans: list[Span], coders: int, ratings: Counter) -> None:
    """A sweep over span boundaries keeping each coder's open codes."""
    events: dict[int, list[tuple[int, int, str]]] = defaultdict(list)
    for span in spans:
        events[max(0, span.start)].append((1, span.coder, span.code))
        events[min(document.length, span.end)].append((-1, span.coder, span.code))
    open_codes: list[Counter] = [Counter() for _ in range(coders)]
    bounds = sorted({0, document.length, *events})
    for start, end in zip(bounds, bounds[1:]):
        for step, coder, code in events.get(start, ()):
            open_codes[coder][code] += step
        if end > start:
            ratings[_one_each([{c for c, k in codes.items() if k > 0} for codes in open_codes])] += end - start


def _one_each(per_coder: list[set[str]]) -> tuple:
    return tuple(None if not c else next(iter(c)) if len(c) == 1 else MULTIPLE for c in per_coder)
