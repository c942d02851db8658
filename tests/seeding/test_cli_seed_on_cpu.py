"""`azr-verl seed`: end to end in a subprocess, the report and exit status, and argument errors."""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from azr_verl.buffer import read_seed_file
from azr_verl.cli import main
from azr_verl.cli.seed import add_arguments
from azr_verl.seeding import SeedingSettings
from azr_verl.tasks import Task

DOUBLE = Task("code_o", "def f(x):\n    return x * 2", ("21",), ("42",))
FAST = [
    "--batch-size",
    "2",
    "--max-tokens",
    "48",
    "--references",
    "0",
    "--temperature",
    "0",
    "--threads",
    "1",
]


def _script() -> str:
    found = shutil.which("azr-verl", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail("the azr-verl console script is not installed next to this interpreter")
    return found


def test_the_command_extends_an_existing_seed_file_to_the_target(tmp_path, shared_data, valid_model_dir):
    out = tmp_path / "seeds.jsonl"
    reference_line = (shared_data / "7b_coder_seed_io.jsonl").read_text().splitlines()[0] + "\n"
    out.write_text(reference_line)  # one code_o (and one code_i) seed already there
    argv = [_script(), "seed", "--model", str(valid_model_dir), "--out", str(out), "--count", "2"]
    argv += ["--task-types", "code_o", "--max-rounds", "3", *FAST, "azr.executor.limits.timeout_s=1"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(argv, capture_output=True, text=True, timeout=180, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "target reached: 2 seeds of every task type after 1 round(s)" in result.stdout
    assert "proposed 1 = valid 1 + duplicate 0 + rejected 0 + format errors 0" in result.stdout
    assert "1 responses of the last round were not examined" in result.stdout
    assert "seeds:" in result.stderr and "2/2" in result.stderr  # the progress bar
    assert out.read_text().startswith(reference_line)
    tasks = read_seed_file(out).tasks
    assert len(tasks) == 3 and tasks[-1] == DOUBLE


def test_a_model_without_valid_proposals_ends_at_max_rounds_with_exit_3(tmp_path, tiny_dir, capsys):
    out = tmp_path / "seeds.jsonl"
    argv = [
        "seed",
        "--model",
        str(tiny_dir),
        "--out",
        str(out),
        "--max-rounds",
        "1",
        "--json",
        "--no-progress",
    ]
    status = main([*argv, *FAST, "--max-tokens", "12", "--references", "2"])
    data = json.loads(capsys.readouterr().out)
    assert status == 3
    assert data["stop_reason"] == "max_rounds" and data["rounds"] == 1
    assert [c["task_type"] for c in data["counts"]] == ["code_o", "code_i", "code_f"]
    total = data["total"]
    assert total["proposed"] == 6 and total["valid"] == 0
    rejected, errors = sum(total["rejected"].values()), sum(total["format_errors"].values())
    assert total["proposed"] == total["valid"] + total["duplicate"] + rejected + errors
    assert out.exists() and read_seed_file(out).tasks == ()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--count", "0"], "--count must be >= 1"),
        (["--max-rounds", "0"], "--max-rounds must be >= 1"),
        (["--task-types", "code_o,code_x"], "unknown task type 'code_x'"),
        (["--task-types", "code_o,code_o"], "twice"),
        (["--from", "no-such-seeds.jsonl"], "--from no-such-seeds.jsonl: no such file"),
        (["limits.max_program_chars=10"], "only azr.KEY=VALUE"),
        (["azr.limits.max_program_chars=0"], "azr.limits"),
        (["azr.no_such_key=1"], "azr.no_such_key"),
        (["--model", "/no/such/model"], "--model /no/such/model: no such model directory"),
        (["--model", "{tmp}"], "no config.json there"),
        (["--threads", "0"], "--threads must be >= 1"),
        (["--out", "{tmp}"], "is a directory"),
        (["azr.limits.max_program_chars=[1"], "cannot read the overrides"),
        pytest.param(
            ["--backend", "vllm"],
            "--backend vllm needs vLLM",
            marks=pytest.mark.skipif(
                importlib.util.find_spec("vllm") is not None, reason="vLLM is installed"
            ),
        ),
    ],
    ids=[
        "count",
        "rounds",
        "unknown-type",
        "repeated-type",
        "from",
        "not-azr",
        "bad-limit",
        "unknown-key",
        "model",
        "not-a-model",
        "threads",
        "out-directory",
        "bad-override",
        "no-vllm",
    ],
)
def test_bad_arguments_fail_before_loading_with_a_clear_error(tmp_path, tiny_dir, capsys, extra, message):
    out = tmp_path / "seeds.jsonl"
    extra = [item.replace("{tmp}", str(tmp_path)) for item in extra]
    status = main(["seed", "--model", str(tiny_dir), "--out", str(out), *extra])
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("azr-verl seed: error:") and message in err
    assert "loading" not in err
    assert not out.exists()


def test_length_defaults_are_the_training_configs(repo_root):
    """--max-tokens and --max-prompt-tokens copy data.max_response_length / max_prompt_length."""
    data = yaml.safe_load((repo_root / "azr_verl" / "config" / "azr_trainer.yaml").read_text())["data"]
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--model", "m", "--out", "seeds.jsonl"])
    assert args.max_tokens == data["max_response_length"]
    assert args.max_prompt_tokens == SeedingSettings(out="x").max_prompt_tokens == data["max_prompt_length"]
