"""How many items of each (task type, role) slot go into each batch, and in which order.

Every slot gets the floor or the ceiling of its exact share of every batch, and the run's
proportions stay exact; inside a batch, slots are interleaved so expensive propose items spread
evenly over veRL's agent-loop workers.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

__all__ = ["SlotApportioner", "slot_order"]


class SlotApportioner:
    """Items per slot in each batch, a pure function of the batch number.

    Every slot gets the floor or the ceiling of its exact share in every batch; the leftover items
    go to the slots furthest behind their exact cumulative share (ties: slot order), so the run's
    proportions stay exact (cumulative error below two items). Replayed from batch 0, memoized.
    """

    def __init__(self, weights: Sequence[float], batch_size: int) -> None:
        total = sum(Fraction(w) for w in weights)
        self._shares = [Fraction(w) * batch_size / total for w in weights]
        self._batch_size = batch_size
        self._next, self._given = 0, [0] * len(weights)
        self._last: list[int] = []

    def counts(self, batch: int) -> list[int]:
        if batch < self._next - 1 or not self._last:
            self._next, self._given = 0, [0] * len(self._shares)
        while self._next <= batch:
            self._last = self._step(self._next)
            self._given = [g + c for g, c in zip(self._given, self._last, strict=True)]
            self._next += 1
        return list(self._last)

    def _step(self, batch: int) -> list[int]:
        counts = [int(s) for s in self._shares]
        behind = [s * (batch + 1) - g - c for s, g, c in zip(self._shares, self._given, counts, strict=True)]
        order = sorted(
            (i for i, s in enumerate(self._shares) if s > counts[i]), key=lambda i: (-behind[i], i)
        )
        for i in order[: self._batch_size - sum(counts)]:
            counts[i] += 1
        return counts


def slot_order(counts: Sequence[int]) -> list[int]:
    """Slot positions interleaved by smooth weighted round-robin (each slot exactly counts[i] times)."""
    total = sum(counts)
    current = [0] * len(counts)
    order: list[int] = []
    for _ in range(total):
        for i, count in enumerate(counts):
            current[i] += count
        best = max(range(len(counts)), key=lambda i: (current[i], -i))
        current[best] -= total
        order.append(best)
    return order
