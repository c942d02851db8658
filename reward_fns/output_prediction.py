"""Output prediction (CRUXEval-O style deduction): reward for predicting `f(<input>)`.

Use in any veRL run::

    reward.custom_reward_function.path=pkg://reward_fns.output_prediction
    reward.custom_reward_function.name=compute_score

`ground_truth`: a JSON object text (or mapping) `{"program": ..., "input": ..., "output": ...}`
with `input` the argument-list text and `output` the repr of the result. The response must give
its answer in an ```` ```output ```` block inside `<answer>`; values are compared, not strings.
"""

from __future__ import annotations

from typing import Any

from azr_verl.tasks.task import Task, TaskKind
from reward_fns.scoring import ascore, ground_truth_text, load_ground_truth, score

__all__ = ["compute_score", "compute_score_async"]

_KIND = TaskKind.DEDUCTION


def _task(ground_truth: object) -> Task:
    truth = load_ground_truth(ground_truth)
    return Task(
        kind=_KIND,
        program=ground_truth_text(truth, "program"),
        inputs=(ground_truth_text(truth, "input"),),
        outputs=(ground_truth_text(truth, "output"),),
    )


def compute_score(
    data_source: str, solution_str: str, ground_truth: object, extra_info: dict | None = None, **kwargs: Any
) -> dict[str, Any]:
    r"""Score one response: `score` 1.0 right, -0.5 wrong, -1.0 unreadable (set with reward_kwargs
    `correct_reward`, `wrong_reward`, `format_error_reward`), plus `acc`, `format_ok`, `verdict`.

    >>> import json
    >>> truth = json.dumps({"program": "def f(x):\n    return [x, x]", "input": "1", "output": "[1, 1]"})
    >>> compute_score("cruxeval_o", "<answer>\n```output\n[1,1]\n```\n</answer>", truth)["score"]
    1.0
    """
    return score(_KIND, _task(ground_truth), solution_str, kwargs)


async def compute_score_async(
    data_source: str, solution_str: str, ground_truth: object, extra_info: dict | None = None, **kwargs: Any
) -> dict[str, Any]:
    """Async twin of `compute_score` (`reward.custom_reward_function.name=compute_score_async`)."""
    return await ascore(_KIND, _task(ground_truth), solution_str, kwargs)
