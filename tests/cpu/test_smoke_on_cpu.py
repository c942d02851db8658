"""End to end: stock veRL `main_ppo` (v1 trainer) runs 2 GRPO steps on CPU through this backend.

Gradient source (honest): the reward is the share of digit characters in the response
(`azr_verl.cpu.smoke.digit_share_reward`), which differs between the samples of a random model, so
GRPO's advantages are non-zero and the update moves the weights. A KL loss is on, so the reference
model path (FSDP2 CPU offload) runs too.

Checked: exit code 0 within the timeout; both steps logged; the rollout's log-probs agree with the
actor's (veRL's own `training/rollout_probs_diff_max`); the checkpointed actor differs from the
initial model; and the hf rollout's weight syncs (trace file) show that step 1 generated with the
initial weights, step 2 with the weights after update 1, and that the last sync equals the
checkpointed actor.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM

from azr_verl.cpu.server import weights_fingerprint
from azr_verl.cpu.smoke import (
    digit_share_reward,
    kill_leftovers,
    run_smoke,
    short_ray_tmp,
    smoke_command,
    write_arithmetic_dataset,
)
from azr_verl.models.tiny import build_tiny_model

TIMEOUT_S = 240
ROLLOUT_DTYPE = torch.bfloat16  # veRL's default actor_rollout_ref.rollout.dtype


def _fingerprint(model_dir: Path) -> float:
    """The rollout's fingerprint of a checkpoint: it holds the weights in veRL's rollout.dtype (bf16)."""
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).to(ROLLOUT_DTYPE)
    return weights_fingerprint(model.state_dict().items())


def _metric(log: str, step: int, name: str) -> float:
    line = next(line for line in log.splitlines() if f"step:{step} " in line and name in line)
    return float(re.search(rf"{re.escape(name)}:(-?[0-9.e+-]+)", line).group(1))


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("smoke")
    model_dir = build_tiny_model()
    data = write_arithmetic_dataset(out / "train.parquet")
    ray_tmp = short_ray_tmp()
    try:
        result = run_smoke(smoke_command(model_dir, data, out, ray_tmp), out / "run.log", ray_tmp, TIMEOUT_S)
    finally:
        shutil.rmtree(ray_tmp, ignore_errors=True)
    return result, out, model_dir


@pytest.mark.slow
@pytest.mark.timeout(TIMEOUT_S + 60)
def test_main_ppo_trains_two_grpo_steps_on_cpu(smoke_run) -> None:
    result, out, _ = smoke_run
    log = result.log_path.read_text(errors="replace")
    assert result.returncode == 0, f"exit {result.returncode} after {result.elapsed_s:.0f}s:\n{log[-4000:]}"
    assert "TaskRunnerV1" in log  # veRL's v1 trainer ran, not the legacy one
    assert _metric(log, 2, "training/global_step") == 2
    for step in (1, 2):
        # Rewards differ between samples, so GRPO has something to learn from.
        assert _metric(log, step, "critic/rewards/max") > _metric(log, step, "critic/rewards/min")
        # The hf rollout's log-probs are the actor's (veRL compares them itself).
        assert _metric(log, step, "training/rollout_probs_diff_max") < 1e-2
    assert (out / "checkpoints" / "global_step_2" / "actor" / "huggingface" / "model.safetensors").is_file()


@pytest.mark.slow
@pytest.mark.timeout(TIMEOUT_S + 60)
def test_actor_weights_changed_and_the_rollout_generated_with_the_synced_weights(smoke_run) -> None:
    result, out, model_dir = smoke_run
    assert result.returncode == 0
    initial = _fingerprint(model_dir)
    trained = _fingerprint(out / "checkpoints" / "global_step_2" / "actor" / "huggingface")
    assert trained != pytest.approx(initial, rel=1e-7), "the actor's weights did not change"

    events = [json.loads(line) for line in (out / "hf_rollout_trace.jsonl").read_text().splitlines()]
    syncs = {e["version"]: e["fingerprint"] for e in events if e["event"] == "sync"}
    generations = [e for e in events if e["event"] == "generate"]
    assert sorted(syncs) == [1, 2, 3]  # after loading, after step 1, after step 2
    assert syncs[1] == pytest.approx(initial, rel=1e-9)
    assert syncs[3] == pytest.approx(trained, rel=1e-9)
    assert syncs[2] != pytest.approx(syncs[1], rel=1e-7)
    # Step 1 sampled with version 1 (the initial policy), step 2 with version 2 (after update 1).
    assert {(g["global_steps"], g["version"]) for g in generations} == {(0, 1), (1, 2)}
    assert sum(g["batch"] for g in generations) == 2 * 16  # 4 prompts x 4 samples per step
    assert all(g["fingerprint"] == syncs[g["version"]] for g in generations)


@pytest.mark.parametrize(("response", "reward"), [("", 0.0), ("abc", 0.0), ("a1b2", 0.5), ("42", 1.0)])
def test_smoke_reward_is_the_digit_share(response: str, reward: float) -> None:
    assert digit_share_reward("azr_cpu_smoke", response, "7") == reward


@pytest.mark.parametrize("found_by", ["session", "marker"])
def test_leftovers_are_killed_by_pid(found_by: str, tmp_path: Path) -> None:
    marker = str(tmp_path / "marker")
    proc = subprocess.Popen(
        ["sleep", "60", marker] if found_by == "marker" else ["sleep", "60"], start_new_session=True
    )
    try:
        session = proc.pid if found_by == "session" else -1
        kill_leftovers(session_id=session, marker=marker if found_by == "marker" else "\0never\0")
        deadline = time.monotonic() + 5
        while proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.returncode is not None, "the leftover process is still alive"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
