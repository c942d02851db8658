"""Per-process shared objects of a run: the parsed `azr:` settings and the executor.

veRL builds agent loops and reward managers many times per worker process; parsing the config and
starting a fork-server once per process (not per instance) keeps that cheap.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Mapping
from typing import Any

from azr_verl.azr_config import AZRConfig
from azr_verl.executor import Executor

__all__ = ["azr_settings", "shared_executor"]

_lock = threading.Lock()
_settings: dict[str, AZRConfig] = {}
_executors: dict[tuple[Any, ...], Executor] = {}


def azr_settings(trainer_config: Mapping[str, Any] | Any) -> AZRConfig:
    """The `azr:` block of a full trainer config as validated settings (defaults when absent)."""
    block = trainer_config.get("azr") if hasattr(trainer_config, "get") else None
    key = repr(block)
    with _lock:
        if key not in _settings:
            _settings[key] = AZRConfig.from_mapping(block)
        return _settings[key]


def shared_executor(settings: AZRConfig) -> Executor:
    """One executor (one fork-server) per process and executor setting, closed at exit."""
    key = (settings.executor.limits, settings.executor.max_workers)
    with _lock:
        executor = _executors.get(key)
        if executor is None:
            executor = Executor(settings.executor.limits, max_workers=settings.executor.max_workers)
            _executors[key] = executor
            atexit.register(executor.close)
        return executor
