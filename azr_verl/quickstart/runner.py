"""Running a CPU self-play command while watching its metrics file grow.

The run itself goes through `azr_verl.cpu.smoke.run_smoke` (own session, own Ray temp dir, wall
clock timeout, leftovers killed by PID), in a thread; this thread polls veRL's metrics jsonl and
reports each finished step as it appears. Ctrl-C stops the run the same way the timeout does: every
process carrying the run's Ray temp dir in its command line (the driver and Ray) is killed by PID,
and `run_smoke` then cleans up the rest of the session.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from azr_verl.cpu.smoke import SmokeResult, kill_leftovers, run_smoke
from azr_verl.metrics_log import MetricsTail, StepMetrics

__all__ = ["WatchedRun", "log_tail", "run_watched"]

logger = logging.getLogger(__name__)

# No process has session id -1: kill_leftovers then matches by the command-line marker only.
_NO_SESSION = -1


@dataclass(frozen=True)
class WatchedRun:
    """The outcome of `run_watched`."""

    result: SmokeResult
    steps: tuple[StepMetrics, ...]
    interrupted: bool


def log_tail(path: Path, lines: int = 40) -> str:
    """The last `lines` lines of a log file ('' if it does not exist)."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def run_watched(
    argv: Sequence[str],
    log_path: Path,
    ray_tmp: Path,
    timeout_s: float,
    metrics_path: Path,
    on_step: Callable[[StepMetrics, float], None],
    on_wait: Callable[[float], None] | None = None,
    poll_s: float = 2.0,
    wait_report_s: float = 120.0,
) -> WatchedRun:
    """Run `argv` like `run_smoke` and call `on_step(metrics, elapsed_s)` for each step logged.

    Args:
        argv, log_path, ray_tmp, timeout_s: as for `run_smoke`.
        metrics_path: the file veRL's file logger writes (`VERL_FILE_LOGGER_PATH` of the run).
        on_step: called in this thread for every step, in order, as soon as its line is complete.
        on_wait: called with the elapsed seconds when no step was logged for `wait_report_s`.
        poll_s: how often the metrics file is read.
        wait_report_s: the quiet time before `on_wait` is called (again).

    Returns:
        The run's result, every step seen, and whether Ctrl-C stopped it.
    """
    outcome: dict[str, SmokeResult | BaseException] = {}

    def target() -> None:
        try:
            outcome["result"] = run_smoke(argv, log_path, ray_tmp, timeout_s)
        except BaseException as exc:  # re-raised in the caller's thread below
            outcome["error"] = exc

    tail = MetricsTail(metrics_path)
    steps: list[StepMetrics] = []
    started = last_news = time.monotonic()
    worker = threading.Thread(target=target, name="quickstart-run", daemon=True)
    worker.start()
    interrupted = False
    try:
        while worker.is_alive():
            worker.join(poll_s)
            last_news = _report(tail.poll(), steps, started, last_news, on_step)
            if on_wait is not None and time.monotonic() - last_news >= wait_report_s:
                on_wait(time.monotonic() - started)
                last_news = time.monotonic()
    except KeyboardInterrupt:
        interrupted = True
        logger.info("interrupted: stopping the run")
        kill_leftovers(_NO_SESSION, str(ray_tmp))
        worker.join()
    _report(tail.poll(), steps, started, last_news, on_step)
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return WatchedRun(outcome["result"], tuple(steps), interrupted)  # type: ignore[arg-type]


def _report(
    new: list[StepMetrics],
    seen: list[StepMetrics],
    started: float,
    last_news: float,
    on_step: Callable[[StepMetrics, float], None],
) -> float:
    for row in new:
        seen.append(row)
        on_step(row, time.monotonic() - started)
    return time.monotonic() if new else last_news
