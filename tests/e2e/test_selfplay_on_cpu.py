"""End to end: `python -m azr_verl.main` runs AZR self-play through veRL's v1 trainer on CPU.

A tiny random Qwen2 is first taught, briefly and honestly, to answer in AZR's format: one proposer
prompt is followed by a valid deduction proposal (`f(x) = x * 2` on 21), and one solver prompt by the
answer 42. At temperature 0.8 its samples then differ: some proposals are valid and some are not,
and a solver answer of 42 is right for the proposed task and wrong for the zero triplet. Those
rewards vary within groups, so TRR++ advantages are not all zero; the paper's entropy bonus (0.001)
adds a gradient on top. Nothing is faked: generation, validation, rewards, the buffer and the update
are the real code paths.

Two runs: 2 steps with a checkpoint, then a resumed run that continues at step 3 with exactly the
checkpoint's buffer (a task added to the live buffer after the checkpoint is gone after resuming).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

from azr_verl.buffer.seeds import zero_tasks
from azr_verl.buffer.store import TaskStore
from azr_verl.cpu.selfplay import SelfPlayShape, selfplay_command
from azr_verl.cpu.smoke import run_smoke, short_ray_tmp
from azr_verl.models.teach import teach_chat
from azr_verl.models.tiny import TinyModelSpec, build_tiny_model
from azr_verl.tasks import ProposalContext, Task, get_task_type

TIMEOUT_S = 420
GROUPS = [f"{t}:{r}" for t in ("code_o", "code_i", "code_f") for r in ("propose", "solve")]
PROPOSAL = "<think>double</think>\n<answer>\n```python\ndef f(x):\n    return x * 2\n```\n```input\n21\n```\n</answer>"
ANSWER = "<think>twice 21</think>\n<answer>\n```output\n42\n```\n</answer>"
PROPOSED = Task("code_o", "def f(x):\n    return x * 2", ("21",), ("42",))
INJECTED = Task("code_i", "def f(s):\n    return s[::-1]", ("'abc'",), ("'cba'",))
SHAPE = SelfPlayShape(
    per_slot=2, solver_attempts=2, references=2, max_response_tokens=64, temperature=0.8, lr=1e-4
)


def _taught_model(root: Path) -> Path:
    base = build_tiny_model(TinyModelSpec(max_position_embeddings=8192))
    zero_o = zero_tasks()[0]
    deduction = get_task_type("code_o")
    examples = [
        (deduction.proposer_prompt(ProposalContext(references=(zero_o,))), PROPOSAL),
        (deduction.solver_prompt(PROPOSED), ANSWER),
    ]
    return teach_chat(base, examples, root / "taught", steps=80)


def _metrics(path: Path) -> dict[int, dict[str, float]]:
    return {row["step"]: row["data"] for row in map(json.loads, path.read_text().splitlines())}


def _run(out: Path, model: Path, steps: int, log_name: str, monkeypatch) -> tuple[object, dict[int, dict]]:
    metrics_file = out / f"{log_name}.jsonl"
    monkeypatch.setenv("VERL_FILE_LOGGER_PATH", str(metrics_file))  # veRL's file logger truncates its file
    ray_tmp = short_ray_tmp()
    try:
        argv = selfplay_command(model, out / "run", ray_tmp, steps, SHAPE)
        result = run_smoke(argv, out / f"{log_name}.log", ray_tmp, TIMEOUT_S)
    finally:
        shutil.rmtree(ray_tmp, ignore_errors=True)
    log = result.log_path.read_text(errors="replace")
    assert result.returncode == 0, f"exit {result.returncode} after {result.elapsed_s:.0f}s:\n{log[-5000:]}"
    return result, _metrics(metrics_file)


def _buffer_tasks(path: Path) -> dict[int, Task]:
    with TaskStore(path, create=False) as store:
        return {t.id: t.task for t in store.get(list(range(1, 10_000)))}


def _sources(path: Path) -> dict[str, int]:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        return dict(conn.execute("SELECT source, COUNT(*) FROM tasks GROUP BY source").fetchall())


@pytest.mark.slow
@pytest.mark.timeout(3 * TIMEOUT_S)
def test_two_steps_of_self_play_then_resume_continues_with_the_checkpoint_buffer(tmp_path, monkeypatch):
    model = _taught_model(tmp_path)
    _, metrics = _run(tmp_path, model, steps=2, log_name="first", monkeypatch=monkeypatch)
    run_dir = tmp_path / "run"
    buffer_file = run_dir / "buffer.sqlite"
    checkpoint = run_dir / "global_step_2"

    # Both steps ran all six (task, role) groups, with rewards and TRR++ advantages for each.
    assert sorted(metrics) == [1, 2]
    for step in (1, 2):
        for group in GROUPS:
            assert metrics[step][f"azr/reward/{group}/count"] == 2
            assert f"azr/advantage/{group}/mean" in metrics[step]
        for task_type in ("code_o", "code_i", "code_f"):
            assert 0.0 <= metrics[step][f"azr/valid_rate/{task_type}"] <= 1.0
    # TRR++ centred every group, and some group had rewards that differed (a real gradient).
    for step in (1, 2):
        assert all(abs(metrics[step][f"azr/advantage/{g}/mean"]) < 1e-4 for g in GROUPS)
    assert max(metrics[s][f"azr/advantage/{g}/abs_max"] for s in (1, 2) for g in GROUPS) > 0.1

    # Proposals were generated, validated by the executor and committed to the buffer.
    assert _sources(buffer_file).get("proposed", 0) >= 1
    assert PROPOSED in _buffer_tasks(buffer_file).values()

    # The actor's weights changed, and the checkpoint carries its buffer snapshot.
    trained = load_file(checkpoint / "actor" / "huggingface" / "model.safetensors")
    initial = AutoModelForCausalLM.from_pretrained(model).state_dict()
    assert any(not torch.equal(trained[name].float(), initial[name].float()) for name in trained)
    snapshot = checkpoint / "azr_buffer.sqlite"
    assert snapshot.is_file()
    at_checkpoint = _buffer_tasks(snapshot)
    assert at_checkpoint == _buffer_tasks(buffer_file)

    # Work after the checkpoint that a crash would lose: it must not survive the resume.
    with TaskStore(buffer_file) as store:
        store.add([INJECTED], step=3)

    _, resumed = _run(tmp_path, model, steps=3, log_name="resumed", monkeypatch=monkeypatch)
    assert sorted(resumed) == [3]  # continued from the checkpoint's step
    after = _buffer_tasks(buffer_file)
    assert INJECTED not in after.values()
    assert all(after.get(task_id) == task for task_id, task in at_checkpoint.items())
    assert (run_dir / "global_step_3" / "azr_buffer.sqlite").is_file()
