"""Suite-wide fixtures. There is no tests/__init__.py on purpose: veRL's wheel ships a top-level
`tests` package, and pytest runs in importlib mode (pyproject.toml) so ours never collide with it."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def _shared_data_dir() -> Path:
    override = os.environ.get("AZR_SHARED_DATA")
    return Path(override) if override else REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data beside the checkout (CI clones main with shared/ beside it)."""
    path = _shared_data_dir()
    if not path.is_dir():
        pytest.fail(f"test data folder {path} is missing; set AZR_SHARED_DATA to its location")
    return path


def _run_ray_check(script: Path, args: list[str], timeout_s: float, label: str) -> dict:
    """Run a Ray check script in its own session with its own Ray temp dir, under a hard limit.

    The script prints `RESULT <json>`; whatever it started is killed by PID afterwards (its session,
    and Ray's own processes, found by the temp dir in their command lines).
    """
    import json
    import shutil
    import subprocess
    import sys
    import tempfile

    from azr_verl.cpu.smoke import kill_leftovers

    ray_tmp = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # short: Ray's socket paths are length-limited
    proc = subprocess.Popen(
        [sys.executable, str(script), *args[:1], ray_tmp, *args[1:]],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        kill_leftovers(proc.pid, ray_tmp)
        output, _ = proc.communicate()
        pytest.fail(f"{label} exceeded {timeout_s} s:\n{output[-3000:]}")
    finally:
        kill_leftovers(proc.pid, ray_tmp)
        shutil.rmtree(ray_tmp, ignore_errors=True)
    lines = [line for line in output.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        pytest.fail(f"{label} failed (exit {proc.returncode}):\n{output[-3000:]}")
    return json.loads(lines[-1][len("RESULT ") :])


@pytest.fixture(scope="session")
def run_ray_check():
    """`run_ray_check(script, [work_dir, *extra_args], timeout_s, label)` -> the script's RESULT json.

    The script is called as `script work_dir ray_tmp *extra_args`.
    """
    return _run_ray_check


@dataclass(frozen=True)
class StepSample:
    """One trajectory of a logged step: its TRR++ group, its reward and what the reward manager found."""

    group: str
    reward: float
    valid: float = math.nan
    acc: float = math.nan
    format_ok: float = 1.0


def _metrics_line(step: int, samples: Sequence[StepSample], store, timing_s: Mapping[str, float]) -> str:
    """One line of veRL's file logger: the trainer's own `step_metrics` of `samples`, the buffer's own
    `TaskStore.metrics(step)` and veRL-style timers (`timing_s/<phase>`)."""
    from azr_verl.metrics import step_metrics

    infos = [
        {"azr_valid": s.valid, "azr_solver_acc": s.acc, "azr_format_ok": s.format_ok, "azr_exec_time_s": 0.01}
        for s in samples
    ]
    data = step_metrics([s.group for s in samples], [s.reward for s in samples], infos)
    data.update(store.metrics(step))
    data.update({f"timing_s/{phase}": seconds for phase, seconds in timing_s.items()})
    return json.dumps({"step": step, "data": data}) + "\n"


def _read_metrics_jsonl(path: Path) -> dict[int, dict]:
    """step -> data of a metrics file, read with json directly (independent of azr_verl's readers)."""
    return {row["step"]: row["data"] for row in map(json.loads, Path(path).read_text().splitlines())}


@pytest.fixture(scope="session")
def step_sample() -> type[StepSample]:
    """The `StepSample` class, for the samples given to `metrics_line` (conftests cannot import this one)."""
    return StepSample


@pytest.fixture(scope="session")
def metrics_line():
    """`metrics_line(step, samples, store, timing_s)` -> one jsonl line as veRL's file logger writes it."""
    return _metrics_line


@pytest.fixture(scope="session")
def read_metrics_jsonl():
    """`read_metrics_jsonl(path)` -> step -> data, read with json directly."""
    return _read_metrics_jsonl
