"""The task-type interface: prompts, parsing, validation and checking for one kind of task.

Validation and checking are written once, as *plans*: generators that yield batches of
`ExecRequest`s and receive the executor's results. `run_plan` drives a plan with the executor's
blocking `map`, `arun_plan` with its `amap` coroutine, so every task type gets a sync and an
async variant with one body of logic, and independent executions in a batch run in parallel.
"""

from __future__ import annotations

import abc
from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, TypeVar

from azr_verl.tasks.limits import TaskLimits
from azr_verl.tasks.parsing import FormatError
from azr_verl.tasks.prompts import Prompt, PromptStyle
from azr_verl.tasks.rewards import RewardConfig, Verdict, solver_reward
from azr_verl.tasks.task import Task, TaskKind
from azr_verl.tasks.validation import Rejection

if TYPE_CHECKING:
    from azr_verl.executor import ExecRequest, ExecResult, Executor

__all__ = [
    "AnswerCheck",
    "Plan",
    "Proposal",
    "ProposalContext",
    "ScoredAnswer",
    "TaskType",
    "arun_plan",
    "run_plan",
]

T = TypeVar("T")
Plan = Generator[list["ExecRequest"], list["ExecResult"], T]
"""A validation or checking procedure: yields request batches, receives results, returns its value."""


@dataclass(frozen=True)
class ProposalContext:
    """What the proposer was shown: K reference tasks, and for induction the program to probe."""

    references: tuple[Task, ...] = ()
    program: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "references", tuple(self.references))


@dataclass(frozen=True)
class Proposal:
    """A parsed (not yet validated) proposal. Induction proposals carry no program of their own."""

    program: str = ""
    inputs: tuple[str, ...] = ()
    message: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "inputs", tuple(self.inputs))


@dataclass(frozen=True)
class AnswerCheck:
    """The outcome of checking one parsed answer against a task."""

    verdict: Verdict
    detail: str = ""

    @property
    def correct(self) -> bool:
        return self.verdict is Verdict.CORRECT


@dataclass(frozen=True)
class ScoredAnswer:
    """A solver response parsed, checked and rewarded. `answer` is None on a format error."""

    verdict: Verdict
    reward: float
    answer: str | None = None
    detail: str = ""

    @property
    def correct(self) -> bool:
        return self.verdict is Verdict.CORRECT


def run_plan(plan: Plan[T], executor: Executor) -> T:
    """Drive `plan` to its result with the executor's blocking batch API."""
    try:
        requests = next(plan)
        while True:
            requests = plan.send(executor.map(requests) if requests else [])
    except StopIteration as stop:
        return stop.value


async def arun_plan(plan: Plan[T], executor: Executor) -> T:
    """Drive `plan` to its result with the executor's async batch API (never blocks the loop)."""
    try:
        requests = next(plan)
        while True:
            results = await executor.amap(requests) if requests else []
            requests = plan.send(results)
    except StopIteration as stop:
        return stop.value


