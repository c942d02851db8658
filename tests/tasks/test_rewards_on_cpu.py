"""Reward configuration and the pure reward functions."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from azr_verl.tasks.rewards import RewardConfig, Verdict, proposer_reward, solver_reward


def test_defaults_are_the_papers() -> None:
    config = RewardConfig()
    assert (config.correct, config.wrong, config.format_error) == (1.0, -0.5, -1.0)
    assert (config.invalid_proposal, config.extreme_accuracy) == (-1.0, 0.0)


@pytest.mark.parametrize(
    ("verdict", "expected"),
    [
        (Verdict.CORRECT, 1.0),
        (Verdict.WRONG, -0.5),
        (Verdict.FORMAT_ERROR, -1.0),
        (Verdict.SANDBOX_FAILURE, -0.5),
    ],
)
def test_solver_reward_is_format_aware(verdict: Verdict, expected: float) -> None:
    assert solver_reward(verdict) == expected
    assert solver_reward(verdict.value) == expected


@pytest.mark.parametrize(
    ("accuracies", "extreme", "expected"),
    [
        ([1, 0, 0, 0], 0.0, 0.75),
        ([1, 1, 1, 0, 0, 0, 0, 0], 0.0, 0.625),
        ([0] * 8, 0.0, 0.0),
        ([1] * 8, 0.0, 0.0),
        ([0] * 8, -0.5, -0.5),  # the reference code's value
        ([1] * 8, -0.5, -0.5),
        (None, 0.0, -1.0),
    ],
)
def test_proposer_reward_is_learnability(
    accuracies: list[int] | None, extreme: float, expected: float
) -> None:
    assert proposer_reward(accuracies, RewardConfig(extreme_accuracy=extreme)) == pytest.approx(expected)


@pytest.mark.parametrize("accuracies", [[], [1.5], [-0.1]])
def test_proposer_reward_refuses_caller_bugs(accuracies: list[float]) -> None:
    with pytest.raises(ValueError, match=r"accurac|attempt"):
        proposer_reward(accuracies)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"correct": math.nan}, "correct"),
        ({"wrong": "x"}, "wrong"),
        ({"format_error": math.inf}, "format_error"),
        ({"correct": 0.0, "wrong": 0.0}, "correct"),
        ({"correct": -2.0, "wrong": -3.0}, "format_error"),
        ({"invalid_proposal": 0.5}, "invalid_proposal"),
        ({"extreme_accuracy": -2.0}, "invalid_proposal"),
        ({"extreme_accuracy": True}, "extreme_accuracy"),
    ],
)
def test_reward_config_names_the_bad_field(kwargs: dict, field: str) -> None:
    with pytest.raises(ValueError, match=f"RewardConfig.{field}"):
        RewardConfig(**kwargs)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.none(), st.lists(st.sampled_from([0.0, 1.0]), min_size=1, max_size=16)))
def test_proposer_reward_stays_in_its_defined_range(accuracies: list[float] | None) -> None:
    config = RewardConfig()
    reward = proposer_reward(accuracies, config)
    assert reward in {config.invalid_proposal, config.extreme_accuracy} or 0.0 < reward < 1.0
