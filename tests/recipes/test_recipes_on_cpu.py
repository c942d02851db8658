"""Every recipe under recipes/ composes its full Hydra config without a GPU and passes veRL 0.9.1's and
azr-verl's checks; the paper recipes carry the reference hyperparameters; broken variants are rejected.

A recipe's command comes from its dry run (AZR_DRY_RUN=1); recipes/check_recipe.py composes and checks
it. Every `*.sh` under recipes/ is a recipe unless NOT_RECIPES names it, so a new recipe is tested
without editing this file.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from azr_verl.azr_config import AZRConfig
from azr_verl.quickstart.models import ModelChoice
from azr_verl.tasks import BASE_CHAT_TEMPLATE

REPO_ROOT = Path(__file__).resolve().parents[2]
RECIPES = REPO_ROOT / "recipes"


# recipes/check_recipe.py is a script beside the recipes (it imports recipe_sizes.py from there).
sys.path.append(str(RECIPES))
checker = importlib.import_module("check_recipe")

# The paper's reference run (arXiv 2505.03335; ../shared/notes/azr-reference.md), written once.
SAMPLES_PER_SLOT = 64
TASK_TYPES = ("code_o", "code_i", "code_f")
ROLES = ("propose", "solve")
LR = 1e-6
GRAD_CLIP = 1.0
PPO_CLIP = 0.2
ENTROPY_COEFF = 0.001
ROLLOUT_N = 1
TEMPERATURE = 1.0
TOP_P = 1.0
SOLVER_ATTEMPTS = 8  # N
REFERENCES = 6  # K
EXECUTOR_TIMEOUT_S = 10.0
PROMPT_TOKENS = 6144
RESPONSE_TOKENS = 8096
STEPS = 500
PAPER_GPUS = {
    "Qwen/Qwen2.5-Coder-3B": 2,
    "Qwen/Qwen2.5-Coder-7B": 4,
    "Qwen/Qwen2.5-Coder-14B": 8,
    "Qwen/Qwen2.5-7B": 4,
    "Qwen/Qwen2.5-14B": 8,
    "meta-llama/Llama-3.1-8B": 4,
}

# Scripts under recipes/ that are not training recipes, and why.
NOT_RECIPES = {
    "azr/common.sh": "sourced by the recipes",
    "azr/ray_cluster.sh": "starts or stops a Ray node; trains nothing",
    "cpu/main_ppo_cpu.sh": "stock veRL's main_ppo on CPU: the user brings model and data",
    "cpu/smoke_ppo.sh": "stock veRL GRPO smoke run (azr_verl.cpu.smoke builds its command)",
    "cpu/recipe_on_cpu.sh": "runs the recipe given as its argument on CPU (tested below on every recipe)",
}
# Where a recipe departs from the paper on purpose (recipes/README.md says why).
DEVIATIONS = {
    "azr/qwen2.5-coder-3b-lora-1gpu.sh": {"world_size": 1, "actor_rollout_ref.actor.optim.lr": 10 * LR},
    "azr/qwen2.5-coder-14b-2nodes.sh": {"world_size": 16},
}


def _all_recipes() -> list[str]:
    scripts = sorted(str(p.relative_to(RECIPES)) for p in RECIPES.rglob("*.sh"))
    return [s for s in scripts if s not in NOT_RECIPES]


ALL_RECIPES = _all_recipes()


@functools.cache
def _command(recipe: str) -> tuple[str, ...]:
    return tuple(checker.recipe_command(RECIPES / recipe, env=_clean_env()))


# Variables the recipes read (recipes/azr/common.sh, ray_cluster.sh, cpu-quickstart.sh).
RECIPE_VARIABLES = frozenset(
    {
        *("MODEL_PATH", "RUN_DIR", "SEED_FILES", "VAL_FILES", "TEST_FREQ", "NNODES", "GPUS_PER_NODE"),
        *("SAMPLES_PER_SLOT", "TOTAL_STEPS", "SAVE_FREQ", "PROJECT", "EXPERIMENT", "PROMPT_STYLE"),
        *("MAX_TOKENS_PER_GPU", "LOGGER", "AZR_RAY_JOB_ADDRESS", "RAY_JOB_ARGS", "PYTHON", "AZR_VERL"),
        *("RAY_PORT", "DASHBOARD_PORT", "RAY_START_ARGS", "AZR_DRY_RUN"),
    }
)


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment without any recipe variable a developer may have set."""
    env = {k: v for k, v in os.environ.items() if k not in RECIPE_VARIABLES}
    env.update(extra)
    return env


