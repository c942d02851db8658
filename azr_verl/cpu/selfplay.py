"""The command line of an AZR self-play run on CPU: `python -m azr_verl.main` with the CPU overrides.

Shared by the end-to-end test, the quickstart and the step-profile benchmark, so all three run the
same configuration. Model, run directory, step count and batch shape are the caller's; everything a
CPU machine needs comes from `azr_verl.cpu.overrides`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from azr_verl.cpu.overrides import cpu_overrides

__all__ = ["SelfPlayShape", "selfplay_command"]


@dataclass(frozen=True)
class SelfPlayShape:
    """How big one CPU self-play step is.

    Attributes:
        per_slot: samples per (task type, role) slot; the batch is 6 x per_slot. TRR++ needs at
            least 2 per slot for a non-zero advantage.
        solver_attempts: N, solver rollouts per valid proposal.
        references: K, reference tasks in a proposer prompt.
        max_prompt_tokens: data.max_prompt_length.
        max_response_tokens: data.max_response_length.
        temperature: rollout temperature.
        lr: actor learning rate.
    """

    per_slot: int = 2
    solver_attempts: int = 2
    references: int = 2
    max_prompt_tokens: int = 4096
    max_response_tokens: int = 64
    temperature: float = 1.0
    lr: float = 1e-6


def selfplay_command(
    model_dir: Path,
    run_dir: Path,
    ray_tmp: Path,
    steps: int,
    shape: SelfPlayShape | None = None,
    extra: Sequence[str] = (),
) -> list[str]:
    """The argv of an AZR run on CPU that saves a checkpoint (with its buffer snapshot) at the end."""
    shape = shape or SelfPlayShape()
    batch = 6 * shape.per_slot
    return [
        sys.executable,
        "-m",
        "azr_verl.main",
        *cpu_overrides(),
        f"+ray_kwargs.ray_init._temp_dir={ray_tmp}",
        f"actor_rollout_ref.model.path={model_dir}",
        "actor_rollout_ref.model.use_remove_padding=false",
        f"data.train_batch_size={batch}",
        f"data.max_prompt_length={shape.max_prompt_tokens}",
        f"data.max_response_length={shape.max_response_tokens}",
        f"actor_rollout_ref.actor.ppo_mini_batch_size={batch}",
        f"actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu={batch}",
        f"actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu={batch}",
        f"actor_rollout_ref.actor.optim.lr={shape.lr}",
        f"actor_rollout_ref.rollout.temperature={shape.temperature}",
        "actor_rollout_ref.actor.checkpoint.save_contents=[model,optimizer,extra,hf_model]",
        f"azr.num_solver_attempts={shape.solver_attempts}",
        f"azr.num_references={shape.references}",
        f"trainer.total_training_steps={steps}",
        f"trainer.save_freq={steps}",
        "trainer.logger=[console,file]",
        f"trainer.default_local_dir={run_dir}",
        *extra,
    ]
