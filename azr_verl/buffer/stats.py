"""Read-only views of a buffer file for inspection (`azr-verl buffer ...`): summary and export.

These open the file read-only, so they are safe while a run is writing to it.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from azr_verl.buffer.config import BufferConfig
from azr_verl.buffer.records import TASK_COLUMNS, StoredTask, row_to_stored
from azr_verl.buffer.schema import connect
from azr_verl.buffer.seeds import seed_fields

__all__ = [
    "BufferSummary",
    "GrowthRow",
    "RatedTask",
    "export_jsonl",
    "iter_tasks",
    "open_buffer_readonly",
    "program_lines",
    "resolve_buffer_path",
    "summarize",
    "task_counts",
    "task_record",
]


@dataclass(frozen=True)
class GrowthRow:
    """Tasks added, deduplicated and evicted in a range of steps, and the total after it."""

    first_step: int
    last_step: int
    added: int
    duplicates: int
    evicted: int
    total_after: int


@dataclass(frozen=True)
class RatedTask:
    """A task with its solve rate, for the hardest/easiest lists."""

    id: int
    kind: str
    solve_rate: float
    solve_attempts: int
    first_line: str


@dataclass(frozen=True)
class BufferSummary:
    """What `azr-verl buffer stats` prints."""

    path: Path
    total: int
    counts: dict[tuple[str, str], int]  # (kind, source) -> tasks
    growth: tuple[GrowthRow, ...]
    program_lines: dict[str, tuple[int, int, int, int]]  # kind -> (min, median, p90, max) lines
    hardest: tuple[RatedTask, ...]
    easiest: tuple[RatedTask, ...]


def resolve_buffer_path(target: str | os.PathLike[str], file_name: str = BufferConfig().file_name) -> Path:
    """A run directory means its buffer file; anything else is taken as the file itself."""
    target = Path(target)
    return target / file_name if target.is_dir() else target


def open_buffer_readonly(target: str | os.PathLike[str]) -> sqlite3.Connection:
    """Open a run's buffer (or a snapshot) read-only; raises BufferFileError naming a bad file."""
    return connect(resolve_buffer_path(target), readonly=True, check=False)


def _growth(conn: sqlite3.Connection, rows: int) -> tuple[GrowthRow, ...]:
    per_step = conn.execute(
        "SELECT step, SUM(added), SUM(duplicates), SUM(evicted) FROM step_counts GROUP BY step ORDER BY step"
    ).fetchall()
    if not per_step:
        return ()
    first, last = per_step[0][0], per_step[-1][0]
    width = max(1, -(-(last - first + 1) // max(rows, 1)))
    buckets: dict[int, list[int]] = {}
    for step, added, dups, evicted in per_step:
        bucket = buckets.setdefault((step - first) // width, [0, 0, 0])
        bucket[0] += added
        bucket[1] += dups
        bucket[2] += evicted
    out, total = [], 0
    for index in sorted(buckets):
        added, dups, evicted = buckets[index]
        total += added - evicted
        start = first + index * width
        out.append(GrowthRow(start, min(start + width - 1, last), added, dups, evicted, total))
    return tuple(out)


def program_lines(program: str) -> int:
    """Lines of a program (helpers and imports included), as stats, show and report count them."""
    return program.count("\n") + 1


def task_counts(conn: sqlite3.Connection) -> tuple[tuple[str, str, int], ...]:
    """(task type, source, stored tasks), ordered by task type and source."""
    return tuple(
        (kind, source, int(n))
        for kind, source, n in conn.execute(
            "SELECT kind, source, COUNT(*) FROM tasks GROUP BY kind, source ORDER BY kind, source"
        )
    )


def _program_lines(conn: sqlite3.Connection) -> dict[str, tuple[int, int, int, int]]:
    lines: dict[str, list[int]] = {}
    for kind, program in conn.execute("SELECT kind, program FROM tasks"):
        lines.setdefault(kind, []).append(program_lines(program))
    out = {}
    for kind, values in sorted(lines.items()):
        values.sort()
        n = len(values)
        out[kind] = (values[0], values[n // 2], values[min(n - 1, (9 * n) // 10)], values[-1])
    return out


def _rated(conn: sqlite3.Connection, top: int, min_attempts: int, descending: bool) -> tuple[RatedTask, ...]:
    order = "DESC" if descending else "ASC"
    rows = conn.execute(
        "SELECT id, kind, CAST(solve_successes AS REAL) / solve_attempts AS rate, solve_attempts, program "
        f"FROM tasks WHERE solve_attempts >= ? ORDER BY rate {order}, solve_attempts DESC, id LIMIT ?",
        (max(min_attempts, 1), top),
    ).fetchall()
    return tuple(RatedTask(r[0], r[1], r[2], r[3], _first_code_line(r[4])) for r in rows)


def _first_code_line(program: str) -> str:
    for line in program.splitlines():
        if line.strip().startswith("def "):
            return line.strip()
    return program.strip().splitlines()[0] if program.strip() else ""


def summarize(
    conn: sqlite3.Connection, path: Path, *, top: int = 5, min_attempts: int = 4, growth_rows: int = 20
) -> BufferSummary:
    """Counts per task type and source, growth over steps, program lengths, hardest and easiest tasks."""
    counts = {(k, s): n for k, s, n in task_counts(conn)}
    return BufferSummary(
        path=path,
        total=sum(counts.values()),
        counts=counts,
        growth=_growth(conn, growth_rows),
        program_lines=_program_lines(conn),
        hardest=_rated(conn, top, min_attempts, descending=False),
        easiest=_rated(conn, top, min_attempts, descending=True),
    )


def iter_tasks(
    conn: sqlite3.Connection,
    *,
    kinds: Sequence[str] = (),
    sources: Sequence[str] = (),
    ids: Sequence[int] = (),
    limit: int | None = None,
) -> Iterator[StoredTask]:
    """Stored tasks in creation order, filtered by task type, source and id."""
    where, params = [], []
    for column, values in (("kind", kinds), ("source", sources), ("id", ids)):
        if values:
            where.append(f"{column} IN ({','.join('?' * len(values))})")
            params.extend(values)
    sql = (
        f"SELECT {TASK_COLUMNS} FROM tasks"
        + (f" WHERE {' AND '.join(where)}" if where else "")
        + " ORDER BY id"
    )
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    for row in conn.execute(sql, params):
        yield row_to_stored(row)


def task_record(stored: StoredTask) -> dict:
    """One exported line: the task (loadable as a seed by read_seed_file) and its provenance and stats."""
    task, stats = stored.task, stored.stats
    return {
        "id": stored.id,
        **seed_fields(task),
        "source": stored.source.value,
        "step": stored.step,
        "fingerprint": stored.fingerprint,
        "times_served": stats.times_served,
        "solve_attempts": stats.solve_attempts,
        "solve_successes": stats.solve_successes,
        "solve_rate": stats.solve_rate,
        "learnability_last": stats.learnability_last,
        "learnability_mean": stats.learnability_mean,
    }


def export_jsonl(
    conn: sqlite3.Connection, out: IO[str], *, kinds: Sequence[str] = (), sources: Sequence[str] = ()
) -> int:
    """Write every (selected) task as one JSON line; returns the number written."""
    written = 0
    for stored in iter_tasks(conn, kinds=kinds, sources=sources):
        out.write(json.dumps(task_record(stored), ensure_ascii=False) + "\n")
        written += 1
    return written
