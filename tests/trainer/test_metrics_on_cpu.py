"""AZR step metrics from per-trajectory groups, rewards and reward extra info."""

from __future__ import annotations

import math

import numpy as np
import pytest

from azr_verl.metrics import step_metrics


def _propose(valid: bool, acc: float, exec_s: float = 0.1) -> dict:
    return {
        "azr_valid": float(valid),
        "azr_format_ok": 1.0,
        "azr_solver_acc": acc if valid else math.nan,
        "azr_exec_time_s": exec_s,
    }


def _solve(correct: bool, format_ok: bool = True) -> dict:
    return {
        "azr_valid": math.nan,
        "azr_format_ok": float(format_ok),
        "azr_solver_acc": float(correct),
        "azr_exec_time_s": 0.05,
    }


def test_rewards_rates_and_histogram_per_group():
    groups = ["code_o:propose"] * 4 + ["code_o:solve"] * 3 + ["code_f:solve"]
    rewards = [0.5, 0.25, -1.0, 0.0, 1.0, -0.5, -1.0, 1.0]
    extras = [_propose(True, 0.5), _propose(True, 0.75), _propose(False, 0), _propose(True, 1.0)]
    extras += [_solve(True), _solve(False), _solve(False, format_ok=False), _solve(True)]
    m = step_metrics(groups, rewards, extras)
    assert m["azr/reward/code_o:propose/mean"] == pytest.approx(np.mean(rewards[:4]))
    assert m["azr/reward/code_o:solve/std"] == pytest.approx(np.std(rewards[4:7]))
    assert m["azr/reward/code_f:solve/count"] == 1
    assert m["azr/valid_rate/code_o"] == pytest.approx(0.75)
    assert m["azr/solver_acc/code_o"] == pytest.approx(1 / 3)
    assert m["azr/solver_acc/code_f"] == 1.0
    assert m["azr/format_ok/code_o:solve"] == pytest.approx(2 / 3)
    assert m["azr/propose_attempt_acc/code_o"] == pytest.approx(np.mean([0.5, 0.75, 1.0]))
    # learnability rewards of the three valid proposals: 0.5, 0.25, 0.0
    assert m["azr/learnability/bin_0.0_0.2"] == pytest.approx(1 / 3)
    assert m["azr/learnability/bin_0.2_0.4"] == pytest.approx(1 / 3)
    assert m["azr/learnability/bin_0.4_0.6"] == pytest.approx(1 / 3)
    assert m["azr/time/executor_busy_s"] == pytest.approx(0.1 * 4 + 0.05 * 4)


def test_no_valid_proposals_gives_no_histogram_and_nan_free_rates():
    m = step_metrics(["code_i:propose"] * 2, [-1.0, -1.0], [_propose(False, 0), _propose(False, 0)])
    assert m["azr/valid_rate/code_i"] == 0.0
    assert not any(k.startswith("azr/learnability/") for k in m)
    assert all(not math.isnan(v) for v in m.values())
