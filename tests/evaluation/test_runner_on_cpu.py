"""evaluate(): oracle answers through prompt -> parse -> executor scoring give the pass@k of the definition."""

from __future__ import annotations

import itertools
import random
from fractions import Fraction

import pytest

from azr_verl.evaluation import EvalSettings, evaluate, load_cruxeval
from azr_verl.tasks.rewards import Verdict
from azr_verl.textgen import GenerationSettings

GOLD, WRONG, GARBLED = "gold", "wrong", "garbled"
TASKS = ("output", "input")


@pytest.mark.parametrize("task", TASKS)
def test_gold_answers_score_pass_at_1_of_one_on_every_dev_problem(task, dev_file, dev_records, oracle):
    problems = load_cruxeval(task, dev_file)
    generator = oracle(dev_records, task)
    report = evaluate(generator, problems, EvalSettings(n=1, problems_per_chunk=64), progress=False)
    assert len(report.problems) == len(dev_records) == 200
    assert sum(generator.calls) == 200  # every problem was asked once, by its training prompt
    assert report.pass_at_k == {1: 1.0}
    assert report.format_errors == 0 and report.sandbox_failures == 0
    by_id = {record["id"]: record for record in dev_records}
    gold_key = "output" if task == "output" else "input"
    for problem in report.problems:
        [sample] = problem.samples
        assert sample.verdict == Verdict.CORRECT.value and sample.score == 1.0
        assert sample.answer == by_id[problem.problem_id][gold_key]


def _mixed_plan(index: int, n: int) -> list[str]:
    """c = index % (n + 1) right answers; the rest alternate wrong / unreadable; order shuffled."""
    correct = index % (n + 1)
    kinds = [GOLD] * correct + [(WRONG, GARBLED)[i % 2] for i in range(n - correct)]
    random.Random(index).shuffle(kinds)
    return kinds


def _definition(n: int, c: int, k: int) -> Fraction:
    """pass@k from its definition: the share of k-subsets of the samples holding a correct one."""
    subsets = list(itertools.combinations([True] * c + [False] * (n - c), k))
    return Fraction(sum(any(subset) for subset in subsets), len(subsets))


@pytest.mark.parametrize(("task", "chunk"), [("output", 1), ("output", 7), ("input", 5)])
def test_mixed_oracle_answers_give_pass_at_k_of_the_definition(task, chunk, dev_file, dev_records, oracle):
    n, ks, count = 5, (1, 2, 3, 5), 24
    problems = load_cruxeval(task, dev_file, limit=count)
    generator = oracle(dev_records[:count], task, _mixed_plan)
    settings = EvalSettings(n=n, ks=ks, problems_per_chunk=chunk)
    report = evaluate(generator, problems, settings, progress=False)

    assert generator.calls == [min(chunk, count - start) for start in range(0, count, chunk)]
    planned = [_mixed_plan(index, n) for index in range(count)]
    assert [p.num_correct for p in report.problems] == [kinds.count(GOLD) for kinds in planned]
    for record, kinds in zip(report.problems, planned, strict=True):
        verdicts = [sample.verdict for sample in record.samples]
        expected = {GOLD: "correct", WRONG: "wrong", GARBLED: "format_error"}
        assert verdicts == [expected[kind] for kind in kinds]  # sample order is kept
    for k in ks:
        exact = sum(_definition(n, kinds.count(GOLD), k) for kinds in planned) / count
        assert report.pass_at_k[k] == pytest.approx(float(exact), abs=1e-12)
        assert [r.pass_at_k[k] for r in report.problems] == pytest.approx(
            [float(_definition(n, kinds.count(GOLD), k)) for kinds in planned], abs=1e-12
        )
    assert report.format_errors == sum(kinds.count(GARBLED) for kinds in planned)
    assert 0 < report.pass_at_k[1] < report.pass_at_k[2] < report.pass_at_k[5] < 1


def test_unreadable_answers_are_format_errors_with_the_parser_reason(dev_file, dev_records, oracle):
    problems = load_cruxeval("output", dev_file, limit=3)
    generator = oracle(dev_records[:3], "output", lambda index, n: [GARBLED] * n)
    report = evaluate(generator, problems, EvalSettings(n=2, ks=(1, 2)), progress=False)
    assert report.pass_at_k == {1: 0.0, 2: 0.0}
    assert report.format_errors == report.num_samples == 6
    for problem in report.problems:
        for sample in problem.samples:
            assert sample.answer is None and "<answer>" in sample.format_error and sample.score == -1.0


class _ShortGenerator:
    def generate(self, prompts, n, settings):
        return [[] for _ in prompts]


def test_a_generator_returning_too_few_samples_is_an_error_not_a_zero_score(dev_file):
    problems = load_cruxeval("output", dev_file, limit=2)
    with pytest.raises(RuntimeError, match="returned"):
        evaluate(_ShortGenerator(), problems, EvalSettings(n=2, ks=(1,)), progress=False)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": 0}, "n must be"),
        ({"n": 2, "ks": (3,)}, "pass@3 needs at least 3"),
        ({"problems_per_chunk": 0}, "problems_per_chunk"),
        ({"max_concurrent_scores": 0}, "max_concurrent_scores"),
    ],
)
def test_bad_settings_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        EvalSettings(generation=GenerationSettings(), **kwargs)
