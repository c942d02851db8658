"""Which tasks leave a task type that is over its cap.

New tasks are always stored; the cap is restored by deleting other tasks of the same type inside
the same transaction. Tasks of a protected source (the zero triplet and seed files by default) are
never deleted.

- oldest: the lowest ids (first created) go first.
- least_useful: the tasks with nothing left to teach go first. With a smoothed solve rate
  p = (successes + 1) / (attempts + 2), usefulness is 4 p (1 - p): 1 for a task never attempted
  (p = 1/2), near 0 for a task solved every time or never after many attempts. Lowest usefulness
  first, oldest first among equals; a fresh task is never evicted before a mastered one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from azr_verl.buffer.config import EvictionPolicy
from azr_verl.tasks.task import Source, TaskKind

__all__ = ["USEFULNESS_SQL", "select_victims"]

_P = "((solve_successes + 1.0) / (solve_attempts + 2.0))"
USEFULNESS_SQL = f"(4.0 * {_P} * (1.0 - {_P}))"

_ORDER = {
    EvictionPolicy.OLDEST: "id",
    EvictionPolicy.LEAST_USEFUL: f"{USEFULNESS_SQL}, id",
}


def select_victims(
    conn: sqlite3.Connection,
    kind: TaskKind,
    excess: int,
    policy: EvictionPolicy,
    protected: Sequence[Source],
) -> list[int]:
    """Ids of up to `excess` unprotected tasks of `kind` to delete, in eviction order."""
    if excess <= 0:
        return []
    marks = ",".join("?" * len(protected))
    where = f"kind = ? AND source NOT IN ({marks})" if protected else "kind = ?"
    sql = f"SELECT id FROM tasks WHERE {where} ORDER BY {_ORDER[policy]} LIMIT ?"
    params = [kind.value, *(Source(s).value for s in protected), excess]
    return [row[0] for row in conn.execute(sql, params)]
