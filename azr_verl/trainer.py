"""The veRL v1 trainer mode `azr` (`trainer.v1.trainer_mode=azr`).

It is veRL's synchronous trainer with one difference in the advantage phase: TRR++ needs the
(task type, role) label of every trajectory, which veRL's `compute_advantage` does not pass to
estimators. The label travels with each sample as the dataset field `trr_group` (veRL stores every
dataset field per trajectory in TransferQueue); this trainer fetches it for the batch, in the batch's
key order, and hands it to `trr_pp` for the duration of veRL's own advantage computation.
"""

from __future__ import annotations

import logging
from typing import Any

import transfer_queue as tq
from transfer_queue import KVBatchMeta
from verl.trainer.ppo.v1.trainer_base import register_trainer
from verl.trainer.ppo.v1.trainer_sync import PPOTrainerSync
from verl.utils import tensordict_utils as tu

from azr_verl.advantage import GROUP_KEY, TRR_PP, trr_groups

__all__ = ["TRAINER_MODE", "AZRTrainer"]

logger = logging.getLogger(__name__)

TRAINER_MODE = "azr"


@register_trainer(TRAINER_MODE)
class AZRTrainer(PPOTrainerSync):
    """Synchronous PPO on AZR self-play batches, with TRR++ groups routed to the estimator."""

    def _compute_advantage(self, batch: KVBatchMeta, metrics: dict) -> KVBatchMeta:
        if self.config.algorithm.adv_estimator != TRR_PP:
            return super()._compute_advantage(batch, metrics)
        with trr_groups(self._group_labels(batch)):
            return super()._compute_advantage(batch, metrics)

    def _group_labels(self, batch: KVBatchMeta) -> list[Any] | None:
        """The `trr_group` of every trajectory in `batch.keys` order; None (one group) when absent."""
        try:
            data = tq.kv_batch_get(
                keys=batch.keys, partition_id=batch.partition_id, select_fields=[GROUP_KEY]
            )
        except KeyError:
            data = None
        labels = None if data is None else tu.get(data, GROUP_KEY)
        if labels is None:
            logger.warning(
                "trainer_mode=azr with adv_estimator=trr_pp but the samples carry no '%s' field: "
                "the whole batch is normalized as one group. Use the AZR dataset (azr_verl.dataset).",
                GROUP_KEY,
            )
            return None
        labels = list(labels)
        if len(labels) != len(batch.keys):
            raise RuntimeError(
                f"fetched {len(labels)} '{GROUP_KEY}' labels for {len(batch.keys)} trajectories"
            )
        return labels
