"""CPU backend for veRL 0.9.1: a `cpu` platform and an `hf` (transformers) rollout.

It lets veRL's own trainer (FSDP2 actor, v1 trainer, agent loops, reward loop) run on a laptop or a
CI runner without a GPU, for development and end-to-end tests with small models. The GPU path is
untouched: nothing here is active unless a run asks for it.

Use:
    VERL_PLATFORM=cpu python -m verl.trainer.main_ppo $(python -m azr_verl.cpu.overrides) ...
(`recipes/cpu/main_ppo_cpu.sh` does exactly this) or, from Python, `azr_verl.cpu.activate()` before
veRL starts Ray, plus `cpu_overrides()` among the Hydra overrides. `cpu_env()` is the environment
for a subprocess. Pieces: `platform` (device, gloo, device module), `server`/`rollout`/`generation` (the `hf`
rollout), `patches` (the documented, version-checked adjustments of veRL internals),
`registration` (what the plugin runs in every veRL process), `overrides` (the Hydra overrides).

Limits: veRL's hybrid `sync` trainer only (no standalone rollout resources), one node, text only,
full-weight sync (LoRA only merged), no repetition penalty, and batch-at-a-time generation: requests
that arrive while a batch runs wait for it (no continuous batching).

Importing this package is light and has no effect on veRL.
"""

from azr_verl.cpu.activation import PLATFORM_ENV, activate, is_active, is_requested
from azr_verl.cpu.overrides import CPU_ENV, cpu_env, cpu_overrides
from azr_verl.cpu.patches import SUPPORTED_VERL_VERSION, UnsupportedVerlVersionError, check_verl_version

__all__ = [
    "CPU_ENV",
    "PLATFORM_ENV",
    "SUPPORTED_VERL_VERSION",
    "UnsupportedVerlVersionError",
    "activate",
    "check_verl_version",
    "cpu_env",
    "cpu_overrides",
    "is_active",
    "is_requested",
]
