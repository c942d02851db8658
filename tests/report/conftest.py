"""Fixtures of the report tests: a run directory with a real buffer file and metrics jsonl files.

The metrics rows are computed by the trainer's own `azr_verl.metrics.step_metrics` and the buffer's
own `TaskStore.metrics`, plus veRL-style timers, and written in veRL's file-logger format. The run
was "restarted" once: `metrics.2.jsonl` logs step 2 again (a crash after logging, before the
checkpoint) with other values, and step 3.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from azr_verl.buffer.records import SolveOutcome
from azr_verl.buffer.store import TaskStore
from azr_verl.tasks import Task

LOOP = Task(
    "code_o",
    "def f(x):\n    total = 0\n    for i in range(x):\n        total += i\n    return total",
    ("4",),
    ("6",),
)
RECURSIVE = Task(
    "code_i", "def f(n):\n    if n <= 1:\n        return 1\n    return n * f(n - 1)", ("3",), ("6",)
)
COMPREHENSION = Task("code_o", "def f(xs):\n    return [x * 2 for x in xs]", ("[1, 2]",), ("[2, 4]",))


def _steps(sample) -> dict[str, list]:
    """The samples of each logged step ("2 again": the restarted run's step 2)."""
    return {
        "1": [
            sample("code_o:propose", 0.5, valid=1.0, acc=0.5),
            sample("code_o:propose", -1.0, valid=0.0),
            sample("code_o:solve", -0.5, acc=0.0),
            sample("code_o:solve", 1.0, acc=1.0),
        ],
        "2": [
            sample("code_o:propose", 0.0, valid=1.0, acc=1.0),
            sample("code_o:solve", 1.0, acc=1.0),
            sample("code_i:propose", 0.75, valid=1.0, acc=0.25),
            sample("code_i:solve", -0.5, acc=0.0),
        ],
        "2 again": [sample("code_o:propose", -1.0, valid=0.0), sample("code_o:solve", -0.5, acc=0.0)],
        "3": [sample("code_i:propose", -1.0, valid=0.0), sample("code_i:solve", 1.0, acc=1.0)],
    }


TIMING = {"gen": 10.0, "old_log_prob": 2.0, "adv": 0.5, "update_actor": 20.0, "step": 40.0}


@pytest.fixture
def run_dir(tmp_path: Path, step_sample, metrics_line) -> Path:
    """A run directory: buffer.sqlite (zero triplet + 3 proposals with solve statistics), metrics.jsonl
    (steps 1, 2) and metrics.2.jsonl (step 2 again, step 3)."""
    run = tmp_path / "run"
    run.mkdir()
    steps = _steps(step_sample)
    with TaskStore.in_run_dir(run) as store:
        store.seed_zero()
        first = run / "metrics.jsonl"
        [loop] = store.add([LOOP], step=1, learnability=[0.5])
        first.write_text(metrics_line(1, steps["1"], store, TIMING))
        recursive, comprehension = store.add([RECURSIVE, COMPREHENSION], step=2)
        store.add([LOOP], step=2)  # a re-proposal: a duplicate, not a new task
        store.record_outcomes(
            [
                SolveOutcome(loop.id, attempts=3, successes=2),
                SolveOutcome(recursive.id, attempts=4, successes=0),
                SolveOutcome(comprehension.id, attempts=2, successes=2),
            ]
        )
        with open(first, "a") as handle:
            handle.write(metrics_line(2, steps["2"], store, TIMING))
        second = run / "metrics.2.jsonl"
        second.write_text(
            metrics_line(2, steps["2 again"], store, {**TIMING, "save_checkpoint": 1.0})
            + metrics_line(3, steps["3"], store, {"gen": 5.0, "step": 4.0})
        )
    return run


@pytest.fixture
def logged(run_dir: Path, read_metrics_jsonl) -> dict[int, dict]:
    """What the run logged, merged by hand: the second file's step 2 replaces the first's."""
    return {
        **read_metrics_jsonl(run_dir / "metrics.jsonl"),
        **read_metrics_jsonl(run_dir / "metrics.2.jsonl"),
    }
