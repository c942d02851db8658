"""The `hf` rollout's two veRL-facing halves: the replica (driver side) and the adapter (trainer side).

- `HFReplica` (`RolloutReplicaRegistry` name `hf`): veRL's LLMServerManager creates one per rollout
  replica; `launch_servers` starts one `HFRolloutServer` actor (named `hf_server_<replica>`) on the
  node of the replica's first trainer worker and hands veRL its handle.
- `HFServerAdapter` (the rollout class veRL's hybrid worker builds for `rollout.name=hf`): lives in
  the FSDP trainer process. After every update veRL passes it the full weights; it streams them in
  buckets to the server and closes the update, so the next generation runs on the new policy.

Only the hybrid mode (trainer and rollout share the workers' resources, veRL's `sync` trainer) is
supported: standalone rollout resources would need a checkpoint-engine transport this backend has
no use for on a CPU.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Generator
from typing import Any

import ray
import torch
from verl.workers.rollout.base import BaseRollout
from verl.workers.rollout.replica import RolloutMode, RolloutReplica

from azr_verl.cpu.server import HFRolloutServer

__all__ = ["SERVER_NAME_PREFIX", "HFReplica", "HFServerAdapter", "server_name"]

logger = logging.getLogger(__name__)

SERVER_NAME_PREFIX = "hf_server_"
_BUCKET_BYTES = 256 << 20


def server_name(replica_rank: int) -> str:
    """Ray actor name of a replica's server (the adapter finds it by this name)."""
    return f"{SERVER_NAME_PREFIX}{replica_rank}"


def _model_location(model_config: Any) -> tuple[str, bool]:
    """(local model directory, trust_remote_code) from veRL's model config (dataclass or DictConfig)."""
    from verl.utils.fs import copy_to_local

    getter = (
        model_config.get
        if hasattr(model_config, "get")
        else lambda key, default=None: getattr(model_config, key, default)
    )
    path = getter("local_path", None) or copy_to_local(getter("path"))
    return str(path), bool(getter("trust_remote_code", False))


class HFReplica(RolloutReplica):
    """One `hf` rollout server per replica, placed beside the replica's trainer worker."""

    async def launch_servers(self) -> None:
        if self.rollout_mode != RolloutMode.HYBRID:
            raise NotImplementedError(
                f"the hf rollout supports only the hybrid mode (veRL's sync trainer), not {self.rollout_mode}"
            )
        if self.is_reward_model or self.is_teacher_model:
            raise NotImplementedError("the hf rollout does not serve reward or teacher models")
        model_path, trust_remote_code = _model_location(self.model_config)
        options: dict[str, Any] = {
            "name": server_name(self.replica_rank),
            "max_concurrency": self.max_concurrency,
        }
        if self.workers:
            node_id = await self.workers[0].__ray_call__.remote(
                lambda _self: ray.get_runtime_context().get_node_id()
            )
            options["scheduling_strategy"] = ray.util.scheduling_strategies.NodeAffinitySchedulingStrategy(
                node_id=node_id, soft=False
            )
        # num_cpus=0: the server shares the cores of its trainer worker, which idles while it generates.
        server = (
            ray.remote(HFRolloutServer)
            .options(num_cpus=0, **options)
            .remote(
                config=self.config,
                model_path=model_path,
                replica_rank=self.replica_rank,
                trust_remote_code=trust_remote_code,
            )
        )
        await server.state.remote()  # surfaces a failed model load here, not at the first request
        self.servers = [server]
        self._server_handle = server
        self._server_address = f"hf://{server_name(self.replica_rank)}"


class HFServerAdapter(BaseRollout):
    """Trainer-side rollout object: forwards wake/sleep and streams updated weights to the server."""

    def __init__(self, config: Any, model_config: Any, device_mesh: Any, replica_rank: int = -1) -> None:
        super().__init__(config, model_config, device_mesh)
        rollout_world_size = (
            self.config.tensor_model_parallel_size
            * self.config.data_parallel_size
            * self.config.pipeline_model_parallel_size
        )
        rank = int(os.environ.get("RANK", "0"))
        self.replica_rank = rank // rollout_world_size if replica_rank == -1 else replica_rank
        # Every trainer rank must walk the weight generator (it all-gathers shards); one rank sends.
        self.is_leader_rank = rank % rollout_world_size == 0
        self.sleep_level = 1
        self._server: ray.actor.ActorHandle | None = None

    def _server_handle(self) -> ray.actor.ActorHandle:
        if self._server is None:
            self._server = ray.get_actor(server_name(self.replica_rank))
        return self._server

    async def resume(self, tags: list[str]) -> None:
        if self.is_leader_rank:
            await self._server_handle().wake_up.remote(tags=tags)

    async def release(self) -> None:
        if self.is_leader_rank:
            await self._server_handle().sleep.remote()

    async def update_weights(
        self,
        weights: Generator[tuple[str, torch.Tensor], None, None],
        wire_format: str = "named_tensors",
        **kwargs: Any,
    ) -> None:
        """Send full tensors to the server in buckets of about 256 MB; the last bucket ends the update.

        Raises:
            NotImplementedError: delta flushes or LoRA adapters (this backend syncs full weights only).
        """
        if wire_format != "named_tensors":
            raise NotImplementedError(f"the hf rollout syncs full weights only, not {wire_format!r}")
        if kwargs.get("peft_config") is not None:
            raise NotImplementedError("the hf rollout does not load LoRA adapters; use model.lora.merge=True")
        bucket: list[tuple[str, torch.Tensor]] = []
        bucket_bytes = 0
        first = True
        for name, tensor in weights:
            if not self.is_leader_rank:
                continue
            cpu_tensor = tensor.detach().to("cpu").contiguous().clone()
            bucket.append((name, cpu_tensor))
            bucket_bytes += cpu_tensor.numel() * cpu_tensor.element_size()
            if bucket_bytes >= _BUCKET_BYTES:
                await self._server_handle().load_weights.remote(bucket, first=first, final=False)
                bucket, bucket_bytes, first = [], 0, False
        if self.is_leader_rank:
            await self._server_handle().load_weights.remote(
                bucket, first=first, final=True, global_steps=kwargs.get("global_steps")
            )
