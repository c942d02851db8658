"""The AZR Hydra config composes with veRL 0.9.1's, sets only keys veRL knows (plus its own), mirrors
the AZRConfig defaults, and a config error stops `python -m azr_verl.main` before anything starts."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml
from omegaconf import OmegaConf

from azr_verl.azr_config import AZRConfig
from azr_verl.hydra_config import AZR_CONFIG_DIR, AZR_CONFIG_NAME, compose_azr, compose_verl, leaf_keys

# Keys the AZR config adds to veRL's tree (declared in the YAML, so no `+` is needed to override them).
OWN_KEYS = {"azr", "data.azr", "algorithm.trr_normalization"}


def _is_own(key: str) -> bool:
    return any(key == own or key.startswith(f"{own}.") for own in OWN_KEYS)


def test_azr_config_composes_with_verls_ppo_trainer():
    config = compose_azr(["actor_rollout_ref.model.path=/models/x"])
    assert config.algorithm.adv_estimator == "trr_pp"
    assert config.trainer.v1.trainer_mode == "azr"
    assert config.reward.reward_manager.name == "azr"
    assert config.data.custom_cls.path == "pkg://azr_verl.dataset"
    assert config.critic is not None and config.actor_rollout_ref.rollout is not None  # veRL's tree is there
    resolved = OmegaConf.to_container(config, resolve=True)
    assert resolved["data"]["azr"] == resolved["azr"]
    assert resolved["azr"]["run_id"] == "azr/azr"


def test_every_key_the_azr_config_sets_exists_in_verls_schema():
    ours = yaml.safe_load((AZR_CONFIG_DIR / f"{AZR_CONFIG_NAME}.yaml").read_text())
    ours.pop("hydra")
    ours.pop("defaults")
    verl = OmegaConf.to_container(compose_verl(), resolve=False)
    missing = []
    for key in leaf_keys(ours):
        if _is_own(key):
            continue
        node = verl
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                missing.append(key)
                break
            node = node[part]
    assert missing == []


def test_the_yaml_azr_block_mirrors_the_dataclass_defaults():
    config = compose_azr(["actor_rollout_ref.model.path=/models/x"])
    from_yaml = AZRConfig.from_mapping(config.azr)
    defaults = AZRConfig(run_id=from_yaml.run_id, run_dir=from_yaml.run_dir)
    assert from_yaml == defaults


def _main(*overrides: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "azr_verl.main", *overrides],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["azr.task_types=[code_o,code_x]"], "azr.task_types: unknown task type 'code_x'"),
        (["azr.num_solver_attempts=1"], "azr.num_solver_attempts must be an integer >= 2"),
        (["azr.num_references=9", "azr.buffer.max_tasks_per_kind=4"], "azr.num_references=9 exceeds"),
        ([], "actor_rollout_ref.model.path is not set"),
        (
            ["actor_rollout_ref.model.path=/no/such/model"],
            "actor_rollout_ref.model.path='/no/such/model' does not exist",
        ),
    ],
)
def test_config_errors_stop_the_run_at_start_naming_the_key(tmp_path, overrides, message):
    model = tmp_path / "model"
    model.mkdir()
    has_model = any(o.startswith("actor_rollout_ref.model.path") for o in overrides) or not overrides
    args = overrides if has_model else [f"actor_rollout_ref.model.path={model}", *overrides]
    result = _main(*args, f"trainer.default_local_dir={tmp_path / 'ckpt'}")
    assert result.returncode == 1
    assert f"azr-verl: config error: {message}" in result.stderr
    assert "ray.init" not in result.stdout + result.stderr


def test_prepare_config_pins_directories_and_sets_the_base_template(tmp_path, monkeypatch):
    from azr_verl.main import prepare_config
    from azr_verl.tasks import BASE_CHAT_TEMPLATE

    monkeypatch.chdir(tmp_path)
    (tmp_path / "model").mkdir()
    config = compose_azr(
        ["actor_rollout_ref.model.path=./model", "trainer.default_local_dir=ckpt", "azr.prompt_style=base"],
    )
    settings = prepare_config(config)
    assert config.trainer.default_local_dir == str(tmp_path / "ckpt")
    assert config.actor_rollout_ref.model.path == str(tmp_path / "model")  # Ray workers run elsewhere
    assert settings.run_dir == str(tmp_path / "ckpt")  # run_dir follows default_local_dir
    assert config.actor_rollout_ref.model.custom_chat_template == BASE_CHAT_TEMPLATE
    chat = prepare_config(compose_azr(["actor_rollout_ref.model.path=./model"]))
    assert chat.prompt_style.value == "chat"
