"""The CPU overrides compose with veRL 0.9.1's own trainer config and set what they claim."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from omegaconf import OmegaConf

from azr_verl.cpu.overrides import CPU_ENV, REGISTRATION_MODULE, cpu_env, cpu_overrides
from azr_verl.hydra_config import compose_verl


@pytest.fixture(scope="module")
def composed():
    return compose_verl(cpu_overrides(ray_num_cpus=6, rollout_threads=2))


def test_every_override_lands_on_a_key_of_verls_config(composed) -> None:
    for override in cpu_overrides(ray_num_cpus=6, rollout_threads=2):
        key, _, value = override.lstrip("+").partition("=")
        assert str(OmegaConf.select(composed, key)).lower() == value.lower(), override


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("actor_rollout_ref.rollout.name", "hf"),
        ("actor_rollout_ref.ref.strategy", "fsdp2"),  # interpolated from the actor's
        ("ray_kwargs.ray_init.num_gpus", 1),
        ("ray_kwargs.ray_init.num_cpus", 6),
        ("trainer.device", "cpu"),
    ],
)
def test_derived_and_declared_values(composed, key: str, expected) -> None:
    assert OmegaConf.select(composed, key) == expected


def test_the_rollout_config_validates_with_the_hf_options(composed) -> None:
    from verl.utils.config import omega_conf_to_dataclass

    from azr_verl.cpu.server import HFServerOptions

    rollout = omega_conf_to_dataclass(composed.actor_rollout_ref.rollout)
    assert HFServerOptions.from_engine_kwargs(rollout.engine_kwargs).num_threads == 2


def test_unknown_hf_options_are_rejected_by_name() -> None:
    from azr_verl.cpu.server import HFServerOptions

    with pytest.raises(ValueError, match=r"engine_kwargs.hf has unknown keys \['thread'\]"):
        HFServerOptions.from_engine_kwargs({"hf": {"thread": 2}})


@pytest.mark.parametrize("existing", ["", "other.module", f"{REGISTRATION_MODULE},other.module"])
def test_cpu_env_puts_the_registration_module_first_once(existing: str) -> None:
    env = cpu_env({"VERL_USE_EXTERNAL_MODULES": existing} if existing else {})
    modules = env["VERL_USE_EXTERNAL_MODULES"].split(",")
    assert modules.count(REGISTRATION_MODULE) == 1
    assert modules[0] == REGISTRATION_MODULE
    assert env["VERL_PLATFORM"] == CPU_ENV["VERL_PLATFORM"] == "cpu"


def test_the_cli_prints_one_override_per_line_for_shell_scripts() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "azr_verl.cpu.overrides"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if k != "VERL_PLATFORM"},
    )
    assert out.stdout.splitlines() == cpu_overrides()
