"""Reading a run for the report: metrics files merged by step (later wins), bad lines skipped and
counted, a missing or foreign buffer noted, and a run directory with nothing in it refused."""

from __future__ import annotations

import json

import pytest

from azr_verl.report import ReportError, load_run


def test_the_later_file_wins_a_repeated_step_and_steps_come_out_ascending(run_dir, logged):
    run = load_run(run_dir)
    assert [f.path.name for f in run.metrics_files] == ["metrics.jsonl", "metrics.2.jsonl"]
    assert [f.steps for f in run.metrics_files] == [2, 2]
    assert [row.step for row in run.steps] == [1, 2, 3]
    assert [dict(row.data) for row in run.steps] == [logged[1], logged[2], logged[3]]
    assert run.notes == ()


def test_extra_metrics_files_are_merged_after_the_run_dirs_own(run_dir, tmp_path):
    extra = tmp_path / "elsewhere.jsonl"
    extra.write_text(json.dumps({"step": 3, "data": {"timing_s/step": 99.0}}) + "\n")
    run = load_run(run_dir, [extra])
    assert [row.step for row in run.steps] == [1, 2, 3]
    assert dict(run.steps[-1].data) == {"timing_s/step": 99.0}


@pytest.mark.parametrize(
    "bad",
    ["not json\n", '{"step": "one", "data": {}}\n', '{"step": 1}\n', "[1, 2]\n", '{"step": 9, "data": {"a'],
    ids=["not-json", "step-not-int", "no-data", "not-an-object", "unfinished-last-line"],
)
def test_unreadable_lines_are_skipped_counted_and_noted(run_dir, bad):
    with open(run_dir / "metrics.2.jsonl", "a") as handle:
        handle.write(bad)
    run = load_run(run_dir)
    assert [row.step for row in run.steps] == [1, 2, 3]
    assert [f.skipped_lines for f in run.metrics_files] == [0, 1]
    assert run.notes == ("metrics.2.jsonl: 1 unreadable or unfinished lines skipped",)


@pytest.mark.parametrize("damage", ["missing", "foreign"])
def test_a_missing_or_foreign_buffer_is_a_reason_not_an_error(run_dir, damage):
    for path in run_dir.glob("buffer.sqlite*"):
        path.unlink()
    if damage == "foreign":
        (run_dir / "buffer.sqlite").write_bytes(b"this is not a database" * 100)
    run = load_run(run_dir)
    assert run.buffer_path is None and run.tasks == () and run.step_counts == ()
    assert [row.step for row in run.steps] == [1, 2, 3]
    expected = "no buffer file" if damage == "missing" else "the buffer could not be read"
    assert run.buffer_problem.startswith(expected) and "buffer.sqlite" in run.buffer_problem


def test_a_run_with_a_buffer_and_no_metrics_is_read_with_a_note(run_dir):
    for path in run_dir.glob("metrics*.jsonl"):
        path.unlink()
    run = load_run(run_dir)
    assert run.steps == () and len(run.tasks) == 6
    assert run.notes == (f"no metrics files (metrics*.jsonl) in {run_dir}: training curves are not plotted",)


@pytest.mark.parametrize("case", ["missing-dir", "a-file", "empty-dir", "missing-extra-metrics"])
def test_nothing_to_report_is_a_clear_error(tmp_path, run_dir, case):
    target, extra, message = run_dir, [], ""
    if case == "missing-dir":
        target, message = tmp_path / "nope", "does not exist or is not a directory"
    elif case == "a-file":
        target, message = run_dir / "metrics.jsonl", "does not exist or is not a directory"
    elif case == "empty-dir":
        target, message = tmp_path / "empty", "nothing to report"
        target.mkdir()
    else:
        extra, message = [tmp_path / "missing.jsonl"], "missing.jsonl does not exist"
    with pytest.raises(ReportError, match=message):
        load_run(target, extra)
