"""What a benchmark hands to the runner: prompts, ground truths and the scorer that checks answers.

The shapes mirror veRL's dataset rows (`prompt`, `data_source`, `reward_model.ground_truth`) so that a
benchmark's evaluation scores exactly as its veRL validation does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from azr_verl.tasks.task import TaskKind

__all__ = ["DataUnavailableError", "EvalProblem", "ProblemSet", "Scorer"]

Scorer = Callable[[str, str, object], Awaitable[dict[str, Any]]]
"""`await scorer(data_source, solution_str, ground_truth)` -> veRL's result dict (`score`, `acc`,
`format_ok`, `verdict`), as the async reward functions in `reward_fns` return it."""


class DataUnavailableError(RuntimeError):
    """A benchmark's data cannot be read (no file given and the hub is unreachable, or no `datasets`)."""


@dataclass(frozen=True)
class EvalProblem:
    """One problem, as its veRL row would carry it.

    Attributes:
        problem_id: The benchmark's id of the problem (e.g. `sample_0`).
        index: Position in the source file or dataset (0-based).
        kind: The task type whose parser reads answers (recorded per sample in the results).
        messages: The chat prompt, the same one training and validation use.
        data_source: veRL's `data_source` column, which selects the reward function.
        ground_truth: veRL's `reward_model.ground_truth` (JSON text).
    """

    problem_id: str
    index: int
    kind: TaskKind
    messages: tuple[Mapping[str, str], ...]
    data_source: str
    ground_truth: str


@dataclass(frozen=True)
class ProblemSet:
    """The problems of one benchmark task and how to score them.

    Attributes:
        benchmark: The benchmark's name (e.g. `cruxeval`).
        task: The benchmark's task (e.g. `output`).
        source: Where the problems came from (a file path or a hub dataset name).
        problems: In source order.
        scorer: Checks one response; executor-backed for code tasks.
    """

    benchmark: str
    task: str
    source: str
    problems: tuple[EvalProblem, ...]
    scorer: Scorer
