"""The `azr` trainer mode: veRL's own `_compute_advantage` runs with the (task, role) groups routed to
TRR++. Built the way veRL tests its trainers: `Cls.__new__(Cls)` with stubbed attributes. TransferQueue
is replaced by a dict holding what veRL's agent loop would have stored per trajectory."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf
from transfer_queue import KVBatchMeta
from verl.trainer.ppo.v1 import get_trainer_cls
from verl.trainer.ppo.v1 import trainer_base as verl_trainer_base
from verl.trainer.ppo.v1.trainer_sync import PPOTrainerSync
from verl.utils.tensordict_utils import list_of_dict_to_tensordict

from azr_verl import trainer as azr_trainer
from azr_verl.advantage import GROUP_KEY
from azr_verl.buffer.store import TaskStore
from azr_verl.tasks import Role, Task, TaskKind, group_label

GROUPS = [group_label(kind, role) for kind in list(TaskKind)[:3] for role in Role]


class FakeTransferQueue:
    """Per-trajectory fields keyed like veRL's agent loop keys them ({uid}_{session}_{index})."""

    def __init__(self, trajectories: dict[str, dict]):
        self.store = trajectories
        self.put_fields: dict | None = None

    def kv_batch_get(self, keys, partition_id, select_fields):
        rows = [{f: self.store[k][f] for f in select_fields if f in self.store[k]} for k in keys]
        if any(not row for row in rows):
            raise KeyError(select_fields)
        return list_of_dict_to_tensordict(rows)

    def kv_batch_put(self, keys, partition_id, fields):
        self.put_fields = {"keys": list(keys), "fields": fields}
        for name in fields.keys():  # noqa: SIM118 - iterating a TensorDict yields rows, not keys
            for row, key in zip(fields[name].unbind(0), keys, strict=True):
                self.store[key][name] = row
        return KVBatchMeta(partition_id=partition_id, keys=list(keys), tags=[{} for _ in keys])


def _trajectories(
    seed: int, with_groups: bool = True
) -> tuple[dict[str, dict], dict[str, str], dict[str, float]]:
    gen = np.random.default_rng(seed)
    store, labels, scores = {}, {}, {}
    for i in range(36):
        key = f"uid{i}_0_0"
        length = int(gen.integers(2, 7))
        label = GROUPS[i % 6]
        # each group on its own scale, so a single-group normalization would be visibly wrong
        score = float(gen.normal() * 10 ** (i % 6 - 2) + (i % 6))
        rm = torch.zeros(length)
        rm[-1] = score
        store[key] = {
            "uid": f"uid{i}",
            "response_mask": torch.ones(length, dtype=torch.int64),
            "rm_scores": rm,
        }
        if with_groups:
            store[key][GROUP_KEY] = label
        labels[key], scores[key] = label, score
    return store, labels, scores


def _trainer(monkeypatch, fake_tq: FakeTransferQueue, estimator: str = "trr_pp"):
    cls = get_trainer_cls("azr")
    trainer = cls.__new__(cls)
    trainer.config = OmegaConf.create(
        {
            "algorithm": {
                "adv_estimator": estimator,
                "gamma": 1.0,
                "lam": 1.0,
                "use_kl_in_reward": False,
                "norm_adv_by_std_in_grpo": True,
                "trr_normalization": "sequence",
            },
            "actor_rollout_ref": {"rollout": {"n": 1}},
        }
    )
    for module in (verl_trainer_base, azr_trainer):
        monkeypatch.setattr(module.tq, "kv_batch_get", fake_tq.kv_batch_get)
        monkeypatch.setattr(module.tq, "kv_batch_put", fake_tq.kv_batch_put)
    return trainer


def _advantage_per_key(fake_tq: FakeTransferQueue) -> dict[str, torch.Tensor]:
    advantages = fake_tq.put_fields["fields"]["advantages"]
    return {key: advantages[i] for i, key in enumerate(fake_tq.put_fields["keys"])}


def test_azr_mode_is_registered_with_verls_trainer_registry():
    assert get_trainer_cls("azr") is azr_trainer.AZRTrainer


def test_advantages_are_normalized_within_each_task_role_group(monkeypatch):
    store, labels, scores = _trajectories(0)
    fake_tq = FakeTransferQueue(store)
    trainer = _trainer(monkeypatch, fake_tq)
    keys = list(reversed(store))  # a balanced batch is reordered: labels must follow the keys
    metrics: dict = {}
    trainer._compute_advantage(KVBatchMeta(partition_id="train", keys=keys, tags=[{}] * len(keys)), metrics)
    adv = _advantage_per_key(fake_tq)
    for group in GROUPS:
        members = [k for k in keys if labels[k] == group]
        values = torch.tensor([adv[k][0].item() for k in members])
        expected = torch.tensor([scores[k] for k in members])
        expected = (expected - expected.mean()) / (expected.std() + 1e-6)
        torch.testing.assert_close(values, expected, rtol=1e-4, atol=1e-4)
        for k in members:  # broadcast over every response token
            assert torch.allclose(adv[k], adv[k][0].expand_as(adv[k]))
        assert abs(metrics[f"azr/advantage/{group}/mean"]) < 1e-5
        assert metrics[f"azr/advantage/{group}/std"] == pytest.approx(
            values.std(unbiased=False).item(), rel=1e-4
        )


