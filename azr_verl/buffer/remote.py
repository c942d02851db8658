"""RemoteBuffer: TaskStore's methods and signatures over the run's Ray actor.

Code written against TaskStore (the dataset, the reward manager) runs unchanged against the actor,
and its tests can pass a local TaskStore instead. Sync methods wait for the actor with a timeout;
async code awaits `add_async` (or any `handle.<method>.remote(...)`) without blocking its loop.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

from azr_verl.buffer.records import AddResult, SampleRequest, SolveOutcome, StoredTask
from azr_verl.buffer.snapshot import SnapshotInfo
from azr_verl.buffer.store import SeedReport
from azr_verl.tasks.task import Source, Task, TaskKind

__all__ = ["RemoteBuffer"]


class RemoteBuffer:
    """A sync (and partly async) facade over a buffer actor handle.

    Args:
        handle: from `create_buffer_actor` or `get_buffer_actor`.
        timeout_s: how long a sync call waits for the actor before raising GetTimeoutError.
    """

    def __init__(self, handle: Any, timeout_s: float = 120.0) -> None:
        self._handle = handle
        self._timeout_s = timeout_s

    @classmethod
    def for_run(cls, run_id: str, timeout_s: float = 120.0) -> RemoteBuffer:
        """The buffer of a run, found by name (raises LookupError when the run has none)."""
        from azr_verl.buffer.actor import get_buffer_actor

        return cls(get_buffer_actor(run_id), timeout_s)

    @property
    def handle(self) -> Any:
        return self._handle

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        import ray

        return ray.get(getattr(self._handle, method).remote(*args, **kwargs), timeout=self._timeout_s)

    def add(
        self,
        tasks: Sequence[Task],
        *,
        source: Source | str = Source.PROPOSED,
        step: int = 0,
        fingerprints: Sequence[str] | None = None,
        learnability: Sequence[float | None] | None = None,
    ) -> list[AddResult]:
        return self._call(
            "add", list(tasks), source=source, step=step, fingerprints=fingerprints, learnability=learnability
        )

    async def add_async(
        self,
        tasks: Sequence[Task],
        *,
        source: Source | str = Source.PROPOSED,
        step: int = 0,
        fingerprints: Sequence[str] | None = None,
        learnability: Sequence[float | None] | None = None,
    ) -> list[AddResult]:
        """`add` for event-loop code (reward managers, agent loops): awaits the actor, never blocks."""
        return await self._handle.add.remote(
            list(tasks), source=source, step=step, fingerprints=fingerprints, learnability=learnability
        )

    def seed_zero(self) -> list[AddResult]:
        return self._call("seed_zero")

    def load_seeds(self, path: str | os.PathLike[str], *, step: int = 0) -> SeedReport:
        return self._call("load_seeds", str(path), step=step)

    def get(self, task_ids: Sequence[int]) -> list[StoredTask]:
        return self._call("get", list(task_ids))

    def sample(
        self, requests: Sequence[SampleRequest], *, seed: int, step: int
    ) -> list[tuple[StoredTask, ...]]:
        return self._call("sample", list(requests), seed=seed, step=step)

    def count(self, kind: TaskKind | str | None = None) -> int:
        return self._call("count", kind)

    def counts(self) -> dict[TaskKind, int]:
        return self._call("counts")

    def metrics(self, step: int) -> dict[str, float]:
        return self._call("metrics", step)

    def record_served(self, task_ids: Iterable[int]) -> int:
        return self._call("record_served", list(task_ids))

    def record_outcomes(self, outcomes: Iterable[SolveOutcome]) -> int:
        return self._call("record_outcomes", list(outcomes))

    def snapshot(self, path: str | os.PathLike[str]) -> SnapshotInfo:
        return self._call("snapshot", str(path))

    def restore(self, path: str | os.PathLike[str]) -> int:
        return self._call("restore", str(path))
