"""Every adjustment of veRL internals that a CPU run needs, in one place, for veRL 0.9.1 only.

Stock veRL 0.9.1 has no CPU code path for training. The platform (`azr_verl.cpu.platform`) and the
`hf` rollout (`azr_verl.cpu.rollout`) cover most of it through veRL's own registries; what remains is
this short list. Each entry is applied when its veRL module is imported (`import_hooks.on_import`),
so nothing heavy is imported early, and only after `check_verl_version()` passed: on any other veRL
they refuse with `UnsupportedVerlVersionError` instead of patching code they were not written for.

| # | What                                  | Why                                                        | Where in veRL 0.9.1                          |
|---|---------------------------------------|------------------------------------------------------------|----------------------------------------------|
| 1 | process-group backend `cpu:gloo`      | veRL builds `cpu:gloo,{device}:{backend}`; with device     | `verl/utils/distributed.py`                  |
|   | when none is given                    | `cpu` that is `cpu:gloo,cpu:gloo`, which torch rejects     | `initialize_global_process_group_ray`, bound |
|   |                                       | ("Duplicate device type cpu")                               | by name in `verl/workers/engine_workers.py`   |
| 2 | FSDP2 `CPUOffloadPolicy(pin_memory=   | the reference model (and `offload_policy=True`) get a CPU  | `verl/workers/engine/fsdp/transformer_impl.py`|
|   | False)`                               | offload policy with pinned memory; pinning needs an        | `_build_fsdp_module` (name imported from     |
|   |                                       | accelerator                                                | `verl/utils/fsdp_utils.py`)                  |
| 3 | FSDP engines registered for device    | `EngineRegistry.get_engine_cls` looks engines up by the    | `verl/workers/engine/base.py` EngineRegistry;|
|   | `cpu`                                 | platform's device name; FSDP registers only cuda and npu   | registrations in `fsdp/transformer_impl.py`  |
| 4 | `("hf", "async")` in the rollout      | the hybrid worker builds its in-process rollout adapter    | `verl/workers/rollout/base.py`               |
|   | adapter table                         | from this private table; there is no public register call  | `_ROLLOUT_REGISTRY`, `get_rollout_class`     |
| 5 | platform singleton set to `cpu` if    | a process keeps the platform it resolved first for its     | `verl/plugin/platform/platform_manager.py`   |
|   | another was resolved before activation| lifetime; only `set_platform` replaces it                  | `_current_platform` (read), `set_platform`   |

Entry 3 replaces the `VERL_ENGINE_DEVICE=cuda VERL_ENGINE_VENDOR=nvidia` environment override: the
same engine classes are found, without telling every engine lookup in the process that it runs on
CUDA.
"""

from __future__ import annotations

import functools
import logging
import sys
from types import ModuleType

from azr_verl.cpu.import_hooks import on_import

__all__ = [
    "SUPPORTED_VERL_VERSION",
    "UnsupportedVerlVersionError",
    "apply_patches",
    "check_verl_version",
    "cpu_process_group_backend",
    "register_rollout_adapter",
    "select_cpu_platform",
]

logger = logging.getLogger(__name__)

SUPPORTED_VERL_VERSION = "0.9.1"
CPU_BACKEND = "cpu:gloo"
ROLLOUT_ADAPTER = "azr_verl.cpu.rollout.HFServerAdapter"

_applied = False


class UnsupportedVerlVersionError(RuntimeError):
    """The CPU backend adjusts veRL internals that exist, as written, only in one veRL release."""


def check_verl_version() -> str:
    """Return veRL's version if the CPU backend supports it.

    Raises:
        UnsupportedVerlVersionError: veRL is not exactly `SUPPORTED_VERL_VERSION`.
    """
    import verl

    found = getattr(verl, "__version__", "unknown")
    if found != SUPPORTED_VERL_VERSION:
        raise UnsupportedVerlVersionError(
            f"azr-verl's CPU backend patches veRL {SUPPORTED_VERL_VERSION} internals but veRL {found} is "
            f"installed. Install verl=={SUPPORTED_VERL_VERSION}, or run without the CPU backend "
            "(unset VERL_PLATFORM=cpu and use a GPU rollout such as vllm)."
        )
    return found