def _is_quickstart(recipe: str) -> bool:
    try:
        return "quickstart" in _command(recipe)
    except checker.RecipeError:
        return False  # a recipe whose dry run fails is a paper recipe: its tests report the failure


PAPER_RECIPES = [r for r in ALL_RECIPES if not _is_quickstart(r)]
QUICKSTART_RECIPES = [r for r in ALL_RECIPES if _is_quickstart(r)]


@functools.cache
def _checked(recipe: str):
    """(config, layout) of a recipe as it ships: composed once, shared by the tests below."""
    config = checker.compose_config(checker.main_overrides(_command(recipe)))
    return config, checker.check_config(config)


def test_the_recipes_cover_the_paper_models_lora_multinode_and_the_cpu_quickstart():
    models = {str(_checked(r)[0].actor_rollout_ref.model.path) for r in PAPER_RECIPES}
    assert set(PAPER_GPUS) <= models
    configs = [_checked(r)[0] for r in PAPER_RECIPES]
    assert any(c.actor_rollout_ref.model.lora_rank > 0 and c.trainer.n_gpus_per_node == 1 for c in configs)
    assert any(c.trainer.nnodes > 1 for c in configs)
    assert QUICKSTART_RECIPES
    for name in NOT_RECIPES:  # the exclusions do not outlive their files
        assert (RECIPES / name).is_file(), name


def test_every_variable_the_recipes_read_is_cleared_for_these_tests():
    scripts = [*ALL_RECIPES, "azr/common.sh", "azr/ray_cluster.sh"]
    text = "".join((RECIPES / script).read_text() for script in scripts)
    read = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)[:}]", text)) - {"HOME", "PWD"}
    assert "MODEL_PATH" in read and read <= RECIPE_VARIABLES


@pytest.mark.parametrize("recipe", ALL_RECIPES)
def test_every_recipe_is_strict_bash_that_parses(recipe):
    text = (RECIPES / recipe).read_text()
    assert "set -euo pipefail" in text
    assert '"$@"' in text  # extra arguments reach the command
    assert subprocess.run(["bash", "-n", str(RECIPES / recipe)], check=False).returncode == 0


@pytest.mark.parametrize("recipe", ALL_RECIPES)
def test_every_recipe_composes_and_passes_verl_and_azr_checks(recipe):
    config, layout = _checked(recipe)
    assert not layout.uses_critic and not layout.uses_reference_policy
    assert layout.world_size == config.trainer.n_gpus_per_node * config.trainer.nnodes
    assert layout.data_parallel * layout.sequence_parallel == layout.world_size
    assert layout.samples_per_step % layout.data_parallel == 0
    AZRConfig.from_mapping(config.azr)  # the composed azr block is valid on its own


