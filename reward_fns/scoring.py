"""The shared body of the reward functions: ground truth in, veRL's score dict out.

Parsing, checking and reward values are those of `azr_verl.tasks` (the same code scores AZR
self-play); every execution goes to the process-wide default executor.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from azr_verl.executor import get_default_executor
from azr_verl.tasks.base import AnswerCheck, Plan, TaskType, arun_plan, run_plan
from azr_verl.tasks.parsing import FormatError
from azr_verl.tasks.registry import get_task_type
from azr_verl.tasks.rewards import RewardConfig, Verdict, solver_reward
from azr_verl.tasks.task import Task, TaskKind

__all__ = [
    "RESULT_KEYS",
    "ascore",
    "ground_truth_text",
    "ground_truth_texts",
    "load_ground_truth",
    "reward_config",
    "reward_kwargs",
    "score",
]

RESULT_KEYS = ("score", "acc", "format_ok", "verdict")
"""Keys of every result dict (veRL needs the same keys for every sample)."""

PlanFactory = Callable[[TaskType, Task, str], Plan[AnswerCheck]]

_REWARD_KWARGS = {"correct_reward": "correct", "wrong_reward": "wrong", "format_error_reward": "format_error"}


def load_ground_truth(ground_truth: object) -> dict[str, Any]:
    """The ground truth as a dict, from a JSON object text or a mapping.

    Raises:
        ValueError: Neither (a dataset error, reported loudly rather than scored).
    """
    if isinstance(ground_truth, Mapping):
        return dict(ground_truth)
    if isinstance(ground_truth, (str, bytes)):
        try:
            loaded = json.loads(ground_truth)
        except json.JSONDecodeError as exc:
            raise ValueError(f"ground_truth is not valid JSON: {exc}") from exc
        if isinstance(loaded, dict):
            return loaded
    raise ValueError(f"ground_truth must be a JSON object or a mapping, got {type(ground_truth).__name__}")


def ground_truth_text(truth: Mapping[str, Any], key: str) -> str:
    """A required string field of the ground truth."""
    value = truth.get(key)
    if not isinstance(value, str):
        raise ValueError(f"ground_truth needs a string {key!r}, got {value!r}; keys present: {sorted(truth)}")
    return value


def ground_truth_texts(truth: Mapping[str, Any], key: str) -> tuple[str, ...]:
    """A required non-empty list-of-strings field of the ground truth."""
    value = truth.get(key)
    if hasattr(value, "tolist"):  # a numpy array, as parquet round trips give
        value = value.tolist()
    if not isinstance(value, (list, tuple)) or not value or not all(isinstance(item, str) for item in value):
        raise ValueError(f"ground_truth needs a non-empty list of strings {key!r}, got {value!r}")
    return tuple(value)


def reward_config(kwargs: Mapping[str, Any]) -> RewardConfig:
    """Reward values from `reward.custom_reward_function.reward_kwargs`; other keys are ignored."""
    return RewardConfig(**{field: kwargs[key] for key, field in _REWARD_KWARGS.items() if key in kwargs})


def reward_kwargs(config: RewardConfig) -> dict[str, float]:
    """The inverse of `reward_config`: the keyword arguments that score with `config`'s values."""
    return {key: getattr(config, field) for key, field in _REWARD_KWARGS.items()}


def _default_plan(task_type: TaskType, task: Task, answer: str) -> Plan[AnswerCheck]:
    return task_type.answer_plan(task, answer)


def _result(check: AnswerCheck, config: RewardConfig) -> dict[str, Any]:
    return {
        "score": solver_reward(check.verdict, config),
        "acc": 1.0 if check.correct else 0.0,
        "format_ok": 0.0 if check.verdict is Verdict.FORMAT_ERROR else 1.0,
        "verdict": check.verdict.value,
    }


def _checking(
    kind: TaskKind, task: Task, solution_str: str, kwargs: Mapping[str, Any], plan: PlanFactory
) -> tuple[RewardConfig, AnswerCheck | Plan[AnswerCheck]]:
    """The reward config and either the format-error verdict or the plan that checks the answer."""
    config = reward_config(kwargs)
    task_type = get_task_type(kind)
    answer = task_type.parse_answer(solution_str)
    if isinstance(answer, FormatError):
        return config, AnswerCheck(Verdict.FORMAT_ERROR, answer.reason)
    return config, plan(task_type, task, answer)


def score(
    kind: TaskKind,
    task: Task,
    solution_str: str,
    kwargs: Mapping[str, Any],
    plan: PlanFactory = _default_plan,
) -> dict[str, Any]:
    """Parse `solution_str` with the task type of `kind`, check it, and return veRL's result dict."""
    config, checking = _checking(kind, task, solution_str, kwargs, plan)
    if isinstance(checking, AnswerCheck):
        return _result(checking, config)
    return _result(run_plan(checking, get_default_executor()), config)


async def ascore(
    kind: TaskKind,
    task: Task,
    solution_str: str,
    kwargs: Mapping[str, Any],
    plan: PlanFactory = _default_plan,
) -> dict[str, Any]:
    """Async twin of `score` (uses the executor's async API)."""
    config, checking = _checking(kind, task, solution_str, kwargs, plan)
    if isinstance(checking, AnswerCheck):
        return _result(checking, config)
    return _result(await arun_plan(checking, get_default_executor()), config)
