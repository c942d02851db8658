"""Per-step AZR metrics from the trajectories of one batch (pure functions; the trainer logs them).

Inputs are what veRL stores per trajectory: the TRR++ group label, the reward (sum of `rm_scores`)
and the reward manager's `reward_extra_info`. Names are under `azr/` so they sit together in
veRL's logger (console, wandb, tensorboard, file).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["LEARNABILITY_BINS", "step_metrics"]

LEARNABILITY_BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


def _mean(values: Sequence[float]) -> float:
    finite = [v for v in values if not math.isnan(v)]
    return float(np.mean(finite)) if finite else math.nan


def _group_rewards(groups: Sequence[str], rewards: Sequence[float]) -> dict[str, float]:
    by_group: dict[str, list[float]] = defaultdict(list)
    for group, reward in zip(groups, rewards, strict=True):
        by_group[group].append(float(reward))
    out: dict[str, float] = {}
    for group, values in sorted(by_group.items()):
        out[f"azr/reward/{group}/mean"] = float(np.mean(values))
        out[f"azr/reward/{group}/std"] = float(np.std(values))
        out[f"azr/reward/{group}/count"] = float(len(values))
    return out


def _learnability_histogram(rewards: Sequence[float]) -> dict[str, float]:
    """Share of valid proposals per learnability-reward bin (the last bin includes 1.0)."""
    if not rewards:
        return {}
    counts, _ = np.histogram(np.clip(rewards, 0.0, 1.0), bins=LEARNABILITY_BINS)
    return {
        f"azr/learnability/bin_{lo:.1f}_{hi:.1f}": float(c) / len(rewards)
        for lo, hi, c in zip(LEARNABILITY_BINS[:-1], LEARNABILITY_BINS[1:], counts, strict=True)
    }


def step_metrics(
    groups: Sequence[str], rewards: Sequence[float], extra_infos: Sequence[Mapping[str, Any]]
) -> dict[str, float]:
    """AZR metrics of one step.

    Args:
        groups: TRR++ label per trajectory ("code_o:propose").
        rewards: scalar reward per trajectory.
        extra_infos: the reward manager's `reward_extra_info` per trajectory (`azr_*` keys).

    Returns:
        reward mean/std/count per group; per task type the valid proposal rate, the format-ok rate
        per role, the solver accuracy (solve samples) and the accuracy of the learnability attempts
        (valid proposals); a histogram of learnability rewards; executor and reward-manager busy
        seconds (summed over samples, which run concurrently: a load figure, not wall time).
    """
    metrics = _group_rewards(groups, rewards)
    per_key: dict[str, list[float]] = defaultdict(list)
    learnability: list[float] = []
    exec_s = 0.0
    reward_s = 0.0
    for group, reward, info in zip(groups, rewards, extra_infos, strict=True):
        task_type, role = group.split(":", 1)
        exec_s += float(info.get("azr_exec_time_s", 0.0) or 0.0)
        reward_s += float(info.get("azr_reward_time_s", 0.0) or 0.0)
        per_key[f"azr/format_ok/{group}"].append(float(info.get("azr_format_ok", math.nan)))
        if role == "propose":
            valid = float(info.get("azr_valid", math.nan))
            per_key[f"azr/valid_rate/{task_type}"].append(valid)
            if valid == 1.0:
                learnability.append(float(reward))
                per_key[f"azr/propose_attempt_acc/{task_type}"].append(
                    float(info.get("azr_solver_acc", math.nan))
                )
        else:
            per_key[f"azr/solver_acc/{task_type}"].append(float(info.get("azr_solver_acc", math.nan)))
    metrics.update({key: _mean(values) for key, values in sorted(per_key.items())})
    metrics.update(_learnability_histogram(learnability))
    metrics["azr/time/executor_busy_s"] = exec_s
    metrics["azr/time/reward_busy_s"] = reward_s
    return metrics
