"""Training curves and step time: every plotted point is a logged value of that step; steps and
groups without data have no point; a family nobody logged is a note, not a crash."""

from __future__ import annotations

import json
import math

import pytest

from azr_verl.report import load_run, report_sections
from azr_verl.report.curves import training_curves
from azr_verl.report.timing import step_time


def _figures(run_dir):
    return {f.slug: f for section in report_sections(load_run(run_dir)) for f in section.figures}


def _logged_points(logged, key):
    return {step: data[key] for step, data in logged.items() if key in data and math.isfinite(data[key])}


@pytest.mark.parametrize(
    ("slug", "label", "key"),
    [
        ("reward_per_group", "code_o:propose", "azr/reward/code_o:propose/mean"),
        ("reward_per_group", "code_i:solve", "azr/reward/code_i:solve/mean"),
        ("valid_rate", "code_o", "azr/valid_rate/code_o"),
        ("valid_rate", "code_i", "azr/valid_rate/code_i"),
        ("propose_attempt_acc", "code_o", "azr/propose_attempt_acc/code_o"),
        ("solver_acc", "code_o", "azr/solver_acc/code_o"),
        ("buffer_size", "code_f", "azr/buffer/code_f/size"),
        ("learnability_histogram", "0.4-0.6", "azr/learnability/bin_0.4_0.6"),
        ("learnability_histogram", "0.8-1.0", "azr/learnability/bin_0.8_1.0"),
        ("azr_time", "executor_busy_s", "azr/time/executor_busy_s"),
        ("step_time", "update_actor", "timing_s/update_actor"),
        ("step_time", "save_checkpoint", "timing_s/save_checkpoint"),
    ],
)
def test_plotted_points_are_the_logged_values(run_dir, logged, slug, label, key):
    points = _figures(run_dir)[slug].get(label).points()
    assert points == _logged_points(logged, key)
    assert points  # the fixture logs every one of these at least once


def test_groups_and_steps_without_samples_have_no_points(run_dir):
    figures = _figures(run_dir)
    rewards = figures["reward_per_group"]
    assert rewards.labels() == ["code_o:propose", "code_o:solve", "code_i:propose", "code_i:solve"]
    # code_i was only in the replaced step 2 and in step 3: its points are step 3's alone.
    assert rewards.get("code_i:propose").points() == {3: -1.0}
    assert figures["solver_acc"].labels() == ["code_o", "code_i"]  # no code_f samples: no code_f line
    assert figures["learnability_histogram"].categories() == [1]  # only step 1 kept a valid proposal


def test_the_rest_of_a_step_is_its_time_beyond_the_phases_and_never_negative(run_dir):
    other = _figures(run_dir)["step_time"].get("other").points()
    # Step 1: 40 s - (10 + 2 + 0.5 + 20) s; step 2 also saved a checkpoint (1 s); step 3 logged a gen
    # longer than its step.
    assert other == {1: 7.5, 2: 6.5, 3: 0.0}


def test_nan_values_are_no_points_and_a_family_with_none_left_is_a_note(tmp_path):
    path = tmp_path / "metrics.jsonl"
    rows = [
        {"step": 1, "data": {"azr/solver_acc/code_o": math.nan, "azr/valid_rate/code_o": 0.5}},
        {"step": 2, "data": {"azr/solver_acc/code_o": math.nan, "azr/valid_rate/code_o": math.nan}},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))  # json writes NaN as veRL's logger does
    section = training_curves(load_run(tmp_path).steps)
    assert [f.slug for f in section.figures] == ["valid_rate"]
    assert section.figures[0].get("code_o").points() == {1: 0.5}
    assert "no step logged azr/solver_acc/*: solver accuracy per task type is not plotted" in section.notes


def test_a_run_without_azr_metrics_gets_notes_for_every_curve_and_still_its_step_time(tmp_path):
    rows = [
        {"step": s, "data": {"timing_s/gen": 1.0, "timing_s/step": 3.0, "actor/loss": 0.1}} for s in (1, 2)
    ]
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    steps = load_run(tmp_path).steps
    curves = training_curves(steps)
    assert curves.figures == () and len(curves.notes) == 6
    timing = step_time(steps)
    assert [f.slug for f in timing.figures] == ["step_time"]
    assert timing.figures[0].get("other").points() == {1: 2.0, 2: 2.0}
    assert timing.notes == ("no step logged AZR times (azr/time/*_s): not plotted",)
