"""Register the `cpu` platform and the `hf` rollout with veRL; activate the backend only when asked.

`azr_verl.plugin` imports this module in every veRL process (driver, TaskRunner, trainer workers,
agent-loop and reward workers), so the rollout name `hf` resolves wherever veRL looks it up. It costs
nothing and changes nothing on a GPU run:

- each registration waits for veRL to import the registry's module (`import_hooks.on_import`), so
  the plugin imports nothing heavy itself;
- registering adds names only. The `cpu` platform is never auto-detected (its
  `is_platform_available` is False) and the `hf` name is used only if a config says so;
- the adjustments of veRL internals (`patches`) are installed by `activate()`, which runs here only
  when VERL_PLATFORM=cpu is set. The driver's `activate()` sets that variable, and the Ray workers it
  starts inherit it, so every process of a CPU run activates itself the same way.
"""

from __future__ import annotations

import logging
from types import ModuleType

from azr_verl.cpu.import_hooks import on_import

__all__ = ["HF_ROLLOUT_NAME", "install_registrations", "register", "registered"]

logger = logging.getLogger(__name__)

HF_ROLLOUT_NAME = "hf"

_registered: set[str] = set()


def _register_platform(module: ModuleType) -> None:
    from azr_verl.cpu.platform import CPU_PLATFORM_NAME, PlatformCPU

    if module.PlatformRegistry.get(CPU_PLATFORM_NAME) is not PlatformCPU:
        module.PlatformRegistry.register(platform=CPU_PLATFORM_NAME)(PlatformCPU)
    _registered.add("platform")


def _load_hf_replica():
    from azr_verl.cpu.patches import check_verl_version
    from azr_verl.cpu.rollout import HFReplica

    check_verl_version()
    return HFReplica


def _register_replica(module: ModuleType) -> None:
    module.RolloutReplicaRegistry.register(HF_ROLLOUT_NAME, _load_hf_replica)
    _registered.add("replica")


def _register_adapter(module: ModuleType) -> None:
    from azr_verl.cpu.patches import UnsupportedVerlVersionError, check_verl_version, register_rollout_adapter

    try:
        check_verl_version()
        register_rollout_adapter(module)
    except UnsupportedVerlVersionError as exc:
        # Not fatal here: only a CPU run needs it, and there activate() refuses loudly as well.
        from azr_verl.cpu.activation import is_requested

        logger.log(
            logging.WARNING if is_requested() else logging.DEBUG, "rollout 'hf' not registered: %s", exc
        )
        return
    _registered.add("adapter")


def install_registrations() -> None:
    """Register `cpu` and `hf` with veRL's registries as their modules load. Idempotent."""
    if "hooks" in _registered:
        return
    _registered.add("hooks")
    on_import("verl.plugin.platform.platform_manager", _register_platform)
    on_import("verl.workers.rollout.replica", _register_replica)
    on_import("verl.workers.rollout.base", _register_adapter)


def register() -> None:
    """What the plugin runs in every veRL process: registrations, and activation if VERL_PLATFORM=cpu."""
    from azr_verl.cpu.activation import activate, is_requested

    install_registrations()
    if is_requested():
        activate()


def registered() -> frozenset[str]:
    """Which registrations have happened in this process: subset of {platform, replica, adapter}."""
    return frozenset(_registered - {"hooks"})


register()
