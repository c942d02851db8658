"""The `cpu` platform for veRL's platform registry (selected with VERL_PLATFORM=cpu).

veRL reaches the device through `get_platform()`: its name builds tensors' devices and device meshes,
its module answers memory and stream queries, its communication backend names the process group.
This platform answers all of that for a machine without an accelerator:

- device "cpu", communication backend "gloo";
- a device module that is `torch.cpu` plus the CUDA-style functions veRL calls that `torch.cpu`
  lacks (memory counters, `mem_get_info`, `empty_cache`, RNG state, ...), as harmless no-ops or
  host-memory figures;
- Ray resource name "GPU": veRL's resource pools ask Ray for GPUs, so a CPU run declares a fake one
  (`ray_init.num_gpus=1`) and each trainer rank takes it like a real GPU.

`is_platform_available()` is False on purpose: veRL's auto-detection probes every registered
platform, and a GPU machine (or a CPU machine running something else) must never end up here unless
VERL_PLATFORM=cpu asks for it.
"""

from __future__ import annotations

import types
from contextlib import contextmanager
from typing import Any

import torch
from verl.plugin.platform.platform_base import PlatformBase

__all__ = ["CPU_PLATFORM_NAME", "PlatformCPU", "cpu_device_module"]

CPU_PLATFORM_NAME = "cpu"


def _host_memory_bytes() -> tuple[int, int]:
    """(available, total) host memory from /proc/meminfo; (0, 0) where that file does not exist."""
    fields: dict[str, int] = {}
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                key, _, rest = line.partition(":")
                fields[key] = int(rest.split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        return 0, 0
    return fields.get("MemAvailable", 0), fields.get("MemTotal", 0)


def _zero(*_args: Any, **_kwargs: Any) -> int:
    return 0


def _noop(*_args: Any, **_kwargs: Any) -> None:
    return None


def _build_device_module() -> types.ModuleType:
    """`torch.cpu`'s functions plus the CUDA-style ones veRL calls on its device module."""
    module = types.ModuleType("azr_verl_cpu_device", "torch.cpu with no-op CUDA-style memory functions")
    for name in dir(torch.cpu):
        if not name.startswith("__"):
            setattr(module, name, getattr(torch.cpu, name))
    for name in ("memory_reserved", "memory_allocated", "max_memory_reserved", "max_memory_allocated"):
        setattr(module, name, _zero)
    for name in (
        "empty_cache",
        "ipc_collect",
        "reset_peak_memory_stats",
        "set_per_process_memory_fraction",
        "set_device",
        "manual_seed",
        "manual_seed_all",
    ):
        setattr(module, name, _noop)
    module.mem_get_info = lambda *_a, **_k: _host_memory_bytes()
    module.get_device_name = lambda *_a, **_k: "cpu"
    module.memory_stats = lambda *_a, **_k: {}
    # Checkpoints save "the device RNG": on a CPU run that is torch's own generator.
    module.get_rng_state = lambda *_a, **_k: torch.get_rng_state()
    module.set_rng_state = lambda state, *_a, **_k: torch.set_rng_state(state)
    return module


cpu_device_module: types.ModuleType = _build_device_module()


class PlatformCPU(PlatformBase):
    """veRL platform for CPU-only machines: gloo, torch.cpu, a declared fake Ray GPU per rank."""

    @property
    def device_name(self) -> str:
        return "cpu"

    @property
    def vendor_name(self) -> str:
        return "cpu"

    @property
    def device_module(self) -> types.ModuleType:
        return cpu_device_module

    def is_available(self) -> bool:
        return True

    def is_platform_available(self, use_smi_check: bool = False) -> bool:
        # Never auto-detected: only VERL_PLATFORM=cpu selects this platform.
        return False

    def current_device(self) -> str:
        # veRL passes this to `tensor.to(...)`; an int would mean cuda:<n>, "cpu" is what torch.cpu says.
        return torch.cpu.current_device()

    def device_count(self) -> int:
        return 1

    def set_device(self, device_index: int) -> None:
        return None

    def synchronize(self, device_index: int | None = None) -> None:
        return None

    def manual_seed(self, seed: int) -> None:
        torch.manual_seed(seed)

    def manual_seed_all(self, seed: int) -> None:
        torch.manual_seed(seed)

    def set_allocator_settings(self, settings: str) -> None:
        return None

    def empty_cache(self) -> None:
        return None

    def get_device_capability(self, device_index: int = 0) -> tuple[int | None, int | None]:
        return None, None

    def communication_backend_name(self) -> str:
        return "gloo"

    def visible_devices_envvar(self) -> str:
        # Ray sets it for the fake GPU; nothing on a CPU reads it.
        return "CUDA_VISIBLE_DEVICES"

    @contextmanager
    def nvtx_range(self, msg: str):
        yield

    def profiler_start(self) -> None:
        return None

    def profiler_stop(self) -> None:
        return None

    def ray_resource_name(self) -> str:
        return "GPU"

    def ray_noset_envvars(self) -> list[str]:
        return ["RAY_EXPERIMENTAL_NOSET_CUDA_VISIBLE_DEVICES"]

    def is_ipc_supported(self) -> bool:
        return False

    def cudart(self) -> Any:
        return None
