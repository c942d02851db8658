"""`run_seeding` with real models through the hf backend and the real executor.

The taught model answers the deduction proposer prompt with one fixed proposal at temperature 0,
so a run finds exactly one valid seed and then only duplicates of it; the hostile model's proposal
imports os; the random model writes no readable proposal at all.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from azr_verl.buffer import TaskStore, read_seed_file
from azr_verl.seeding import SeedingSettings, StopReason, run_seeding
from azr_verl.tasks import Task
from azr_verl.textgen import GenerationSettings

GREEDY = GenerationSettings(temperature=0.0, max_tokens=64)
DOUBLE = Task("code_o", "def f(x):\n    return x * 2", ("21",), ("42",))


def _settings(out: Path, **changes) -> SeedingSettings:
    values = dict(
        out=out, count=5, task_types=("code_o",), batch_size=3, max_rounds=2, references=0, generation=GREEDY
    )
    values.update(changes)
    return SeedingSettings(**values)


def _assert_balanced(report) -> None:
    for counts in (*report.counts, report.total):
        assert counts.balanced, counts
        assert counts.proposed == (
            counts.valid
            + counts.duplicate
            + sum(counts.rejected.values())
            + sum(counts.format_errors.values())
        )


def test_one_valid_seed_is_written_once_and_its_repeats_count_as_duplicates(
    tmp_path, valid_model_dir, generator_for, executor
):
    out = tmp_path / "seeds.jsonl"
    report = run_seeding(generator_for(valid_model_dir), _settings(out), executor)
    _assert_balanced(report)
    [counts] = report.counts
    assert (counts.proposed, counts.valid, counts.duplicate) == (6, 1, 5)
    assert report.stop_reason is StopReason.MAX_ROUNDS and report.rounds == 2
    assert report.seeds_after == {"code_o": 1}
    assert read_seed_file(out).tasks == (DOUBLE,)
    with TaskStore(tmp_path / "buffer.sqlite") as store:  # what azr.seed_files does in a training run
        loaded = store.load_seeds(out)
        assert (loaded.added, loaded.malformed) == (1, 0)
        assert [t.task for t in store.sample([_request()], seed=0, step=1)[0]] == [DOUBLE]


def _request():
    from azr_verl.buffer import reference_request

    return reference_request("code_o", 1, 0)


def test_a_rerun_continues_the_file_and_dedups_against_it(tmp_path, valid_model_dir, generator_for, executor):
    out = tmp_path / "seeds.jsonl"
    run_seeding(generator_for(valid_model_dir), _settings(out, max_rounds=1), executor)
    first = out.read_text()
    again = run_seeding(generator_for(valid_model_dir), _settings(out, max_rounds=1), executor)
    assert out.read_text() == first  # kept, and nothing new: the proposal is already in the file
    assert again.seeds_before == again.seeds_after == {"code_o": 1}
    assert (again.counts[0].valid, again.counts[0].duplicate) == (0, 3)
    done = run_seeding(generator_for(valid_model_dir), _settings(out, count=1), executor)
    assert done.stop_reason is StopReason.ALREADY_COMPLETE and done.rounds == 0
    assert done.total.proposed == 0


def test_reaching_the_target_stops_without_examining_the_rest_of_the_round(
    tmp_path, valid_model_dir, generator_for, executor
):
    report = run_seeding(generator_for(valid_model_dir), _settings(tmp_path / "s.jsonl", count=1), executor)
    assert report.stop_reason is StopReason.TARGET_REACHED and report.rounds == 1
    assert (report.total.proposed, report.total.valid, report.unexamined) == (1, 1, 2)
    _assert_balanced(report)


@pytest.mark.parametrize(
    ("model", "rule"), [("hostile_model_dir", "unsafe_code"), ("looping_model_dir", "timeout")]
)
def test_a_hostile_proposal_is_rejected_by_rule_counted_and_never_written(
    tmp_path, generator_for, executor, request, model, rule
):
    out = tmp_path / "seeds.jsonl"
    model_dir = request.getfixturevalue(model)
    report = run_seeding(generator_for(model_dir), _settings(out, batch_size=2, max_rounds=1), executor)
    _assert_balanced(report)
    assert report.total.rejected == {rule: 2}
    assert report.total.valid == report.total.duplicate == 0
    assert report.stop_reason is StopReason.MAX_ROUNDS
    assert out.read_text() == ""


def test_a_random_model_stops_at_max_rounds_with_every_response_accounted_for(
    tmp_path, tiny_dir, generator_for, executor
):
    settings = _settings(
        tmp_path / "s.jsonl",
        task_types=("code_o", "code_i", "code_f"),
        batch_size=2,
        references=2,
        generation=GenerationSettings(temperature=1.0, max_tokens=16),
        max_prompt_tokens=100,  # no proposer prompt fits: each is sent as short as it can be, and counted
    )
    report = run_seeding(generator_for(tiny_dir), settings, executor)
    assert (report.fitting.references_dropped, report.fitting.overlong) == (8, 12)
    assert report.stop_reason is StopReason.MAX_ROUNDS and report.rounds == 2
    assert [c.proposed for c in report.counts] == [4, 4, 4]
    assert report.total.valid == 0
    _assert_balanced(report)
    data = report.to_dict()
    assert json.loads(json.dumps(data))["total"]["proposed"] == 12


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"count": 0}, "count must be an integer >= 1"),
        ({"batch_size": 0}, "batch_size must be"),
        ({"max_rounds": -1}, "max_rounds must be"),
        ({"references": -1}, "references must be an integer >= 0"),
        ({"task_types": ()}, "task_types is empty"),
        ({"task_types": ("code_o", "code_o")}, "twice"),
        ({"task_types": ("code_x",)}, "unknown task type 'code_x'"),
    ],
)
def test_invalid_settings_are_refused_naming_the_setting(tmp_path, changes, message):
    with pytest.raises(ValueError, match=message):
        _settings(tmp_path / "s.jsonl", **changes)


class _Interrupted(Exception):
    pass


def test_an_interrupted_run_keeps_what_it_wrote_and_a_rerun_continues(
    tmp_path, valid_model_dir, generator_for, executor
):
    out = tmp_path / "seeds.jsonl"

    def interrupt_after_the_first_seed(progress) -> None:
        if progress.seeds:
            raise _Interrupted

    settings = _settings(out, count=2, task_types=("code_o", "code_i"))
    with pytest.raises(_Interrupted):
        run_seeding(
            generator_for(valid_model_dir), settings, executor, progress=interrupt_after_the_first_seed
        )
    assert read_seed_file(out).tasks == (DOUBLE,)
    again = run_seeding(generator_for(valid_model_dir), _settings(out, count=1), executor)
    assert again.stop_reason is StopReason.ALREADY_COMPLETE


def test_the_same_seed_proposes_and_writes_the_same_seeds(tmp_path, valid_model_dir, executor):
    from azr_verl.textgen import load_generator

    sampled = GenerationSettings(temperature=1.3, max_tokens=64)  # varied: valid, duplicate, malformed
    files, counts = [], []
    for run in range(2):
        out = tmp_path / f"run{run}.jsonl"
        generator = load_generator(valid_model_dir, "hf", batch_size=8, seed=8)
        report = run_seeding(generator, _settings(out, batch_size=4, generation=sampled, seed=8), executor)
        files.append(out.read_text())
        counts.append(report.counts)
    assert files[0] == files[1] and counts[0] == counts[1]
    assert counts[0][0].proposed == 8 and counts[0][0].valid >= 1
