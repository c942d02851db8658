"""Switch the current process (and the Ray workers it starts afterwards) to the CPU backend.

Activation is explicit: `activate()` from code whose configuration asks for a CPU run, or the
environment variable VERL_PLATFORM=cpu, which `azr_verl.cpu.registration` honours in every veRL
process. Nothing else turns it on; importing `azr_verl.cpu` changes nothing.
"""

from __future__ import annotations

import logging
import os

__all__ = ["PLATFORM_ENV", "activate", "is_active", "is_requested"]

logger = logging.getLogger(__name__)

PLATFORM_ENV = "VERL_PLATFORM"

_active = False


def is_requested() -> bool:
    """True when the environment selects the CPU platform (VERL_PLATFORM=cpu)."""
    return os.environ.get(PLATFORM_ENV, "").strip().lower() == "cpu"


def is_active() -> bool:
    """True once `activate()` succeeded in this process."""
    return _active


def activate() -> None:
    """Turn on the CPU backend in this process; Ray workers started afterwards inherit it.

    Sets VERL_PLATFORM=cpu and puts `azr_verl.cpu.registration` into VERL_USE_EXTERNAL_MODULES (the
    Ray workers of a local cluster inherit the driver's environment; for a multi-node cluster also put
    both into `ray_kwargs.ray_init.runtime_env.env_vars`), makes sure
    the `cpu` platform and `hf` rollout are registered and installs the veRL adjustments of
    `azr_verl.cpu.patches`. Idempotent.

    Raises:
        UnsupportedVerlVersionError: the installed veRL is not the one the adjustments were written for.
    """
    global _active
    from azr_verl.cpu import registration
    from azr_verl.cpu.overrides import cpu_env
    from azr_verl.cpu.patches import apply_patches, check_verl_version, select_cpu_platform

    check_verl_version()
    if _active:
        return
    # Ray workers of a local cluster inherit the environment: they activate themselves from it.
    os.environ.update(cpu_env(dict(os.environ)))
    registration.install_registrations()
    apply_patches()
    select_cpu_platform()
    _active = True
    logger.info("azr-verl CPU backend active (pid %d)", os.getpid())
