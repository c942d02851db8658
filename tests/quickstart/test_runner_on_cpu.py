"""Watching a run: steps are reported as their lines appear, and a failed, timed-out or interrupted
run is stopped with its processes gone. The runs are small real Python processes started exactly
as a training run is (run_smoke: own session, timeout, leftovers killed by PID)."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

from azr_verl.quickstart.runner import log_tail, run_watched

# Writes one metrics line per step with a pause between them, records its pid, exits with a code.
_CHILD = """
import json, os, sys, time
metrics, pid_file, steps, pause_s, code = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
open(pid_file, "w").write(str(os.getpid()))
with open(metrics, "wb", buffering=0) as handle:
    for step in range(1, steps + 1):
        time.sleep(pause_s)
        handle.write((json.dumps({"step": step, "data": {"timing_s/step": pause_s}}) + "\\n").encode())
        print(f"logged step {step}", flush=True)
time.sleep(pause_s)
sys.exit(code)
"""


def _argv(tmp_path: Path, steps: int, pause_s: float, code: int = 0) -> list[str]:
    marker = tmp_path / "raytmp"  # stands for the run's Ray temp dir, which is in a real run's argv
    return [sys.executable, "-c", _CHILD, str(tmp_path / "m.jsonl"), str(tmp_path / "pid"), str(steps),
            str(pause_s), str(code), str(marker)]  # fmt: skip


def _gone(pid_file: Path) -> bool:
    pid = int(pid_file.read_text())
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_each_step_is_reported_once_in_order_while_the_run_goes(tmp_path):
    seen: list[tuple[int, float]] = []
    watched = run_watched(
        _argv(tmp_path, steps=3, pause_s=0.6), tmp_path / "run.log", tmp_path / "raytmp", 60.0,
        tmp_path / "m.jsonl", lambda row, elapsed: seen.append((row.step, elapsed)), poll_s=0.1,
    )  # fmt: skip
    assert watched.result.returncode == 0 and not watched.interrupted
    assert [step for step, _ in seen] == [1, 2, 3] == [row.step for row in watched.steps]
    elapsed = [e for _, e in seen]
    assert elapsed == sorted(elapsed) and elapsed[-1] - elapsed[0] > 0.8  # reported as they came
    assert "logged step 3" in log_tail(tmp_path / "run.log")


def test_a_run_past_its_timeout_is_killed_and_reported_as_timed_out(tmp_path):
    waits: list[float] = []
    started = time.monotonic()
    watched = run_watched(
        _argv(tmp_path, steps=1, pause_s=30.0), tmp_path / "run.log", tmp_path / "raytmp", 1.5,
        tmp_path / "m.jsonl", lambda row, elapsed: None, on_wait=waits.append, poll_s=0.1, wait_report_s=0.5,
    )  # fmt: skip
    assert watched.result.returncode is None
    assert time.monotonic() - started < 20
    assert waits  # the quiet run was reported as still running
    assert _gone(tmp_path / "pid")


def test_a_failing_run_keeps_its_exit_code_and_its_steps(tmp_path):
    watched = run_watched(
        _argv(tmp_path, steps=1, pause_s=0.1, code=3), tmp_path / "run.log", tmp_path / "raytmp", 60.0,
        tmp_path / "m.jsonl", lambda row, elapsed: None, poll_s=0.1,
    )  # fmt: skip
    assert watched.result.returncode == 3
    assert [row.step for row in watched.steps] == [1]


def test_ctrl_c_stops_the_run_by_pid_and_reports_the_interruption(tmp_path):
    timer = threading.Timer(1.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        watched = run_watched(
            _argv(tmp_path, steps=1, pause_s=60.0), tmp_path / "run.log", tmp_path / "raytmp", 120.0,
            tmp_path / "m.jsonl", lambda row, elapsed: None, poll_s=0.1,
        )  # fmt: skip
    finally:
        timer.cancel()
    assert watched.interrupted
    assert watched.result.elapsed_s < 30
    assert _gone(tmp_path / "pid")


def test_the_log_tail_is_the_last_lines_and_empty_without_a_log(tmp_path):
    log = tmp_path / "run.log"
    log.write_text("".join(f"line {i}\n" for i in range(100)))
    assert log_tail(log, lines=3).splitlines() == ["line 97", "line 98", "line 99"]
    assert log_tail(tmp_path / "missing.log") == ""
