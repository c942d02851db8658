"""Registration in a fresh `import verl`: names always resolve, the backend acts only when asked.

Each case runs in a new interpreter, as every veRL process does: veRL imports
`azr_verl.cpu.registration` through VERL_USE_EXTERNAL_MODULES (the plugin will import it too).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

PROBE = r"""
import json, os
import verl
from azr_verl.cpu import activation, registration
from verl.plugin.platform import PlatformRegistry
from verl.utils.device import get_device_name, get_nccl_backend, get_torch_device
from verl.workers.rollout.replica import RolloutReplicaRegistry
from verl.workers.rollout.base import get_rollout_class
import verl.workers.engine_workers as engine_workers
import verl.workers.engine.fsdp.transformer_impl as fsdp_impl
from verl.workers.engine.base import EngineRegistry

cpu_cls = PlatformRegistry.get("cpu")
print(json.dumps({
    "platform_class": cpu_cls.__name__ if cpu_cls else None,
    "replica": RolloutReplicaRegistry.get("hf").__name__,
    "adapter": get_rollout_class("hf").__name__,
    "registered": sorted(registration.registered()),
    "active": activation.is_active(),
    "env_platform": os.environ.get("VERL_PLATFORM"),
    "device": get_device_name(),
    "backend": get_nccl_backend(),
    "mem_get_info": list(get_torch_device().mem_get_info()) if get_device_name() == "cpu" else None,
    "process_group_patched": getattr(engine_workers.initialize_global_process_group_ray, "__azr_cpu__", False),
    "offload_unpinned": getattr(fsdp_impl.CPUOffloadPolicy, "__azr_cpu__", False),
    "engine_for_cpu": "cpu" in EngineRegistry._engines["language_model"]["fsdp2"],
}))
"""


def _probe(platform: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("VERL_PLATFORM", "VERL_USE_EXTERNAL_MODULES")}
    env["VERL_USE_EXTERNAL_MODULES"] = "azr_verl.cpu.registration"
    env["VERL_USE_EXTERNAL_PLUGINS"] = "none"  # only this backend: other components are not under test
    if platform is not None:
        env["VERL_PLATFORM"] = platform
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def inactive() -> dict:
    return _probe(None)


@pytest.fixture(scope="module")
def active() -> dict:
    return _probe("cpu")


@pytest.mark.parametrize("case", ["inactive", "active"])
def test_cpu_platform_and_hf_rollout_resolve_in_every_process(case: str, request) -> None:
    state = request.getfixturevalue(case)
    assert state["platform_class"] == "PlatformCPU"
    assert state["replica"] == "HFReplica"
    assert state["adapter"] == "HFServerAdapter"
    assert state["registered"] == ["adapter", "platform", "replica"]


def test_without_verl_platform_nothing_in_verl_changes(inactive: dict) -> None:
    assert inactive["active"] is False
    assert inactive["env_platform"] is None
    assert inactive["device"] == "cuda"  # veRL's own fallback on a machine without a GPU
    assert inactive["backend"] == "nccl"
    assert inactive["process_group_patched"] is False
    assert inactive["offload_unpinned"] is False
    assert inactive["engine_for_cpu"] is False


def test_verl_platform_cpu_activates_platform_and_every_adjustment(active: dict) -> None:
    assert active["active"] is True
    assert active["device"] == "cpu"
    assert active["backend"] == "gloo"
    free_b, total_b = active["mem_get_info"]
    assert 0 < free_b <= total_b
    assert active["process_group_patched"] is True
    assert active["offload_unpinned"] is True
    assert active["engine_for_cpu"] is True


def test_importing_the_package_changes_nothing() -> None:
    code = (
        "import os, sys, json; import azr_verl.cpu, azr_verl.models;"
        "print(json.dumps(['verl' in sys.modules, 'torch' in sys.modules, os.environ.get('VERL_PLATFORM')]))"
    )
    env = {k: v for k, v in os.environ.items() if k != "VERL_PLATFORM"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(out.stdout) == [False, False, None]
