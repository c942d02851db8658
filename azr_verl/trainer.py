"""The veRL v1 trainer mode `azr` (`trainer.v1.trainer_mode=azr`).

veRL's synchronous trainer, plus three AZR duties, each in one short override:
- advantage: TRR++ needs the (task type, role) label of every trajectory, which veRL's
  `compute_advantage` does not pass to estimators. The label travels with each sample as the dataset
  field `trr_group` (veRL stores every dataset field per trajectory in TransferQueue); it is fetched
  in the batch's key order and handed to `trr_pp` for the duration of veRL's own advantage phase.
- metrics: AZR metrics (`azr_verl.metrics`) plus the buffer's and the dataset's, logged with veRL's.
- checkpoints: a consistent snapshot of the buffer is written into every checkpoint folder before
  veRL marks the checkpoint complete, and a resumed run restores exactly that snapshot.
"""

from __future__ import annotations

import logging
import os
import time
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import transfer_queue as tq
from transfer_queue import KVBatchMeta
from verl.trainer.ppo.v1.trainer_base import register_trainer
from verl.trainer.ppo.v1.trainer_sync import PPOTrainerSync
from verl.utils import tensordict_utils as tu

from azr_verl.advantage import GROUP_KEY, TRR_PP, trr_groups
from azr_verl.azr_config import AZRConfig
from azr_verl.buffer.remote import RemoteBuffer
from azr_verl.buffer.snapshot import checkpoint_snapshot_path
from azr_verl.metrics import step_metrics
from azr_verl.runtime import azr_settings

__all__ = ["TRAINER_MODE", "AZRTrainer"]

logger = logging.getLogger(__name__)

TRAINER_MODE = "azr"


@register_trainer(TRAINER_MODE)
class AZRTrainer(PPOTrainerSync):
    """Synchronous PPO on AZR self-play batches."""

    @cached_property
    def azr(self) -> AZRConfig:
        return azr_settings(self.config)

    @cached_property
    def buffer(self) -> RemoteBuffer:
        """The run's buffer actor (created by the dataset in this process)."""
        return RemoteBuffer.for_run(self.azr.run_id)

    # --- advantage --------------------------------------------------------------------------
    def _compute_advantage(self, batch: KVBatchMeta, metrics: dict) -> KVBatchMeta:
        if self.config.algorithm.adv_estimator != TRR_PP:
            return super()._compute_advantage(batch, metrics)
        labels = self._group_labels(batch)
        with trr_groups(labels):
            batch = super()._compute_advantage(batch, metrics)
        if labels is not None:
            metrics.update(self._advantage_metrics(batch, labels))
        return batch

    def _advantage_metrics(self, batch: KVBatchMeta, labels: list[Any]) -> dict[str, float]:
        """Per-group statistics of the mean advantage of each trajectory (TRR++ centres each group)."""
        advantages = self._fetch(batch, "advantages")
        if advantages is None:
            return {}
        per_group: dict[str, list[float]] = {}
        for label, row in zip(labels, advantages, strict=True):
            values = np.asarray(row, dtype=np.float64)
            per_group.setdefault(str(label), []).append(float(values.mean()) if values.size else 0.0)
        out: dict[str, float] = {}
        for group, values in sorted(per_group.items()):
            out[f"azr/advantage/{group}/mean"] = float(np.mean(values))
            out[f"azr/advantage/{group}/std"] = float(np.std(values))
            out[f"azr/advantage/{group}/abs_max"] = float(np.max(np.abs(values)))
        return out

    def _group_labels(self, batch: KVBatchMeta) -> list[Any] | None:
        """The `trr_group` of every trajectory in `batch.keys` order; None (one group) when absent."""
        labels = self._fetch(batch, GROUP_KEY)
        if labels is None:
            logger.warning(
                "trainer_mode=azr with adv_estimator=trr_pp but the samples carry no '%s' field: "
                "the whole batch is normalized as one group. Use the AZR dataset (azr_verl.dataset).",
                GROUP_KEY,
            )
            return None
        if len(labels) != len(batch.keys):
            raise RuntimeError(
                f"fetched {len(labels)} '{GROUP_KEY}' labels for {len(batch.keys)} trajectories"
            )
        return labels

    @staticmethod
    def _fetch(batch: KVBatchMeta, field: str) -> list[Any] | None:
        try:
            data = tq.kv_batch_get(keys=batch.keys, partition_id=batch.partition_id, select_fields=[field])
        except KeyError:
            return None
        values = tu.get(data, field)
        return None if values is None else list(values)

    # --- metrics ----------------------------------------------------------------------------
    def _compute_metrics(self, batch: KVBatchMeta, metrics, timing_raw, global_steps, epoch):
        super()._compute_metrics(batch, metrics, timing_raw, global_steps, epoch)
        start = time.perf_counter()
        metrics.update(self._azr_metrics(batch, global_steps))
        step_s = float(timing_raw.get("step", 0.0) or 0.0)
        metrics["azr/time/metrics_s"] = time.perf_counter() - start
        if step_s > 0:
            metrics["azr/time/executor_busy_share"] = metrics["azr/time/executor_busy_s"] / step_s

    def _azr_metrics(self, batch: KVBatchMeta, step: int) -> dict[str, float]:
        keep = [i for i, tag in enumerate(batch.tags) if not tag.get("is_padding", False)]
        groups, scores, extras = (self._fetch(batch, f) for f in (GROUP_KEY, "rm_scores", "extra_fields"))
        out: dict[str, float] = {}
        if groups is not None and scores is not None and extras is not None:
            out.update(
                step_metrics(
                    [groups[i] for i in keep],
                    [float(np.asarray(scores[i]).sum()) for i in keep],
                    [(extras[i] or {}).get("reward_extra_info", {}) for i in keep],
                )
            )
        out.update(self.buffer.metrics(step))
        dataset_metrics = getattr(self.train_dataset, "metrics", None)
        if callable(dataset_metrics):
            out.update(dataset_metrics())
        return out

    # --- checkpoints ------------------------------------------------------------------------
    def _step_folder(self, step: int) -> Path:
        return Path(self.config.trainer.default_local_dir).absolute() / f"global_step_{step}"

    def _save_checkpoint(self):
        # Snapshot first: veRL writes latest_checkpointed_iteration.txt last, so a checkpoint that
        # counts as complete always has its buffer.
        folder = self._step_folder(self.global_steps)
        folder.mkdir(parents=True, exist_ok=True)
        info = self.buffer.snapshot(str(checkpoint_snapshot_path(folder)))
        logger.info("buffer snapshot: %d tasks in %s", info.tasks, info.path)
        super()._save_checkpoint()

    def _load_checkpoint(self):
        super()._load_checkpoint()
        if self.global_steps <= 0:
            return
        folder = self._resumed_folder()
        snapshot = checkpoint_snapshot_path(folder)
        if not snapshot.is_file():
            raise FileNotFoundError(
                f"resuming from {folder} but its buffer snapshot {snapshot} is missing; a run cannot "
                "resume without the buffer it trained on (start a new run, or restore the file)"
            )
        restored = self.buffer.restore(str(snapshot))
        logger.info("restored %d buffer tasks from %s", restored, snapshot)

    def _resumed_folder(self) -> Path:
        path = self.config.trainer.get("resume_from_path")
        if self.config.trainer.resume_mode == "resume_path" and path:
            return Path(os.path.abspath(path))
        return self._step_folder(self.global_steps)
