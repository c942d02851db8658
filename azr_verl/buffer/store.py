"""TaskStore: the self-play buffer on one SQLite file (WAL), with an in-memory index for sampling.

One process writes (the Ray actor of azr_verl.buffer.actor); any number may read. Every call that
changes the buffer is one transaction committed before the call returns, so a task whose id was
returned survives a kill -9 of the process at any later moment (tests/buffer/test_crash_on_cpu.py).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from azr_verl.buffer.config import BufferConfig
from azr_verl.buffer.eviction import select_victims
from azr_verl.buffer.index import TaskIndex
from azr_verl.buffer.records import (
    TASK_COLUMNS,
    AddResult,
    SampleRequest,
    SolveOutcome,
    StoredTask,
    row_to_stored,
)
from azr_verl.buffer.sampling import plan_batch
from azr_verl.buffer.schema import connect
from azr_verl.buffer.seeds import read_seed_file, zero_tasks
from azr_verl.buffer.snapshot import SnapshotInfo, copy_snapshot_into, write_snapshot
from azr_verl.tasks.fingerprint import task_fingerprint
from azr_verl.tasks.task import Source, Task, TaskKind

__all__ = ["SeedReport", "TaskStore"]

logger = logging.getLogger(__name__)

_CHUNK = 500  # ids per `IN (...)` list, well under SQLite's bound-parameter limit
_INSERT = (
    "INSERT OR IGNORE INTO tasks (kind, fingerprint, program, inputs, outputs, message, extra, source, step, "
    "created_s, learnability_last, learnability_sum, learnability_count) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
)
_UPDATE_LEARNABILITY = (
    "UPDATE tasks SET learnability_last = ?, learnability_sum = learnability_sum + ?, "
    "learnability_count = learnability_count + 1 WHERE id = ?"
)
_UPDATE_OUTCOME = (
    "UPDATE tasks SET solve_attempts = solve_attempts + ?, solve_successes = solve_successes + ?, "
    "learnability_last = COALESCE(?, learnability_last), learnability_sum = learnability_sum + COALESCE(?, 0), "
    "learnability_count = learnability_count + (? IS NOT NULL) WHERE id = ?"
)
_COUNT_STEP = (
    "INSERT INTO step_counts (step, kind, added, duplicates, evicted) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (step, kind) DO UPDATE SET added = added + excluded.added, "
    "duplicates = duplicates + excluded.duplicates, evicted = evicted + excluded.evicted"
)


@dataclass(frozen=True)
class SeedReport:
    """What loading a seed file did."""

    path: Path
    lines: int
    malformed: int
    added: int
    duplicates: int


def _chunks(ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


class TaskStore:
    """The buffer of one run.

    Args:
        path: the SQLite file (conventionally RUN_DIR/buffer.sqlite, see `in_run_dir`).
        config: buffer settings.
        create: create an empty buffer when `path` does not exist; with False a missing file is an
            error (resuming a run must never silently start from nothing).

    Raises:
        BufferFileError: the file is missing (with create=False), foreign or corrupted.
    """

    def __init__(
        self, path: str | os.PathLike[str], config: BufferConfig | None = None, *, create: bool = True
    ):
        self._config = config or BufferConfig()
        self._path = Path(path).absolute()
        cfg = self._config
        self._conn = connect(
            self._path,
            create=create,
            synchronous=cfg.synchronous,
            check=cfg.check_on_open,
            busy_timeout_s=cfg.busy_timeout_s,
        )
        self._lock = threading.RLock()
        self._index = TaskIndex()
        self._warned_over_cap: set[TaskKind] = set()
        self._reindex()

    @classmethod
    def in_run_dir(
        cls, run_dir: str | os.PathLike[str], config: BufferConfig | None = None, *, create: bool = True
    ):
        """The buffer file `config.file_name` inside a run directory."""
        config = config or BufferConfig()
        return cls(Path(run_dir) / config.file_name, config, create=create)

    @property
    def path(self) -> Path:
        return self._path

    @property
    def config(self) -> BufferConfig:
        return self._config

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> TaskStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------------------

    def _reindex(self) -> None:
        self._index.rebuild(self._conn)
        self._data_version = self._conn.execute("PRAGMA data_version").fetchone()[0]

    def _sync(self) -> None:
        """Rebuild the index if another connection committed since we last looked."""
        if self._conn.execute("PRAGMA data_version").fetchone()[0] != self._data_version:
            logger.info("buffer %s changed by another connection; re-indexing", self._path)
            self._reindex()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            self._conn.execute("COMMIT")
        except BaseException:
            if self._conn.in_transaction:  # also when COMMIT itself failed (busy, disk full)
                self._conn.execute("ROLLBACK")
            raise

    # -- writing -----------------------------------------------------------------------------

    def add(
        self,
        tasks: Sequence[Task],
        *,
        source: Source | str = Source.PROPOSED,
        step: int = 0,
        fingerprints: Sequence[str] | None = None,
        learnability: Sequence[float | None] | None = None,
    ) -> list[AddResult]:
        """Store validated tasks, committed before returning; a duplicate (same type and fingerprint)
        keeps the stored task and returns its id.

        Args:
            tasks: tasks the executor accepted.
            source: where they came from.
            step: the training step that produced them (0 for seeds).
            fingerprints: `task_fingerprint` of each task when the caller computed them (the
                reward workers do, in parallel); computed here otherwise.
            learnability: the proposer reward of each task, recorded in its statistics.

        Returns:
            One AddResult per task, in order.
        """
        tasks = list(tasks)
        fps = list(fingerprints) if fingerprints is not None else [task_fingerprint(t) for t in tasks]
        learn = list(learnability) if learnability is not None else [None] * len(tasks)
        if len(fps) != len(tasks) or len(learn) != len(tasks):
            raise ValueError(
                f"add: {len(tasks)} tasks, {len(fps)} fingerprints, {len(learn)} learnability values"
            )
        source = Source(source)
        with self._lock:
            self._sync()
            results, new, evicted = self._insert(tasks, fps, learn, source, int(step))
            for kind, items in new.items():
                self._index.extend(kind, items)
            for kind, ids in evicted.items():
                self._index.remove(kind, ids)
        return results

    def _insert(
        self, tasks: list[Task], fps: list[str], learn: list[float | None], source: Source, step: int
    ) -> tuple[list[AddResult], dict[TaskKind, list[tuple[int, int, bool]]], dict[TaskKind, list[int]]]:
        """One transaction: insert or find each task, evict over the cap, count the step."""
        now = time.time()
        results: list[AddResult] = []
        new: dict[TaskKind, list[tuple[int, int, bool]]] = defaultdict(list)
        dups: Counter[TaskKind] = Counter()
        proposed = source is Source.PROPOSED
        with self._transaction():
            for task, fp, value in zip(tasks, fps, learn, strict=True):
                row = (
                    task.kind.value, fp, task.program, json.dumps(list(task.inputs)), json.dumps(list(task.outputs)),
                    task.message, json.dumps(task.extra, sort_keys=True), source.value, step, now,
                    value, value or 0.0, 0 if value is None else 1,
                )  # fmt: skip
                cur = self._conn.execute(_INSERT, row)
                if cur.rowcount == 1:
                    results.append(AddResult(int(cur.lastrowid), True))
                    new[task.kind].append((int(cur.lastrowid), step, proposed))
                    continue
                tid = self._conn.execute(
                    "SELECT id FROM tasks WHERE kind = ? AND fingerprint = ?", (task.kind.value, fp)
                ).fetchone()[0]
                results.append(AddResult(int(tid), False))
                dups[task.kind] += 1
                if value is not None:
                    self._conn.execute(_UPDATE_LEARNABILITY, (value, value, tid))
            evicted = self._evict(set(new))
            counts = [
                (step, k.value, len(new.get(k, ())), dups[k], len(evicted.get(k, ())))
                for k in sorted(set(new) | set(dups) | set(evicted), key=lambda k: k.value)
            ]
            self._conn.executemany(_COUNT_STEP, counts)
        return results, new, evicted

    def _evict(self, kinds: Iterable[TaskKind]) -> dict[TaskKind, list[int]]:
        cap = self._config.max_tasks_per_kind
        evicted: dict[TaskKind, list[int]] = {}
        if cap <= 0:
            return evicted
        for kind in kinds:
            row = self._conn.execute("SELECT COUNT(*) FROM tasks WHERE kind = ?", (kind.value,)).fetchone()
            total = int(row[0])
            victims = select_victims(
                self._conn, kind, total - cap, self._config.eviction, self._config.protected_sources
            )
            for chunk in _chunks(victims):
                self._conn.execute(f"DELETE FROM tasks WHERE id IN ({','.join('?' * len(chunk))})", chunk)
            if victims:
                evicted[kind] = victims
            if total - len(victims) > cap and kind not in self._warned_over_cap:
                self._warned_over_cap.add(kind)
                logger.warning(
                    "buffer %s: %d protected %s tasks exceed max_tasks_per_kind=%d; they are kept",
                    self._path, total - len(victims), kind.value, cap,
                )  # fmt: skip
        return evicted

    def seed_zero(self) -> list[AddResult]:
        """Add the zero triplet (idempotent: a second call finds duplicates)."""
        return self.add(zero_tasks(), source=Source.ZERO, step=0)

    def load_seeds(self, path: str | os.PathLike[str], *, step: int = 0) -> SeedReport:
        """Add the tasks of a seed file (see azr_verl.buffer.seeds for the formats)."""
        seed_file = read_seed_file(path)
        results = self.add(seed_file.tasks, source=Source.SEED, step=step)
        added = sum(r.inserted for r in results)
        report = SeedReport(seed_file.path, seed_file.lines, seed_file.malformed, added, len(results) - added)
        logger.info("seed file %s: %d tasks added, %d duplicates, %d malformed lines", path, added,
                    report.duplicates, report.malformed)  # fmt: skip
        return report

    def record_served(self, task_ids: Iterable[int]) -> int:
        """Count that these tasks went into prompts (an id may repeat); returns how many ids exist."""
        counts = Counter(int(t) for t in task_ids)
        with self._lock, self._transaction():
            cur = self._conn.executemany(
                "UPDATE tasks SET times_served = times_served + ? WHERE id = ?",
                [(n, t) for t, n in counts.items()],
            )
            return max(cur.rowcount, 0)

    def record_outcomes(self, outcomes: Iterable[SolveOutcome]) -> int:
        """Add solver attempts, successes and learnability values; returns how many tasks exist."""
        rows = [
            (o.attempts, o.successes, o.learnability, o.learnability, o.learnability, o.task_id)
            for o in outcomes
        ]
        with self._lock, self._transaction():
            return max(self._conn.executemany(_UPDATE_OUTCOME, rows).rowcount, 0)

    # -- reading -----------------------------------------------------------------------------

    def get(self, task_ids: Sequence[int]) -> list[StoredTask]:
        """The stored tasks with these ids, in the order given (ids no longer stored are skipped)."""
        wanted = [int(t) for t in task_ids]
        unique = list(dict.fromkeys(wanted))
        found: dict[int, StoredTask] = {}
        with self._lock:
            for chunk in _chunks(unique):
                sql = f"SELECT {TASK_COLUMNS} FROM tasks WHERE id IN ({','.join('?' * len(chunk))})"
                for row in self._conn.execute(sql, chunk):
                    found[row[0]] = row_to_stored(row)
        return [found[t] for t in wanted if t in found]

    def sample(
        self, requests: Sequence[SampleRequest], *, seed: int, step: int
    ) -> list[tuple[StoredTask, ...]]:
        """Tasks for a batch of prompt slots, one tuple per request (see azr_verl.buffer.sampling).

        Ask for a whole batch in one call: fresh-first requests share this step's freshest tasks
        in request order, and one call costs one query.
        """
        with self._lock:
            self._sync()
            plans = plan_batch(
                requests,
                self._index,
                seed=int(seed),
                step=int(step),
                half_life_steps=self._config.recency_half_life_steps,
                fresh_steps=self._config.solver_fresh_steps,
            )
            by_id = {s.id: s for s in self.get([t for plan in plans for t in plan])}
        return [tuple(by_id[t] for t in plan if t in by_id) for plan in plans]

    def count(self, kind: TaskKind | str | None = None) -> int:
        """Tasks stored, of one type or in total."""
        with self._lock:
            self._sync()
            kinds = [TaskKind(kind)] if kind is not None else list(TaskKind)
            return sum(self._index.count(k) for k in kinds)

    def counts(self) -> dict[TaskKind, int]:
        """Tasks stored per type (types with none included)."""
        with self._lock:
            self._sync()
            return {k: self._index.count(k) for k in TaskKind}

    def metrics(self, step: int) -> dict[str, float]:
        """Per-type size, and what `step` added, deduplicated and evicted, as `azr/buffer/...` metrics."""
        with self._lock:
            self._sync()
            out: dict[str, float] = {
                f"azr/buffer/{k.value}/size": float(self._index.count(k)) for k in TaskKind
            }
            rows = self._conn.execute(
                "SELECT kind, added, duplicates, evicted FROM step_counts WHERE step = ?", (int(step),)
            ).fetchall()
        for kind, added, dups, evicted in rows:
            out[f"azr/buffer/{kind}/added"] = float(added)
            out[f"azr/buffer/{kind}/duplicates"] = float(dups)
            out[f"azr/buffer/{kind}/evicted"] = float(evicted)
        return out

    # -- snapshots ---------------------------------------------------------------------------

    def snapshot(self, path: str | os.PathLike[str]) -> SnapshotInfo:
        """Write a consistent copy of the buffer to `path` (atomically replaced)."""
        with self._lock:
            return write_snapshot(self._conn, path)

    def restore(self, path: str | os.PathLike[str]) -> int:
        """Replace the whole buffer with a snapshot's contents; returns the task count.

        Raises:
            BufferFileError: the snapshot is missing, foreign or corrupted (nothing is changed).
        """
        with self._lock:
            tasks = copy_snapshot_into(path, self._conn)
            self._reindex()
            self._warned_over_cap.clear()
            return tasks
