"""TRR++ (task-relative REINFORCE++), registered with veRL as the advantage estimator `trr_pp`.

AZR trains one policy on six kinds of samples ((deduction, abduction, induction) x (propose, solve))
whose rewards live on different scales: a proposer's learnability reward is not comparable with a
solver's accuracy. TRR++ therefore normalizes each (task type, role) group on its own.

Contract:
- `groups` (one label per sample) selects the groups; without it the whole batch is one group, so the
  estimator can be dropped into any veRL run with `algorithm.adv_estimator=trr_pp`.
- `algorithm.trr_normalization` chooses the statistics:
  - `sequence` (default, the paper): A = (r - mean_g) / (std_g + eps) on the sequence reward (the sum
    of the token rewards), broadcast over the response tokens. std is the unbiased sample std, as in
    veRL's GRPO.
  - `token` (the reference code): REINFORCE++ returns (discounted with `algorithm.gamma`) whitened over
    the valid tokens of the group. With a single group this is exactly veRL's `reinforce_plus_plus`.
- Degenerate groups get advantage 0: a group of one sample (nothing to compare it with), a group of
  equal rewards (nothing to prefer), and in `token` mode a group with fewer than two valid tokens.
"""

from __future__ import annotations

import contextlib
import contextvars
import enum
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch
from verl.trainer.ppo.core_algos import register_adv_est
from verl.utils import torch_functional as verl_F

__all__ = [
    "GROUP_KEY",
    "TRR_PP",
    "TrrNormalization",
    "compute_trr_pp_advantage",
    "discounted_returns",
    "group_indices",
    "normalization_from_config",
    "trr_groups",
]

TRR_PP = "trr_pp"
# Name of the per-sample label field in a batch's non-tensor data (the trainer mode writes it).
GROUP_KEY = "trr_group"
EPS = 1e-6

# veRL's `compute_advantage` passes a fixed set of arguments to estimators, so a trainer that knows the
# labels hands them over through this context variable (see `trr_groups`).
_CONTEXT_GROUPS: contextvars.ContextVar[Sequence[Any] | None] = contextvars.ContextVar(
    "trr_groups", default=None
)


@contextlib.contextmanager
def trr_groups(labels: Sequence[Any] | np.ndarray | None) -> Iterator[None]:
    """Within this block, `trr_pp` calls that get no explicit `groups` use `labels`."""
    token = _CONTEXT_GROUPS.set(labels)
    try:
        yield
    finally:
        _CONTEXT_GROUPS.reset(token)


class TrrNormalization(str, enum.Enum):
    SEQUENCE = "sequence"
    TOKEN = "token"


def _config_value(config: Any, key: str, default: Any) -> Any:
    if config is None:
        return default
    getter = getattr(config, "get", None)
    return getter(key, default) if callable(getter) else getattr(config, key, default)


def normalization_from_config(config: Any) -> TrrNormalization:
    """Read `algorithm.trr_normalization`; an unknown value names the key and the choices."""
    value = _config_value(config, "trr_normalization", TrrNormalization.SEQUENCE.value)
    try:
        return TrrNormalization(value)
    except ValueError:
        choices = ", ".join(m.value for m in TrrNormalization)
        raise ValueError(f"algorithm.trr_normalization={value!r} is not one of: {choices}") from None


def group_indices(groups: Sequence[Any] | np.ndarray | None, batch_size: int) -> list[torch.Tensor]:
    """Row indices of each group, in first-seen order; one group of all rows when `groups` is None."""
    if groups is None:
        return [torch.arange(batch_size)]
    labels = list(groups)
    if len(labels) != batch_size:
        raise ValueError(f"TRR++ got {len(labels)} group labels for a batch of {batch_size} samples")
    rows: dict[Any, list[int]] = {}
    for row, label in enumerate(labels):
        rows.setdefault(label, []).append(row)
    return [torch.tensor(r, dtype=torch.long) for r in rows.values()]


def discounted_returns(
    token_level_rewards: torch.Tensor, response_mask: torch.Tensor, gamma: float
) -> torch.Tensor:
    """Reward-to-go over valid tokens; masked (non-response) tokens pass the running return through."""
    returns = torch.zeros_like(token_level_rewards)
    running = torch.zeros_like(token_level_rewards[:, 0])
    mask = response_mask.to(token_level_rewards.dtype)
    for t in range(token_level_rewards.shape[1] - 1, -1, -1):
        candidate = token_level_rewards[:, t] + gamma * running
        returns[:, t] = candidate * mask[:, t]
        running = candidate * mask[:, t] + running * (1 - mask[:, t])
    return returns


def _sequence_advantages(
    token_level_rewards: torch.Tensor, response_mask: torch.Tensor, rows: list[torch.Tensor]
) -> torch.Tensor:
    scores = token_level_rewards.sum(dim=-1)
    normalized = torch.zeros_like(scores)
    for idx in rows:
        group = scores[idx]
        if group.numel() < 2:
            continue
        normalized[idx] = (group - group.mean()) / (group.std() + EPS)
    return normalized.unsqueeze(-1) * response_mask


def _token_advantages(
    returns: torch.Tensor, response_mask: torch.Tensor, rows: list[torch.Tensor]
) -> torch.Tensor:
    advantages = torch.zeros_like(returns)
    for idx in rows:
        mask = response_mask[idx]
        if mask.sum() < 2:
            continue
        advantages[idx] = verl_F.masked_whiten(returns[idx], mask) * mask
    return advantages


@register_adv_est(TRR_PP)
def compute_trr_pp_advantage(
    token_level_rewards: torch.Tensor,
    response_mask: torch.Tensor,
    config: Any = None,
    groups: Sequence[Any] | np.ndarray | None = None,
    **kwargs: Any,
) -> tuple[torch.Tensor, torch.Tensor]:
    """TRR++ advantages and returns, both shaped like `token_level_rewards` (bs, response_length).

    Args:
        token_level_rewards: rewards per response token (outcome rewards sit on the last token).
        response_mask: 1 for response tokens that are trained on.
        config: veRL's `algorithm` config (`gamma`, `trr_normalization`).
        groups: one hashable label per sample, e.g. "code_o:solve". When absent: the batch's
            non-tensor field `trr_group` if veRL passes `non_tensor_batch`, else the labels set with
            `trr_groups(...)`, else the whole batch is one group.
        **kwargs: the rest of veRL's estimator arguments (`index`, ...), ignored: TRR++ groups by task
            and role, not by prompt.
    """
    if groups is None:
        non_tensor = kwargs.get("non_tensor_batch")
        if non_tensor is not None and GROUP_KEY in non_tensor:
            groups = non_tensor[GROUP_KEY]
    if groups is None:
        groups = _CONTEXT_GROUPS.get()
    mode = normalization_from_config(config)
    rows = group_indices(groups, token_level_rewards.shape[0])
    with torch.no_grad():
        if mode is TrrNormalization.SEQUENCE:
            advantages = _sequence_advantages(token_level_rewards, response_mask, rows)
            return advantages, advantages
        gamma = float(_config_value(config, "gamma", 1.0))
        returns = discounted_returns(token_level_rewards, response_mask, gamma)
        return _token_advantages(returns, response_mask, rows), returns
