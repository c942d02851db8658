"""Deterministic choice of buffer tasks for a batch of prompt slots.

Every request draws with its own generator seeded from (seed, step, slot), so the same buffer
contents, seed and step give the same tasks, whatever else the batch asks for. Modes:

- uniform: `count` distinct tasks, uniformly over the requested task types.
- recent: `count` distinct tasks, a task's weight halving every `half_life_steps` of age
  (current step minus the step it was added).
- fresh_first (solver prompts, as the reference): the tasks the model proposed in the last
  `fresh_steps` steps are handed out newest first, each once per call, to the fresh_first requests
  in the order they appear; when they run out, the rest draw uniformly among the other tasks. Seeds
  and the zero triplet are never "fresh", so the first steps do not all get the last seeds of a file.
"""

from __future__ import annotations

import bisect
import hashlib
import random
from collections.abc import Sequence

import numpy as np

from azr_verl.buffer.index import KindView, TaskIndex
from azr_verl.buffer.records import SampleMode, SampleRequest
from azr_verl.tasks.task import TaskKind

__all__ = ["plan_batch", "slot_rng"]


def slot_rng(seed: int, step: int, slot: int) -> random.Random:
    """A generator that depends only on (seed, step, slot), identical across processes and runs."""
    digest = hashlib.blake2b(f"azr-buffer:{seed}:{step}:{slot}".encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "little"))


def _distinct_uniform(rng: random.Random, pool: np.ndarray, k: int, taken: set[int]) -> list[int]:
    """Up to k ids from `pool` (array of ids) not in `taken`, uniformly."""
    n = int(pool.shape[0])
    out: list[int] = []
    if n == 0 or k <= 0:
        return out
    if n <= 4 * (k + len(taken)):  # small pool: exact draw without replacement
        candidates = [int(x) for x in pool if int(x) not in taken]
        return rng.sample(candidates, min(k, len(candidates)))
    while len(out) < k:  # large pool: rejection is cheap and never starves
        tid = int(pool[rng.randrange(n)])
        if tid not in taken:
            taken = taken | {tid}
            out.append(tid)
    return out


def _distinct_weighted(rng: random.Random, view: KindView, cum: np.ndarray, k: int) -> list[int]:
    """Up to k distinct ids drawn with the cumulative weights `cum`; falls back to uniform for the tail."""
    n = len(view)
    out: list[int] = []
    chosen: set[int] = set()
    total = float(cum[-1]) if n else 0.0
    attempts = 0
    while len(out) < min(k, n) and attempts < 20 * k + 20 and total > 0:
        attempts += 1
        pos = min(bisect.bisect_right(cum, rng.random() * total), n - 1)
        tid = int(view.ids[pos])
        if tid not in chosen:
            chosen.add(tid)
            out.append(tid)
    if len(out) < min(k, n):  # weights concentrated on few tasks: fill uniformly
        out += _distinct_uniform(rng, view.ids, min(k, n) - len(out), chosen)
    return out


class _KindsState:
    """Per-call data for one combination of task types (views, weights, fresh queue)."""

    def __init__(self, view: KindView, step: int, half_life_steps: float, fresh_steps: int) -> None:
        self.view = view
        self._step, self._half_life, self._fresh_steps = step, half_life_steps, fresh_steps
        self._cum: np.ndarray | None = None
        self._split: tuple[list[int], np.ndarray] | None = None
        self.fresh_pos = 0

    def cum_weights(self) -> np.ndarray:
        if self._cum is None:
            age = np.maximum(self._step - self.view.steps, 0).astype(np.float64)
            self._cum = np.cumsum(np.exp2(-age / self._half_life))
        return self._cum

    def fresh_and_rest(self) -> tuple[list[int], np.ndarray]:
        """Fresh proposals newest first, and the ids to draw from once they are used up."""
        if self._split is None:
            mask = self.view.proposed & (self.view.steps >= self._step - self._fresh_steps)
            if self._fresh_steps <= 0:
                mask[:] = False
            fresh = sorted((int(x) for x in self.view.ids[mask]), reverse=True)
            rest = self.view.ids[~mask]
            self._split = (fresh, rest if rest.size else self.view.ids)
        return self._split


def plan_batch(
    requests: Sequence[SampleRequest],
    index: TaskIndex,
    *,
    seed: int,
    step: int,
    half_life_steps: float,
    fresh_steps: int,
) -> list[list[int]]:
    """Task ids for each request (see the module docstring for the modes)."""
    states: dict[tuple[TaskKind, ...], _KindsState] = {}
    plans: list[list[int]] = []
    for req in requests:
        state = states.get(req.kinds)
        if state is None:
            state = states[req.kinds] = _KindsState(index.view(req.kinds), step, half_life_steps, fresh_steps)
        rng = slot_rng(seed, step, req.slot)
        if req.mode is SampleMode.UNIFORM:
            plans.append(_distinct_uniform(rng, state.view.ids, req.count, set()))
        elif req.mode is SampleMode.RECENT:
            plans.append(
                _distinct_weighted(rng, state.view, state.cum_weights(), req.count) if len(state.view) else []
            )
        else:
            fresh, rest = state.fresh_and_rest()
            take = fresh[state.fresh_pos : state.fresh_pos + req.count]
            state.fresh_pos += len(take)
            plans.append(take + _distinct_uniform(rng, rest, req.count - len(take), set(take)))
    return plans
