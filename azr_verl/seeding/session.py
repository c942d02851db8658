"""A seeding run: the base model proposes tasks without updates until the seed file is full.

Each round builds `batch_size` proposer prompts per task type still short of its target (references
drawn from the seeds found so far, starting from the zero triplet, as the training dataset draws
them, and dropped longest first from a prompt over `max_prompt_tokens`), generates one response per
prompt, and examines the responses in order. Examining is the training path:
`TaskType.validate_response` (parse, then the executor-backed validation plan, with the configured
`TaskLimits` and executor limits), then the buffer's fingerprint dedup. New valid tasks are
appended to the seed file after every batch.

A type's responses are validated in chunks no larger than the seeds it still needs, so a type
never overshoots its target; responses left over once the target is reached are not examined (and
not counted as proposed). The run stops when every type has `count` seeds in the file or after
`max_rounds` rounds.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from azr_verl.buffer.seeds import read_seed_file
from azr_verl.seeding.fitting import FitStats, fit_prompts, prompt_meter
from azr_verl.seeding.pool import ProposalPrompt, SeedPool
from azr_verl.seeding.seed_file import SeedWriter, seed_line
from azr_verl.seeding.tally import ProposalFate, TypeCounts, TypeTally
from azr_verl.tasks import FormatError, Rejection, Task, TaskLimits, TaskType, get_task_type, task_fingerprint
from azr_verl.textgen import Completion, GenerationSettings, TextGenerator

if TYPE_CHECKING:
    from azr_verl.executor import Executor

__all__ = ["SeedingProgress", "SeedingReport", "SeedingSettings", "StopReason", "run_seeding"]

logger = logging.getLogger(__name__)

Outcome = Task | Rejection | FormatError


class StopReason(str, enum.Enum):
    TARGET_REACHED = "target_reached"  # every task type has `count` seeds in the file
    MAX_ROUNDS = "max_rounds"  # `max_rounds` rounds ran and some type is still short
    ALREADY_COMPLETE = "already_complete"  # the file held enough seeds before the first round


@dataclass(frozen=True)
class SeedingSettings:
    """What a seeding run does.

    Attributes:
        out: the seed file (appended to; a rerun continues it).
        count: seeds wanted per task type in `out` (seeds already there count).
        task_types: registered task-type names to propose.
        batch_size: proposer prompts per task type per round.
        max_rounds: rounds at most, so a model that never proposes a valid task stops.
        references: K, reference tasks shown to a proposer (induction proposers see one program).
        seed: seeds the reference draws (the generator has its own seed).
        from_files: seed files whose tasks join the references and the dedup set (not written).
        generation: sampling settings of the proposer.
        limits: task limits of the validation (`azr.limits`).
        max_prompt_tokens: proposer prompts longer than this lose references (longest first), as
            in training (`data.max_prompt_length`); None measures nothing.
    """

    out: Path
    count: int = 256
    task_types: tuple[str, ...] = ("code_o", "code_i", "code_f")
    batch_size: int = 64
    max_rounds: int = 32
    references: int = 6
    seed: int = 0
    from_files: tuple[Path, ...] = ()
    generation: GenerationSettings = field(default_factory=GenerationSettings)
    limits: TaskLimits = field(default_factory=TaskLimits)
    max_prompt_tokens: int | None = 6144

    def __post_init__(self) -> None:
        object.__setattr__(self, "out", Path(self.out))
        object.__setattr__(self, "task_types", tuple(self.task_types))
        object.__setattr__(self, "from_files", tuple(Path(p) for p in self.from_files))
        for name, minimum in (("count", 1), ("batch_size", 1), ("max_rounds", 1), ("references", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
        if self.max_prompt_tokens is not None and self.max_prompt_tokens < 1:
            raise ValueError(f"max_prompt_tokens must be >= 1 or None, got {self.max_prompt_tokens}")
        if not self.task_types:
            raise ValueError("task_types is empty: name at least one task type")
        if len(set(self.task_types)) != len(self.task_types):
            raise ValueError(f"task_types lists a task type twice: {list(self.task_types)}")
        kinds: dict[str, str] = {}
        for name in self.task_types:
            kind = get_task_type(name).kind.value  # ValueError listing the registered names
            if kind in kinds:
                raise ValueError(f"task types {kinds[kind]!r} and {name!r} both make {kind} tasks; pick one")
            kinds[kind] = name


@dataclass(frozen=True)
class SeedingProgress:
    """Where a run is, for a progress display: seeds in the file (requested types) and the counts."""

    round_index: int
    max_rounds: int
    seeds: int
    target: int
    counts: tuple[TypeCounts, ...]


@dataclass(frozen=True)
class SeedingReport:
    """The outcome of a seeding run.

    Attributes:
        out: the seed file.
        stop_reason: why the run stopped.
        rounds: rounds run.
        count: the target per task type.
        counts: per task type, what its examined proposals came to.
        seeds_before: per task type, distinct seeds in the file before the run.
        seeds_after: per task type, distinct seeds in the file after the run.
        unexamined: responses generated but not examined (their type had reached its target).
        fitting: what keeping prompts within `max_prompt_tokens` changed, summed over rounds.
        generate_s, validate_s, elapsed_s: time spent generating, examining, in total.
    """

    out: Path
    stop_reason: StopReason
    rounds: int
    count: int
    counts: tuple[TypeCounts, ...]
    seeds_before: dict[str, int]
    seeds_after: dict[str, int]
    unexamined: int
    fitting: FitStats
    generate_s: float
    validate_s: float
    elapsed_s: float

    @property
    def written(self) -> int:
        return sum(c.valid for c in self.counts)

    @property
    def total(self) -> TypeCounts:
        """The counts of all task types summed (task_type "all")."""
        total = TypeTally("all")
        for counts in self.counts:
            total.fates.update(
                {
                    ProposalFate.VALID: counts.valid,
                    ProposalFate.DUPLICATE: counts.duplicate,
                    ProposalFate.REJECTED: counts.rejected_total,
                    ProposalFate.FORMAT_ERROR: counts.format_error_total,
                }
            )
            total.rules.update(counts.rejected)
            total.format_reasons.update(counts.format_errors)
            total.truncated += counts.truncated
        return total.freeze()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["out"] = str(self.out)
        data["stop_reason"] = self.stop_reason.value
        data["total"] = asdict(self.total)
        return data


ProgressFn = Callable[[SeedingProgress], None]


def run_seeding(
    generator: TextGenerator,
    settings: SeedingSettings,
    executor: Executor,
    progress: ProgressFn | None = None,
) -> SeedingReport:
    """Propose, validate, dedup and write seeds until the target or `max_rounds` (module doc).

    Raises:
        SeedFileError: the output file is locked by another run or is not a seed file.
        FileNotFoundError: a `from_files` file does not exist.
    """
    start = time.perf_counter()
    types = [get_task_type(name, settings.limits) for name in settings.task_types]
    with SeedWriter(settings.out) as writer, SeedPool() as pool:
        for path in settings.from_files:
            added = pool.add_known(read_seed_file(path).tasks)
            logger.info("%s: %d known tasks added to the references and the dedup set", path, added)
        existing = writer.existing.tasks
        fingerprints = [task_fingerprint(task) for task in existing]  # once: the pool dedups by them too
        pool.add_known(existing, fingerprints)
        run = _Run(generator, settings, executor, pool, writer, types, progress)
        distinct = {(task.kind, fp) for task, fp in zip(existing, fingerprints, strict=True)}
        before = {t.name: sum(kind is t.kind for kind, _ in distinct) for t in types}
        run.have = dict(before)
        stop = run.loop()
    return SeedingReport(
        out=settings.out,
        stop_reason=stop,
        rounds=run.rounds,
        count=settings.count,
        counts=tuple(run.tallies[t.name].freeze() for t in types),
        seeds_before=before,
        seeds_after=dict(run.have),
        unexamined=run.unexamined,
        fitting=run.fitting,
        generate_s=run.generate_s,
        validate_s=run.validate_s,
        elapsed_s=time.perf_counter() - start,
    )


class _Run:
    """The mutable state of one seeding run (rounds, counts, seeds held) and its steps."""

    def __init__(
        self,
        generator: TextGenerator,
        settings: SeedingSettings,
        executor: Executor,
        pool: SeedPool,
        writer: SeedWriter,
        types: list[TaskType],
        progress: ProgressFn | None,
    ) -> None:
        self.generator, self.settings, self.executor = generator, settings, executor
        self.pool, self.writer, self.types, self.progress = pool, writer, types, progress
        self.tallies = {t.name: TypeTally(t.name) for t in types}
        self.have: dict[str, int] = {t.name: 0 for t in types}
        self.rounds = self.unexamined = 0
        self.meter = prompt_meter(generator, settings.max_prompt_tokens)
        self.fitting = FitStats()
        self.generate_s = self.validate_s = 0.0

    def loop(self) -> StopReason:
        self._report()
        while True:
            active = [t for t in self.types if self.have[t.name] < self.settings.count]
            if not active:
                return StopReason.TARGET_REACHED if self.rounds else StopReason.ALREADY_COMPLETE
            if self.rounds >= self.settings.max_rounds:
                return StopReason.MAX_ROUNDS
            self.rounds += 1
            self._round(active)

    def _round(self, active: list[TaskType]) -> None:
        settings = self.settings
        drawn = self.pool.prompts(
            active, settings.batch_size, settings.references, settings.seed, self.rounds
        )
        prompts, fitting = fit_prompts(drawn, self.meter)
        self.fitting = self.fitting.plus(fitting)
        began = time.perf_counter()
        completions = self.generator.generate([p.messages for p in prompts], 1, settings.generation)
        self.generate_s += time.perf_counter() - began
        began = time.perf_counter()
        for task_type in active:
            items = [(p, c[0]) for p, c in zip(prompts, completions, strict=True) if p.task_type is task_type]
            self._examine(task_type, items)
        self.validate_s += time.perf_counter() - began

    def _examine(self, task_type: TaskType, items: list[tuple[ProposalPrompt, Completion]]) -> None:
        """Examine responses in order, in chunks of the seeds still needed, until the target."""
        position = 0
        while position < len(items) and self.have[task_type.name] < self.settings.count:
            chunk = items[position : position + self.settings.count - self.have[task_type.name]]
            position += len(chunk)
            outcomes = self._validate(chunk)
            self._record(task_type, chunk, outcomes)
            self._report()
        self.unexamined += len(items) - position

    def _validate(self, chunk: Sequence[tuple[ProposalPrompt, Completion]]) -> list[Outcome]:
        """The training validation of each response, in parallel threads over the shared executor."""
        workers = max(1, min(len(chunk), 2 * self.executor.max_workers))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="azr-seed") as threads:
            return list(
                threads.map(
                    lambda item: item[0].task_type.validate_response(
                        item[1].text, self.executor, item[0].context
                    ),
                    chunk,
                )
            )

    def _record(
        self, task_type: TaskType, chunk: Sequence[tuple[ProposalPrompt, Completion]], outcomes: list[Outcome]
    ) -> None:
        """Dedup the valid tasks against everything known, write the new ones, count every outcome."""
        tally = self.tallies[task_type.name]
        tasks = [o for o in outcomes if isinstance(o, Task)]
        fingerprints = [task_fingerprint(t) for t in tasks]
        new_flags = iter(self.pool.add_proposed(tasks, fingerprints, self.rounds))
        fingerprint_of = iter(fingerprints)
        lines = []
        for (_, completion), outcome in zip(chunk, outcomes, strict=True):
            truncated = completion.finish_reason == "length"
            if isinstance(outcome, FormatError):
                tally.count(ProposalFate.FORMAT_ERROR, outcome.reason, truncated)
            elif isinstance(outcome, Rejection):
                tally.count(ProposalFate.REJECTED, outcome.rule.value, truncated)
                if not outcome.rule.model_fault:
                    logger.warning("%s proposal not validated: %s", task_type.name, outcome.detail)
            elif next(new_flags):
                tally.count(ProposalFate.VALID, truncated=truncated)
                lines.append(seed_line(outcome, next(fingerprint_of), task_type.name, self.rounds))
            else:
                next(fingerprint_of)
                tally.count(ProposalFate.DUPLICATE, truncated=truncated)
        self.writer.append(lines)
        self.have[task_type.name] += len(lines)

    def _report(self) -> None:
        if self.progress is None:
            return
        target = self.settings.count * len(self.types)
        seeds = sum(min(n, self.settings.count) for n in self.have.values())
        counts = tuple(self.tallies[t.name].freeze() for t in self.types)
        self.progress(SeedingProgress(self.rounds, self.settings.max_rounds, seeds, target, counts))
