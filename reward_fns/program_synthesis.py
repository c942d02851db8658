"""Program synthesis (induction): reward for writing `f` that reproduces input/output pairs.

Use in any veRL run::

    reward.custom_reward_function.path=pkg://reward_fns.program_synthesis
    reward.custom_reward_function.name=compute_score

`ground_truth`: a JSON object text (or mapping) `{"inputs": [...], "outputs": [...]}` of
argument-list texts and result reprs; optional `message`. Every pair is checked (show the model
whichever pairs you like in the prompt). The response gives the program in a ```` ```python ````
block inside `<answer>`.
"""

from __future__ import annotations

from typing import Any

from azr_verl.tasks.base import AnswerCheck, Plan, TaskType
from azr_verl.tasks.induction import check_program_plan
from azr_verl.tasks.task import Task, TaskKind
from reward_fns.scoring import ascore, ground_truth_texts, load_ground_truth, score

__all__ = ["compute_score", "compute_score_async"]

_KIND = TaskKind.INDUCTION


def _task(ground_truth: object) -> Task:
    truth = load_ground_truth(ground_truth)
    return Task(
        kind=_KIND,
        program=str(truth.get("program", "")),
        inputs=ground_truth_texts(truth, "inputs"),
        outputs=ground_truth_texts(truth, "outputs"),
        message=str(truth.get("message", "")),
    )


def _all_pairs(task_type: TaskType, task: Task, answer: str) -> Plan[AnswerCheck]:
    return check_program_plan(
        answer, list(task.inputs), list(task.outputs), task_type.limits.max_program_chars
    )


def compute_score(
    data_source: str, solution_str: str, ground_truth: object, extra_info: dict | None = None, **kwargs: Any
) -> dict[str, Any]:
    r"""Score one response: `score` 1.0 when every pair matches, -0.5 wrong, -1.0 unreadable (set
    with reward_kwargs `correct_reward`, `wrong_reward`, `format_error_reward`), plus `acc`,
    `format_ok`, `verdict`.

    >>> truth = '{"inputs": ["1", "2"], "outputs": ["2", "4"]}'
    >>> reply = "<answer>\n```python\ndef f(x):\n    return 2 * x\n```\n</answer>"
    >>> compute_score("synthesis", reply, truth)["score"]
    1.0
    """
    return score(_KIND, _task(ground_truth), solution_str, kwargs, plan=_all_pairs)


async def compute_score_async(
    data_source: str, solution_str: str, ground_truth: object, extra_info: dict | None = None, **kwargs: Any
) -> dict[str, Any]:
    """Async twin of `compute_score` (`reward.custom_reward_function.name=compute_score_async`)."""
    return await ascore(_KIND, _task(ground_truth), solution_str, kwargs, plan=_all_pairs)
