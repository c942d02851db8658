"""The trainer configs composed in-process, as `python -m azr_verl.main` and veRL's main_ppo get them.

For checks (recipes/check_recipe.py) and tests that need the full config without starting a run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

__all__ = ["AZR_CONFIG_DIR", "AZR_CONFIG_NAME", "compose_azr", "compose_verl", "leaf_keys"]

AZR_CONFIG_DIR = Path(__file__).parent / "config"
AZR_CONFIG_NAME = "azr_trainer"


def compose_azr(overrides: Sequence[str] = ()) -> DictConfig:
    """azr_trainer.yaml with `overrides`, as azr_verl.main gets it before prepare_config.

    Raises:
        hydra.errors.HydraException, omegaconf.errors.OmegaConfBaseException: an override is rejected.
    """
    from hydra import compose, initialize_config_dir

    with initialize_config_dir(config_dir=str(AZR_CONFIG_DIR), version_base=None):
        return compose(config_name=AZR_CONFIG_NAME, overrides=list(overrides))


def compose_verl(overrides: Sequence[str] = ()) -> DictConfig:
    """veRL's own ppo_trainer with `overrides`, as verl.trainer.main_ppo gets it."""
    from hydra import compose, initialize_config_module

    with initialize_config_module(config_module="verl.trainer.config", version_base=None):
        return compose(config_name="ppo_trainer", overrides=list(overrides))


def leaf_keys(tree: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Dotted keys of a plain nested mapping down to its leaves; an empty mapping counts as a leaf."""
    keys: list[str] = []
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            keys.extend(leaf_keys(value, f"{path}."))
        else:
            keys.append(path)
    return keys
