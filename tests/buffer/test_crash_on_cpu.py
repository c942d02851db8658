"""Crash safety: a writer killed with SIGKILL mid-batch loses no acknowledged task and leaves a sound
file; snapshots taken while a writer runs are consistent."""

from __future__ import annotations

import importlib.util
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from azr_verl.buffer import TaskStore, snapshot_file

WRITER = Path(__file__).with_name("crash_writer.py")
_spec = importlib.util.spec_from_file_location("crash_writer", WRITER)
crash_writer = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(crash_writer)

BATCH = 1000  # ~30-50 ms per add(): a kill right after "begin" lands inside the transaction


def _start_writer(path: Path, sync: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(WRITER), str(path), sync, str(BATCH)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _read_acks(proc: subprocess.Popen, at_least: int, timeout_s: float) -> list[str]:
    lines, deadline = [], time.monotonic() + timeout_s
    while sum(line.startswith("ack") for line in lines) < at_least:
        line = proc.stdout.readline()
        if not line or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"writer stopped after {len(lines)} batches: {proc.stderr.read()[-2000:]}")
        lines.append(line)
    return lines


def _kill(proc: subprocess.Popen) -> list[str]:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    rest = proc.stdout.read()  # through the same buffer readline() filled (communicate() would skip it)
    proc.stderr.read()
    return rest.splitlines()


@pytest.mark.parametrize(
    ("sync", "delay_s"), [("full", 0.0), ("full", 0.012), ("normal", 0.005), ("normal", 0.025)]
)
def test_sigkill_mid_batch_loses_no_acknowledged_task(tmp_path: Path, sync: str, delay_s: float) -> None:
    path = tmp_path / "buffer.sqlite"
    proc = _start_writer(path, sync)
    try:
        lines = _read_acks(proc, at_least=random.Random(delay_s).randint(3, 6), timeout_s=60)
        time.sleep(delay_s)
        lines += _kill(proc)  # acknowledgements printed before the kill are still in the pipe
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    complete = (
        line.split() for line in lines if line.startswith("ack") and line.rstrip().endswith(" end")
    )  # a cut line acks nothing
    acked = {int(parts[1]): [int(x) for x in parts[2:-1]] for parts in complete}
    assert len(acked) >= 3
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    stored = {row[0]: row[1:] for row in conn.execute("SELECT id, kind, program, step FROM tasks")}
    steps = {row[2] for row in stored.values()}
    conn.close()
    for batch, ids in acked.items():
        expected = crash_writer.batch_tasks(batch, BATCH)
        assert [stored[i] for i in ids] == [(t.kind.value, t.program, batch) for t in expected]
    # a batch is all or nothing: every stored step has its full batch
    with TaskStore(path, create=False) as store:
        assert store.count() == BATCH * len(steps) and max(steps) >= max(acked)


def test_snapshot_while_a_writer_runs_is_consistent(tmp_path: Path) -> None:
    path = tmp_path / "buffer.sqlite"
    proc = _start_writer(path, "normal")
    try:
        _read_acks(proc, at_least=3, timeout_s=60)
        infos = [snapshot_file(path, tmp_path / f"snap{i}.sqlite") for i in range(3)]
    finally:
        _kill(proc)
    counts = []
    for info in infos:
        conn = sqlite3.connect(info.path)
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
        steps = conn.execute("SELECT step, COUNT(*) FROM tasks GROUP BY step").fetchall()
        conn.close()
        assert all(n == BATCH for _, n in steps) and info.tasks == BATCH * len(steps)
        counts.append(info.tasks)
    assert counts == sorted(counts) and counts[0] >= 3 * BATCH
