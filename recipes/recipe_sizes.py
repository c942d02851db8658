"""The sizes an AZR run needs at run time, checked on its composed config (used by check_recipe.py).

veRL 0.9.1 accepts some configs that only fail, or silently pad, once the GPUs are running: a batch
that does not split over the data-parallel ranks or the PPO mini-batches, a micro-batch token budget
smaller than one sequence, rollout replicas that do not divide the GPUs, sequence or tensor parallel
sizes that do not divide the attention heads, a context longer than the model's positions, LoRA
without the base weights in vLLM. Each rule raises RecipeError naming the keys.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

__all__ = [
    "KNOWN_MODELS",
    "ModelShape",
    "RecipeError",
    "RecipeLayout",
    "check_lora",
    "check_model",
    "check_token_budgets",
    "layout_of",
    "lora_rank",
    "model_shape",
]


@dataclass(frozen=True)
class ModelShape:
    """What the parallel sizes and sequence lengths must fit (from a model's config.json).

    Attributes:
        attention_heads: num_attention_heads; Ulysses and vLLM tensor parallelism split them.
        kv_heads: num_key_value_heads.
        max_positions: max_position_embeddings; vLLM refuses a longer max_model_len.
    """

    attention_heads: int
    kv_heads: int
    max_positions: int


# The recipes' hub models; a local model directory's config.json is read instead.
KNOWN_MODELS: dict[str, ModelShape] = {
    "Qwen/Qwen2.5-Coder-3B": ModelShape(16, 2, 32768),
    "Qwen/Qwen2.5-Coder-7B": ModelShape(28, 4, 32768),
    "Qwen/Qwen2.5-Coder-14B": ModelShape(40, 8, 32768),
    "Qwen/Qwen2.5-7B": ModelShape(28, 4, 131072),
    "Qwen/Qwen2.5-14B": ModelShape(40, 8, 131072),
    "meta-llama/Llama-3.1-8B": ModelShape(32, 8, 131072),
}

# The largest LoRA rank vLLM serves (veRL's fallback list of vLLM's MaxLoRARanks).
_VLLM_MAX_LORA_RANK = 512


class RecipeError(ValueError):
    """The recipe would fail: the message names the key and the rule."""


@dataclass(frozen=True)
class RecipeLayout:
    """How a checked recipe spreads one training step over the GPUs.

    Attributes:
        world_size: GPUs (nodes x GPUs per node).
        sequence_parallel: Ulysses sequence-parallel size of the actor.
        rollout_tensor_parallel: GPUs per vLLM replica.
        samples_per_step: trajectories trained on per step (batch x rollout n).
        updates_per_step: optimizer steps per training step (PPO mini-batches x epochs).
        slot_samples: samples per (task type, role) slot per step (exact share of the batch).
        uses_critic: whether veRL builds a critic.
        uses_reference_policy: whether veRL builds a reference model (KL).
    """

    world_size: int
    sequence_parallel: int
    rollout_tensor_parallel: int
    samples_per_step: int
    updates_per_step: int
    slot_samples: Mapping[str, Fraction]
    uses_critic: bool
    uses_reference_policy: bool

    @property
    def data_parallel(self) -> int:
        """Actor data-parallel ranks (world_size / sequence_parallel)."""
        return self.world_size // self.sequence_parallel

    @property
    def rollout_replicas(self) -> int:
        """Inference replicas (world_size / rollout_tensor_parallel)."""
        return self.world_size // self.rollout_tensor_parallel


def layout_of(config: Any, settings: Any, uses_reference: bool, uses_critic: bool) -> RecipeLayout:
    """The GPU layout, checking that every batch divides evenly over it."""
    trainer, actor, rollout = config.trainer, config.actor_rollout_ref.actor, config.actor_rollout_ref.rollout
    world = int(trainer.n_gpus_per_node) * int(trainer.nnodes)
    sp = int(actor.get("ulysses_sequence_parallel_size") or 1)
    sp = max(sp, int(actor.fsdp_config.get("ulysses_sequence_parallel_size") or 1))
    _require(world % sp == 0, f"{world} GPUs do not split into Ulysses groups of {sp}")
    dp = world // sp
    samples = int(config.data.train_batch_size) * int(rollout.n)
    mini = int(actor.ppo_mini_batch_size) * int(rollout.n)
    _require(
        samples % mini == 0,
        f"data.train_batch_size x rollout.n = {samples} is not a multiple of ppo_mini_batch_size x "
        f"rollout.n = {mini}: veRL pads the batch with empty samples",
    )
    _require(
        mini % dp == 0,
        f"a PPO mini-batch of {mini} samples does not split over {dp} data-parallel ranks "
        f"({world} GPUs / sequence parallel {sp}): veRL pads the batch with empty samples",
    )
    if not actor.use_dynamic_bsz:
        micro = int(actor.ppo_micro_batch_size_per_gpu or 0)
        _require(
            micro > 0 and (mini // dp) % micro == 0,
            f"actor.ppo_micro_batch_size_per_gpu={micro} does not divide the {mini // dp} samples of a "
            "mini-batch per data-parallel rank",
        )
    tp = int(rollout.tensor_model_parallel_size) * int(rollout.data_parallel_size)
    tp *= int(rollout.pipeline_model_parallel_size)
    _require(world % tp == 0, f"{world} GPUs do not split into rollout replicas of {tp} GPUs")
    weights = {s: Fraction(settings.slot_weight(s)) for s in settings.slots}
    total = sum(weights.values())
    return RecipeLayout(
        world_size=world,
        sequence_parallel=sp,
        rollout_tensor_parallel=tp,
        samples_per_step=samples,
        updates_per_step=(samples // mini) * int(actor.ppo_epochs),
        slot_samples={s: samples * w / total for s, w in weights.items()},
        uses_critic=uses_critic,
        uses_reference_policy=uses_reference,
    )


def check_token_budgets(config: Any, sp: int) -> None:
    """With dynamic batch sizes, one micro-batch (per Ulysses group) must hold the longest sequence."""
    actor, rollout = config.actor_rollout_ref.actor, config.actor_rollout_ref.rollout
    if not actor.use_dynamic_bsz:
        return
    longest = int(config.data.max_prompt_length) + int(config.data.max_response_length)
    for key, budget in (
        ("actor.ppo_max_token_len_per_gpu", actor.ppo_max_token_len_per_gpu),
        ("rollout.log_prob_max_token_len_per_gpu", rollout.log_prob_max_token_len_per_gpu),
    ):
        _require(
            int(budget) * sp >= longest,
            f"actor_rollout_ref.{key}={budget} x sequence parallel {sp} cannot hold one sequence of "
            f"{longest} tokens (max_prompt_length + max_response_length)",
        )


def model_shape(config: Any) -> ModelShape | None:
    path = str(config.actor_rollout_ref.model.path)
    config_file = Path(path).expanduser() / "config.json"
    if not config_file.is_file():
        return KNOWN_MODELS.get(path)
    model = json.loads(config_file.read_text())
    text = model.get("text_config", model)
    heads = int(text["num_attention_heads"])
    positions = int(text.get("max_position_embeddings", 0)) or sys.maxsize  # absent: no limit known
    return ModelShape(heads, int(text.get("num_key_value_heads", heads)), positions)


def check_model(config: Any, layout: RecipeLayout, model: ModelShape | None) -> None:
    """Ulysses (veRL's monkey patch) and vLLM tensor parallelism split the attention heads; vLLM's
    context (prompt + response unless rollout.max_model_len says otherwise) must fit the model."""
    if model is None:
        return
    attention, kv = model.attention_heads, model.kv_heads
    for what, size in (
        ("actor Ulysses sequence parallel size", layout.sequence_parallel),
        ("rollout tensor parallel size", int(config.actor_rollout_ref.rollout.tensor_model_parallel_size)),
    ):
        _require(
            attention % size == 0 and (kv % size == 0 or size % kv == 0),
            f"the {what} {size} does not divide the model's {attention} attention heads and {kv} KV heads",
        )
    rollout = config.actor_rollout_ref.rollout
    context = rollout.get("max_model_len") or (
        int(config.data.max_prompt_length) + int(config.data.max_response_length)
    )
    _require(
        int(context) <= model.max_positions,
        f"a context of {context} tokens (max_prompt_length + max_response_length, or rollout.max_model_len) "
        f"exceeds the model's {model.max_positions} positions",
    )


def lora_rank(config: Any) -> int:
    model = config.actor_rollout_ref.model
    rank = int(model.get("lora", {}).get("rank", 0) or 0)
    return rank if rank > 0 else int(model.get("lora_rank", 0) or 0)


def check_lora(config: Any) -> None:
    """LoRA on vLLM: the base weights load from the checkpoint, only adapters are synchronized."""
    rollout = config.actor_rollout_ref.rollout
    rank = lora_rank(config)
    if rank <= 0:
        return
    _require(
        rollout.load_format != "dummy",
        "LoRA needs actor_rollout_ref.rollout.load_format=safetensors: with dummy weights vLLM never "
        "receives the base model, only the adapters",
    )
    if rollout.name == "vllm":
        _require(
            rank <= _VLLM_MAX_LORA_RANK, f"vLLM serves LoRA ranks up to {_VLLM_MAX_LORA_RANK}, not {rank}"
        )


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise RecipeError(message)
