"""Fixtures for the executor tests: shared executors (one with the static check, one without)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from azr_verl.executor import ExecLimits, Executor

# Short limits keep the suite fast; the defaults are exercised by the data test and the benchmark.
FAST_LIMITS = ExecLimits(timeout_s=1.0, cpu_time_s=1.0, memory_mb=256)
# Sandbox uids of this test process only: other executors on the machine (other test runs) use
# their own, so "no sandbox process left" can be asserted exactly.
UID_BASE = 200_000 + (os.getpid() % 10_000) * 1_000
SANDBOX_UIDS = range(UID_BASE, UID_BASE + 1000)


def sandbox_processes() -> list[int]:
    """PIDs of live processes running as any sandbox uid (there should be none between snippets)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        real_uid = int(fields.get("Uid", "0").split()[0])
        if real_uid in SANDBOX_UIDS and fields.get("State", "").split()[0] != "Z":
            found.append(int(entry.name))
    return found


def descendants(pid: int) -> list[int]:
    """All live descendants of `pid` (by walking /proc parent links)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


@pytest.fixture(scope="module")
def executor() -> Iterator[Executor]:
    with Executor(FAST_LIMITS, max_workers=4, uid_base=UID_BASE) as shared:
        yield shared


@pytest.fixture(scope="module")
def raw_executor() -> Iterator[Executor]:
    """Static check OFF: proves the runtime limits hold when the static check is fooled."""
    with Executor(FAST_LIMITS, max_workers=4, static_check=False, uid_base=UID_BASE) as shared:
        yield shared


@pytest.fixture(name="sandbox_processes", scope="session")
def sandbox_processes_fixture():
    return sandbox_processes


@pytest.fixture(name="descendants", scope="session")
def descendants_fixture():
    return descendants


@pytest.fixture(name="uid_base", scope="session")
def uid_base_fixture() -> int:
    return UID_BASE


@pytest.fixture
def root_only() -> None:
    if os.geteuid() != 0:
        pytest.skip("the full sandbox (uid drop, namespaces) needs root")
