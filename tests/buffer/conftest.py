"""Fixtures of the buffer tests: small distinct tasks and a fresh store per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from azr_verl.buffer import BufferConfig, TaskStore
from azr_verl.tasks import Task, TaskKind


def task_for(kind: TaskKind | str, i: int) -> Task:
    """A distinct, well-formed task of `kind` numbered i (different programs, so different fingerprints)."""
    kind = TaskKind(kind)
    program = f"def f(x):\n    return x + {i}"
    if kind is TaskKind.INDUCTION:
        inputs = tuple(str(j) for j in range(4))
        return Task(kind, program, inputs, tuple(str(j + i) for j in range(4)), f"adds {i}")
    return Task(kind, program, ("1",), (str(1 + i),))


@pytest.fixture
def make_task() -> Callable[[TaskKind | str, int], Task]:
    return task_for


@pytest.fixture
def store(tmp_path: Path) -> Iterator[TaskStore]:
    with TaskStore(tmp_path / "buffer.sqlite", BufferConfig()) as opened:
        yield opened
