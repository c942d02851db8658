"""The quickstart's progress lines and summary, from a real buffer file and a metrics jsonl written
the way veRL's file logger writes it (rows computed by the trainer's own metric functions)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from azr_verl.buffer.store import TaskStore
from azr_verl.metrics_log import read_metrics
from azr_verl.quickstart.figures import buffer_figures, run_figures, step_figures
from azr_verl.quickstart.render import RunPaths, format_duration, progress_line, render_summary


def _paths(run_dir: Path) -> RunPaths:
    return RunPaths(run_dir, run_dir / "verl.log", run_dir / "metrics.jsonl", run_dir / "global_step_2")


def test_progress_line_shows_step_of_total_rewards_valid_counts_and_buffer_sizes(finished_run):
    first = read_metrics(finished_run / "metrics.jsonl")[0]
    line = progress_line(step_figures(first), total_steps=2, elapsed_s=125.0)
    assert line.startswith("step 1/2  2m05s (step 1m41s)")
    assert "o -0.25/+0.25" in line  # propose (0.5, -1) and solve (-0.5, 1) means
    assert "valid proposals o 1/2" in line
    assert "buffer o 2 i 1 f 1" in line  # code_e is empty and untrained: left out


def test_run_figures_weight_each_step_by_its_samples(finished_run):
    figures = {t.task_type: t for t in run_figures(read_metrics(finished_run / "metrics.jsonl"))}
    assert list(figures) == ["code_o", "code_i"]
    deduction, abduction = figures["code_o"], figures["code_i"]
    assert (deduction.valid, deduction.proposals) == (1, 4)
    assert deduction.propose_reward == pytest.approx((0.5 - 1 - 1 - 1) / 4)
    assert deduction.solve_reward == pytest.approx((-0.5 + 1 + 1 + 1) / 4)
    assert deduction.solver_acc == pytest.approx(0.75)
    assert (abduction.valid, abduction.proposals, abduction.solves) == (0, 1, 1)
    assert (deduction.readable, abduction.readable) == (8, 1)
    assert abduction.solve_reward == pytest.approx(-0.5)


def test_summary_lists_types_examples_with_solve_stats_and_every_path(finished_run, proposed_tasks):
    attempted, newest = proposed_tasks
    rows = read_metrics(finished_run / "metrics.jsonl")
    buffer = buffer_figures(finished_run)
    text = render_summary(run_figures(rows), buffer, _paths(finished_run), len(rows), 605.0)
    assert text.startswith("Summary: 2 step(s) in 10m05s")
    deduction_row = next(line for line in text.splitlines() if line.strip().startswith("code_o"))
    assert deduction_row.split() == ["code_o", "1/4", "(25%)", "-0.62", "+0.62", "75%", "8/8", "2", "(1)"]
    # The attempted proposal comes first, with the solver's record; then the newest one.
    assert text.index(attempted.program.splitlines()[1]) < text.index(newest.program.splitlines()[1])
    assert "solved in 2 of 3 solver attempts" in text
    assert "not yet given to the solver" in text
    assert "f(21) == 42" in text
    for path in (finished_run, finished_run / "verl.log", finished_run / "metrics.jsonl"):
        assert str(path) in text
    assert f"checkpoint     {finished_run / 'global_step_2'}" in text
    assert f"plots          azr-verl report {finished_run}" in text
    assert "No response was in the answer format" not in text


def test_summary_says_plainly_when_the_model_proposed_nothing_valid(tmp_path):
    with TaskStore.in_run_dir(tmp_path) as store:
        store.seed_zero()
    buffer = buffer_figures(tmp_path)
    assert buffer.proposed_total == 0 and buffer.examples == ()
    text = render_summary((), buffer, _paths(tmp_path), 3, 60.0)
    assert "Proposed tasks: none. In 3 step(s) the model proposed no task the executor accepted" in text
    assert "no step was logged" in text


def test_buffer_figures_refuse_a_missing_buffer(tmp_path):
    from azr_verl.buffer.schema import BufferFileError

    with pytest.raises(BufferFileError):
        buffer_figures(tmp_path)


@pytest.mark.parametrize(
    ("seconds", "text"), [(0.4, "0s"), (59.6, "1m00s"), (605, "10m05s"), (math.nan, "?")]
)
def test_durations_read_as_minutes_and_seconds(seconds, text):
    assert format_duration(seconds) == text


def test_a_real_verl_metrics_file_gives_a_line_per_step_and_run_figures_matching_its_counts():
    # Written by veRL's FileLogger during a 2-step SmolLM2 self-play run on CPU (128 response tokens).
    path = Path(__file__).parent / "data" / "smollm2_cpu_metrics.jsonl"
    rows = read_metrics(path)
    assert [row.step for row in rows] == [1, 2]
    for row in rows:
        line = progress_line(step_figures(row), total_steps=2, elapsed_s=300.0)
        for short in ("o", "i", "f"):
            proposals = int(row.get(f"azr/reward/code_{short}:propose/count"))
            valid = round(row.get(f"azr/valid_rate/code_{short}") * proposals)
            assert f"{short} {valid}/{proposals}" in line.split("valid proposals")[1]
            assert f"{short} {int(row.get(f'azr/buffer/code_{short}/size'))}" in line.split("buffer")[1]
    for figures in run_figures(rows):
        counts = [row.get(f"azr/reward/{figures.task_type}:propose/count") for row in rows]
        assert figures.proposals == sum(counts)
        assert math.isfinite(figures.propose_reward) and math.isfinite(figures.solve_reward)
    # That run never wrote a parsable answer: the summary says what that means for training.
    text = render_summary(run_figures(rows), None, _paths(path.parent), len(rows), 500.0)
    assert all(figures.readable == 0 for figures in run_figures(rows))
    assert "No response was in the answer format" in text and "could not be read" in text
