"""What the quickstart reports: per-step figures for the progress line, run figures for the summary.

Everything is read from the run's own records: veRL's metrics jsonl (the `azr/...` metrics the AZR
trainer logs per step) and the self-play buffer file (read-only, so this also works mid-run). Means
over the run weight each step by its sample count, so a step with more samples counts more.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from azr_verl.buffer.records import StoredTask
from azr_verl.metrics_log import StepMetrics
from azr_verl.tasks.task import paper_order

__all__ = [
    "BufferFigures",
    "StepFigures",
    "TypeFigures",
    "buffer_figures",
    "run_figures",
    "step_figures",
    "task_types_of",
]

_REWARD_KEY = re.compile(r"^azr/reward/(?P<type>[^:/]+):(?P<role>propose|solve)/count$")


@dataclass(frozen=True)
class TypeFigures:
    """One task type's figures over one step or a whole run.

    Attributes:
        task_type: e.g. "code_o".
        proposals: propose samples; valid: how many of them the executor accepted.
        propose_reward, solve_reward: mean reward per role (nan without samples).
        solves: solve samples; solver_acc: their share answered correctly (nan without samples).
        readable: samples of both roles whose response was in the answer format (parsable).
    """

    task_type: str
    proposals: int
    valid: int
    propose_reward: float
    solves: int
    solve_reward: float
    solver_acc: float
    readable: int = 0

    @property
    def valid_rate(self) -> float:
        return self.valid / self.proposals if self.proposals else math.nan


@dataclass(frozen=True)
class StepFigures:
    """One step as the progress display shows it."""

    step: int
    types: tuple[TypeFigures, ...]
    buffer_sizes: tuple[tuple[str, int], ...]  # (task type, tasks stored after the step)
    step_s: float


@dataclass(frozen=True)
class BufferFigures:
    """The buffer at the end of the run: sizes per type and source, and examples of proposed tasks."""

    path: Path
    counts: tuple[tuple[str, str, int], ...]  # (task type, source, tasks)
    proposed_total: int
    examples: tuple[StoredTask, ...]

    def size(self, task_type: str, source: str | None = None) -> int:
        return sum(n for k, s, n in self.counts if k == task_type and (source is None or s == source))


def task_types_of(rows: Sequence[StepMetrics]) -> tuple[str, ...]:
    """The task types that had samples in any of `rows`, in the paper's order."""
    found = set()
    for row in rows:
        for key in row.data:
            match = _REWARD_KEY.match(key)
            if match:
                found.add(match["type"])
    return tuple(sorted(found, key=paper_order))


def _weighted(pairs: Sequence[tuple[float | None, float | None]]) -> tuple[int, float]:
    """(total count, count-weighted mean) over (mean, count) pairs; nan means are skipped."""
    total, weighted_sum, weight = 0, 0.0, 0.0
    for mean, count in pairs:
        if count is None or count <= 0:
            continue
        total += round(count)
        if mean is not None and not math.isnan(mean):
            weighted_sum += mean * count
            weight += count
    return total, (weighted_sum / weight if weight else math.nan)


def _type_figures(rows: Sequence[StepMetrics], task_type: str) -> TypeFigures:
    def pairs(mean_key: str, role: str) -> list[tuple[float | None, float | None]]:
        return [(r.get(mean_key), r.get(f"azr/reward/{task_type}:{role}/count")) for r in rows]

    proposals, propose_reward = _weighted(pairs(f"azr/reward/{task_type}:propose/mean", "propose"))
    solves, solve_reward = _weighted(pairs(f"azr/reward/{task_type}:solve/mean", "solve"))
    _, valid_rate = _weighted(pairs(f"azr/valid_rate/{task_type}", "propose"))
    _, solver_acc = _weighted(pairs(f"azr/solver_acc/{task_type}", "solve"))
    valid = 0 if math.isnan(valid_rate) else round(valid_rate * proposals)
    readable = 0
    for role, count in (("propose", proposals), ("solve", solves)):
        _, rate = _weighted(pairs(f"azr/format_ok/{task_type}:{role}", role))
        readable += 0 if math.isnan(rate) else round(rate * count)
    return TypeFigures(
        task_type, proposals, valid, propose_reward, solves, solve_reward, solver_acc, readable
    )


def step_figures(row: StepMetrics) -> StepFigures:
    """The progress figures of one logged step."""
    types = tuple(_type_figures([row], t) for t in task_types_of([row]))
    sizes = []
    for key, value in row.data.items():
        match = re.match(r"^azr/buffer/([^/]+)/size$", key)
        if match and isinstance(value, (int, float)):
            sizes.append((match[1], int(value)))
    sizes.sort(key=lambda item: paper_order(item[0]))
    return StepFigures(row.step, types, tuple(sizes), row.get("timing_s/step", math.nan) or math.nan)


def run_figures(rows: Sequence[StepMetrics]) -> tuple[TypeFigures, ...]:
    """Per task type figures over all `rows` (weighted by the samples of each step)."""
    return tuple(_type_figures(rows, t) for t in task_types_of(rows))


def _example_order(stored: StoredTask) -> tuple[int, int]:
    # Tasks the solver has attempted first (they say something about solving), newest first.
    return (0 if stored.stats.solve_attempts else 1, -stored.id)


def buffer_figures(run_dir: Path, examples: int = 2) -> BufferFigures:
    """Sizes per type and source and `examples` proposed tasks of the buffer in `run_dir` (read-only).

    Raises:
        BufferFileError: the buffer file is missing or not a buffer.
    """
    from azr_verl.buffer.stats import iter_tasks, open_buffer_readonly, resolve_buffer_path, task_counts

    conn = open_buffer_readonly(run_dir)
    try:
        counts = task_counts(conn)
        proposed = list(iter_tasks(conn, sources=["proposed"]))
    finally:
        conn.close()
    chosen = tuple(sorted(proposed, key=_example_order)[:examples])
    return BufferFigures(resolve_buffer_path(run_dir), counts, len(proposed), chosen)
