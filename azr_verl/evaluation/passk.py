"""The unbiased pass@k estimator (Chen et al. 2021, "Evaluating Large Language Models Trained on Code").

From n samples of which c are correct, pass@k = 1 - C(n-c, k) / C(n, k): the probability that a
random k-subset of the samples holds at least one correct one. The binomials overflow floats for
large n, so the ratio is computed as the product prod_{i=n-c+1}^{n} (1 - k / i), which is exact in
real arithmetic and stable in floating point.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = ["STANDARD_KS", "default_ks", "mean_pass_at_k", "parse_ks", "pass_at_k"]

STANDARD_KS = (1, 5, 10, 25, 50, 100)
"""The k values reported by default, as far as n allows (plus n itself)."""


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k for one problem with `c` correct answers among `n` samples.

    Raises:
        ValueError: `n < 1`, `c` outside 0..n, or `k` outside 1..n.
    """
    if n < 1:
        raise ValueError(f"pass@k needs n >= 1 samples, got n={n}")
    if not 0 <= c <= n:
        raise ValueError(f"the number of correct samples must lie in 0..n={n}, got c={c}")
    if not 1 <= k <= n:
        raise ValueError(f"pass@k needs 1 <= k <= n; got k={k} with n={n} samples")
    if n - c < k:
        return 1.0  # every k-subset contains a correct sample
    ratio = 1.0  # C(n-c, k) / C(n, k)
    for i in range(n - c + 1, n + 1):
        ratio *= 1.0 - k / i
    return 1.0 - ratio


def mean_pass_at_k(counts: Iterable[tuple[int, int]], k: int) -> float:
    """pass@k of a benchmark: the mean over problems of `pass_at_k(n, c, k)` for each (n, c).

    Raises:
        ValueError: no problems, or a bad (n, c, k) (see `pass_at_k`).
    """
    values = [pass_at_k(n, c, k) for n, c in counts]
    if not values:
        raise ValueError("pass@k of an empty benchmark is undefined")
    return sum(values) / len(values)


def default_ks(n: int) -> tuple[int, ...]:
    """k values reported when none are asked for: 1, the standard ones below n, and n."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    return tuple(sorted({k for k in STANDARD_KS if k <= n} | {n}))


def parse_ks(text: str | Sequence[int] | None, n: int) -> tuple[int, ...]:
    """The k values to report, validated against the number of samples `n`.

    Args:
        text: "1,5,10" (as on the command line), a sequence of ints, or None for `default_ks(n)`.
        n: samples per problem.

    Returns:
        Sorted distinct k values, each in 1..n.

    Raises:
        ValueError: a value that is no integer, below 1, or above n (the message says to raise --n).
    """
    if text is None:
        return default_ks(n)
    if isinstance(text, str):
        parts = [part.strip() for part in text.split(",") if part.strip()]
        try:
            ks = [int(part) for part in parts]
        except ValueError:
            raise ValueError(f"k values must be integers separated by commas, got {text!r}") from None
    else:
        ks = list(text)
    if not ks:
        raise ValueError("give at least one k value, e.g. --k 1,5")
    for k in ks:
        if k < 1:
            raise ValueError(f"k must be >= 1, got {k}")
        if k > n:
            raise ValueError(
                f"pass@{k} needs at least {k} samples per problem, but n={n}; "
                f"use --n {k} (or more), or drop k={k}"
            )
    return tuple(sorted(set(ks)))
