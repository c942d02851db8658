"""The veRL adjustments: refused on another veRL version, and each one does what its table row says."""

from __future__ import annotations

import os
import socket
import sys
import textwrap
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import verl
from torch.distributed.fsdp import CPUOffloadPolicy

from azr_verl.cpu import activation, patches
from azr_verl.cpu.import_hooks import on_import, pending_hooks
from azr_verl.cpu.patches import (
    SUPPORTED_VERL_VERSION,
    UnsupportedVerlVersionError,
    check_verl_version,
    cpu_process_group_backend,
)


@pytest.mark.parametrize("version", ["0.9.0", "0.9.2", "0.10.0", "0.9.1.dev0", "unknown"])
def test_another_verl_version_is_refused_with_a_clear_message(monkeypatch, version: str) -> None:
    monkeypatch.setattr(verl, "__version__", version)
    monkeypatch.delenv("VERL_PLATFORM", raising=False)
    with pytest.raises(UnsupportedVerlVersionError) as excinfo:
        check_verl_version()
    message = str(excinfo.value)
    assert version in message and SUPPORTED_VERL_VERSION in message
    assert f"verl=={SUPPORTED_VERL_VERSION}" in message  # says what to do
    # activate() refuses before it changes anything.
    monkeypatch.setattr(activation, "_active", False)
    with pytest.raises(UnsupportedVerlVersionError):
        activation.activate()
    assert "VERL_PLATFORM" not in os.environ
    assert "azr_verl.cpu.registration" not in os.environ.get("VERL_USE_EXTERNAL_MODULES", "")
    with pytest.raises(UnsupportedVerlVersionError):
        patches.apply_patches()


def test_the_hf_replica_loader_refuses_another_verl_version(monkeypatch) -> None:
    from azr_verl.cpu.registration import _load_hf_replica

    monkeypatch.setattr(verl, "__version__", "0.9.2")
    with pytest.raises(UnsupportedVerlVersionError):
        _load_hf_replica()


def test_the_installed_verl_is_the_supported_one() -> None:
    assert check_verl_version() == SUPPORTED_VERL_VERSION


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def single_rank_env(monkeypatch):
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "1")
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", str(_free_port()))
    yield
    if dist.is_initialized():
        dist.destroy_process_group()


def test_verl_default_backend_string_is_rejected_by_torch_on_cpu(single_rank_env) -> None:
    # What entry 1 fixes: with device "cpu" veRL's default string names cpu twice.
    with pytest.raises(ValueError, match="Duplicate device type"):
        dist.init_process_group(backend="cpu:gloo,cpu:gloo", rank=0, world_size=1)


def test_patched_process_group_init_uses_plain_cpu_gloo(single_rank_env) -> None:
    from verl.utils import distributed

    calls = []

    def recording_init(timeout_second=None, backend=None):
        calls.append(backend)
        return distributed.initialize_global_process_group_ray(timeout_second=timeout_second, backend=backend)

    cpu_process_group_backend(recording_init)()
    assert calls == ["cpu:gloo"]
    assert dist.get_backend() == "cpu:gloo"
    tensor = torch.ones(3)
    dist.all_reduce(tensor)
    assert tensor.tolist() == [1.0, 1.0, 1.0]


def test_an_explicit_backend_is_left_alone_and_wrapping_twice_is_a_no_op() -> None:
    calls = []

    def original(timeout_second=None, backend=None):
        calls.append(backend)

    wrapped = cpu_process_group_backend(original)
    wrapped(backend="cpu:gloo,cuda:nccl")
    assert calls == ["cpu:gloo,cuda:nccl"]
    assert cpu_process_group_backend(wrapped) is wrapped


def test_the_offload_policy_never_pins_and_still_is_a_cpu_offload_policy() -> None:
    unpinned_cls = patches._unpinned_offload_policy(CPUOffloadPolicy)
    policy = unpinned_cls(pin_memory=True)
    assert isinstance(policy, CPUOffloadPolicy)
    assert policy.pin_memory is False
    assert patches._unpinned_offload_policy(unpinned_cls) is unpinned_cls


def test_the_rollout_table_gains_hf_and_refuses_a_missing_table() -> None:
    import types

    module = types.ModuleType("fake_rollout_base")
    module._ROLLOUT_REGISTRY = {("vllm", "async"): "x.y"}
    patches.register_rollout_adapter(module)
    assert module._ROLLOUT_REGISTRY[("hf", "async")] == patches.ROLLOUT_ADAPTER
    with pytest.raises(UnsupportedVerlVersionError, match="_ROLLOUT_REGISTRY"):
        patches.register_rollout_adapter(types.ModuleType("renamed_in_a_later_verl"))


def test_hooks_run_after_a_later_import_and_at_once_for_a_loaded_module(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "azr_hook_probe.py").write_text(textwrap.dedent("VALUE = 1\n"))
    monkeypatch.syspath_prepend(str(tmp_path))
    seen = []
    on_import("azr_hook_probe", lambda module: seen.append(module.VALUE))
    assert seen == [] and pending_hooks().get("azr_hook_probe") == 1
    import azr_hook_probe  # noqa: F401

    assert seen == [1]
    assert "azr_hook_probe" not in pending_hooks()
    assert sys.modules["azr_hook_probe"].__loader__.__class__.__name__ != "_HookedLoader"
    on_import("azr_hook_probe", lambda module: seen.append(module.VALUE + 1))
    assert seen == [1, 2]
    sys.modules.pop("azr_hook_probe")
