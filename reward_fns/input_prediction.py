"""Input prediction (CRUXEval-I style abduction): reward for finding an input that gives the output.

Use in any veRL run::

    reward.custom_reward_function.path=pkg://reward_fns.input_prediction
    reward.custom_reward_function.name=compute_score

`ground_truth`: a JSON object text (or mapping) `{"program": ..., "input": ..., "output": ...}`;
`input` (the gold input) is informative only: any input whose result equals `output` is right.
The response gives its answer in an ```` ```input ```` block inside `<answer>`.
"""

from __future__ import annotations

from typing import Any

from azr_verl.tasks.task import Task, TaskKind
from reward_fns.scoring import ascore, ground_truth_text, load_ground_truth, score

__all__ = ["compute_score", "compute_score_async"]

_KIND = TaskKind.ABDUCTION


def _task(ground_truth: object) -> Task:
    truth = load_ground_truth(ground_truth)
    return Task(
        kind=_KIND,
        program=ground_truth_text(truth, "program"),
        inputs=(str(truth.get("input", "")),),
        outputs=(ground_truth_text(truth, "output"),),
    )


def compute_score(
    data_source: str, solution_str: str, ground_truth: object, extra_info: dict | None = None, **kwargs: Any
) -> dict[str, Any]:
    r"""Score one response: `score` 1.0 right, -0.5 wrong, -1.0 unreadable (set with reward_kwargs
    `correct_reward`, `wrong_reward`, `format_error_reward`), plus `acc`, `format_ok`, `verdict`.

    >>> import json
    >>> truth = json.dumps({"program": "def f(x):\n    return x * 2", "input": "3", "output": "6"})
    >>> compute_score("cruxeval_i", "<answer>\n```input\n3.0\n```\n</answer>", truth)["score"]
    1.0
    """
    return score(_KIND, _task(ground_truth), solution_str, kwargs)


async def compute_score_async(
    data_source: str, solution_str: str, ground_truth: object, extra_info: dict | None = None, **kwargs: Any
) -> dict[str, Any]:
    """Async twin of `compute_score` (`reward.custom_reward_function.name=compute_score_async`)."""
    return await ascore(_KIND, _task(ground_truth), solution_str, kwargs)
