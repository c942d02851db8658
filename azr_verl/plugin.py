"""The `verl.plugins` entry point: registers every azr-verl component with veRL's registries.

veRL imports this module at the end of `import verl` in every process it starts (driver, TaskRunner,
reward and agent-loop workers) and swallows any exception at DEBUG level. A silently missing
estimator or reward manager would only surface later as "unknown name", far from the cause, so each
component is imported on its own and a failure is logged at ERROR with its traceback.
"""

from __future__ import annotations

import importlib
import logging

__all__ = ["COMPONENT_MODULES", "register_all", "registration_errors"]

logger = logging.getLogger(__name__)

# Modules whose import performs a registration with a veRL registry (decorators at module level).
COMPONENT_MODULES: tuple[str, ...] = (
    # First: registers the cpu platform and hf rollout names (inert on GPU runs) before any other
    # component makes veRL resolve its platform.
    "azr_verl.cpu.registration",
    "azr_verl.advantage",
    "azr_verl.trainer",
    "azr_verl.agent_loops",
    "azr_verl.reward",
)

_errors: dict[str, str] = {}


def register_all() -> dict[str, str]:
    """Import every component module; return {module: error} for those that failed."""
    _errors.clear()
    for module in COMPONENT_MODULES:
        try:
            importlib.import_module(module)
        except Exception as exc:
            _errors[module] = f"{type(exc).__name__}: {exc}"
            logger.error("azr-verl could not register %s with veRL: %s", module, exc, exc_info=True)
    return dict(_errors)


def registration_errors() -> dict[str, str]:
    """Failures of the last registration, for diagnostics (`azr-verl doctor`)."""
    return dict(_errors)


register_all()