def _expected_values(recipe: str, model: str) -> dict[str, object]:
    batch = SAMPLES_PER_SLOT * len(TASK_TYPES) * len(ROLES)
    expected: dict[str, object] = {
        "world_size": PAPER_GPUS[model],
        "data.train_batch_size": batch // ROLLOUT_N,
        "actor_rollout_ref.actor.ppo_mini_batch_size": batch // ROLLOUT_N,  # one on-policy update
        "actor_rollout_ref.actor.ppo_epochs": 1,
        "data.max_prompt_length": PROMPT_TOKENS,
        "data.max_response_length": RESPONSE_TOKENS,
        "actor_rollout_ref.actor.optim.lr": LR,
        "actor_rollout_ref.actor.optim.lr_scheduler_type": "constant",
        "lr_warmup_steps_effective": 0,  # veRL: lr_warmup_steps if > 0, else ratio x total steps
        "actor_rollout_ref.actor.optim.clip_grad": GRAD_CLIP,
        "actor_rollout_ref.actor.clip_ratio_low": PPO_CLIP,
        "actor_rollout_ref.actor.clip_ratio_high": PPO_CLIP,
        "actor_rollout_ref.actor.entropy_coeff": ENTROPY_COEFF,
        "actor_rollout_ref.actor.use_kl_loss": False,
        "algorithm.use_kl_in_reward": False,
        "algorithm.adv_estimator": "trr_pp",
        "actor_rollout_ref.rollout.n": ROLLOUT_N,
        "actor_rollout_ref.rollout.temperature": TEMPERATURE,
        "actor_rollout_ref.rollout.top_p": TOP_P,
        "actor_rollout_ref.rollout.name": "vllm",
        "actor_rollout_ref.actor.strategy": "fsdp2",
        "trainer.total_training_steps": STEPS,
        "azr.num_solver_attempts": SOLVER_ATTEMPTS,
        "azr.num_references": REFERENCES,
        "azr.executor.limits.timeout_s": EXECUTOR_TIMEOUT_S,
        "azr.prompt_style": "base",  # every paper model is a base model
        "actor_rollout_ref.model.custom_chat_template": BASE_CHAT_TEMPLATE,
    }
    expected.update(DEVIATIONS.get(recipe, {}))
    return expected


@pytest.mark.parametrize("recipe", PAPER_RECIPES)
def test_paper_recipes_carry_the_reference_hyperparameters(recipe):
    config, layout = _checked(recipe)
    expected = _expected_values(recipe, str(config.actor_rollout_ref.model.path))
    optim = config.actor_rollout_ref.actor.optim
    derived = {
        "world_size": layout.world_size,
        "lr_warmup_steps_effective": optim.lr_warmup_steps
        if optim.lr_warmup_steps > 0
        else int(optim.lr_warmup_steps_ratio * config.trainer.total_training_steps),
    }
    actual = {key: derived[key] if key in derived else OmegaConf.select(config, key) for key in expected}
    assert actual == {k: pytest.approx(v) if isinstance(v, float) else v for k, v in expected.items()}
    assert tuple(config.azr.task_types) == TASK_TYPES
    assert dict(layout.slot_samples) == {f"{t}:{r}": SAMPLES_PER_SLOT for t in TASK_TYPES for r in ROLES}
    assert layout.updates_per_step == 1


def _fake_model(directory: Path, shape) -> Path:
    """A model directory with the config.json fields the checker reads (nothing loads weights)."""
    directory.mkdir(parents=True)
    config = {
        "num_attention_heads": shape.attention_heads,
        "num_key_value_heads": shape.kv_heads,
        "max_position_embeddings": shape.max_positions,
    }
    (directory / "config.json").write_text(json.dumps(config))
    return directory


