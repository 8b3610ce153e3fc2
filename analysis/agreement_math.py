"""Agreement coefficients over weighted reliability data (DOMAIN §4.2), as small pure functions.

Reliability data here is a mapping from a unit's values (one per coder, None where that coder gave none) to how
many units have exactly those values. Characters as units are millions of units of a few kinds, so they are
counted, not listed; sentences and turns are listed with weight 1. The `krippendorff` package computes α on one
row per unit and has no weights, so α is computed here from the coincidence matrix, exactly as DOMAIN §4.2
writes it, and the tests hold it to that package and to Krippendorff's published example.

A coefficient that cannot be computed is "undefined" with the reason, never 1.0 and never a division error.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations

Value = Hashable
Ratings = Mapping[tuple[Value | None, ...], float]  # a unit's values by coder → how many such units


@dataclass(frozen=True)
class Figure:
    """A coefficient's value, or None with the reason it is undefined; `n` is the units it was computed on."""

    value: float | None
    n: float
    reason: str | None = None

    @staticmethod
    def undefined(reason: str, n: float = 0) -> Figure:
        return Figure(None, n, reason)


def _complete(ratings: Ratings) -> dict[tuple, float]:
    """Units every coder gave a value to."""
    return {values: w for values, w in ratings.items() if w and None not in values}


def percent_agreement(ratings: Ratings) -> Figure:
    """Share of units (all coders gave a value) on which all coders gave the same value."""
    complete = _complete(ratings)
    n = sum(complete.values())
    if n == 0:
        return Figure.undefined("no unit that every coder gave a value to")
    agreed = sum(w for values, w in complete.items() if len(set(values)) == 1)
    return Figure(agreed / n, n)


def cohen_kappa(ratings: Ratings) -> Figure:
    """κ = (p_o − p_e)/(1 − p_e), p_e from each coder's own marginals; two coders, units both rated."""
    complete = _complete(ratings)
    if complete and len(next(iter(complete))) != 2:
        return Figure.undefined("Cohen's κ compares exactly two coders")
    n = sum(complete.values())
    if n == 0:
        return Figure.undefined("no unit that both coders gave a value to")
    first: Counter = Counter()
    second: Counter = Counter()
    observed = 0.0
    for (a, b), w in complete.items():
        first[a] += w
        second[b] += w
        observed += w if a == b else 0
    p_o = observed / n
    p_e = sum(first[k] * second[k] for k in first) / (n * n)
    if p_e >= 1 - 1e-12:
        return Figure.undefined("both coders put every unit in one and the same category (p_e = 1)", n)
    return Figure((p_o - p_e) / (1 - p_e), n)


def fleiss_kappa(ratings: Ratings) -> Figure:
    """Fleiss' κ over units every coder rated (n raters per unit)."""
    complete = _complete(ratings)
    n_units = sum(complete.values())
    if n_units == 0:
        return Figure.undefined("no unit that every coder gave a value to")
    raters = len(next(iter(complete)))
    if raters < 2:
        return Figure.undefined("needs at least two coders")
    share: Counter = Counter()
    p_bar = 0.0
    for values, w in complete.items():
        counts = Counter(values)
        p_bar += w * (sum(c * c for c in counts.values()) - raters) / (raters * (raters - 1))
        for category, c in counts.items():
            share[category] += w * c
    p_bar /= n_units
    p_e = sum((s / (n_units * raters)) ** 2 for s in share.values())
    if p_e >= 1 - 1e-12:
        return Figure.undefined("every coder put every unit in one and the same category (P̄e = 1)", n_units)
    return Figure((p_bar - p_e) / (1 - p_e), n_units)


def krippendorff_alpha(ratings: Ratings, *, order: Sequence[Value] | None = None) -> Figure:
    """α = 1 − D_o/D_e from the coincidence matrix; nominal, or ordinal when `order` ranks the values (lowest
    first). Missing values are allowed; units with fewer than two values are not pairable and drop out."""
    coincidence: Counter = Counter()
    units = 0.0
    for values, w in ratings.items():
        present = [v for v in values if v is not None]
        m = len(present)
        if m < 2 or not w:
            continue
        units += w
        for i, j in combinations(range(m), 2):
            coincidence[present[i], present[j]] += w / (m - 1)
            coincidence[present[j], present[i]] += w / (m - 1)
    n_c: Counter = Counter()
    for (c, _), o in coincidence.items():
        n_c[c] += o
    n = sum(n_c.values())
    if n == 0:
        return Figure.undefined("no unit that two or more coders gave a value to")
    if len([c for c, v in n_c.items() if v > 0]) < 2:
        return Figure.undefined("only one value occurs in the pairable units, so there is no variation to agree on",
                                units)
    delta = _ordinal_distance(n_c, order) if order is not None else (lambda c, k: 0.0 if c == k else 1.0)
    d_o = sum(o * delta(c, k) for (c, k), o in coincidence.items()) / n
    d_e = sum(n_c[c] * n_c[k] * delta(c, k) for c in n_c for k in n_c) / (n * (n - 1))
    if d_e == 0:
        return Figure.undefined("the values that occur are all at one distance of zero (D_e = 0)", units)
    return Figure(1 - d_o / d_e, units)


def _ordinal_distance(n_c: Mapping[Value, float], order: Sequence[Value]):  # type: ignore[no-untyped-def]
    """Krippendorff's ordinal δ²: (Σ_{g from c to k} n_g − (n_c + n_k)/2)², over the ranked values."""
    rank = {value: i for i, value in enumerate(order)}
    missing = [c for c in n_c if c not in rank]
    if missing:
        raise ValueError(f"values without a rank: {missing}")
    counts = [n_c.get(value, 0.0) for value in order]

    def delta(c: Value, k: Value) -> float:
        lo, hi = sorted((rank[c], rank[k]))
        return (sum(counts[lo:hi + 1]) - (counts[lo] + counts[hi]) / 2) ** 2

    return delta


def prevalence_warning(ratings: Ratings, present: Value = True, *, extreme: float = 0.05) -> str | None:
    """A warning when one value makes up almost all (or almost none) of the ratings: κ and α swing widely there
    even when coders rarely disagree."""
    total = sum(w * sum(v is not None for v in values) for values, w in ratings.items())
    if not total:
        return None
    share = sum(w * sum(v == present for v in values) for values, w in ratings.items()) / total
    if share < extreme or share > 1 - extreme:
        return (f"extreme prevalence: {share:.1%} of the ratings say coded, so κ and α can be low even when "
                "the coders rarely disagree")
    return None
