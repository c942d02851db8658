"""End to end: `python -m azr_verl.main` runs AZR self-play through veRL's v1 trainer on CPU, and a
resumed run continues with exactly the checkpoint's buffer (the run is described in conftest.py)."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM

GROUPS = [f"{t}:{r}" for t in ("code_o", "code_i", "code_f") for r in ("propose", "solve")]
# The shared run (conftest.py) trains inside whichever e2e test comes first: two runs of <= 420 s each.
RUN_TIMEOUT_S = 3 * 420


@pytest.mark.slow
@pytest.mark.timeout(RUN_TIMEOUT_S)
def test_two_steps_of_self_play_then_resume_continues_with_the_checkpoint_buffer(selfplay_run):
    metrics = selfplay_run.first_metrics
    run_dir = selfplay_run.run_dir
    buffer_file = selfplay_run.buffer_file
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
    assert selfplay_run.sources_after_first.get("proposed", 0) >= 1
    assert selfplay_run.proposed in selfplay_run.tasks_after_first.values()

    # The actor's weights changed, and the checkpoint carries its buffer snapshot.
    trained = load_file(checkpoint / "actor" / "huggingface" / "model.safetensors")
    initial = AutoModelForCausalLM.from_pretrained(selfplay_run.model).state_dict()
    assert any(not torch.equal(trained[name].float(), initial[name].float()) for name in trained)
    snapshot = checkpoint / "azr_buffer.sqlite"
    assert snapshot.is_file()
    at_checkpoint = selfplay_run.tasks_in(snapshot)
    assert at_checkpoint == selfplay_run.tasks_after_first

    # `injected` was added to the live buffer after the checkpoint (work a crash would lose): the
    # resumed run continued from the checkpoint's step and buffer, without it.
    assert sorted(selfplay_run.resumed_metrics) == [3]
    after = selfplay_run.tasks_in(buffer_file)
    assert selfplay_run.injected not in after.values()
    assert all(after.get(task_id) == task for task_id, task in at_checkpoint.items())
    assert (run_dir / "global_step_3" / "azr_buffer.sqlite").is_file()


@pytest.mark.slow
@pytest.mark.timeout(RUN_TIMEOUT_S)
def test_each_trainer_start_logs_its_metrics_into_its_own_file_in_the_run_dir(selfplay_run):
    files = sorted(p.name for p in selfplay_run.run_dir.glob("metrics*.jsonl"))
    assert files == ["metrics.2.jsonl", "metrics.jsonl"]
    assert sorted(selfplay_run.first_metrics) == [1, 2]  # the resume did not truncate the first file
    assert sorted(selfplay_run.resumed_metrics) == [3]
