"""The Hydra overrides and environment a veRL run on CPU needs, in one reusable list.

Used by the end-to-end test, by `recipes/cpu/` and by anything that launches veRL's trainer on a
machine without a GPU. `python -m azr_verl.cpu.overrides` prints them one per line, for shells:

    VERL_PLATFORM=cpu VERL_USE_EXTERNAL_MODULES=azr_verl.cpu.registration \\
        python -m verl.trainer.main_ppo $(python -m azr_verl.cpu.overrides) ...

Each entry says why it is there. Model, data, batch sizes and step counts are the caller's.
"""

from __future__ import annotations

import os
import sys

__all__ = ["CPU_ENV", "REGISTRATION_MODULE", "cpu_env", "cpu_overrides", "main"]

REGISTRATION_MODULE = "azr_verl.cpu.registration"

# VERL_PLATFORM=cpu is the switch: every veRL process of the run activates the CPU backend from it.
# VERL_USE_EXTERNAL_MODULES makes `import verl` register the platform before any plugin component
# can ask veRL for its platform (veRL imports these modules before its entry-point plugins).
CPU_ENV: dict[str, str] = {"VERL_PLATFORM": "cpu", "VERL_USE_EXTERNAL_MODULES": REGISTRATION_MODULE}


def cpu_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """`base` (default: os.environ) plus CPU_ENV, keeping modules already in VERL_USE_EXTERNAL_MODULES."""
    env = dict(os.environ if base is None else base)
    modules = [m for m in env.get("VERL_USE_EXTERNAL_MODULES", "").split(",") if m.strip()]
    if REGISTRATION_MODULE not in modules:
        modules.insert(0, REGISTRATION_MODULE)
    env.update(CPU_ENV)
    env["VERL_USE_EXTERNAL_MODULES"] = ",".join(modules)
    return env


def cpu_overrides(ray_num_cpus: int = 8, rollout_threads: int = 0) -> list[str]:
    """Hydra overrides for veRL 0.9.1's `main_ppo` (v1 trainer, sync mode) on CPU.

    Args:
        ray_num_cpus: Logical CPUs declared to Ray. veRL's actors reserve CPUs (TaskRunner, trainer
            worker, agent-loop and reward workers); with too few, Ray waits forever without an error.
            This is a scheduling count, not a thread count: 8 works on a 2-core machine.
        rollout_threads: torch threads of the `hf` rollout server (0: all cores).

    Returns:
        Override strings, `+` where veRL's config does not declare the key.
    """
    overrides = [
        # Ray: a declared fake GPU so veRL's resource pools (which ask for GPUs) can be placed.
        f"+ray_kwargs.ray_init.num_cpus={ray_num_cpus}",
        "+ray_kwargs.ray_init.num_gpus=1",
        "trainer.device=cpu",
        "trainer.nnodes=1",
        "trainer.n_gpus_per_node=1",
        # TransferQueue starts 8 storage actors by default: one is plenty on a laptop.
        "transfer_queue.backend.SimpleStorage.num_data_storage_units=1",
        # No flash-attn on CPU; sdpa works with padded and packed inputs.
        "+actor_rollout_ref.model.override_config.attn_implementation=sdpa",
        # FSDP1 insists on a device id; FSDP2 (fully_shard) runs on a gloo CPU mesh.
        "actor_rollout_ref.actor.strategy=fsdp2",
        "actor_rollout_ref.actor.fsdp_config.strategy=fsdp2",
        "actor_rollout_ref.ref.fsdp_config.strategy=fsdp2",
        # torch.compile of veRL's entropy helper needs a C++ toolchain and, measured on 2 cores, adds
        # 16 s to the first log-prob pass of a tiny model.
        "actor_rollout_ref.actor.fsdp_config.use_torch_compile=false",
        "actor_rollout_ref.ref.fsdp_config.use_torch_compile=false",
        # The transformers rollout of this backend (azr_verl.cpu.rollout), one replica, no TP.
        "actor_rollout_ref.rollout.name=hf",
        "actor_rollout_ref.rollout.tensor_model_parallel_size=1",
        f"+actor_rollout_ref.rollout.engine_kwargs.hf.num_threads={rollout_threads}",
        # Few processes on few cores: veRL defaults to 8 of each.
        "actor_rollout_ref.rollout.agent.num_workers=1",
        "reward.num_workers=1",
        "data.dataloader_num_workers=0",
    ]
    return overrides


def main(argv: list[str] | None = None) -> int:
    """Print the overrides one per line (for `$(python -m azr_verl.cpu.overrides)` in a shell)."""
    del argv
    sys.stdout.write("\n".join(cpu_overrides()) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
