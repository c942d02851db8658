"""Where `python -m azr_verl.main` sends veRL's metrics file: into the run directory, a new file per start."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from azr_verl.hydra_config import compose_azr
from azr_verl.main import prepare_config
from azr_verl.run_files import metrics_files, next_metrics_file


def _config(model_dir: Path, run_dir: Path, loggers: str):
    overrides = [
        f"actor_rollout_ref.model.path={model_dir}",
        f"azr.run_dir={run_dir}",
        f"trainer.logger={loggers}",
    ]
    return compose_azr(overrides)


def test_each_start_gets_the_next_free_metrics_file_and_empty_files_are_reused(tmp_path):
    assert next_metrics_file(tmp_path) == tmp_path / "metrics.jsonl"
    (tmp_path / "metrics.jsonl").write_text('{"step": 1, "data": {}}\n')
    assert next_metrics_file(tmp_path) == tmp_path / "metrics.2.jsonl"
    (tmp_path / "metrics.2.jsonl").write_text("")  # a start that crashed before logging
    assert next_metrics_file(tmp_path) == tmp_path / "metrics.2.jsonl"
    (tmp_path / "metrics.2.jsonl").write_text('{"step": 2, "data": {}}\n')
    (tmp_path / "metrics.10.jsonl").write_text('{"step": 3, "data": {}}\n')
    (tmp_path / "metrics_other.jsonl").write_text("not ours\n")
    assert [p.name for p in metrics_files(tmp_path)] == [
        "metrics.jsonl",
        "metrics.2.jsonl",
        "metrics.10.jsonl",
    ]
    assert next_metrics_file(tmp_path) == tmp_path / "metrics.11.jsonl"


def test_file_logger_is_routed_into_the_run_dir_for_the_driver_and_ray_workers(tmp_path, monkeypatch):
    monkeypatch.delenv("VERL_FILE_LOGGER_PATH", raising=False)
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    run_dir = tmp_path / "run"
    (run_dir).mkdir()
    (run_dir / "metrics.jsonl").write_text('{"step": 1, "data": {}}\n')  # an earlier start of this run
    config = _config(model_dir, run_dir, "[console,file]")
    prepare_config(config)
    expected = str(run_dir / "metrics.2.jsonl")

    assert os.environ["VERL_FILE_LOGGER_PATH"] == expected
    worker_env = dict(config.ray_kwargs.ray_init.runtime_env.env_vars)
    assert worker_env["VERL_FILE_LOGGER_PATH"] == expected


@pytest.mark.parametrize("case", ["no_file_logger", "path_in_environment"])
def test_file_logger_path_is_left_alone_when_not_logging_to_file_or_chosen_by_the_user(
    tmp_path, monkeypatch, case
):
    chosen = str(tmp_path / "mine.jsonl")
    if case == "path_in_environment":
        monkeypatch.setenv("VERL_FILE_LOGGER_PATH", chosen)
    else:
        monkeypatch.delenv("VERL_FILE_LOGGER_PATH", raising=False)
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    config = _config(
        model_dir, tmp_path / "run", "[console,file]" if case == "path_in_environment" else "[console]"
    )
    prepare_config(config)

    assert os.environ.get("VERL_FILE_LOGGER_PATH") == (chosen if case == "path_in_environment" else None)
    assert "VERL_FILE_LOGGER_PATH" not in (config.ray_kwargs.ray_init.runtime_env.get("env_vars") or {})