@pytest.mark.parametrize("recipe", PAPER_RECIPES)
def test_environment_and_arguments_set_model_run_dir_seeds_nodes_and_any_key(recipe, tmp_path, monkeypatch):
    shipped = _checked(recipe)[0]
    _fake_model(tmp_path / "model", checker.KNOWN_MODELS[str(shipped.actor_rollout_ref.model.path)])
    monkeypatch.chdir(tmp_path)
    for name in ("o", "i"):
        (tmp_path / "crux" / name).mkdir(parents=True)
        (tmp_path / "crux" / name / "test.parquet").touch()
    env = _clean_env(
        MODEL_PATH="model",
        RUN_DIR="out/run",
        SEED_FILES="s/a.jsonl,s/b.jsonl",
        VAL_FILES="crux/o/test.parquet,crux/i/test.parquet",
        NNODES="3",
    )
    args = ["trainer.total_training_steps=7", "actor_rollout_ref.actor.optim.lr=3e-6"]
    logger_path = os.environ.get("VERL_FILE_LOGGER_PATH")
    config, layout = checker.check_recipe(RECIPES / recipe, args, env=env)
    run_dir = tmp_path / "out" / "run"
    assert config.actor_rollout_ref.model.path == str(tmp_path / "model")  # absolute for the Ray workers
    assert config.trainer.default_local_dir == str(run_dir)
    assert config.azr.run_dir == str(run_dir)
    assert list(config.azr.seed_files) == [str(tmp_path / "s" / "a.jsonl"), str(tmp_path / "s" / "b.jsonl")]
    assert list(config.data.val_files) == [str(tmp_path / "crux" / n / "test.parquet") for n in ("o", "i")]
    assert config.trainer.test_freq == 10
    # The file logger is on and its path left to azr_verl.main (metrics.N.jsonl after a restart).
    assert "file" in config.trainer.logger
    assert "VERL_FILE_LOGGER_PATH" not in (config.ray_kwargs.ray_init.runtime_env.get("env_vars") or {})
    assert layout.world_size == 3 * shipped.trainer.n_gpus_per_node
    assert not run_dir.exists() and os.environ.get("VERL_FILE_LOGGER_PATH") == logger_path  # no side effects
    assert config.trainer.total_training_steps == 7  # the recipe's arguments come last and win
    assert config.actor_rollout_ref.actor.optim.lr == 3e-6


def test_the_multinode_recipe_submits_the_14b_run_as_a_ray_job_on_twice_the_gpus():
    command = checker.recipe_command(
        RECIPES / "azr/qwen2.5-coder-14b-2nodes.sh",
        env=_clean_env(AZR_RAY_JOB_ADDRESS="http://10.0.0.1:8265", RAY_JOB_ARGS="--no-wait"),
    )
    split = command.index("--")
    assert command[:split] == ["ray", "job", "submit", "--address", "http://10.0.0.1:8265", "--no-wait"]
    multi = _as_dict(checker.main_overrides(command))
    single = _as_dict(checker.main_overrides(_command("azr/qwen2.5-coder-14b.sh")))
    assert multi.keys() == single.keys()
    differ = {key for key in multi if multi[key] != single[key]}
    assert differ == {
        "trainer.default_local_dir",
        "trainer.experiment_name",
        "trainer.nnodes",
    }
    assert multi["trainer.nnodes"] == "2"


def _as_dict(overrides: list[str]) -> dict[str, str]:
    return dict(o.split("=", 1) for o in overrides)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["head"],
            ["ray", "start", "--head", "--port=6379", "--dashboard-host=0.0.0.0", "--dashboard-port=8265"],
        ),
        (["worker", "10.0.0.1"], ["ray", "start", "--address=10.0.0.1:6379"]),
        (["stop"], ["ray", "stop"]),
    ],
)
def test_ray_cluster_helper_starts_head_and_workers(args, expected):
    assert checker.recipe_command(RECIPES / "azr/ray_cluster.sh", args, _clean_env()) == expected


@pytest.mark.parametrize("args", [[], ["worker"], ["restart"]])
def test_ray_cluster_helper_refuses_a_missing_or_unknown_command(args):
    with pytest.raises(checker.RecipeError, match="exit 2"):
        checker.recipe_command(RECIPES / "azr/ray_cluster.sh", args, _clean_env())


