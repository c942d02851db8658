"""The unbiased pass@k estimator against its definition, and the k values the CLI accepts."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from azr_verl.evaluation.passk import default_ks, mean_pass_at_k, parse_ks, pass_at_k


def _subset_probability(n: int, c: int, k: int) -> Fraction:
    """The definition: the share of k-subsets of n samples (c correct) holding a correct one."""
    samples = [True] * c + [False] * (n - c)
    subsets = list(itertools.combinations(range(n), k))
    hits = sum(any(samples[i] for i in subset) for subset in subsets)
    return Fraction(hits, len(subsets))


@pytest.mark.parametrize("n", range(1, 8))
def test_estimate_equals_the_share_of_k_subsets_with_a_correct_sample(n):
    for c in range(n + 1):
        for k in range(1, n + 1):
            assert pass_at_k(n, c, k) == pytest.approx(float(_subset_probability(n, c, k)), abs=1e-12)


@given(st.integers(1, 400).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n), st.integers(1, n))))
def test_product_form_equals_the_binomial_ratio_for_large_n(case):
    n, c, k = case
    exact = 1 - Fraction(math.comb(n - c, k), math.comb(n, k))
    assert pass_at_k(n, c, k) == pytest.approx(float(exact), abs=1e-9)


@given(st.integers(1, 10_000).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n))))
def test_pass_at_1_is_the_share_of_correct_samples(case):
    n, c = case
    assert pass_at_k(n, c, 1) == pytest.approx(c / n, abs=1e-12)


def test_huge_n_stays_finite_where_binomials_overflow_floats():
    n = 100_000
    with pytest.raises(OverflowError):
        float(math.comb(n, 500))  # about 1e1700: the textbook ratio cannot be formed in floats
    value = pass_at_k(n, 3, 500)
    assert 0.0 < value < 1.0 and math.isfinite(value)
    assert value == pytest.approx(1 - (1 - 500 / n) ** 3, rel=1e-3)


def test_benchmark_pass_at_k_is_the_mean_over_problems():
    counts = [(5, 0), (5, 1), (5, 5)]
    assert mean_pass_at_k(counts, 2) == pytest.approx((0.0 + 0.4 + 1.0) / 3)
    with pytest.raises(ValueError, match="empty"):
        mean_pass_at_k([], 1)


@pytest.mark.parametrize(
    ("n", "c", "k", "message"),
    [(0, 0, 1, "n >= 1"), (3, 4, 1, "0..n"), (3, -1, 1, "0..n"), (3, 1, 4, "k <= n"), (3, 1, 0, "k <= n")],
)
def test_impossible_counts_are_rejected(n, c, k, message):
    with pytest.raises(ValueError, match=message):
        pass_at_k(n, c, k)


@pytest.mark.parametrize(("n", "expected"), [(1, (1,)), (4, (1, 4)), (5, (1, 5)), (12, (1, 5, 10, 12))])
def test_default_ks_are_one_the_standard_ones_below_n_and_n(n, expected):
    assert default_ks(n) == expected
    assert parse_ks(None, n) == expected


def test_given_ks_are_sorted_and_deduplicated():
    assert parse_ks("5, 1,5", 5) == (1, 5)
    assert parse_ks([2, 1], 3) == (1, 2)


@pytest.mark.parametrize(
    ("text", "n", "message"),
    [
        ("5", 1, r"pass@5 needs at least 5 samples .* use --n 5"),
        ("1,10", 8, r"pass@10 needs at least 10"),
        ("0", 3, "k must be >= 1"),
        ("1,x", 3, "integers"),
        (" , ", 3, "at least one k"),
    ],
)
def test_bad_k_values_are_errors_that_say_what_to_change(text, n, message):
    with pytest.raises(ValueError, match=message):
        parse_ks(text, n)
