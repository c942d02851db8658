"""Check an AZR recipe on a machine without a GPU, before the GPUs are booked.

    python recipes/check_recipe.py recipes/azr/qwen2.5-coder-7b.sh [recipe arguments...]

The recipe runs with AZR_DRY_RUN=1, so it prints its command instead of starting it (the environment
passes through: MODEL_PATH, GPUS_PER_NODE, ... apply as in a real launch). The Hydra overrides of
`python -m azr_verl.main` are composed in-process with azr_trainer.yaml, the full config a run would
get, and then checked in the order a run would fail:

1. every key exists in veRL 0.9.1's ppo_trainer config or among the keys azr_trainer.yaml adds, or
   sits under a free-form node (an empty mapping in veRL's config, or ray.init's keyword arguments);
2. every interpolation resolves;
3. `azr_verl.main.prepare_config`: the `azr:` block (AZRConfig) and the model path;
4. veRL's own `validate_config`, with the reference-policy and critic flags veRL's main derives, and
   the rollout config's own checks;
5. the sizes veRL's workers need at run time: data-parallel ranks and PPO mini-batches that divide
   the batch (veRL pads a batch that does not), micro-batch token budgets that hold the longest
   sequence, rollout tensor parallelism that divides the GPUs, sequence and tensor parallel sizes that
   divide the model's attention heads, a context window that holds prompt and response, and the
   rollout settings LoRA needs.

A recipe that fails prints the reason and exits 1.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import functools
import io
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from recipe_sizes import (
    KNOWN_MODELS,
    ModelShape,
    RecipeError,
    RecipeLayout,
    check_lora,
    check_model,
    check_token_budgets,
    layout_of,
    lora_rank,
    model_shape,
)

__all__ = [
    "KNOWN_MODELS",
    "ModelShape",
    "RecipeError",
    "RecipeLayout",
    "check_config",
    "check_recipe",
    "compose_config",
    "main",
    "main_overrides",
    "recipe_command",
]


# Keyword arguments veRL passes on without a schema: ray.init's, and each rollout engine's (the CPU
# backend's `hf` engine has its own).
_PASS_THROUGH = ("ray_kwargs.ray_init", "actor_rollout_ref.rollout.engine_kwargs")
# The quickstart prepares its model at run time; the check composes with this stand-in hub id.
_QUICKSTART_MODEL = "azr-verl/quickstart-model"


def recipe_command(script: Path, args: Sequence[str] = (), env: Mapping[str, str] | None = None) -> list[str]:
    """The command `script` would run, from its dry run (AZR_DRY_RUN=1 prints one argument per line).

    Raises:
        RecipeError: the script failed or printed nothing.
    """
    run_env = dict(os.environ if env is None else env, AZR_DRY_RUN="1")
    done = subprocess.run(
        ["bash", str(script), *args], env=run_env, capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode != 0 or not done.stdout.strip():
        raise RecipeError(f"{script}: the dry run failed (exit {done.returncode}): {done.stderr.strip()}")
    return done.stdout.rstrip("\n").split("\n")


def main_overrides(command: Sequence[str]) -> list[str]:
    """The Hydra overrides of a recipe's command: after `-m azr_verl.main`, or the quickstart's own.

    Raises:
        RecipeError: the command runs neither azr_verl.main nor the quickstart.
    """
    for i in range(len(command) - 1):
        if command[i] == "-m" and command[i + 1] == "azr_verl.main":
            return list(command[i + 2 :])
        if command[i + 1] == "quickstart" and Path(command[i]).name == "azr-verl":
            return _quickstart_overrides(command[i + 2 :])
    raise RecipeError(f"not an AZR training command: {' '.join(command)}")


def _quickstart_overrides(args: Sequence[str]) -> list[str]:
    """The Hydra overrides `azr-verl quickstart ARGS` runs (built by the quickstart's own code)."""
    from azr_verl.cli.quickstart import add_arguments
    from azr_verl.cpu.selfplay import selfplay_command
    from azr_verl.quickstart.models import SHAPES, ModelError, parse_model

    parser = argparse.ArgumentParser(prog="azr-verl quickstart")
    add_arguments(parser)
    parsed = parser.parse_args(list(args))
    try:
        choice, path = parse_model(parsed.model)
    except ModelError as exc:
        raise RecipeError(f"quickstart: {exc}") from None
    model = path if path is not None else Path(_QUICKSTART_MODEL)
    argv = selfplay_command(
        model, parsed.run_dir, Path("/tmp/ray-check"), parsed.steps, SHAPES[choice], extra=parsed.overrides
    )
    return main_overrides(argv)


def compose_config(overrides: Sequence[str]) -> Any:
    """azr_trainer.yaml composed with `overrides`, as `python -m azr_verl.main` would get it.

    Raises:
        RecipeError: Hydra rejects an override (unknown key without `+`, bad syntax, wrong type).
    """
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    from azr_verl.hydra_config import compose_azr

    try:
        return compose_azr(overrides)
    except (HydraException, OmegaConfBaseException) as exc:
        raise RecipeError(f"the config does not compose: {exc}") from None


@functools.lru_cache(maxsize=1)
def _known_keys() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(veRL's leaf keys, the leaf keys azr_trainer.yaml adds, veRL's free-form mappings)."""
    import yaml
    from omegaconf import OmegaConf

    from azr_verl.hydra_config import AZR_CONFIG_DIR, AZR_CONFIG_NAME, compose_verl, leaf_keys

    verl_tree = OmegaConf.to_container(compose_verl(), resolve=False)
    verl_leaves = frozenset(leaf_keys(verl_tree))
    free_form = frozenset(k for k in verl_leaves if _lookup(verl_tree, k) == {}) | frozenset(_PASS_THROUGH)
    ours = yaml.safe_load((AZR_CONFIG_DIR / f"{AZR_CONFIG_NAME}.yaml").read_text())
    ours = {k: v for k, v in ours.items() if k not in ("hydra", "defaults")}
    own = frozenset(k for k in leaf_keys(ours) if k not in verl_leaves)
    return verl_leaves, own, free_form


def _lookup(tree: Mapping[str, Any], key: str) -> Any:
    node: Any = tree
    for part in key.split("."):
        node = node[part]
    return node


def _under(key: str, prefixes: frozenset[str]) -> bool:
    return any(key == p or key.startswith(f"{p}.") for p in prefixes)


def _check_schema(config: Any) -> None:
    """Every key of `config` is veRL's, the AZR config's own, or under a free-form node.

    Raises:
        RecipeError: names the unknown keys.
    """
    from omegaconf import OmegaConf

    from azr_verl.hydra_config import leaf_keys

    verl_leaves, own, free_form = _known_keys()
    tree = OmegaConf.to_container(config, resolve=False)
    unknown = [
        key
        for key in leaf_keys(tree)
        if key not in verl_leaves and not _under(key, own) and not _under(key, free_form)
    ]
    if unknown:
        raise RecipeError(f"keys that veRL 0.9.1 and the AZR config do not have: {', '.join(unknown)}")


def check_config(config: Any) -> RecipeLayout:
    """Run every check on a composed config (modified in place, as `python -m azr_verl.main` does).

    The model checks read a local model directory's config.json or KNOWN_MODELS, and are skipped for
    a model in neither.

    Args:
        config: the composed config (see `compose_config`).

    Returns:
        How the recipe spreads a step over the GPUs.

    Raises:
        RecipeError: the first rule the config breaks.
    """
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    from azr_verl.main import prepare_config

    _check_schema(config)
    try:
        # `???` values stay: veRL leaves some unset in parts a run does not use (reward model rollout).
        OmegaConf.to_container(config, resolve=True)
    except OmegaConfBaseException as exc:
        raise RecipeError(f"the config does not resolve: {exc}") from None
    try:
        settings = prepare_config(config, route_metrics=False)  # a check starts no run
    except ValueError as exc:
        raise RecipeError(f"azr-verl: {exc}") from None
    uses_reference, uses_critic = _verl_validate(config)
    layout = layout_of(config, settings, uses_reference, uses_critic)
    check_token_budgets(config, layout.sequence_parallel)
    check_model(config, layout, model_shape(config))
    check_lora(config)
    return layout


def _verl_validate(config: Any) -> tuple[bool, bool]:
    """veRL's validate_config and the rollout config's own checks; returns (reference, critic)."""
    import importlib.util
    import warnings

    from omegaconf.errors import OmegaConfBaseException
    from verl.trainer.ppo.utils import need_critic, need_reference_policy
    from verl.utils.config import omega_conf_to_dataclass, validate_config

    uses_reference = bool(need_reference_policy(config))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        uses_critic = bool(need_critic(config))
    checked = config
    if lora_rank(config) > 0 and importlib.util.find_spec("vllm") is None:
        # veRL's LoRA-rank check imports vLLM; without it the rank is checked in _check_lora.
        checked = copy.deepcopy(config)
        checked.actor_rollout_ref.model.lora_rank = 0
        checked.actor_rollout_ref.model.lora.rank = 0
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # veRL prints its verdict
            validate_config(checked, use_reference_policy=uses_reference, use_critic=uses_critic)
        omega_conf_to_dataclass(config.actor_rollout_ref.rollout)
    except (AssertionError, ValueError, TypeError, NotImplementedError, OmegaConfBaseException) as exc:
        raise RecipeError(f"veRL rejects the config: {exc}") from None
    return uses_reference, uses_critic


def check_recipe(
    script: Path, args: Sequence[str] = (), env: Mapping[str, str] | None = None
) -> tuple[Any, RecipeLayout]:
    """Dry-run `script` with `args`, compose its config and check it; returns (config, layout)."""
    config = compose_config(main_overrides(recipe_command(script, args, env)))
    return config, check_config(config)


def _describe(layout: RecipeLayout) -> str:
    slots = ", ".join(f"{slot} {float(n):g}" for slot, n in layout.slot_samples.items())
    return (
        f"{layout.world_size} GPU(s): {layout.data_parallel} data-parallel rank(s) x Ulysses "
        f"{layout.sequence_parallel}; {layout.rollout_replicas} rollout replica(s) of "
        f"{layout.rollout_tensor_parallel} GPU(s)\n"
        f"{layout.samples_per_step} samples per step in {layout.updates_per_step} update(s); per slot: {slots}\n"
        f"critic: {'yes' if layout.uses_critic else 'no'}; "
        f"reference model: {'yes' if layout.uses_reference_policy else 'no'}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check an AZR recipe without a GPU (see the module doc).")
    parser.add_argument("recipe", type=Path, help="a recipe script, e.g. recipes/azr/qwen2.5-coder-7b.sh")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments passed on to the recipe")
    parsed = parser.parse_args(argv)
    try:
        _config, layout = check_recipe(parsed.recipe, parsed.args)
    except RecipeError as exc:
        sys.stderr.write(f"{parsed.recipe}: {exc}\n")
        return 1
    sys.stdout.write(f"{parsed.recipe}: ok\n{_describe(layout)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