@pytest.mark.parametrize("recipe", QUICKSTART_RECIPES)
@pytest.mark.parametrize("choice", [ModelChoice.SMOLLM2.value, ModelChoice.TINY.value])
def test_the_quickstart_recipe_runs_the_quickstart_whose_command_passes_the_checks(recipe, choice, tmp_path):
    args = ["--timeout-s", "60", "azr.num_references=1"]
    command = checker.recipe_command(RECIPES / recipe, args, _clean_env(MODEL_PATH=choice, RUN_DIR="qs"))
    assert command[1:6] == ["quickstart", "--model", choice, "--run-dir", str(Path.cwd() / "qs")]
    assert command[-3:] == args
    config = checker.compose_config(checker.main_overrides(command))
    layout = checker.check_config(config)
    assert layout.world_size == 1 and layout.samples_per_step == 12
    assert config.azr.num_references == 1 and config.trainer.default_local_dir == str(Path.cwd() / "qs")


def _broken_variant(tmp_path: Path, base: str, overrides: list[str], env: dict[str, str]) -> Path:
    """A recipe in tmp_path that runs `base` with extra overrides and environment."""
    exports = "".join(f"export {k}={v}\n" for k, v in env.items())
    script = tmp_path / "broken.sh"
    quoted = " ".join(f"'{o}'" for o in overrides)
    script.write_text(
        f'#!/usr/bin/env bash\nset -euo pipefail\n{exports}exec bash {RECIPES / base} {quoted} "$@"\n'
    )
    return script


@pytest.mark.parametrize(
    ("base", "overrides", "env", "message"),
    [
        ("azr/qwen2.5-coder-7b.sh", ["actor_rollout_ref.actor.optim.lrr=1e-6"], {}, "does not compose"),
        ("azr/qwen2.5-coder-7b.sh", ["+actor_rollout_ref.actor.entropy_coef=0.001"], {}, "do not have"),
        ("azr/qwen2.5-coder-7b.sh", ["+azr.num_solver_attemps=4"], {}, "do not have: azr.num_solver_attemps"),
        ("azr/qwen2.5-coder-7b.sh", ["azr.task_types=[code_o,code_x]"], {}, "unknown task type 'code_x'"),
        ("azr/qwen2.5-coder-7b.sh", [], {"MODEL_PATH": "/no/such/model"}, "does not exist"),
        ("azr/qwen2.5-coder-7b.sh", [], {"VAL_FILES": "/no/such/test.parquet"}, "do not exist"),
        (
            "azr/qwen2.5-coder-7b.sh",
            [],
            {"SAMPLES_PER_SLOT": "63", "GPUS_PER_NODE": "8"},
            "4 data-parallel ranks",
        ),
        (
            "azr/qwen2.5-coder-7b.sh",
            ["actor_rollout_ref.actor.ppo_mini_batch_size=100"],
            {},
            "not a multiple",
        ),
        (
            "azr/qwen2.5-coder-7b.sh",
            ["actor_rollout_ref.actor.ppo_mini_batch_size=768"],
            {},
            "not a multiple",
        ),
        (
            "azr/qwen2.5-coder-7b.sh",
            [
                "actor_rollout_ref.actor.use_dynamic_bsz=false",
                "actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu=5",
            ],
            {},
            "veRL rejects the config",
        ),
        (
            "azr/qwen2.5-coder-7b.sh",
            [
                "actor_rollout_ref.actor.use_dynamic_bsz=false",
                "actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu=5",
                "actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu=4",
            ],
            {},
            "does not divide the 192 samples",
        ),
        (
            "azr/qwen2.5-coder-7b.sh",
            ["actor_rollout_ref.actor.ulysses_sequence_parallel_size=3"],
            {},
            "Ulysses groups",
        ),
        (
            "azr/qwen2.5-coder-3b.sh",
            ["actor_rollout_ref.actor.ulysses_sequence_parallel_size=3"],
            {"GPUS_PER_NODE": "6"},
            "16 attention heads",
        ),
        (
            "azr/qwen2.5-coder-7b.sh",
            ["actor_rollout_ref.rollout.tensor_model_parallel_size=3"],
            {},
            "rollout replicas",
        ),
        (
            "azr/qwen2.5-coder-7b.sh",
            ["actor_rollout_ref.rollout.tensor_model_parallel_size=8"],
            {"GPUS_PER_NODE": "8"},
            "28 attention heads",
        ),
        (
            "azr/qwen2.5-coder-3b.sh",
            [],
            {"MAX_TOKENS_PER_GPU": "8192"},
            "cannot hold one sequence of 14240 tokens",
        ),
        (
            "azr/qwen2.5-coder-3b-lora-1gpu.sh",
            ["actor_rollout_ref.rollout.load_format=dummy"],
            {},
            "safetensors",
        ),
        (
            "azr/qwen2.5-coder-3b-lora-1gpu.sh",
            ["actor_rollout_ref.model.lora_rank=1024"],
            {},
            "LoRA ranks up to 512",
        ),
    ],
)
def test_a_broken_recipe_is_rejected_naming_the_rule(tmp_path, base, overrides, env, message):
    script = _broken_variant(tmp_path, base, overrides, env)
    with pytest.raises(checker.RecipeError, match=message.replace("[", r"\[").replace("(", r"\(")):
        checker.check_recipe(script, env=_clean_env())


