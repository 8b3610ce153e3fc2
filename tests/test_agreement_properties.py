"""Properties of the agreement coefficients (hypothesis): α equals the `krippendorff` package's on the same data
(nominal and ordinal, with missing values), every coefficient is symmetric in the coders, identical codings agree
fully wherever a coefficient is defined, and two coders' α and Scott's π (Fleiss' κ for two) stand in the
relation theory gives."""

from __future__ import annotations

import warnings
from collections import Counter

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.agreement_math import cohen_kappa, fleiss_kappa, krippendorff_alpha, percent_agreement

VALUES = ["a", "b", "c", "d"]


@st.composite
def reliability(draw, coders: st.SearchStrategy[int] = st.integers(2, 4), missing: bool = True):  # type: ignore[no-untyped-def]
    n_coders = draw(coders)
    units = draw(st.integers(1, 25))
    value = st.sampled_from(VALUES) | st.none() if missing else st.sampled_from(VALUES)
    return [tuple(draw(value) for _ in range(n_coders)) for _ in range(units)]


def weighted(rows: list[tuple]) -> Counter:
    return Counter(rows)


def package_alpha(rows: list[tuple], level: str) -> float | None:
    data = np.array([[np.nan if v is None else VALUES.index(v) for v in unit] for unit in rows], dtype=float).T
    try:
        with warnings.catch_warnings():  # the package divides 0 by 0 where α is undefined, and says so
            warnings.simplefilter("ignore", RuntimeWarning)
            return float(krippendorff.alpha(reliability_data=data, level_of_measurement=level,
                                            value_domain=list(range(len(VALUES)))))
    except ValueError:  # the package refuses data with one value or nothing pairable
        return None


@settings(max_examples=300, deadline=None)
@given(reliability())
def test_alpha_equals_the_krippendorff_package(rows):
    for level, order in (("nominal", None), ("ordinal", VALUES)):
        ours = krippendorff_alpha(weighted(rows), order=order)
        theirs = package_alpha(rows, level)
        if ours.value is None:
            assert ours.reason
            assert theirs is None or np.isnan(theirs)
        else:
            assert theirs == pytest.approx(ours.value, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(reliability(), st.randoms())
def test_every_coefficient_is_symmetric_in_the_coders(rows, random):
    order = list(range(len(rows[0])))
    random.shuffle(order)
    shuffled = [tuple(unit[i] for i in order) for unit in rows]
    for coefficient in (percent_agreement, fleiss_kappa, krippendorff_alpha):
        a, b = coefficient(weighted(rows)), coefficient(weighted(shuffled))
        assert (a.value is None) == (b.value is None)
        if a.value is not None:
            assert a.value == pytest.approx(b.value, abs=1e-12)
    if len(order) == 2:
        a, b = cohen_kappa(weighted(rows)), cohen_kappa(weighted(shuffled))
        assert (a.value is None) == (b.value is None) and (a.value is None or a.value == pytest.approx(b.value))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(VALUES), min_size=1, max_size=30), st.integers(2, 4))
def test_identical_codings_agree_fully_where_defined(values, coders):
    rows = weighted([(v,) * coders for v in values])
    assert percent_agreement(rows).value == 1.0
    for figure in (krippendorff_alpha(rows), fleiss_kappa(rows), *([cohen_kappa(rows)] if coders == 2 else [])):
        if len(set(values)) == 1:
            assert figure.value is None and figure.reason  # one category only: undefined, never 1.0
        else:
            assert figure.value == pytest.approx(1.0)


@settings(max_examples=200, deadline=None)
@given(reliability(coders=st.just(2), missing=False))
def test_two_coders_alpha_and_scotts_pi(rows):
    """Without missing values, α = 1 − (2N − 1)/(2N) · (1 − π), π being Scott's π (Fleiss' κ for two coders)."""
    alpha, pi = krippendorff_alpha(weighted(rows)), fleiss_kappa(weighted(rows))
    if pi.value is None:
        assert alpha.value is None
        return
    n = len(rows)
    assert alpha.value == pytest.approx(1 - (2 * n - 1) / (2 * n) * (1 - pi.value), abs=1e-9)
