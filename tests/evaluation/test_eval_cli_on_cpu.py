"""`azr-verl eval cruxeval ...`: end to end in a subprocess, and every user mistake as a clear error."""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from azr_verl.cli import main
from azr_verl.cli.eval import add_arguments
from azr_verl.models.tiny import build_tiny_model


def _cli(repo_root: Path) -> list[str]:
    script = Path(sys.executable).with_name("azr-verl")
    return [str(script)] if script.exists() else [sys.executable, "-m", "azr_verl.cli"]


def test_cli_evaluates_the_tiny_model_and_writes_the_report(repo_root, dev_file, tmp_path):
    out = tmp_path / "deep" / "results.json"
    command = [
        *_cli(repo_root),
        "eval", "cruxeval", "--model", str(build_tiny_model()), "--task", "input", "--data", str(dev_file),
        "--limit", "3", "--n", "2", "--k", "1,2", "--max-tokens", "12", "--batch-size", "6", "--out", str(out),
    ]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "CRUXEval-I: 3 problems x 2 samples, temperature 0.8, max 12 tokens" in done.stdout
    assert "pass@1" in done.stdout and "pass@2" in done.stdout and "format errors" in done.stdout
    assert str(out) in done.stdout
    assert "cruxeval-input" in done.stderr  # the progress bar

    report = json.loads(out.read_text())
    assert report["task"] == "input" and report["n"] == 2 and report["ks"] == [1, 2]
    assert report["generation"]["temperature"] == 0.8 and report["generation"]["max_tokens"] == 12
    assert report["run"]["model"] == str(build_tiny_model()) and report["run"]["backend"] == "hf"
    assert [p["id"] for p in report["problems"]] == ["sample_0", "sample_1", "sample_2"]
    samples = [s for p in report["problems"] for s in p["samples"]]
    assert len(samples) == report["num_samples"] == 6
    assert report["format_errors"] == sum(s["verdict"] == "format_error" for s in samples)
    for problem in report["problems"]:
        assert problem["num_correct"] == sum(s["acc"] == 1.0 for s in problem["samples"])
    shares = [p["num_correct"] / 2 for p in report["problems"]]
    assert report["pass_at_k"]["1"] == pytest.approx(sum(shares) / 3)
    assert f"{report['pass_at_k']['1']:.4f}" in done.stdout


def test_cli_error_exits_nonzero_from_the_real_entry_point(repo_root, tmp_path):
    missing = tmp_path / "nope.jsonl"
    command = [*_cli(repo_root), "eval", "cruxeval", "--model", str(build_tiny_model()), "--task", "output"]
    done = subprocess.run([*command, "--data", str(missing)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert f"data file {missing} does not exist" in done.stderr and "Traceback" not in done.stderr


@pytest.fixture
def bad_line_file(tmp_path, dev_file):
    path = tmp_path / "bad.jsonl"
    lines = dev_file.read_text().splitlines()[:2]
    path.write_text("\n".join([*lines, '{"code": "def f(x):', lines[0]]) + "\n")
    return path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--data", "{tmp}/absent.jsonl"], "absent.jsonl does not exist"),
        (["--data", "{bad}"], "bad.jsonl:3: not JSON"),
        (["--data", "{dev}", "--k", "5"], "pass@5 needs at least 5 samples per problem, but n=1; use --n 5"),
        (["--data", "{dev}", "--n", "4", "--k", "1,8"], "pass@8 needs at least 8"),
        (
            ["--data", "{dev}", "--task", "code_o"],
            "cruxeval has no task 'code_o'; choose one of input, output",
        ),
        (["--data", "{dev}", "--model", "{tmp}/no-model"], "no-model: no such model directory"),
        (["--data", "{dev}", "--n", "0"], "--n must be >= 1"),
        (["--data", "{dev}", "--limit", "0"], "--limit must be >= 1"),
        (["--data", "{dev}", "--temperature", "-1"], "temperature must be >= 0"),
        (["--data", "{dev}", "--max-tokens", "0"], "max_tokens must be >= 1"),
        (["--data", "{dev}", "--out", "{tmp}"], "is a directory; give a file name"),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 30 else None,
)
def test_mistakes_are_one_line_errors_before_any_model_loads(
    args, message, tmp_path, dev_file, bad_line_file, capsys
):
    values = {"tmp": tmp_path, "bad": bad_line_file, "dev": dev_file}
    argv = ["eval", "cruxeval", "--model", str(build_tiny_model()), "--task", "output"]
    argv += [arg.format(**values) for arg in args]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("azr-verl eval: error:") and message in err, err


def test_a_directory_without_a_model_is_named_before_loading(tmp_path, dev_file, capsys):
    argv = ["eval", "cruxeval", "--model", str(tmp_path), "--task", "output", "--data", str(dev_file)]
    assert main(argv) == 2
    assert f"--model {tmp_path}: no config.json there" in capsys.readouterr().err


def test_an_unreadable_model_directory_is_a_clear_error(tmp_path, dev_file, capsys):
    (tmp_path / "config.json").write_text("{}")
    argv = ["eval", "cruxeval", "--model", str(tmp_path), "--task", "output", "--data", str(dev_file)]
    assert main([*argv, "--limit", "1"]) == 2
    err = capsys.readouterr().err
    assert f"azr-verl eval: error: cannot load the model {tmp_path}" in err and "Traceback" not in err


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vLLM is installed here")
def test_vllm_backend_without_vllm_says_what_to_install(tmp_path, dev_file, capsys):
    argv = [
        "eval",
        "cruxeval",
        "--model",
        str(build_tiny_model()),
        "--task",
        "input",
        "--data",
        str(dev_file),
    ]
    assert main([*argv, "--backend", "vllm"]) == 2
    assert "pip install 'azr-verl[gpu]', or use --backend hf" in capsys.readouterr().err


def test_no_data_file_and_no_hub_names_the_data_option_quickly(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HF_ENDPOINT", "https://hub.azr-verl-test.invalid")  # .invalid never resolves
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    start = time.monotonic()
    assert main(["eval", "cruxeval", "--model", str(build_tiny_model()), "--task", "output"]) == 2
    err = capsys.readouterr().err
    assert time.monotonic() - start < 15  # no 25 s of download retries
    assert "hub is unreachable" in err and "--data FILE.jsonl" in err and "cruxeval-org/cruxeval" in err


def test_unknown_benchmark_is_refused_by_the_parser_with_the_choices(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["eval", "humaneval", "--model", str(tmp_path), "--task", "output"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'humaneval'" in capsys.readouterr().err


def test_max_tokens_defaults_to_the_training_response_length(repo_root):
    """generation_args.DEFAULT_MAX_TOKENS copies data.max_response_length; this keeps the copy honest."""
    data = yaml.safe_load((repo_root / "azr_verl" / "config" / "azr_trainer.yaml").read_text())["data"]
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["cruxeval", "--model", "m", "--task", "output"])
    assert args.max_tokens == data["max_response_length"]
