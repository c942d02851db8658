"""Writer process of the crash test: adds batches of tasks forever and acknowledges each batch.

Usage: python crash_writer.py BUFFER_PATH SYNC_MODE BATCH_SIZE
Prints "begin <batch>" before each add() and, after add() returned, "ack <batch> <id> <id> ... end" (a line cut by the
kill has no "end" and acknowledges nothing).
"""

from __future__ import annotations

import sys

from azr_verl.buffer import BufferConfig, TaskStore
from azr_verl.tasks import Task, TaskKind


def batch_tasks(batch: int, size: int) -> list[Task]:
    """The tasks of one batch; the test rebuilds them to check what was stored."""
    kinds = (TaskKind.DEDUCTION, TaskKind.ABDUCTION)
    return [
        Task(
            kinds[i % 2],
            f"def f(x):\n    return x * {batch} + {i}  # {'pad' * 40}",
            (str(i),),
            (str(batch * i + i),),
        )
        for i in range(size)
    ]


def main() -> None:
    path, sync, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with TaskStore(path, BufferConfig(synchronous=sync)) as store:
        batch = 0
        while True:
            tasks = batch_tasks(batch, size)
            print("begin", batch, flush=True)
            fingerprints = [f"b{batch}-{i}" for i in range(size)]  # cheap: keep the time inside SQLite
            results = store.add(tasks, step=batch, fingerprints=fingerprints)
            print("ack", batch, *(r.id for r in results), "end", flush=True)
            batch += 1


if __name__ == "__main__":
    main()