class TaskType(abc.ABC):
    """One kind of task. Subclass, implement the abstract methods, and register with
    `@register_task_type("name")`; the sync/async validate, check and score methods come for free.

    Parsers never raise: any string gives a parsed value or a `FormatError`. Plans never raise on
    model-written text: a bad proposal gives a `Rejection`, a bad answer a WRONG verdict.

    Class attributes:
        name: The registered name (set by `register_task_type`).
        kind: The `TaskKind` of the tasks this type produces.
        enabled_by_default: Whether a default run trains on this type.
        program_source_kinds: Kinds whose buffer tasks supply the program a proposer is shown
            (induction probes deduction/abduction programs); empty when the proposer writes one.
    """

    name: ClassVar[str] = ""
    kind: ClassVar[TaskKind]
    enabled_by_default: ClassVar[bool] = True
    program_source_kinds: ClassVar[tuple[TaskKind, ...]] = ()

    def __init__(self, limits: TaskLimits | None = None) -> None:
        self.limits = limits or TaskLimits()

    # --- prompts -------------------------------------------------------------------------------
    @abc.abstractmethod
    def proposer_prompt(self, context: ProposalContext, style: PromptStyle = PromptStyle.CHAT) -> Prompt:
        """The prompt asking for a new task, given what the proposer is shown."""

    @abc.abstractmethod
    def solver_prompt(self, task: Task, style: PromptStyle = PromptStyle.CHAT) -> Prompt:
        """The prompt asking to solve `task` (shows only what the solver may see)."""

    # --- parsing -------------------------------------------------------------------------------
    @abc.abstractmethod
    def parse_proposal(self, response: str) -> Proposal | FormatError:
        """Read a proposal out of a proposer response; never raises."""

    @abc.abstractmethod
    def parse_answer(self, response: str) -> str | FormatError:
        """Read the answer text out of a solver response; never raises."""

    # --- plans ---------------------------------------------------------------------------------
    @abc.abstractmethod
    def proposal_plan(self, proposal: Proposal, context: ProposalContext) -> Plan[Task | Rejection]:
        """Validate `proposal` and compute its gold outputs."""

    @abc.abstractmethod
    def answer_plan(self, task: Task, answer: str) -> Plan[AnswerCheck]:
        """Check a parsed answer against `task`."""

    # --- derived sync/async API ----------------------------------------------------------------
    def validate_proposal(
        self, proposal: Proposal, executor: Executor, context: ProposalContext | None = None
    ) -> Task | Rejection:
        """A validated `Task` with executor-computed outputs, or the `Rejection` explaining why not."""
        return run_plan(self.proposal_plan(proposal, context or ProposalContext()), executor)

    async def avalidate_proposal(
        self, proposal: Proposal, executor: Executor, context: ProposalContext | None = None
    ) -> Task | Rejection:
        """Async twin of `validate_proposal`."""
        return await arun_plan(self.proposal_plan(proposal, context or ProposalContext()), executor)

    def validate_response(
        self, response: str, executor: Executor, context: ProposalContext | None = None
    ) -> Task | Rejection | FormatError:
        """Parse a proposer response and validate it: a `Task`, a `Rejection` or a `FormatError`."""
        proposal = self.parse_proposal(response)
        if isinstance(proposal, FormatError):
            return proposal
        return self.validate_proposal(proposal, executor, context)

    async def avalidate_response(
        self, response: str, executor: Executor, context: ProposalContext | None = None
    ) -> Task | Rejection | FormatError:
        """Async twin of `validate_response`."""
        proposal = self.parse_proposal(response)
        if isinstance(proposal, FormatError):
            return proposal
        return await self.avalidate_proposal(proposal, executor, context)

    def check_answer(self, task: Task, answer: str, executor: Executor) -> AnswerCheck:
        """Check a parsed answer (see `parse_answer`) against `task`."""
        return run_plan(self.answer_plan(task, answer), executor)

    async def acheck_answer(self, task: Task, answer: str, executor: Executor) -> AnswerCheck:
        """Async twin of `check_answer`."""
        return await arun_plan(self.answer_plan(task, answer), executor)

    def score_response(
        self, task: Task, response: str, executor: Executor, config: RewardConfig | None = None
    ) -> ScoredAnswer:
        """Parse, check and reward one solver response."""
        answer = self.parse_answer(response)
        if isinstance(answer, FormatError):
            return _scored(AnswerCheck(Verdict.FORMAT_ERROR, answer.reason), None, config)
        return _scored(self.check_answer(task, answer, executor), answer, config)

    async def ascore_response(
        self, task: Task, response: str, executor: Executor, config: RewardConfig | None = None
    ) -> ScoredAnswer:
        """Async twin of `score_response`."""
        answer = self.parse_answer(response)
        if isinstance(answer, FormatError):
            return _scored(AnswerCheck(Verdict.FORMAT_ERROR, answer.reason), None, config)
        return _scored(await self.acheck_answer(task, answer, executor), answer, config)


def _scored(check: AnswerCheck, answer: str | None, config: RewardConfig | None) -> ScoredAnswer:
    return ScoredAnswer(check.verdict, solver_reward(check.verdict, config), answer, check.detail)
