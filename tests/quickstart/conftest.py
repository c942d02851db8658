"""Fixtures of the quickstart tests: a real buffer file and a metrics jsonl in veRL's file-logger format.

The metrics rows are computed by the trainer's own `azr_verl.metrics.step_metrics` and the buffer's
own `TaskStore.metrics` from chosen rewards, so the figures the quickstart prints can be checked
against values worked out by hand.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from azr_verl.buffer.records import SolveOutcome
from azr_verl.buffer.store import TaskStore
from azr_verl.tasks import Task

DOUBLE = Task("code_o", "def f(x):\n    return x * 2", ("21",), ("42",))
REVERSE = Task("code_i", "def f(s):\n    return s[::-1]", ("'abc'",), ("'cba'",))


def _steps(sample) -> tuple[list, list]:
    """Step 1: code_o proposals 1 valid of 2 (rewards 0.5 and -1), solves -0.5 and 1 (one right).
    Step 2: code_o proposals both invalid (-1, -1), solves both right (1, 1); code_i only in step 2,
    its proposal unreadable."""
    return (
        [
            sample("code_o:propose", 0.5, valid=1.0, acc=0.5),
            sample("code_o:propose", -1.0, valid=0.0),
            sample("code_o:solve", -0.5, acc=0.0),
            sample("code_o:solve", 1.0, acc=1.0),
        ],
        [
            sample("code_o:propose", -1.0, valid=0.0),
            sample("code_o:propose", -1.0, valid=0.0),
            sample("code_o:solve", 1.0, acc=1.0),
            sample("code_o:solve", 1.0, acc=1.0),
            sample("code_i:propose", -1.0, valid=0.0, format_ok=0.0),
            sample("code_i:solve", -0.5, acc=0.0),
        ],
    )


@pytest.fixture
def proposed_tasks() -> tuple[Task, Task]:
    """The two proposals in `finished_run`'s buffer: the first attempted by the solver, the second not."""
    return DOUBLE, REVERSE


@pytest.fixture
def finished_run(tmp_path: Path, step_sample, metrics_line) -> Path:
    """A run directory as a 2-step quickstart leaves it: buffer.sqlite, metrics.jsonl, a checkpoint."""
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    step1, step2 = _steps(step_sample)
    with TaskStore.in_run_dir(run_dir) as store, open(run_dir / "metrics.jsonl", "w") as handle:
        store.seed_zero()
        [added] = store.add([DOUBLE], step=1, learnability=[0.5])
        handle.write(metrics_line(1, step1, store, {"step": 101.0}))
        store.add([REVERSE], step=2, learnability=[0.0])
        store.record_outcomes([SolveOutcome(added.id, attempts=3, successes=2)])
        handle.write(metrics_line(2, step2, store, {"step": 102.0}))
    (run_dir / "global_step_2").mkdir()
    (run_dir / "verl.log").write_text("log\n")
    return run_dir
