"""In-memory index of the buffer: ids per task type in creation order, kept in sync with the table.

Sampling draws positions in these arrays and fetches only the chosen rows, so a batch costs the same
on a buffer of 1,000 or 1,000,000 tasks (measured in benchmarks/buffer_bench.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from azr_verl.tasks.task import Source, TaskKind

__all__ = ["KindView", "TaskIndex"]


@dataclass(frozen=True)
class KindView:
    """The tasks of one or more task types: parallel arrays ordered by kind, then by id."""

    ids: np.ndarray  # int64
    steps: np.ndarray  # int64
    proposed: np.ndarray  # bool: came from the model (not the zero triplet or a seed file)

    def __len__(self) -> int:
        return int(self.ids.shape[0])


_EMPTY = KindView(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, bool))


class TaskIndex:
    """ids, steps and a proposed flag per task type; rebuilt from the table when another connection wrote."""

    def __init__(self) -> None:
        self._kinds: dict[TaskKind, KindView] = {}

    def rebuild(self, conn: sqlite3.Connection) -> None:
        rows = conn.execute("SELECT kind, id, step, source FROM tasks ORDER BY kind, id").fetchall()
        grouped: dict[TaskKind, list[tuple[int, int, bool]]] = {}
        for kind, tid, step, source in rows:
            grouped.setdefault(TaskKind(kind), []).append((tid, step, source == Source.PROPOSED.value))
        self._kinds = {kind: _view(items) for kind, items in grouped.items()}

    def extend(self, kind: TaskKind, items: Sequence[tuple[int, int, bool]]) -> None:
        """Append new (id, step, proposed) entries; ids must be larger than those indexed."""
        if not items:
            return
        old = self._kinds.get(kind, _EMPTY)
        new = _view(items)
        self._kinds[kind] = KindView(
            np.concatenate([old.ids, new.ids]),
            np.concatenate([old.steps, new.steps]),
            np.concatenate([old.proposed, new.proposed]),
        )

    def remove(self, kind: TaskKind, ids: Iterable[int]) -> None:
        old = self._kinds.get(kind)
        gone = np.fromiter(ids, dtype=np.int64)
        if old is None or gone.size == 0:
            return
        keep = ~np.isin(old.ids, gone)
        self._kinds[kind] = KindView(old.ids[keep], old.steps[keep], old.proposed[keep])

    def view(self, kinds: Sequence[TaskKind]) -> KindView:
        """The union of `kinds`, in the order given (callers pass them sorted, so draws are stable)."""
        parts = [self._kinds[k] for k in kinds if k in self._kinds]
        if not parts:
            return _EMPTY
        if len(parts) == 1:
            return parts[0]
        return KindView(
            np.concatenate([p.ids for p in parts]),
            np.concatenate([p.steps for p in parts]),
            np.concatenate([p.proposed for p in parts]),
        )

    def count(self, kind: TaskKind) -> int:
        return len(self._kinds.get(kind, _EMPTY))


def _view(items: Sequence[tuple[int, int, bool]]) -> KindView:
    arr = np.array(items, dtype=np.int64).reshape(-1, 3)
    return KindView(arr[:, 0].copy(), arr[:, 1].copy(), arr[:, 2].astype(bool))
