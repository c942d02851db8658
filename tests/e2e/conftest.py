"""The end-to-end AZR run, trained once per session and shared by the e2e tests.

`python -m azr_verl.main` runs AZR self-play through veRL's v1 trainer on CPU. A tiny random Qwen2 is
first taught, briefly and honestly, to answer in AZR's format: one proposer prompt is followed by a
valid deduction proposal (`f(x) = x * 2` on 21), and one solver prompt by the answer 42. At
temperature 0.8 its samples then differ: some proposals are valid and some are not, and a solver
answer of 42 is right for the proposed task and wrong for the zero triplet. Those rewards vary within
groups, so TRR++ advantages are not all zero; the paper's entropy bonus (0.001) adds a gradient on
top. Nothing is faked: generation, validation, rewards, the buffer and the update are the real code
paths.

Two runs into one run directory: 2 steps with a checkpoint, then a task is added to the live buffer
(work a crash after the checkpoint would lose), then a resumed run continues at step 3. The trainer's
own default routes veRL's metrics into the run directory: `metrics.jsonl` for the first start and
`metrics.2.jsonl` for the resume (veRL's file logger truncates its file). What the tests need from
the moment between the runs is recorded here.
"""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest

from azr_verl.buffer.seeds import zero_tasks
from azr_verl.buffer.stats import iter_tasks, open_buffer_readonly
from azr_verl.buffer.store import TaskStore
from azr_verl.cpu.selfplay import SelfPlayShape, selfplay_command
from azr_verl.cpu.smoke import run_smoke, short_ray_tmp
from azr_verl.models.teach import teach_chat
from azr_verl.models.tiny import TinyModelSpec, build_tiny_model
from azr_verl.tasks import ProposalContext, Task, get_task_type

TIMEOUT_S = 420
PROPOSAL = "<think>double</think>\n<answer>\n```python\ndef f(x):\n    return x * 2\n```\n```input\n21\n```\n</answer>"
ANSWER = "<think>twice 21</think>\n<answer>\n```output\n42\n```\n</answer>"
PROPOSED = Task("code_o", "def f(x):\n    return x * 2", ("21",), ("42",))
INJECTED = Task("code_i", "def f(s):\n    return s[::-1]", ("'abc'",), ("'cba'",))
SHAPE = SelfPlayShape(
    per_slot=2, solver_attempts=2, references=2, max_response_tokens=64, temperature=0.8, lr=1e-4
)


@dataclass(frozen=True)
class SelfPlayRun:
    """The shared e2e run and what was observed between its two starts.

    Attributes:
        model: the taught starting model.
        run_dir: the run directory (buffer.sqlite, metrics*.jsonl, global_step_2/, global_step_3/).
        first_metrics, resumed_metrics: step -> logged metrics of each start, read from its file.
        sources_after_first: source -> tasks in the live buffer when the first run ended.
        tasks_after_first: id -> task of the live buffer when the first run ended.
        proposed: the task the model was taught to propose.
        injected: the task added to the live buffer between the runs.
        timeout_s: the limit of each training run.
    """

    model: Path
    run_dir: Path
    first_metrics: dict[int, dict[str, float]]
    resumed_metrics: dict[int, dict[str, float]]
    sources_after_first: dict[str, int]
    tasks_after_first: dict[int, Task]
    proposed: Task = PROPOSED
    injected: Task = INJECTED
    timeout_s: float = TIMEOUT_S

    @property
    def buffer_file(self) -> Path:
        return self.run_dir / "buffer.sqlite"

    @staticmethod
    def tasks_in(path: Path) -> dict[int, Task]:
        """id -> task of a buffer file or snapshot."""
        return buffer_tasks(path)


def taught_model(root: Path) -> Path:
    base = build_tiny_model(TinyModelSpec(max_position_embeddings=8192))
    zero_o = zero_tasks()[0]
    deduction = get_task_type("code_o")
    examples = [
        (deduction.proposer_prompt(ProposalContext(references=(zero_o,))), PROPOSAL),
        (deduction.solver_prompt(PROPOSED), ANSWER),
    ]
    return teach_chat(base, examples, root / "taught", steps=80)


def buffer_tasks(path: Path) -> dict[int, Task]:
    """id -> task of a buffer file or snapshot, opened read-only (a checkpoint's snapshot stays untouched)."""
    conn = open_buffer_readonly(path)
    try:
        return {stored.id: stored.task for stored in iter_tasks(conn)}
    finally:
        conn.close()


def buffer_sources(path: Path) -> dict[str, int]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return dict(conn.execute("SELECT source, COUNT(*) FROM tasks GROUP BY source").fetchall())


def _train(out: Path, model: Path, steps: int, log_name: str) -> None:
    ray_tmp = short_ray_tmp()
    try:
        argv = selfplay_command(model, out / "run", ray_tmp, steps, SHAPE)
        result = run_smoke(argv, out / f"{log_name}.log", ray_tmp, TIMEOUT_S)
    finally:
        shutil.rmtree(ray_tmp, ignore_errors=True)
    log = result.log_path.read_text(errors="replace")
    if result.returncode != 0:
        pytest.fail(f"{log_name} run: exit {result.returncode} after {result.elapsed_s:.0f}s:\n{log[-5000:]}")


@pytest.fixture(scope="session")
def selfplay_run(tmp_path_factory, read_metrics_jsonl) -> SelfPlayRun:
    """Train 2 steps, add a task to the live buffer, resume to step 3 (one training run per session)."""
    out = tmp_path_factory.mktemp("e2e")
    run_dir = out / "run"
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("VERL_FILE_LOGGER_PATH", raising=False)  # the trainer's default: into the run dir
        model = taught_model(out)
        _train(out, model, steps=2, log_name="first")
        first = read_metrics_jsonl(run_dir / "metrics.jsonl")
        sources, tasks = buffer_sources(run_dir / "buffer.sqlite"), buffer_tasks(run_dir / "buffer.sqlite")
        with TaskStore(run_dir / "buffer.sqlite") as store:
            store.add([INJECTED], step=3)
        _train(out, model, steps=3, log_name="resumed")
        resumed = read_metrics_jsonl(run_dir / "metrics.2.jsonl")
    return SelfPlayRun(model, run_dir, first, resumed, sources, tasks)
