"""Buffer settings (`azr.buffer.*` in the YAML): one documented field each, validated at start-up."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from azr_verl.tasks.task import Source

__all__ = ["BufferConfig", "EvictionPolicy", "SyncMode"]

_PREFIX = "azr.buffer"


class EvictionPolicy(str, enum.Enum):
    """Which tasks leave a task type that is over its cap."""

    OLDEST = "oldest"  # the first created go first
    LEAST_USEFUL = "least_useful"  # smoothed solve rate furthest from 1/2 go first, oldest among equals


class SyncMode(str, enum.Enum):
    """SQLite `synchronous` setting in WAL mode.

    Both keep every committed task through a kill -9 of the process: a commit has written its WAL
    frames to the operating system before `add()` returns. FULL also fsyncs the WAL on each commit,
    so a commit survives a machine crash or power loss too (one fsync per `add()` call).
    """

    FULL = "full"
    NORMAL = "normal"


@dataclass(frozen=True)
class BufferConfig:
    """Settings of the self-play buffer.

    Attributes:
        file_name: name of the SQLite file inside the run directory.
        max_tasks_per_kind: cap on the tasks of one task type; 0 means no cap. New tasks are
            always accepted; when a type goes over the cap, `eviction` picks what leaves.
        eviction: "oldest" or "least_useful" (see EvictionPolicy).
        protected_sources: sources never evicted (the zero triplet and seed files by default), so
            the buffer can never lose its starting tasks. A type whose protected tasks alone exceed
            the cap stays above it (logged once).
        synchronous: "full" or "normal" (see SyncMode).
        recency_half_life_steps: for recency-weighted reference sampling, a task this many steps
            older than the current step has half the weight.
        solver_fresh_steps: a solver request takes first the tasks proposed in the last this many
            steps (newest first), then draws uniformly from the rest.
        check_on_open: run SQLite's quick_check when opening an existing file (a corrupted file is
            refused instead of failing later, mid-run).
        busy_timeout_s: how long a connection waits for another writer's lock before failing.
    """

    file_name: str = "buffer.sqlite"
    max_tasks_per_kind: int = 0
    eviction: EvictionPolicy = EvictionPolicy.OLDEST
    protected_sources: tuple[Source, ...] = (Source.ZERO, Source.SEED)
    synchronous: SyncMode = SyncMode.FULL
    recency_half_life_steps: float = 20.0
    solver_fresh_steps: int = 1
    check_on_open: bool = True
    busy_timeout_s: float = 30.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "eviction", _enum(EvictionPolicy, self.eviction, "eviction"))
        object.__setattr__(self, "synchronous", _enum(SyncMode, self.synchronous, "synchronous"))
        if isinstance(self.protected_sources, (str, Source)):
            raise ValueError(f"{_PREFIX}.protected_sources must be a list, got {self.protected_sources!r}")
        sources = tuple(_enum(Source, s, "protected_sources") for s in self.protected_sources)
        object.__setattr__(self, "protected_sources", sources)
        if not self.file_name or "/" in self.file_name or self.file_name in (".", ".."):
            raise ValueError(f"{_PREFIX}.file_name must be a plain file name, got {self.file_name!r}")
        _check_int(self.max_tasks_per_kind, "max_tasks_per_kind", minimum=0, hint="0 disables the cap")
        _check_int(self.solver_fresh_steps, "solver_fresh_steps", minimum=0, hint="0 disables fresh-first")
        if not self.recency_half_life_steps > 0:
            raise ValueError(
                f"{_PREFIX}.recency_half_life_steps must be > 0, got {self.recency_half_life_steps!r}"
            )
        if not self.busy_timeout_s >= 0:
            raise ValueError(f"{_PREFIX}.busy_timeout_s must be >= 0, got {self.busy_timeout_s!r}")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any] | None) -> BufferConfig:
        """Build from a plain or OmegaConf mapping; unknown keys are an error naming the key."""
        values = dict(values or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(
                f"unknown key(s) {', '.join(f'{_PREFIX}.{k}' for k in unknown)}; known: {sorted(known)}"
            )
        if "protected_sources" in values and values["protected_sources"] is not None:
            values["protected_sources"] = tuple(values["protected_sources"])
        return cls(**values)

    def to_mapping(self) -> dict[str, Any]:
        """Plain values (for Ray actor arguments and logs)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, enum.Enum):
                value = value.value
            elif f.name == "protected_sources":
                value = [s.value for s in value]
            out[f.name] = value
        return out


def _enum(cls: type[enum.Enum], value: Any, key: str) -> Any:
    try:
        return cls(value)
    except ValueError:
        choices = ", ".join(repr(m.value) for m in cls)
        raise ValueError(f"{_PREFIX}.{key}: {value!r} is not one of {choices}") from None


def _check_int(value: Any, key: str, *, minimum: int, hint: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{_PREFIX}.{key} must be an integer >= {minimum} ({hint}), got {value!r}")
