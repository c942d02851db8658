"""Shared machinery of the task types whose proposer writes a program and one input.

Deduction, abduction and error prediction all validate a proposal the same way: the program's
shape and size, the input grammar, one run per fresh process (`TaskLimits.determinism_runs`) that
must agree, and then a gold output. They differ in what the gold output is and how an answer is
checked, which subclasses supply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from azr_verl.executor import ExecRequest, ExecStatus
from azr_verl.tasks.base import AnswerCheck, Plan, Proposal, ProposalContext, TaskType
from azr_verl.tasks.limits import ENTRY_FUNCTION
from azr_verl.tasks.literals import parse_plain_literal, parses, plain_values_equal
from azr_verl.tasks.parsing import FormatError, extract_blocks, strip_entry_call
from azr_verl.tasks.prompts import ANSWER_FORMAT, Prompt, PromptStyle, bullet_list, code_block, render
from azr_verl.tasks.rewards import Verdict
from azr_verl.tasks.rules import input_rules, program_rules
from azr_verl.tasks.task import Task
from azr_verl.tasks.validation import Rejection, RejectionRule, check_input_text, check_program_shape

if TYPE_CHECKING:
    from azr_verl.executor import ExecResult

__all__ = [
    "ProgramInputTaskType",
    "comparable_outputs_plan",
    "rejection_for",
    "values_equal_plan",
]

_STATUS_RULES = {
    ExecStatus.ERROR: RejectionRule.RUNTIME_ERROR,
    ExecStatus.TIMEOUT: RejectionRule.TIMEOUT,
    ExecStatus.MEMORY_LIMIT: RejectionRule.MEMORY_LIMIT,
    ExecStatus.OUTPUT_TOO_LARGE: RejectionRule.OUTPUT_TOO_LARGE,
    ExecStatus.REJECTED: RejectionRule.UNSAFE_CODE,
    ExecStatus.NONDETERMINISTIC: RejectionRule.NONDETERMINISTIC,
}


def rejection_for(result: ExecResult) -> Rejection:
    """The rejection a failed run maps to; anything unexpected counts as a sandbox failure."""
    rule = _STATUS_RULES.get(result.status, RejectionRule.SANDBOX_FAILURE)
    detail = f"{result.error_type}: {result.message}" if result.error_type else result.message
    return Rejection(rule, detail.strip()[:500])


def comparable_outputs_plan(
    outputs: list[str], max_chars: int, max_depth: int
) -> Plan[list[Rejection | None]]:
    """Per output: None when it fits the limit and evaluates back to an equal value, else why not.

    An output no answer could ever match is no task. Plain literals are checked in-process; the
    rest are evaluated in the sandbox, in one parallel batch.
    """
    verdicts: list[Rejection | None] = [None] * len(outputs)
    pending: list[int] = []
    for index, output in enumerate(outputs):
        if len(output) > max_chars:
            verdicts[index] = Rejection(
                RejectionRule.OUTPUT_TOO_LARGE, f"output has {len(output)} characters, limit {max_chars}"
            )
        elif not parses(output):
            verdicts[index] = Rejection(
                RejectionRule.OUTPUT_NOT_COMPARABLE, f"repr {output[:80]!r} is no expression"
            )
        elif parse_plain_literal(output, max_chars, max_depth) is None:
            pending.append(index)
    if pending:
        results = yield [ExecRequest.values_equal(outputs[index], outputs[index]) for index in pending]
        for index, result in zip(pending, results, strict=True):
            if result.status is ExecStatus.SANDBOX_FAILURE:
                verdicts[index] = Rejection(RejectionRule.SANDBOX_FAILURE, result.message[:500])
            elif not result.ok:
                verdicts[index] = Rejection(
                    RejectionRule.OUTPUT_NOT_COMPARABLE,
                    f"repr {outputs[index][:80]!r} does not evaluate to a value",
                )
    return verdicts


def values_equal_plan(answer: str, gold: str, max_chars: int, max_depth: int) -> Plan[AnswerCheck]:
    """Compare two value texts: in-process when both are plain literals, else in the sandbox."""
    same = plain_values_equal(answer, gold, max_chars, max_depth)
    if same is not None:
        return AnswerCheck(Verdict.CORRECT if same else Verdict.WRONG, "compared as literals")
    if not parses(answer):
        return AnswerCheck(Verdict.WRONG, "the answer is no Python expression")
    [result] = yield [ExecRequest.values_equal(gold, answer)]
    if result.ok:
        return AnswerCheck(Verdict.CORRECT, "compared in the sandbox")
    if result.status is ExecStatus.SANDBOX_FAILURE:
        return AnswerCheck(Verdict.SANDBOX_FAILURE, result.message[:500])
    return AnswerCheck(Verdict.WRONG, f"{result.status.value}: {result.message[:200]}".strip())


class ProgramInputTaskType(TaskType):
    """Base of deduction, abduction and error prediction (one program, one input, one output)."""

    proposer_goal: ClassVar[str] = ""
    """What the proposer is asked to design, one paragraph."""
    output_rules_apply: ClassVar[bool] = True
    """Whether the gold output is a value (deduction, abduction) that the rules constrain."""

    def gold_output(self, result: ExecResult) -> str | Rejection:
        """The gold output of a deterministic run; the default takes the returned value's repr."""
        if result.ok and result.value is not None:
            return result.value
        return rejection_for(result)

    def extra_rules(self) -> list[str]:
        """Rules specific to a subclass, appended after the program and input rules."""
        return []

    def parse_proposal(self, response: str) -> Proposal | FormatError:
        programs = extract_blocks(response, "python")
        if isinstance(programs, FormatError):
            return programs
        inputs = extract_blocks(response, "input")
        if isinstance(inputs, FormatError):
            return inputs
        return Proposal(program=programs[-1], inputs=(strip_entry_call(inputs[-1]),))

    def proposal_plan(self, proposal: Proposal, context: ProposalContext) -> Plan[Task | Rejection]:
        limits = self.limits
        if len(proposal.inputs) != 1:
            return Rejection(
                RejectionRule.INPUT_SYNTAX, f"exactly one input expected, got {len(proposal.inputs)}"
            )
        program, input_text = proposal.program, proposal.inputs[0]
        rejection = check_program_shape(program, limits.max_program_chars) or check_input_text(
            input_text, limits.max_input_chars
        )
        if rejection is not None:
            return rejection
        [result] = yield [ExecRequest.run_deterministic(program, input_text, runs=limits.determinism_runs)]
        output = self.gold_output(result)
        if isinstance(output, Rejection):
            return output
        if self.output_rules_apply:
            [rejection] = yield from comparable_outputs_plan(
                [output], limits.max_output_chars, limits.max_nesting_depth
            )
            if rejection is not None:
                return rejection
        return Task(kind=self.kind, program=program, inputs=(input_text,), outputs=(output,))

    def proposer_prompt(self, context: ProposalContext, style: PromptStyle = PromptStyle.CHAT) -> Prompt:
        rules = program_rules(self.limits) + input_rules(self.limits) + self.extra_rules()
        parts = [self.proposer_goal, "Rules:\n" + bullet_list(rules)]
        for number, reference in enumerate(context.references, start=1):
            parts.append(f"Reference task {number}:\n{self.reference_text(reference)}")
        if context.references:
            parts.append("Your task must differ from the reference tasks.")
        parts.append(
            f"{ANSWER_FORMAT} The answer holds the program and its input:\n<answer>\n"
            + code_block("python", f"def {ENTRY_FUNCTION}(...):\n    ...")
            + "\n"
            + code_block("input", "...")
            + "\n</answer>"
        )
        return render("\n\n".join(parts), style)

    def reference_text(self, task: Task) -> str:
        """A reference task as the proposer sees it: program, input and output blocks."""
        return "\n".join(
            [
                code_block("python", task.program),
                code_block("input", task.input),
                code_block("output", task.output),
            ]
        )
