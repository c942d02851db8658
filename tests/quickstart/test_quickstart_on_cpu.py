"""`azr-verl quickstart`: arguments, the run directory, and a training run that fails.

The failing run is real: `python -m azr_verl.main` with the tiny model and an invalid `azr.*`
override stops at config validation, before Ray starts; the quickstart must exit non-zero and show
the end of veRL's log, which names the bad key.
"""

from __future__ import annotations

import json

import pytest

from azr_verl.cli import main
from azr_verl.cli.quickstart import MARKER, prepare_run_dir
from azr_verl.quickstart.models import SHAPES, ModelChoice, ModelError, parse_model


def test_quickstart_is_an_azr_verl_subcommand_with_its_options(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["quickstart", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for option in ("--steps", "--run-dir", "--model", "--timeout-s"):
        assert option in text


@pytest.mark.parametrize("name", ["smollm2", "tiny"])
def test_named_models_need_no_path(name):
    assert parse_model(name) == (ModelChoice(name), None)


def test_a_checkpoint_directory_is_a_model_path(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    assert parse_model(str(tmp_path)) == (ModelChoice.PATH, tmp_path.resolve())


@pytest.mark.parametrize("value", ["smollm3", "/no/such/dir", "."])
def test_anything_else_is_refused_with_the_accepted_values(value):
    with pytest.raises(ModelError, match="not 'smollm2', 'tiny', or a checkpoint directory"):
        parse_model(value)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--steps", "0"], "--steps must be at least 1"),
        (["--model", "/no/such/model"], "checkpoint directory"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(argv, message, capsys, tmp_path):
    assert main(["quickstart", "--run-dir", str(tmp_path / "run"), *argv]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_smollm2_shape_fits_its_context_and_gives_trr_a_group():
    shape = SHAPES[ModelChoice.SMOLLM2]
    assert shape.max_prompt_tokens + shape.max_response_tokens <= 8192  # SmolLM2's positions
    assert shape.per_slot >= 2 and shape.solver_attempts >= 2


def test_a_previous_quickstart_run_is_replaced_and_other_directories_are_refused(tmp_path):
    previous = tmp_path / "previous"
    previous.mkdir()
    (previous / MARKER).write_text("{}")
    (previous / "buffer.sqlite").write_text("old")
    prepare_run_dir(previous)
    assert previous.is_dir() and not any(previous.iterdir())
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not a quickstart run directory"):
        prepare_run_dir(foreign)
    assert (foreign / "notes.txt").read_text() == "mine"


@pytest.mark.timeout(300)
def test_a_failing_training_run_exits_non_zero_with_the_log_tail(tmp_path, capsys):
    run_dir = tmp_path / "run"
    argv = ["quickstart", "--model", "tiny", "--steps", "1", "--run-dir", str(run_dir), "--timeout-s", "240"]
    code = main([*argv, "azr.num_solver_attempts=1"])
    out, err = capsys.readouterr()
    assert code == 1
    assert f"veRL log: {run_dir / 'verl.log'}" in out
    assert "the training run failed with exit code" in err
    assert "azr.num_solver_attempts" in err  # the tail of veRL's log names the bad key
    assert "Summary" not in out
    assert json.loads((run_dir / MARKER).read_text())["argv"][-1] == "azr.num_solver_attempts=1"


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_a_one_step_tiny_quickstart_prints_its_step_and_a_summary_pointing_at_real_files(tmp_path, capsys):
    # A full run (Ray, veRL's v1 trainer, the random tiny model): about a minute on 2 cores.
    run_dir = tmp_path / "run"
    argv = ["quickstart", "--model", "tiny", "--steps", "1", "--run-dir", str(run_dir), "--timeout-s", "300"]
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 0, err
    [step_line] = [line for line in out.splitlines() if line.startswith("step ")]
    assert step_line.startswith("step 1/1") and "valid proposals o " in step_line
    summary = out[out.index("Summary: 1 step(s)") :]
    for task_type in ("code_o", "code_i", "code_f"):
        assert f"  {task_type} " in summary
    assert "Proposed tasks:" in summary
    for name in ("verl.log", "metrics.jsonl", "buffer.sqlite", "global_step_1"):
        assert (run_dir / name).exists()
        assert str(run_dir / name) in summary
    assert (run_dir / "global_step_1" / "azr_buffer.sqlite").is_file()
