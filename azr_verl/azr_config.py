"""The `azr:` block of the training config: one dataclass, validated before anything loads.

The YAML (`azr_verl/config/azr_trainer.yaml`) only mirrors these defaults; this module is the source
of truth. Every error names the full key (`azr.num_solver_attempts`), shows the value and says what
to do, so a broken config stops the run at start instead of deep inside a training step.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from azr_verl.buffer.config import BufferConfig
from azr_verl.executor import ExecLimits
from azr_verl.tasks import PromptStyle, RewardConfig, Role, TaskLimits, group_label, task_type_names

__all__ = ["AZRConfig", "ExecutorSettings"]

_PREFIX = "azr"


@dataclass(frozen=True)
class ExecutorSettings:
    """Executor settings (`azr.executor.*`).

    Attributes:
        max_workers: snippets run concurrently per executor (one fork-server per process that
            executes code); None means the machine's core count.
        limits: per-snippet limits (`azr.executor.limits.*`, see `ExecLimits`).
    """

    max_workers: int | None = None
    limits: ExecLimits = field(default_factory=ExecLimits)


@dataclass(frozen=True)
class AZRConfig:
    """Settings of AZR self-play. Defaults are the paper's (arXiv 2505.03335, reference branch).

    Attributes:
        task_types: task types trained on; each yields a propose slot and a solve slot.
        slot_weights: share of the batch per (task type, role) slot, nested so that Hydra can set
            it from the command line (`+azr.slot_weights.code_o.propose=2`); unnamed slots weigh 1.
            Equal shares (the paper) by default.
        num_solver_attempts: N, solver rollouts per valid proposal for its learnability reward.
        num_references: K, buffer tasks shown to the proposer as references.
        reference_sampling: "uniform", or "recent" (recency-weighted, see
            `buffer.recency_half_life_steps`).
        prompt_style: "chat" (the tokenizer's chat template, instruct models) or "base" (R1 text).
        seed: seed of buffer sampling; a run with the same seed samples the same tasks.
        seed_files: seed task files (the reference's jsonl) loaded into a new buffer.
        run_id: names the run's buffer actor; the YAML sets `project_name/experiment_name`.
        run_dir: directory of the buffer file; the YAML sets `trainer.default_local_dir`.
        rewards: reward values (`RewardConfig`).
        limits: task size and count limits (`TaskLimits`).
        executor: executor settings.
        buffer: buffer settings (`BufferConfig`).
    """

    task_types: tuple[str, ...] = ("code_o", "code_i", "code_f")
    slot_weights: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    num_solver_attempts: int = 8
    num_references: int = 6
    reference_sampling: str = "uniform"
    prompt_style: PromptStyle = PromptStyle.CHAT
    seed: int = 0
    seed_files: tuple[str, ...] = ()
    run_id: str = "azr"
    run_dir: str = "."
    rewards: RewardConfig = field(default_factory=RewardConfig)
    limits: TaskLimits = field(default_factory=TaskLimits)
    executor: ExecutorSettings = field(default_factory=ExecutorSettings)
    buffer: BufferConfig = field(default_factory=BufferConfig)

    def __post_init__(self) -> None:
        known = task_type_names()
        if isinstance(self.task_types, str) or not self.task_types:
            raise ValueError(f"{_PREFIX}.task_types must be a non-empty list of task types from {known}")
        for name in self.task_types:
            if name not in known:
                raise ValueError(
                    f"{_PREFIX}.task_types: unknown task type {name!r}; registered task types: {known}"
                )
        if len(set(self.task_types)) != len(self.task_types):
            raise ValueError(f"{_PREFIX}.task_types lists a task type twice: {list(self.task_types)}")
        _check_int("num_solver_attempts", self.num_solver_attempts, 2, "learnability needs >= 2 attempts")
        _check_int("num_references", self.num_references, 0, "0 shows the proposer no reference tasks")
        cap = self.buffer.max_tasks_per_kind
        if cap and self.num_references > cap:
            raise ValueError(
                f"{_PREFIX}.num_references={self.num_references} exceeds {_PREFIX}.buffer.max_tasks_per_kind="
                f"{cap}: the buffer can never hold that many references of one task type; lower "
                f"{_PREFIX}.num_references or raise the cap"
            )
        if not self.run_id or not isinstance(self.run_id, str):
            raise ValueError(f"{_PREFIX}.run_id must be a non-empty string, got {self.run_id!r}")
        if not self.run_dir or not isinstance(self.run_dir, str):
            raise ValueError(f"{_PREFIX}.run_dir must be a directory path, got {self.run_dir!r}")
        object.__setattr__(self, "prompt_style", _prompt_style(self.prompt_style))
        self._check_slot_weights()
        if self.reference_sampling not in ("uniform", "recent"):
            raise ValueError(
                f"{_PREFIX}.reference_sampling={self.reference_sampling!r} is not one of ['uniform', 'recent']"
            )

    def _check_slot_weights(self) -> None:
        for task_type, roles in self.slot_weights.items():
            if task_type not in self.task_types:
                raise ValueError(
                    f"{_PREFIX}.slot_weights.{task_type}: not one of {_PREFIX}.task_types {list(self.task_types)}"
                )
            if not isinstance(roles, Mapping):
                raise ValueError(
                    f"{_PREFIX}.slot_weights.{task_type} must map roles to weights, got {roles!r}"
                )
            for role, weight in roles.items():
                if role not in {r.value for r in Role}:
                    raise ValueError(f"{_PREFIX}.slot_weights.{task_type}.{role}: roles are propose, solve")
                if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
                    raise ValueError(
                        f"{_PREFIX}.slot_weights.{task_type}.{role} must be a number >= 0, got {weight!r}"
                    )
        if sum(self.slot_weight(s) for s in self.slots) <= 0:
            raise ValueError(f"{_PREFIX}.slot_weights gives every slot weight 0: nothing would be trained")

    @property
    def slots(self) -> tuple[str, ...]:
        """The (task type, role) group labels of this run, in a fixed order."""
        return tuple(group_label(kind, role) for kind in self.task_types for role in Role)

    def slot_weight(self, slot: str) -> float:
        """Weight of a slot given by its group label, e.g. "code_o:propose"."""
        task_type, role = slot.split(":", 1)
        return float(self.slot_weights.get(task_type, {}).get(role, 1.0))

    @property
    def buffer_path(self) -> str:
        """The run's buffer file."""
        return os.path.join(self.run_dir, self.buffer.file_name)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> AZRConfig:
        """Build from the `azr:` block (a plain or OmegaConf mapping); unknown keys name the key."""
        values = _plain(values or {})
        _reject_unknown(cls, values, _PREFIX)
        nested: dict[str, Any] = {}
        for key, sub_cls in (("rewards", RewardConfig), ("limits", TaskLimits)):
            if key in values:
                nested[key] = _build(sub_cls, values.pop(key) or {}, f"{_PREFIX}.{key}")
        if "buffer" in values:
            nested["buffer"] = BufferConfig.from_mapping(values.pop("buffer"))
        if "executor" in values:
            nested["executor"] = _executor_settings(values.pop("executor") or {})
        for key in ("task_types", "seed_files"):
            if key in values and values[key] is not None and not isinstance(values[key], str):
                values[key] = tuple(values[key])
        return cls(**values, **nested)


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    try:
        from omegaconf import DictConfig, OmegaConf

        if isinstance(values, DictConfig):
            return OmegaConf.to_container(values, resolve=True)  # type: ignore[return-value]
    except ImportError:  # pragma: no cover - omegaconf is a dependency
        pass
    return {k: (_plain(v) if isinstance(v, Mapping) else v) for k, v in dict(values).items()}


def _reject_unknown(cls: type, values: Mapping[str, Any], prefix: str) -> None:
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        names = ", ".join(f"{prefix}.{k}" for k in unknown)
        raise ValueError(f"unknown key(s) {names}; known keys of {prefix}: {sorted(known)}")


def _build(cls: type, values: Mapping[str, Any], prefix: str) -> Any:
    """`cls(**values)` with unknown keys and invalid values reported under the YAML key `prefix`."""
    _reject_unknown(cls, values, prefix)
    try:
        return cls(**values)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{prefix}: {exc}") from None


def _executor_settings(values: Mapping[str, Any]) -> ExecutorSettings:
    _reject_unknown(ExecutorSettings, values, f"{_PREFIX}.executor")
    limits = _build(ExecLimits, values.get("limits") or {}, f"{_PREFIX}.executor.limits")
    max_workers = values.get("max_workers")
    if max_workers is not None:
        _check_int("executor.max_workers", max_workers, 1, "or null for the core count")
    return ExecutorSettings(max_workers=max_workers, limits=limits)


def _prompt_style(value: Any) -> PromptStyle:
    try:
        return PromptStyle(value)
    except ValueError:
        choices = [s.value for s in PromptStyle]
        raise ValueError(f"{_PREFIX}.prompt_style={value!r} is not one of {choices}") from None


def _check_int(key: str, value: Any, minimum: int, hint: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{_PREFIX}.{key} must be an integer >= {minimum} ({hint}), got {value!r}")
