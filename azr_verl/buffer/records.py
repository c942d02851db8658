"""Value types of the buffer API: what goes in, what comes out, and how a row maps to them."""

from __future__ import annotations

import enum
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from azr_verl.tasks.task import Source, Task, TaskKind

__all__ = [
    "TASK_COLUMNS",
    "AddResult",
    "SampleMode",
    "SampleRequest",
    "SolveOutcome",
    "StoredTask",
    "TaskStats",
    "induction_program_request",
    "reference_request",
    "row_to_stored",
    "solver_request",
]

# Column order of every SELECT that builds a StoredTask.
TASK_COLUMNS = (
    "id, kind, fingerprint, program, inputs, outputs, message, extra, source, step, created_s, "
    "times_served, solve_attempts, solve_successes, learnability_last, learnability_sum, learnability_count"
)


@dataclass(frozen=True)
class TaskStats:
    """Running statistics of one buffer task."""

    times_served: int = 0
    solve_attempts: int = 0
    solve_successes: int = 0
    learnability_last: float | None = None
    learnability_mean: float | None = None

    @property
    def solve_rate(self) -> float | None:
        """Fraction of recorded solver attempts that succeeded; None before the first attempt."""
        return self.solve_successes / self.solve_attempts if self.solve_attempts else None


@dataclass(frozen=True)
class StoredTask:
    """A task as stored: its buffer id (creation order), provenance and statistics."""

    id: int
    task: Task
    fingerprint: str
    source: Source
    step: int
    created_s: float
    stats: TaskStats = field(default_factory=TaskStats)

    @property
    def kind(self) -> TaskKind:
        return self.task.kind


@dataclass(frozen=True)
class AddResult:
    """Outcome of one task of an `add()` call: its id, and whether it was new (False: a duplicate)."""

    id: int
    inserted: bool


@dataclass(frozen=True)
class SolveOutcome:
    """Solver results for one task, recorded in batch.

    Attributes:
        task_id: buffer id of the task.
        attempts: solver attempts to add to the task's count.
        successes: how many of those succeeded.
        learnability: a new learnability value for the task (proposer reward), if any.
    """

    task_id: int
    attempts: int = 0
    successes: int = 0
    learnability: float | None = None

    def __post_init__(self) -> None:
        if self.attempts < 0 or not 0 <= self.successes <= self.attempts:
            raise ValueError(f"need 0 <= successes <= attempts, got {self.successes}/{self.attempts}")


class SampleMode(str, enum.Enum):
    """How a sample request picks its tasks (see azr_verl.buffer.sampling)."""

    UNIFORM = "uniform"  # distinct tasks, uniformly
    RECENT = "recent"  # distinct tasks, weight halving every recency_half_life_steps of age
    FRESH_FIRST = "fresh_first"  # newest recent proposals first (each once per call), then uniform


@dataclass(frozen=True)
class SampleRequest:
    """One slot's need: `count` tasks drawn from the task types `kinds`.

    Attributes:
        kinds: task types to draw from (their union).
        count: how many distinct tasks; fewer come back when the buffer holds fewer.
        mode: see SampleMode.
        slot: the slot's position in the batch; with the call's seed and step it seeds this
            request's random generator, so a slot's draw does not depend on the other requests.
    """

    kinds: tuple[TaskKind, ...]
    count: int = 1
    mode: SampleMode = SampleMode.UNIFORM
    slot: int = 0

    def __post_init__(self) -> None:
        kinds = (self.kinds,) if isinstance(self.kinds, (str, TaskKind)) else self.kinds
        object.__setattr__(self, "kinds", tuple(sorted({TaskKind(k) for k in kinds}, key=lambda k: k.value)))
        object.__setattr__(self, "mode", SampleMode(self.mode))
        if not self.kinds:
            raise ValueError("a sample request needs at least one task type")
        if self.count < 0:
            raise ValueError(f"sample request count must be >= 0, got {self.count}")


def reference_request(kind: TaskKind | str, k: int, slot: int, *, recent: bool = False) -> SampleRequest:
    """K reference tasks of one type for a proposer prompt."""
    return SampleRequest((TaskKind(kind),), k, SampleMode.RECENT if recent else SampleMode.UNIFORM, slot)


def solver_request(kind: TaskKind | str, slot: int) -> SampleRequest:
    """One task for a solver prompt: this run's freshest proposals first, then uniform."""
    return SampleRequest((TaskKind(kind),), 1, SampleMode.FRESH_FIRST, slot)


def induction_program_request(slot: int, kinds: Sequence[TaskKind | str] | None = None) -> SampleRequest:
    """One program for an induction proposal, drawn from the deduction and abduction tasks."""
    chosen = tuple(kinds) if kinds else (TaskKind.DEDUCTION, TaskKind.ABDUCTION)
    return SampleRequest(tuple(TaskKind(k) for k in chosen), 1, SampleMode.UNIFORM, slot)


_KIND_BY_VALUE = {k.value: k for k in TaskKind}  # dict lookups: Enum() calls dominated batch fetches
_SOURCE_BY_VALUE = {s.value: s for s in Source}


def row_to_stored(row: Sequence) -> StoredTask:
    """Build a StoredTask from a row selected with TASK_COLUMNS."""
    (tid, kind, fp, program, inputs, outputs, message, extra, source, step, created_s) = row[:11]
    served, attempts, successes, l_last, l_sum, l_count = row[11:17]
    extra_map = {} if extra == "{}" else json.loads(extra)
    inputs_t, outputs_t = tuple(json.loads(inputs)), tuple(json.loads(outputs))
    task = Task(_KIND_BY_VALUE[kind], program, inputs_t, outputs_t, message, extra_map)
    stats = TaskStats(served, attempts, successes, l_last, (l_sum / l_count) if l_count else None)
    return StoredTask(tid, task, fp, _SOURCE_BY_VALUE[source], step, created_s, stats)
