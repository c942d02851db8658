"""Run a function right after a named module is imported (or now, if it already is).

The CPU backend must register names and adjust veRL modules in every veRL process, but most of those
modules are heavy and many processes never import them (a reward worker never builds an FSDP
engine). Hooking the import keeps the plugin's own import cost at zero: the adjustment happens
exactly when, and only if, veRL itself loads the module, and before any of veRL's code binds names
from it. Once every pending hook has fired, the finder removes itself from `sys.meta_path`.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import logging
import sys
import threading
from collections.abc import Callable
from types import ModuleType

__all__ = ["on_import", "pending_hooks"]

logger = logging.getLogger(__name__)

Hook = Callable[[ModuleType], None]

_lock = threading.RLock()
_pending: dict[str, list[Hook]] = {}


def _run_hooks(module: ModuleType, hooks: list[Hook]) -> None:
    for hook in hooks:
        hook(module)


class _HookedLoader(importlib.abc.Loader):
    """Delegates to the real loader and runs the hooks after the module body has executed."""

    def __init__(self, inner: importlib.abc.Loader, hooks: list[Hook]) -> None:
        self._inner = inner
        self._hooks = hooks

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self._inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        # The module's __loader__/__spec__.loader point back to the real loader (inspect, pkgutil).
        module.__loader__ = self._inner
        if module.__spec__ is not None:
            module.__spec__.loader = self._inner
        self._inner.exec_module(module)
        _run_hooks(module, self._hooks)

    def __getattr__(self, name: str):
        return getattr(self._inner, name)


class _PostImportFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path, target=None):
        with _lock:
            hooks = _pending.pop(fullname, None)
            if not _pending:
                _uninstall()
        if hooks is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            logger.error("import hook for %s could not wrap its loader; hooks not run", fullname)
            return spec
        spec.loader = _HookedLoader(spec.loader, hooks)
        return spec


_finder = _PostImportFinder()


def _uninstall() -> None:
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)


def on_import(module_name: str, hook: Hook) -> None:
    """Call `hook(module)` once `module_name` is imported; immediately if it already is.

    Args:
        module_name: Full dotted name of the module.
        hook: Called with the module object after its body has run.
    """
    module = sys.modules.get(module_name)
    if module is not None:
        hook(module)
        return
    with _lock:
        _pending.setdefault(module_name, []).append(hook)
        if _finder not in sys.meta_path:
            sys.meta_path.insert(0, _finder)


def pending_hooks() -> dict[str, int]:
    """{module name: number of hooks} still waiting for their module (for diagnostics and tests)."""
    with _lock:
        return {name: len(hooks) for name, hooks in _pending.items()}
