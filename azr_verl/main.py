"""`python -m azr_verl.main [overrides]`: AZR self-play through veRL's own PPO entry point.

The config is veRL's `ppo_trainer` plus the `azr:` block (`azr_verl/config/azr_trainer.yaml`); every
Hydra override veRL accepts works here. Before Ray or any model starts, the `azr:` block and the model
path are validated and the run directory is made absolute (Ray workers do not share the driver's
working directory), so a config mistake stops the run at once with a message naming the key.
"""

from __future__ import annotations

import logging
import os
import sys

import hydra
from omegaconf import DictConfig, open_dict

from azr_verl.azr_config import AZRConfig
from azr_verl.hydra_config import AZR_CONFIG_NAME
from azr_verl.run_files import next_metrics_file
from azr_verl.tasks import BASE_CHAT_TEMPLATE, PromptStyle
from azr_verl.validation_set import file_list, missing_local_files, validation_enabled

__all__ = ["main", "prepare_config"]

logger = logging.getLogger(__name__)

# veRL's placeholder model path: a run that still has it was not told which model to train.
_VERL_DEFAULT_MODEL = "~/models/deepseek-llm-7b-chat"


def _absolute(path: str) -> str:
    """A local path made absolute: Ray workers do not share the driver's working directory."""
    return os.path.abspath(os.path.expanduser(path))


def _check_model_path(config: DictConfig) -> None:
    path = config.actor_rollout_ref.model.get("path")
    if not path or path == _VERL_DEFAULT_MODEL:
        raise ValueError(
            "actor_rollout_ref.model.path is not set: pass the model to train, e.g. "
            "actor_rollout_ref.model.path=Qwen/Qwen2.5-Coder-7B or a local directory"
        )
    # "org/name" is a hub id (downloaded by veRL); an absolute, home or relative path must exist here.
    if path.startswith(("/", "~", ".")) and not os.path.exists(os.path.expanduser(path)):
        raise ValueError(f"actor_rollout_ref.model.path={path!r} does not exist")
    if path.startswith(("~", ".")):
        with open_dict(config):
            config.actor_rollout_ref.model.path = _absolute(path)


def _check_validation(config: DictConfig) -> None:
    """Validation needs its own files: AZR's training data is generated, and veRL builds the
    validation set from `data.val_files` (see `azr_verl.validation_set`). Local validation files
    are made absolute (the dataset is built in a Ray worker with another working directory)."""
    if config.data.get("val_files"):
        with open_dict(config):
            config.data.val_files = [
                f if "://" in f else _absolute(f) for f in file_list(config.data.val_files)
            ]
    trainer = config.trainer
    if not validation_enabled(trainer):
        return
    asked = (
        f"trainer.test_freq={trainer.get('test_freq')} trainer.val_before_train="
        f"{trainer.get('val_before_train')}"
    )
    val_files = file_list(config.data.get("val_files"))
    if not val_files:
        raise ValueError(
            f"{asked} asks for validation but data.val_files is empty: pass CRUXEval files converted by "
            "reward_fns.cruxeval_to_parquet, e.g. data.val_files=[cruxeval_o/test.parquet,"
            "cruxeval_i/test.parquet], or set trainer.test_freq=-1 trainer.val_before_train=false"
        )
    if val_files == file_list(config.data.get("train_files")):
        raise ValueError(
            f"data.val_files equals data.train_files ({val_files}): AZR generates its training data and "
            "tells the validation set apart by its files; leave data.train_files at its default"
        )
    missing = missing_local_files(val_files)
    if missing:
        raise ValueError(
            f"data.val_files: {missing} do not exist ({asked} asks for validation); convert CRUXEval "
            "with python -m reward_fns.cruxeval_to_parquet, or set trainer.test_freq=-1 "
            "trainer.val_before_train=false"
        )


def _route_metrics_file(config: DictConfig, run_dir: str) -> None:
    """Send veRL's file logger into the run directory, unless the user chose a path.

    The path goes both into this process's environment (a local Ray cluster inherits it) and into
    `ray_kwargs.ray_init.runtime_env.env_vars` (workers of an existing cluster do not).
    """
    loggers = config.trainer.get("logger") or []
    loggers = [loggers] if isinstance(loggers, str) else list(loggers)
    env_vars = config.ray_kwargs.ray_init.get("runtime_env", {}).get("env_vars") or {}
    if "file" not in loggers or "VERL_FILE_LOGGER_PATH" in os.environ or "VERL_FILE_LOGGER_PATH" in env_vars:
        return
    os.makedirs(run_dir, exist_ok=True)
    path = str(next_metrics_file(run_dir))
    os.environ["VERL_FILE_LOGGER_PATH"] = path
    with open_dict(config):
        config.ray_kwargs.ray_init.runtime_env.setdefault("env_vars", {})
        config.ray_kwargs.ray_init.runtime_env.env_vars.VERL_FILE_LOGGER_PATH = path


def prepare_config(config: DictConfig, *, route_metrics: bool = True) -> AZRConfig:
    """Validate the AZR parts of `config` and pin its directories; returns the AZR settings.

    Args:
        config: the composed trainer config, completed in place.
        route_metrics: point veRL's file logger at the run directory (creates it and sets
            VERL_FILE_LOGGER_PATH in this process); False for a check that starts no run.

    Raises:
        ValueError: a config error; the message names the key.
    """
    _check_model_path(config)
    _check_validation(config)
    with open_dict(config):
        config.trainer.default_local_dir = _absolute(config.trainer.default_local_dir)
        config.azr.run_dir = _absolute(config.azr.run_dir)
    settings = AZRConfig.from_mapping(config.azr)
    if route_metrics:
        _route_metrics_file(config, config.azr.run_dir)
    model = config.actor_rollout_ref.model
    if settings.prompt_style is PromptStyle.BASE and not model.get("custom_chat_template"):
        # Base models have no chat template: render the R1 text template instead.
        with open_dict(config):
            model.custom_chat_template = BASE_CHAT_TEMPLATE
    return settings


@hydra.main(config_path="config", config_name=AZR_CONFIG_NAME, version_base=None)
def main(config: DictConfig) -> None:
    try:
        prepare_config(config)
    except ValueError as exc:
        sys.exit(f"azr-verl: config error: {exc}")
    from verl.trainer import main_ppo

    # veRL's own entry (device detection, config validation, Ray, the v1 TaskRunner), undecorated.
    main_ppo.main.__wrapped__(config)


if __name__ == "__main__":
    main()