def test_the_checker_command_line_says_ok_or_names_the_failure(tmp_path, capsys):
    assert checker.main([str(RECIPES / "azr/qwen2.5-coder-3b.sh")]) == 0
    out = capsys.readouterr().out
    assert "ok" in out and "2 GPU(s)" in out and "384 samples per step in 1 update(s)" in out
    assert (
        checker.main([str(RECIPES / "azr/qwen2.5-coder-3b.sh"), "actor_rollout_ref.actor.optim.lrr=1"]) == 1
    )
    assert "does not compose" in capsys.readouterr().err


def test_a_model_whose_context_is_shorter_than_prompt_plus_response_is_rejected(tmp_path):
    model = _fake_model(tmp_path / "short", checker.ModelShape(16, 2, 8192))
    script = _broken_variant(tmp_path, "azr/qwen2.5-coder-3b.sh", [], {"MODEL_PATH": str(model)})
    with pytest.raises(checker.RecipeError, match=r"14240 tokens .* exceeds the model's 8192 positions"):
        checker.check_recipe(script, env=_clean_env())


@pytest.mark.parametrize("recipe", PAPER_RECIPES)
def test_recipe_on_cpu_makes_a_one_device_cpu_run_of_a_recipe_keeping_its_settings(recipe, tmp_path):
    model = _fake_model(tmp_path / "tiny", checker.ModelShape(4, 2, 2048))  # the tiny model's shape
    env = _clean_env(MODEL_PATH=str(model), RUN_DIR=str(tmp_path / "run"), PYTHON=sys.executable)
    command = checker.recipe_command(RECIPES / "cpu/recipe_on_cpu.sh", [str(RECIPES / recipe)], env)
    assert command[0] == sys.executable  # run here, never a Ray job
    config = checker.compose_config(checker.main_overrides(command))
    layout = checker.check_config(config)  # fits the tiny model's 2048 positions and one device
    assert layout.world_size == 1 and layout.samples_per_step == 2 * len(TASK_TYPES) * len(ROLES)
    assert (config.trainer.device, config.actor_rollout_ref.rollout.name) == ("cpu", "hf")
    shipped = _checked(recipe)[0]
    for key in (
        "actor_rollout_ref.actor.optim.lr",
        "actor_rollout_ref.actor.optim.clip_grad",
        "actor_rollout_ref.actor.entropy_coeff",
        "actor_rollout_ref.actor.use_dynamic_bsz",
        "actor_rollout_ref.actor.fsdp_config.optimizer_offload",
        "actor_rollout_ref.model.lora_rank",
        "azr.executor.limits.timeout_s",
        "azr.prompt_style",
    ):
        assert OmegaConf.select(config, key) == OmegaConf.select(shipped, key), key
