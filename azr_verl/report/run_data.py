"""A run's records as the report reads them: the merged metrics of every trainer start and the buffer.

The trainer writes veRL's file-logger jsonl into the run directory, one file per start
(`metrics.jsonl`, `metrics.2.jsonl`, ... see `azr_verl.run_files`), because veRL's logger truncates
its file. A resumed run repeats no step it finished, but a run that crashed after logging a step and
before its checkpoint logs that step again: the later file wins for a repeated step (whole rows).
The buffer is opened read-only, so a report can be drawn while the run is still writing.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from azr_verl.buffer.records import StoredTask
from azr_verl.metrics_log import StepMetrics, read_metrics
from azr_verl.run_files import metrics_files

__all__ = ["MetricsFile", "ReportError", "RunData", "StepCount", "load_run", "merge_metrics"]

logger = logging.getLogger(__name__)


class ReportError(RuntimeError):
    """The report cannot be drawn: no run directory, or nothing in it to report on."""


@dataclass(frozen=True)
class MetricsFile:
    """One metrics file read: its path, the steps it held and the lines that were skipped."""

    path: Path
    steps: int
    skipped_lines: int


@dataclass(frozen=True)
class StepCount:
    """One row of the buffer's per-step bookkeeping (`step_counts`): what a step did to one task type."""

    step: int
    kind: str
    added: int
    duplicates: int
    evicted: int


@dataclass(frozen=True)
class RunData:
    """Everything the report draws from.

    Attributes:
        run_dir: the run directory.
        metrics_files: the files read, in merge order.
        steps: one row per logged step, ascending, repeated steps resolved (later file wins).
        buffer_path: the buffer file, None when it is missing or unreadable (see notes).
        tasks: the buffer's stored tasks in creation order.
        step_counts: the buffer's per-step additions, duplicates and evictions.
        notes: what was missing or skipped while reading the metrics.
        buffer_problem: why there is no buffer to plot ("" when there is one).
    """

    run_dir: Path
    metrics_files: tuple[MetricsFile, ...]
    steps: tuple[StepMetrics, ...]
    buffer_path: Path | None
    tasks: tuple[StoredTask, ...]
    step_counts: tuple[StepCount, ...]
    notes: tuple[str, ...]
    buffer_problem: str = ""


def _count_lines(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(1 for line in handle if line.strip())


def merge_metrics(paths: Sequence[Path]) -> tuple[tuple[StepMetrics, ...], tuple[MetricsFile, ...]]:
    """Read `paths` in order and merge them by step; a later file's row replaces an earlier one.

    Unreadable lines and an unfinished last line are skipped (and counted), never fatal.

    Raises:
        ReportError: a file does not exist or is not a regular file.
    """
    by_step: dict[int, StepMetrics] = {}
    read: list[MetricsFile] = []
    for path in paths:
        path = Path(path)
        if not path.is_file():
            raise ReportError(f"metrics file {path} does not exist or is not a file")
        rows = read_metrics(path)
        for row in rows:
            by_step[row.step] = row
        read.append(MetricsFile(path, len(rows), max(_count_lines(path) - len(rows), 0)))
    return tuple(by_step[s] for s in sorted(by_step)), tuple(read)


def _read_buffer(run_dir: Path) -> tuple[Path | None, tuple[StoredTask, ...], tuple[StepCount, ...], str]:
    """The buffer's tasks and step counts, or why there are none (a missing or foreign file is not fatal)."""
    from azr_verl.buffer.schema import BufferFileError
    from azr_verl.buffer.stats import iter_tasks, open_buffer_readonly, resolve_buffer_path

    path = resolve_buffer_path(run_dir)
    if not path.exists():
        return None, (), (), f"no buffer file {path}"
    try:
        conn = open_buffer_readonly(path)
    except BufferFileError as exc:
        return None, (), (), f"the buffer could not be read ({exc})"
    try:
        tasks = tuple(iter_tasks(conn))
        counts = tuple(
            StepCount(int(step), kind, int(added), int(dups), int(evicted))
            for step, kind, added, dups, evicted in conn.execute(
                "SELECT step, kind, added, duplicates, evicted FROM step_counts ORDER BY step, kind"
            )
        )
    finally:
        conn.close()
    return path, tasks, counts, ""


def load_run(
    run_dir: str | os.PathLike[str], extra_metrics: Sequence[str | os.PathLike[str]] = ()
) -> RunData:
    """Read a run directory: every `metrics*.jsonl` in it, then `extra_metrics`, and its buffer.

    Args:
        run_dir: the run directory (`azr.run_dir`, by default `trainer.default_local_dir`).
        extra_metrics: further metrics files, merged after the run directory's own (they win).

    Raises:
        ReportError: `run_dir` is not a directory, or it holds neither metrics nor a buffer.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ReportError(f"run directory {run_dir} does not exist or is not a directory")
    steps, files = merge_metrics([*metrics_files(run_dir), *map(Path, extra_metrics)])
    notes = []
    if not files:
        notes.append(f"no metrics files (metrics*.jsonl) in {run_dir}: training curves are not plotted")
    elif not steps:
        notes.append("the metrics files hold no complete step: training curves are not plotted")
    for file in files:
        if file.skipped_lines:
            notes.append(f"{file.path.name}: {file.skipped_lines} unreadable or unfinished lines skipped")
    buffer_path, tasks, counts, buffer_problem = _read_buffer(run_dir)
    if not files and buffer_path is None:
        raise ReportError(
            f"nothing to report in {run_dir}: no metrics*.jsonl, and {buffer_problem} "
            "(is this the run's azr.run_dir, by default trainer.default_local_dir?)"
        )
    return RunData(run_dir, files, steps, buffer_path, tasks, counts, tuple(notes), buffer_problem)
