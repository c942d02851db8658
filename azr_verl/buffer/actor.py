"""The run's buffer as a named Ray actor, reached by name from every process of the run.

One actor per run (name `azr_buffer:<run_id>`, namespace `azr`) owns the TaskStore; Ray runs its
methods one at a time, so the SQLite file has a single writer. The dataset (TaskRunner), the reward
managers and the agent loops find it by name: sync code calls `ray.get(handle.sample.remote(...))`,
async code awaits `handle.add.remote(...)` directly.

Decisions:
- Not detached: the actor belongs to the process that created it (the TaskRunner) and ends with the
  run. A detached actor would outlive a crashed run and serve its stale buffer to the resumed one;
  the SQLite file, not the actor, is what persists.
- Pinned to the creating node: SQLite in WAL mode needs the file on a local disk shared by nobody
  else, and the checkpoint snapshots are written from there too.
- `num_cpus=0`: it does not take a CPU slot from veRL's resource pools (its work is milliseconds).
- Restarted by Ray if its process dies (max_restarts): it reopens the file, which holds every
  committed task; a call in flight at that moment fails and is not retried (stats are not idempotent).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from azr_verl.buffer.config import BufferConfig
from azr_verl.buffer.records import AddResult, SampleRequest, SolveOutcome, StoredTask
from azr_verl.buffer.schema import connect
from azr_verl.buffer.snapshot import SnapshotInfo
from azr_verl.buffer.store import SeedReport, TaskStore
from azr_verl.tasks.task import Source, Task, TaskKind

__all__ = ["ACTOR_NAMESPACE", "BufferActor", "buffer_actor_name", "create_buffer_actor", "get_buffer_actor"]

logger = logging.getLogger(__name__)

ACTOR_NAMESPACE = "azr"
_MAX_RESTARTS = 3


def buffer_actor_name(run_id: str) -> str:
    """The Ray name of a run's buffer actor."""
    if not run_id or not isinstance(run_id, str):
        raise ValueError(f"run_id must be a non-empty string, got {run_id!r}")
    return f"azr_buffer:{run_id}"


class BufferActor:
    """TaskStore behind a Ray actor; the methods mirror TaskStore's (see there for details).

    Args:
        path: the buffer file.
        config: BufferConfig as a mapping (`BufferConfig.to_mapping()`).
        must_exist: refuse to start on a missing file (resuming a run).
        seed_zero: add the zero triplet when the buffer is empty.
        seed_files: seed files to load when the buffer is empty.
    """

    def __init__(
        self,
        path: str,
        config: Mapping[str, Any] | None = None,
        must_exist: bool = False,
        seed_zero: bool = True,
        seed_files: Sequence[str] = (),
    ) -> None:
        self._store = TaskStore(path, BufferConfig.from_mapping(config), create=not must_exist)
        if self._store.count() == 0:
            if seed_zero:
                self._store.seed_zero()
            for seed_file in seed_files:
                self._store.load_seeds(seed_file)
        logger.info("buffer actor serving %s (%d tasks)", self._store.path, self._store.count())

    def path(self) -> str:
        return str(self._store.path)

    def add(
        self,
        tasks: Sequence[Task],
        source: Source | str = Source.PROPOSED,
        step: int = 0,
        fingerprints: Sequence[str] | None = None,
        learnability: Sequence[float | None] | None = None,
    ) -> list[AddResult]:
        return self._store.add(
            tasks, source=source, step=step, fingerprints=fingerprints, learnability=learnability
        )

    def seed_zero(self) -> list[AddResult]:
        return self._store.seed_zero()

    def load_seeds(self, path: str, step: int = 0) -> SeedReport:
        return self._store.load_seeds(path, step=step)

    def get(self, task_ids: Sequence[int]) -> list[StoredTask]:
        return self._store.get(task_ids)

    def sample(self, requests: Sequence[SampleRequest], seed: int, step: int) -> list[tuple[StoredTask, ...]]:
        return self._store.sample(requests, seed=seed, step=step)

    def count(self, kind: TaskKind | str | None = None) -> int:
        return self._store.count(kind)

    def counts(self) -> dict[TaskKind, int]:
        return self._store.counts()

    def metrics(self, step: int) -> dict[str, float]:
        return self._store.metrics(step)

    def record_served(self, task_ids: Sequence[int]) -> int:
        return self._store.record_served(task_ids)

    def record_outcomes(self, outcomes: Sequence[SolveOutcome]) -> int:
        return self._store.record_outcomes(outcomes)

    def snapshot(self, path: str) -> SnapshotInfo:
        return self._store.snapshot(path)

    def restore(self, path: str) -> int:
        return self._store.restore(path)


def _remote_class() -> Any:
    import ray

    return ray.remote(BufferActor)


def create_buffer_actor(
    run_id: str,
    path: str | os.PathLike[str],
    config: BufferConfig | None = None,
    *,
    must_exist: bool = False,
    seed_zero: bool = True,
    seed_files: Sequence[str | os.PathLike[str]] = (),
    timeout_s: float = 120.0,
) -> Any:
    """Get the run's buffer actor, creating it (on this node) if it does not exist yet.

    Args:
        run_id: names the actor (`azr_buffer:<run_id>`).
        path: the buffer file, on this node's disk.
        config: buffer settings.
        must_exist: resuming: a missing file is an error, never a fresh start.
        seed_zero: add the zero triplet to an empty buffer.
        seed_files: seed files to load into an empty buffer.
        timeout_s: how long to wait for the actor to come up.

    Returns:
        The actor handle (methods as BufferActor's, called with `.remote`).

    Raises:
        ValueError: an actor of this run already serves another file.
        BufferFileError: the file is missing (with must_exist), foreign or corrupted.
    """
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    path = Path(path).absolute()
    config = config or BufferConfig()
    if must_exist or path.exists():  # refuse a bad file here, with a plain error, not inside Ray's
        connect(path, readonly=True, check=config.check_on_open).close()
    handle = (
        _remote_class()
        .options(
            name=buffer_actor_name(run_id),
            namespace=ACTOR_NAMESPACE,
            get_if_exists=True,
            lifetime=None,
            num_cpus=0,
            max_restarts=_MAX_RESTARTS,
            scheduling_strategy=NodeAffinitySchedulingStrategy(
                ray.get_runtime_context().get_node_id(), soft=False
            ),
        )
        .remote(
            str(path),
            (config or BufferConfig()).to_mapping(),
            must_exist,
            seed_zero,
            [str(p) for p in seed_files],
        )
    )
    served = ray.get(handle.path.remote(), timeout=timeout_s)
    if Path(served) != path:
        raise ValueError(f"buffer actor {buffer_actor_name(run_id)!r} already serves {served}, not {path}")
    return handle


def get_buffer_actor(run_id: str) -> Any:
    """The run's buffer actor, from any process of the Ray cluster.

    Raises:
        LookupError: no buffer actor for this run (it is created by the TaskRunner at start-up).
    """
    import ray

    name = buffer_actor_name(run_id)
    try:
        return ray.get_actor(name, namespace=ACTOR_NAMESPACE)
    except ValueError as exc:
        raise LookupError(
            f"no buffer actor {name!r} in Ray namespace {ACTOR_NAMESPACE!r}; "
            "it is created by create_buffer_actor() when the run starts"
        ) from exc
