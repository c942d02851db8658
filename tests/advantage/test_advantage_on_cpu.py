"""TRR++: per-group normalization, exact equivalence with veRL's REINFORCE++ for one group, degenerate
groups, and the stock veRL call path."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf
from verl import DataProto
from verl.trainer.ppo.core_algos import compute_reinforce_plus_plus_outcome_advantage, get_adv_estimator_fn
from verl.trainer.ppo.ray_trainer import compute_advantage

from azr_verl.advantage import GROUP_KEY, TRR_PP, compute_trr_pp_advantage

GROUPS = [
    "code_o:propose",
    "code_o:solve",
    "code_i:propose",
    "code_i:solve",
    "code_f:propose",
    "code_f:solve",
]


def _batch(seed: int, batch_size: int = 24, length: int = 9, dense: bool = False):
    """Random rewards and left-aligned response masks of varying length (at least 1 token)."""
    gen = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, length + 1, (batch_size,), generator=gen)
    mask = (torch.arange(length).unsqueeze(0) < lengths.unsqueeze(1)).float()
    if dense:
        rewards = torch.randn(batch_size, length, generator=gen) * mask
    else:  # outcome reward on the last valid token, as veRL's reward loop produces
        rewards = torch.zeros(batch_size, length)
        rewards[torch.arange(batch_size), lengths - 1] = torch.randn(batch_size, generator=gen) * 3 + 1
    return rewards, mask


def _algo(**kw):
    return OmegaConf.create({"gamma": 1.0, "lam": 1.0, "adv_estimator": TRR_PP, **kw})


@pytest.mark.parametrize("gamma", [1.0, 0.9])
@pytest.mark.parametrize("dense", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_token_mode_without_groups_equals_verl_reinforce_plus_plus(gamma, dense, seed):
    rewards, mask = _batch(seed, dense=dense)
    config = _algo(gamma=gamma, trr_normalization="token")
    ours_adv, ours_ret = compute_trr_pp_advantage(rewards, mask, config=config)
    ref_adv, ref_ret = compute_reinforce_plus_plus_outcome_advantage(rewards, mask, config=config)
    torch.testing.assert_close(ours_ret, ref_ret)
    torch.testing.assert_close(ours_adv, ref_adv)


@pytest.mark.parametrize("gamma", [1.0, 0.9])
def test_token_mode_with_groups_whitens_each_group_like_reinforce_plus_plus_on_its_rows(gamma):
    rewards, mask = _batch(3, batch_size=36, dense=True)
    labels = np.array([GROUPS[i % 6] for i in range(36)], dtype=object)
    config = _algo(gamma=gamma, trr_normalization="token")
    adv, _ = compute_trr_pp_advantage(rewards, mask, config=config, groups=labels)
    for label in GROUPS:
        rows = torch.tensor(np.flatnonzero(labels == label))
        expected, _ = compute_reinforce_plus_plus_outcome_advantage(rewards[rows], mask[rows], config=config)
        torch.testing.assert_close(adv[rows], expected)


def test_sequence_mode_normalizes_each_group_to_zero_mean_unit_std_and_broadcasts():
    rewards, mask = _batch(4, batch_size=48)
    # Give the groups wildly different scales: normalization must remove them.
    labels = np.array([GROUPS[i % 6] for i in range(48)], dtype=object)
    scale = torch.tensor([10.0 ** (i % 6 - 2) for i in range(48)]).unsqueeze(-1)
    adv, returns = compute_trr_pp_advantage(rewards * scale, mask, config=_algo(), groups=labels)
    torch.testing.assert_close(adv, returns)
    assert torch.all(adv[mask == 0] == 0)
    per_sample = adv[:, 0]
    for label in GROUPS:
        group = per_sample[torch.tensor(np.flatnonzero(labels == label))]
        assert abs(group.mean().item()) < 1e-5
        assert abs(group.std().item() - 1.0) < 1e-3
    # every valid token of a sample carries that sample's advantage
    for row in range(48):
        valid = adv[row][mask[row] == 1]
        assert torch.allclose(valid, valid[0].expand_as(valid))


def test_sequence_mode_is_the_papers_formula():
    rewards = torch.tensor([[0.0, 1.0], [0.0, -0.5], [0.0, 0.25], [0.0, 1.0]])
    mask = torch.ones_like(rewards)
    adv, _ = compute_trr_pp_advantage(rewards, mask, config=_algo(), groups=["a", "a", "a", "b"])
    scores = torch.tensor([1.0, -0.5, 0.25])
    expected = (scores - scores.mean()) / (scores.std() + 1e-6)
    torch.testing.assert_close(adv[:3, 0], expected)
    assert adv[3].abs().sum() == 0  # a group of one has nothing to compare with


@pytest.mark.parametrize("mode", ["sequence", "token"])
def test_degenerate_groups_get_zero_advantage_without_error(mode):
    rewards = torch.zeros(5, 4)
    mask = torch.ones(5, 4)
    rewards[:, -1] = torch.tensor([0.5, 0.5, 0.5, 2.0, -1.0])
    mask[4, 1:] = 0  # sample 4: a single valid token, alone in its group
    rewards[4] = torch.tensor([-1.0, 0, 0, 0])
    labels = ["same", "same", "same", "single", "one_token"]
    adv, _ = compute_trr_pp_advantage(rewards, mask, config=_algo(trr_normalization=mode), groups=labels)
    assert torch.isfinite(adv).all()
    if mode == "sequence":
        assert adv.abs().sum() == 0  # equal rewards, a single sample, a single sample
    else:
        assert adv[3:].abs().sum() == 0
        # equal sequence rewards still differ per token under REINFORCE++ returns (gamma 1: all equal)
        assert adv[:3].abs().max() < 1e-3


def test_labels_from_non_tensor_batch_are_used_when_groups_are_not_passed():
    rewards, mask = _batch(5, batch_size=12)
    labels = np.array([GROUPS[i % 2] for i in range(12)], dtype=object)
    direct, _ = compute_trr_pp_advantage(rewards, mask, config=_algo(), groups=labels)
    via_batch, _ = compute_trr_pp_advantage(
        rewards, mask, config=_algo(), non_tensor_batch={GROUP_KEY: labels}
    )
    torch.testing.assert_close(direct, via_batch)
    one_group, _ = compute_trr_pp_advantage(rewards, mask, config=_algo())
    assert not torch.allclose(direct, one_group)


def test_bad_config_and_bad_labels_raise_clear_errors():
    rewards, mask = _batch(6, batch_size=4)
    with pytest.raises(ValueError, match=r"algorithm\.trr_normalization='tokens'.*sequence, token"):
        compute_trr_pp_advantage(rewards, mask, config=_algo(trr_normalization="tokens"))
    with pytest.raises(ValueError, match="3 group labels for a batch of 4"):
        compute_trr_pp_advantage(rewards, mask, config=_algo(), groups=["a", "b", "c"])


def test_stock_verl_compute_advantage_runs_trr_pp_by_name():
    """The path of `verl.trainer.main_ppo` with algorithm.adv_estimator=trr_pp (no labels: one group)."""
    assert get_adv_estimator_fn(TRR_PP) is compute_trr_pp_advantage
    rewards, mask = _batch(7, batch_size=8)
    data = DataProto.from_dict(
        tensors={"token_level_rewards": rewards, "response_mask": mask},
        non_tensors={"uid": np.array([str(i // 2) for i in range(8)], dtype=object)},
    )
    config = _algo(trr_normalization="token")
    out = compute_advantage(data, adv_estimator=TRR_PP, config=config)
    expected, _ = compute_reinforce_plus_plus_outcome_advantage(rewards, mask, config=config)
    torch.testing.assert_close(out.batch["advantages"], expected)
