"""End to end: plain RLVR on CRUXEval with stock veRL `main_ppo` and our reward function (CPU backend).

The README's promise: convert CRUXEval with `reward_fns.cruxeval_to_parquet`, point veRL's custom
reward function at `pkg://reward_fns.cruxeval`, train. Here one GRPO step of the tiny model runs on
both converted datasets at once. Checked: exit 0 and every logged reward lies in the reward
function's defined set (a random tiny model writes no <answer>, so its rewards are -1 format errors
with an occasional -0.5; the point is that veRL drives our function, not that the model learns).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from azr_verl.cpu.smoke import run_smoke, short_ray_tmp, smoke_command
from azr_verl.models.tiny import build_tiny_model
from reward_fns.cruxeval_to_parquet import convert

TIMEOUT_S = 300
_REPLACED = (
    "data.train_files=",
    "data.val_files=",
    "data.max_prompt_length=",
    "reward.custom_reward_function.",
)


@pytest.mark.slow
@pytest.mark.timeout(TIMEOUT_S + 60)
def test_stock_main_ppo_trains_on_converted_cruxeval_with_our_reward(
    shared_data: Path, tmp_path: Path
) -> None:
    source = shared_data / "cruxeval_dev200.jsonl"
    outputs = convert(source, tmp_path / "cruxeval_o", "output", test_fraction=0.5)
    inputs = convert(source, tmp_path / "cruxeval_i", "input", test_fraction=0.5)
    ray_tmp = short_ray_tmp()
    try:
        argv = smoke_command(build_tiny_model(), outputs["train"], tmp_path, ray_tmp, steps=1)
        argv = [arg for arg in argv if not arg.startswith(_REPLACED)] + [
            f"data.train_files=[{outputs['train']},{inputs['train']}]",
            f"data.val_files=[{outputs['test']}]",
            "data.max_prompt_length=1024",
            "reward.custom_reward_function.path=pkg://reward_fns.cruxeval",
            "reward.custom_reward_function.name=compute_score",
        ]
        result = run_smoke(argv, tmp_path / "run.log", ray_tmp, TIMEOUT_S)
    finally:
        shutil.rmtree(ray_tmp, ignore_errors=True)
    log = result.log_path.read_text(errors="replace")
    assert result.returncode == 0, f"exit {result.returncode} after {result.elapsed_s:.0f}s:\n{log[-4000:]}"
    line = next(line for line in log.splitlines() if "step:1 " in line and "critic/rewards/max" in line)
    low, high = (
        float(re.search(rf"critic/rewards/{name}:(-?[0-9.e+-]+)", line).group(1)) for name in ("min", "max")
    )
    assert -1.0 <= low <= high <= 1.0
