"""Real models through the hf backend: the score is computed from parsed answers and executor verdicts.

The random tiny model answers nothing readable; a copy taught one fixed answer shows the executor
deciding: the same answer `[5, 8]` is right for one problem and raises for the other.
"""

from __future__ import annotations

import json

import pytest
import torch

from azr_verl.evaluation import EvalSettings, evaluate, load_cruxeval
from azr_verl.models.teach import teach_chat
from azr_verl.models.tiny import build_tiny_model
from azr_verl.tasks.rewards import Verdict
from azr_verl.textgen import GenerationSettings, load_generator
from reward_fns.cruxeval import compute_score

VERDICTS = {verdict.value for verdict in Verdict}


@pytest.fixture
def one_torch_thread():
    """Two threads on a shared 2-core machine spin against each other (30x slower for this model)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("task", ["output", "input"])
def test_random_tiny_model_score_is_the_mean_of_its_scored_records(task, dev_file, one_torch_thread):
    problems = load_cruxeval(task, dev_file, limit=3)
    generator = load_generator(build_tiny_model(), "hf", seed=1, batch_size=6)
    settings = EvalSettings(n=2, ks=(1, 2), generation=GenerationSettings(temperature=1.0, max_tokens=24))
    report = evaluate(generator, problems, settings, progress=False)

    assert [p.problem_id for p in report.problems] == ["sample_0", "sample_1", "sample_2"]
    truths = {p.problem_id: p for p in problems.problems}
    for record in report.problems:
        assert len(record.samples) == 2
        for sample in record.samples:
            assert sample.verdict in VERDICTS and 1 <= sample.num_tokens <= 24
            assert (sample.answer is None) == (sample.format_error is not None)
            assert (sample.verdict == "format_error") == (sample.answer is None)
            # Scored again, independently, by the veRL reward function: the same verdict and score.
            problem = truths[record.problem_id]
            again = compute_score(problem.data_source, sample.response, problem.ground_truth)
            assert (again["verdict"], again["score"]) == (sample.verdict, sample.score)
    mean_share = sum(r.num_correct / 2 for r in report.problems) / 3
    assert report.pass_at_k[1] == pytest.approx(mean_share)
    assert report.format_errors == sum(
        s.verdict == "format_error" for r in report.problems for s in r.samples
    )


@pytest.fixture
def two_problems(dev_records, tmp_path):
    """sample_27 and sample_28: `f([5, 8])` is True for sample_28 and raises TypeError for sample_27."""
    path = tmp_path / "two.jsonl"
    picked = [r for r in dev_records if r["id"] in ("sample_27", "sample_28")]
    path.write_text("".join(json.dumps(record) + "\n" for record in picked))
    return path


def test_taught_tiny_model_answer_is_judged_by_the_executor(two_problems, tmp_path, one_torch_thread):
    problems = load_cruxeval("input", two_problems)
    answer = "<answer>\n```input\n[5, 8]\n```\n</answer>"
    taught = teach_chat(
        build_tiny_model(), [(list(p.messages), answer) for p in problems.problems], tmp_path / "m", steps=25
    )
    generator = load_generator(taught, "hf", batch_size=2)
    settings = EvalSettings(n=1, generation=GenerationSettings(temperature=0.0, max_tokens=40))
    report = evaluate(generator, problems, settings, progress=False)

    samples = {r.problem_id: r.samples[0] for r in report.problems}
    assert {s.answer for s in samples.values()} == {"[5, 8]"}  # the model wrote the taught answer
    assert samples["sample_28"].verdict == "correct"
    assert samples["sample_27"].verdict == "wrong"  # executed: TypeError inside f
    assert report.pass_at_k == {1: 0.5} and report.format_errors == 0