def test_without_group_labels_the_batch_is_one_group_and_a_warning_is_logged(monkeypatch, caplog):
    store, _, scores = _trajectories(1, with_groups=False)
    fake_tq = FakeTransferQueue(store)
    trainer = _trainer(monkeypatch, fake_tq)
    keys = list(store)
    with caplog.at_level("WARNING", logger=azr_trainer.__name__):
        trainer._compute_advantage(
            KVBatchMeta(partition_id="train", keys=keys, tags=[{}] * len(keys)), metrics={}
        )
    assert any(GROUP_KEY in r.getMessage() for r in caplog.records)
    values = torch.tensor([_advantage_per_key(fake_tq)[k][0].item() for k in keys])
    expected = torch.tensor([scores[k] for k in keys])
    torch.testing.assert_close(
        values, (expected - expected.mean()) / (expected.std() + 1e-6), rtol=1e-4, atol=1e-4
    )


@pytest.mark.parametrize("estimator", ["grpo", "reinforce_plus_plus"])
def test_other_estimators_run_veRLs_path_untouched(monkeypatch, estimator):
    store, _, _ = _trajectories(2)
    fake_tq = FakeTransferQueue(store)
    trainer = _trainer(monkeypatch, fake_tq, estimator=estimator)
    keys = list(store)
    trainer._compute_advantage(
        KVBatchMeta(partition_id="train", keys=keys, tags=[{}] * len(keys)), metrics={}
    )
    assert fake_tq.put_fields is not None


def _checkpointing_trainer(monkeypatch, tmp_path, store, resumed_step: int):
    cls = get_trainer_cls("azr")
    trainer = cls.__new__(cls)
    trainer.config = OmegaConf.create(
        {
            "trainer": {
                "default_local_dir": str(tmp_path / "ckpt"),
                "resume_mode": "auto",
                "resume_from_path": None,
            }
        }
    )
    trainer.__dict__["buffer"] = store  # the run's buffer actor in a real run; a TaskStore has its API
    trainer.global_steps = 2
    seen: dict = {}

    def verl_save(self):
        seen["snapshot_existed"] = (tmp_path / "ckpt" / "global_step_2" / "azr_buffer.sqlite").is_file()

    def verl_load(self):
        self.global_steps = resumed_step

    monkeypatch.setattr(PPOTrainerSync, "_save_checkpoint", verl_save)
    monkeypatch.setattr(PPOTrainerSync, "_load_checkpoint", verl_load)
    return trainer, seen


def _task(i: int) -> Task:
    return Task("code_o", f"def f(x):\n    return x + {i}", ("1",), (str(1 + i),))


def test_checkpoint_holds_the_buffer_snapshot_and_resume_restores_exactly_it(monkeypatch, tmp_path):
    with TaskStore(tmp_path / "run" / "buffer.sqlite") as store:
        store.seed_zero()
        store.add([_task(i) for i in range(5)], step=1)
        trainer, seen = _checkpointing_trainer(monkeypatch, tmp_path, store, resumed_step=2)
        trainer._save_checkpoint()
        assert seen["snapshot_existed"]  # written before veRL marks the checkpoint complete
        at_checkpoint = {t.id: t.task for t in store.get(list(range(1, 50)))}
        store.add([_task(i) for i in range(5, 9)], step=3)  # progress after the checkpoint, then a crash
        trainer._load_checkpoint()
        assert {t.id: t.task for t in store.get(list(range(1, 50)))} == at_checkpoint


def test_resume_without_a_buffer_snapshot_names_the_missing_file(monkeypatch, tmp_path):
    with TaskStore(tmp_path / "run" / "buffer.sqlite") as store:
        trainer, _ = _checkpointing_trainer(monkeypatch, tmp_path, store, resumed_step=7)
        with pytest.raises(FileNotFoundError, match=r"global_step_7/azr_buffer\.sqlite is missing"):
            trainer._load_checkpoint()


def test_a_fresh_start_restores_nothing(monkeypatch, tmp_path):
    with TaskStore(tmp_path / "run" / "buffer.sqlite") as store:
        store.seed_zero()
        trainer, _ = _checkpointing_trainer(monkeypatch, tmp_path, store, resumed_step=0)
        trainer._load_checkpoint()
        assert store.count() > 0
