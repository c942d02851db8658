"""Sample n answers per problem, score each with the benchmark's executor-checked scorer, aggregate pass@k.

Generation and scoring overlap: while the model generates one chunk of problems, a worker thread
scores the previous chunk through the executor's async API (the snippets run in the executor's own
processes, so the two hardly compete for the interpreter).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from tqdm import tqdm

from azr_verl.evaluation.passk import mean_pass_at_k, parse_ks, pass_at_k
from azr_verl.evaluation.problems import EvalProblem, ProblemSet, Scorer
from azr_verl.tasks.parsing import FormatError
from azr_verl.tasks.registry import get_task_type
from azr_verl.tasks.rewards import Verdict
from azr_verl.textgen.base import Completion, GenerationSettings, TextGenerator

__all__ = [
    "EvalReport",
    "EvalSettings",
    "ProblemRecord",
    "SampleRecord",
    "default_temperature",
    "evaluate",
]

logger = logging.getLogger(__name__)

GREEDY_TEMPERATURE = 0.0
SAMPLING_TEMPERATURE = 0.8


def default_temperature(n: int) -> float:
    """Greedy decoding for one sample (pass@1 of the model's best guess), 0.8 for n > 1 samples.

    0.8 is the temperature CRUXEval and Chen et al. use for pass@k with k > 1: diverse enough for
    pass@k to differ from pass@1, close enough to the model's mode to stay sensible.
    """
    return GREEDY_TEMPERATURE if n == 1 else SAMPLING_TEMPERATURE


@dataclass(frozen=True)
class EvalSettings:
    """How to sample and what to report.

    Attributes:
        n: Samples per problem.
        ks: The k of every pass@k reported (each in 1..n).
        generation: Sampling settings passed to the generator.
        problems_per_chunk: Problems generated per generator call (progress granularity; vLLM wants
            large chunks, the hf backend about its batch size divided by n).
        max_concurrent_scores: Scoring calls in flight at once.
    """

    n: int = 1
    ks: tuple[int, ...] = (1,)
    generation: GenerationSettings = field(default_factory=lambda: GenerationSettings(temperature=0.0))
    problems_per_chunk: int = 8
    max_concurrent_scores: int = 64

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ValueError(f"n must be >= 1, got {self.n}")
        object.__setattr__(self, "ks", parse_ks(self.ks, self.n))
        if self.problems_per_chunk < 1:
            raise ValueError(f"problems_per_chunk must be >= 1, got {self.problems_per_chunk}")
        if self.max_concurrent_scores < 1:
            raise ValueError(f"max_concurrent_scores must be >= 1, got {self.max_concurrent_scores}")


@dataclass(frozen=True)
class SampleRecord:
    """One scored sample: the response, what the parser read from it, and the scorer's verdict."""

    response: str
    answer: str | None  # the parsed answer; None on a format error
    format_error: str | None  # why nothing could be read; None when an answer was read
    verdict: str  # correct, wrong, format_error or sandbox_failure
    score: float  # the training reward of this response
    acc: float  # 1.0 correct, 0.0 otherwise
    finish_reason: str  # stop, or length (hit max_tokens)
    num_tokens: int

    @property
    def correct(self) -> bool:
        return self.acc == 1.0


@dataclass(frozen=True)
class ProblemRecord:
    """The samples of one problem and its pass@k values."""

    problem_id: str
    index: int
    samples: tuple[SampleRecord, ...]
    pass_at_k: Mapping[int, float]

    @property
    def num_correct(self) -> int:
        return sum(sample.correct for sample in self.samples)


@dataclass(frozen=True)
class EvalReport:
    """The result of one evaluation: pass@k over problems, per-problem records, counts and timings."""

    benchmark: str
    task: str
    source: str
    settings: EvalSettings
    problems: tuple[ProblemRecord, ...]
    pass_at_k: Mapping[int, float]
    generation_s: float
    scoring_s: float
    wall_s: float

    def _count(self, predicate: Callable[[SampleRecord], bool]) -> int:
        return sum(predicate(sample) for problem in self.problems for sample in problem.samples)

    @property
    def num_samples(self) -> int:
        return self._count(lambda sample: True)

    @property
    def format_errors(self) -> int:
        return self._count(lambda sample: sample.verdict == Verdict.FORMAT_ERROR.value)

    @property
    def sandbox_failures(self) -> int:
        return self._count(lambda sample: sample.verdict == Verdict.SANDBOX_FAILURE.value)

    @property
    def truncated(self) -> int:
        return self._count(lambda sample: sample.finish_reason == "length")


def _record(problem: EvalProblem, completion: Completion, result: Mapping[str, object]) -> SampleRecord:
    parsed = get_task_type(problem.kind).parse_answer(completion.text)
    return SampleRecord(
        response=completion.text,
        answer=None if isinstance(parsed, FormatError) else parsed,
        format_error=parsed.reason if isinstance(parsed, FormatError) else None,
        verdict=str(result["verdict"]),
        score=float(result["score"]),
        acc=float(result["acc"]),
        finish_reason=completion.finish_reason,
        num_tokens=completion.num_tokens,
    )


async def _ascore_chunk(
    chunk: Sequence[EvalProblem], completions: Sequence[Sequence[Completion]], scorer: Scorer, limit: int
) -> list[list[dict]]:
    gate = asyncio.Semaphore(limit)

    async def one(problem: EvalProblem, completion: Completion) -> dict:
        async with gate:
            return await scorer(problem.data_source, completion.text, problem.ground_truth)

    flat = [one(p, c) for p, row in zip(chunk, completions, strict=True) for c in row]
    results = iter(await asyncio.gather(*flat))
    return [[next(results) for _ in row] for row in completions]


def _score_chunk(
    chunk: Sequence[EvalProblem],
    completions: Sequence[Sequence[Completion]],
    scorer: Scorer,
    settings: EvalSettings,
) -> tuple[list[ProblemRecord], float]:
    """Score one generated chunk (in the worker thread, on its own event loop); returns its wall time."""
    start = time.perf_counter()
    results = asyncio.run(_ascore_chunk(chunk, completions, scorer, settings.max_concurrent_scores))
    records = []
    for problem, row, scored in zip(chunk, completions, results, strict=True):
        samples = tuple(_record(problem, c, r) for c, r in zip(row, scored, strict=True))
        correct = sum(sample.correct for sample in samples)
        passes = {k: pass_at_k(settings.n, correct, k) for k in settings.ks}
        records.append(ProblemRecord(problem.problem_id, problem.index, samples, passes))
    return records, time.perf_counter() - start


def _generate(
    generator: TextGenerator, chunk: Sequence[EvalProblem], settings: EvalSettings
) -> list[list[Completion]]:
    completions = generator.generate([list(p.messages) for p in chunk], settings.n, settings.generation)
    if len(completions) != len(chunk) or any(len(row) != settings.n for row in completions):
        shape = [len(row) for row in completions]
        raise RuntimeError(
            f"the generator returned {shape} completions for {len(chunk)} prompts with n={settings.n}"
        )
    return completions


def evaluate(
    generator: TextGenerator, problem_set: ProblemSet, settings: EvalSettings, progress: bool = True
) -> EvalReport:
    """Generate `settings.n` samples per problem, score every sample, and compute pass@k.

    Args:
        generator: Any `TextGenerator` (the hf or vllm backend).
        problem_set: Problems and their scorer, e.g. from `load_cruxeval`.
        settings: Samples, k values, sampling and chunking.
        progress: Show a tqdm bar on stderr (problems scored).

    Returns:
        The report; its pass@k is the mean over problems of the unbiased per-problem estimate.
    """
    problems = problem_set.problems
    if not problems:
        raise ValueError("no problems to evaluate")
    size = settings.problems_per_chunk
    chunks = [problems[start : start + size] for start in range(0, len(problems), size)]
    records: list[ProblemRecord] = []
    generation_s = scoring_s = 0.0
    wall_start = time.perf_counter()
    label = f"{problem_set.benchmark}-{problem_set.task}"
    with (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="eval-score") as pool,
        tqdm(total=len(problems), desc=label, unit="problem", file=sys.stderr, disable=not progress) as bar,
    ):
        pending: Future | None = None
        for chunk in chunks:
            start = time.perf_counter()
            completions = _generate(generator, chunk, settings)
            generation_s += time.perf_counter() - start
            if pending is not None:
                scoring_s += _collect(pending, records, bar)
            pending = pool.submit(_score_chunk, chunk, completions, problem_set.scorer, settings)
        if pending is not None:
            scoring_s += _collect(pending, records, bar)
    return _report(problem_set, settings, records, generation_s, scoring_s, time.perf_counter() - wall_start)


def _collect(pending: Future, records: list[ProblemRecord], bar: tqdm) -> float:
    chunk_records, seconds = pending.result()
    records.extend(chunk_records)
    bar.update(len(chunk_records))
    return seconds


def _report(
    problem_set: ProblemSet,
    settings: EvalSettings,
    records: list[ProblemRecord],
    generation_s: float,
    scoring_s: float,
    wall_s: float,
) -> EvalReport:
    counts = [(len(record.samples), record.num_correct) for record in records]
    report = EvalReport(
        benchmark=problem_set.benchmark,
        task=problem_set.task,
        source=problem_set.source,
        settings=settings,
        problems=tuple(records),
        pass_at_k={k: mean_pass_at_k(counts, k) for k in settings.ks},
        generation_s=generation_s,
        scoring_s=scoring_s,
        wall_s=wall_s,
    )
    if report.sandbox_failures:
        logger.warning(
            "%d of %d samples hit a sandbox failure (an executor problem, not the model's); they count "
            "as wrong: see `azr-verl doctor`",
            report.sandbox_failures,
            report.num_samples,
        )
    return report
