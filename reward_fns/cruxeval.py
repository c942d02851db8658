"""CRUXEval-O and CRUXEval-I in one run: dispatch on `data_source` to the matching reward function.

veRL takes one custom reward function per run; train on both converted datasets at once with::

    data.train_files="[cruxeval_o/train.parquet,cruxeval_i/train.parquet]"
    reward.custom_reward_function.path=pkg://reward_fns.cruxeval
    reward.custom_reward_function.name=compute_score
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from reward_fns import input_prediction, output_prediction

_Sync = Callable[..., dict[str, Any]]
_Async = Callable[..., Awaitable[dict[str, Any]]]

__all__ = ["DATA_SOURCES", "compute_score", "compute_score_async"]

DATA_SOURCES: dict[str, tuple[_Sync, _Async]] = {
    "cruxeval_o": (output_prediction.compute_score, output_prediction.compute_score_async),
    "cruxeval_i": (input_prediction.compute_score, input_prediction.compute_score_async),
}
"""data_source (as `reward_fns.cruxeval_to_parquet` writes it) -> (sync, async) reward function."""


def _scorers(data_source: str) -> tuple[_Sync, _Async]:
    try:
        return DATA_SOURCES[data_source]
    except KeyError:
        raise ValueError(
            f"reward_fns.cruxeval scores data_source {sorted(DATA_SOURCES)}, got {data_source!r}; "
            "use reward_fns.output_prediction or reward_fns.input_prediction for other data"
        ) from None


def compute_score(
    data_source: str, solution_str: str, ground_truth: object, extra_info: dict | None = None, **kwargs: Any
) -> dict[str, Any]:
    """Score with the output- or input-prediction reward, chosen by `data_source`."""
    return _scorers(data_source)[0](data_source, solution_str, ground_truth, extra_info, **kwargs)


async def compute_score_async(
    data_source: str, solution_str: str, ground_truth: object, extra_info: dict | None = None, **kwargs: Any
) -> dict[str, Any]:
    """Async twin of `compute_score`."""
    return await _scorers(data_source)[1](data_source, solution_str, ground_truth, extra_info, **kwargs)
