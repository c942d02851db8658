"""Real executors shared by the task tests of this folder (the sandbox is part of what is tested)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from azr_verl.executor import ExecLimits, Executor


@pytest.fixture(scope="session")
def executor() -> Iterator[Executor]:
    with Executor() as shared:
        yield shared


@pytest.fixture(scope="session")
def quick_executor() -> Iterator[Executor]:
    """Short wall-clock limit, for tests whose programs hang on purpose."""
    with Executor(ExecLimits(timeout_s=0.5, cpu_time_s=1.0)) as quick:
        yield quick