def cpu_process_group_backend(original):
    """Wrap veRL's `initialize_global_process_group_ray` so that no backend means `cpu:gloo` (entry 1)."""
    if getattr(original, "__azr_cpu__", False):
        return original

    @functools.wraps(original)
    def initialize(timeout_second=None, backend=None):
        return original(timeout_second=timeout_second, backend=backend or CPU_BACKEND)

    initialize.__azr_cpu__ = True
    return initialize


def _patch_process_group(module: ModuleType) -> None:
    module.initialize_global_process_group_ray = cpu_process_group_backend(
        module.initialize_global_process_group_ray
    )


def _unpinned_offload_policy(policy_cls):
    """A `CPUOffloadPolicy` subclass that never pins memory (entry 2); isinstance checks still pass."""
    if policy_cls is None or getattr(policy_cls, "__azr_cpu__", False):
        return policy_cls

    class UnpinnedCPUOffloadPolicy(policy_cls):
        __azr_cpu__ = True

        def __init__(self, pin_memory: bool = False) -> None:
            super().__init__(pin_memory=False)

    return UnpinnedCPUOffloadPolicy


def _patch_offload_policy(module: ModuleType) -> None:
    module.CPUOffloadPolicy = _unpinned_offload_policy(module.CPUOffloadPolicy)


def _register_cpu_engines(module: ModuleType) -> None:
    from verl.workers.engine.base import EngineRegistry

    for model_type, cls_name in (
        ("language_model", "FSDPEngineWithLMHead"),
        ("value_model", "FSDPEngineWithValueHead"),
    ):
        engine_cls = getattr(module, cls_name, None)
        if engine_cls is None:
            raise UnsupportedVerlVersionError(
                f"{module.__name__}.{cls_name} is missing; cannot register it for cpu"
            )
        for backend in ("fsdp", "fsdp2"):
            registry = EngineRegistry._engines.setdefault(model_type, {}).setdefault(backend, {})
            registry.setdefault("cpu", engine_cls)


def register_rollout_adapter(module: ModuleType) -> None:
    """Add the `hf` rollout adapter to veRL's private rollout table (entry 4)."""
    table = getattr(module, "_ROLLOUT_REGISTRY", None)
    if not isinstance(table, dict):
        raise UnsupportedVerlVersionError(f"{module.__name__}._ROLLOUT_REGISTRY is missing or not a dict")
    table.setdefault(("hf", "async"), ROLLOUT_ADAPTER)


def select_cpu_platform() -> None:
    """Make veRL's platform singleton the CPU platform, also if another was already resolved (entry 5)."""
    from verl.plugin.platform import platform_manager

    from azr_verl.cpu.platform import PlatformCPU

    current = getattr(platform_manager, "_current_platform", None)
    if current is not None and not isinstance(current, PlatformCPU):
        logger.warning(
            "azr-verl CPU backend: replacing the already resolved platform %s", type(current).__name__
        )
        platform_manager.set_platform(PlatformCPU())


def apply_patches() -> None:
    """Install entries 1-3 (now for loaded modules, at import for the others). Idempotent.

    Raises:
        UnsupportedVerlVersionError: veRL is not the supported version.
    """
    global _applied
    check_verl_version()
    if _applied:
        return
    on_import("verl.utils.distributed", _patch_process_group)
    on_import("verl.workers.engine_workers", _patch_process_group)
    on_import("verl.workers.engine.fsdp.transformer_impl", _patch_offload_policy)
    on_import("verl.workers.engine.fsdp.transformer_impl", _register_cpu_engines)
    _applied = True
    logger.info("azr-verl CPU backend: veRL %s adjustments installed", SUPPORTED_VERL_VERSION)


def patches_applied() -> bool:
    """Whether `apply_patches()` ran in this process."""
    return _applied and "verl" in sys.modules
