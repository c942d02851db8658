"""The `cpu` platform answers every device call veRL 0.9.1 makes, and is never auto-detected."""

from __future__ import annotations

import pytest
import torch

from azr_verl.cpu.platform import PlatformCPU, cpu_device_module

# Every attribute veRL 0.9.1 reads from `get_torch_device()` (grep of the wheel's sources).
VERL_DEVICE_CALLS = [
    "empty_cache",
    "synchronize",
    "is_available",
    "current_stream",
    "set_device",
    "mem_get_info",
    "stream",
    "Stream",
    "set_rng_state",
    "get_rng_state",
    "set_per_process_memory_fraction",
    "ipc_collect",
    "device_count",
    "memory_reserved",
    "memory_allocated",
    "max_memory_reserved",
    "max_memory_allocated",
    "get_device_name",
    "Event",
]


@pytest.mark.parametrize("name", VERL_DEVICE_CALLS)
def test_device_module_has_what_verl_calls(name: str) -> None:
    assert callable(getattr(cpu_device_module, name))


def test_memory_queries_report_host_memory_or_zero() -> None:
    free_b, total_b = cpu_device_module.mem_get_info()
    assert 0 < free_b <= total_b
    assert cpu_device_module.memory_allocated() == cpu_device_module.max_memory_reserved() == 0
    cpu_device_module.empty_cache()
    cpu_device_module.set_device(0)
    cpu_device_module.synchronize()


def test_device_rng_state_is_torchs_generator() -> None:
    state = cpu_device_module.get_rng_state()
    first = torch.rand(3)
    cpu_device_module.set_rng_state(state)
    assert torch.equal(torch.rand(3), first)


@pytest.mark.parametrize("use_smi_check", [False, True])
def test_never_auto_detected(use_smi_check: bool) -> None:
    assert PlatformCPU().is_platform_available(use_smi_check=use_smi_check) is False


def test_platform_answers_for_a_gloo_cpu_run_with_a_fake_ray_gpu() -> None:
    platform = PlatformCPU()
    assert (platform.device_name, platform.communication_backend_name()) == ("cpu", "gloo")
    assert platform.ray_resource_options(1) == {"num_gpus": 1}
    assert platform.get_device_capability() == (None, None)
    # veRL moves tensors with `.to(get_device_id())`: that must stay on the CPU.
    assert torch.ones(2).to(platform.current_device()).device.type == "cpu"
    with platform.nvtx_range("noop"):
        platform.manual_seed(3)
    assert torch.equal(torch.rand(2), (torch.manual_seed(3), torch.rand(2))[1])
