"""Induction (`code_f`): given a message and input/output pairs, write the program.

Proposal: the proposer is shown a program from the buffer (a deduction or abduction task) and
writes up to `TaskLimits.induction_num_inputs` inputs and a message. The validator runs the
program on each input in fresh processes. Rule for partial failure: inputs that break the input
grammar, repeat an earlier input (same normalized AST), fail to run deterministically, or give an
output over the limit or not comparable are dropped; the proposal is valid when at least
`TaskLimits.induction_min_valid_inputs` distinct inputs remain, else it is rejected with
`too_few_valid_inputs` listing each input's fate. More inputs than asked for is invalid (never
truncated). A broken sandbox rejects with `sandbox_failure` (not the model's fault).

Shown and held-out halves (`split_pairs`): pairs are ordered by the SHA-256 of their input's
normalized AST; the first `n - n // 2` are shown to the solver, the last `n // 2` held out. The
split depends only on the task's pairs, not on their order or on the run. An answer is right
when the program reproduces every held-out pair.
"""

from __future__ import annotations

import hashlib

from azr_verl.executor import ExecRequest, ExecStatus
from azr_verl.executor.static_check import check_program
from azr_verl.tasks.base import AnswerCheck, Plan, Proposal, ProposalContext, TaskType
from azr_verl.tasks.fingerprint import normalized_source
from azr_verl.tasks.limits import ENTRY_FUNCTION
from azr_verl.tasks.parsing import FormatError, extract_block, extract_blocks, strip_entry_call
from azr_verl.tasks.program_input import comparable_outputs_plan, rejection_for
from azr_verl.tasks.prompts import ANSWER_FORMAT, Prompt, PromptStyle, bullet_list, code_block, render
from azr_verl.tasks.registry import register_task_type
from azr_verl.tasks.rewards import Verdict
from azr_verl.tasks.rules import input_rules
from azr_verl.tasks.task import Task, TaskKind
from azr_verl.tasks.validation import Rejection, RejectionRule, check_input_text, check_program_shape

__all__ = ["InductionTaskType", "check_program_plan", "split_pairs"]

Pair = tuple[str, str]


def _input_key(text: str) -> str:
    return normalized_source(f"{ENTRY_FUNCTION}({text})", mode="eval")


def split_pairs(task: Task) -> tuple[list[Pair], list[Pair]]:
    """(shown, held_out) pairs of an induction task; see the module doc for the rule."""
    pairs = sorted(
        zip(task.inputs, task.outputs, strict=True),
        key=lambda pair: (
            hashlib.sha256(_input_key(pair[0]).encode("utf-8", "surrogatepass")).hexdigest(),
            pair,
        ),
    )
    shown = len(pairs) - len(pairs) // 2
    return pairs[:shown], pairs[shown:]


def check_program_plan(
    program: str, inputs: list[str], outputs: list[str], max_program_chars: int
) -> Plan[AnswerCheck]:
    """A written program is right when it has the task shape and reproduces every given pair."""
    rejection = check_program_shape(program, max_program_chars)
    if rejection is not None:
        return AnswerCheck(Verdict.WRONG, f"{rejection.rule.value}: {rejection.detail}")
    [result] = yield [ExecRequest.check_pairs(program, inputs, outputs)]
    if result.ok:
        return AnswerCheck(Verdict.CORRECT, f"{result.passed}/{result.total} pairs")
    if result.status is ExecStatus.SANDBOX_FAILURE:
        return AnswerCheck(Verdict.SANDBOX_FAILURE, result.message[:500])
    passed = f"{result.passed}/{result.total} pairs; " if result.total else ""
    return AnswerCheck(Verdict.WRONG, f"{passed}{result.status.value}: {result.message[:200]}".strip())


@register_task_type(TaskKind.INDUCTION.value)
class InductionTaskType(TaskType):
    """Message + shown pairs -> a program reproducing the held-out pairs."""

    kind = TaskKind.INDUCTION
    program_source_kinds = (TaskKind.DEDUCTION, TaskKind.ABDUCTION)

    def proposer_prompt(self, context: ProposalContext, style: PromptStyle = PromptStyle.CHAT) -> Prompt:
        """The program to probe (`context.program`, required) and the rules; references are not shown.

        Raises:
            ValueError: `context.program` is None.
        """
        if context.program is None:
            raise ValueError("an induction proposer prompt needs ProposalContext.program (a buffer program)")
        count = self.limits.induction_num_inputs
        rules = [
            f"Write {count} different inputs (at most {count}; at least "
            f"{self.limits.induction_min_valid_inputs} must run without error), each in its own input block.",
            *input_rules(self.limits),
            "Choose inputs that together reveal what the function does, including edge cases.",
            "Write a message for the test-taker that hints at the task without giving away the code, "
            f"at most {self.limits.max_message_chars} characters.",
        ]
        text = "\n\n".join(
            [
                "Design a task to test program induction. The test-taker will see some of your inputs with "
                "the outputs this program returns for them, plus your message, and must write the program; "
                "the other inputs are held out to check it.",
                code_block("python", context.program),
                "Rules:\n" + bullet_list(rules),
                f"{ANSWER_FORMAT} The answer holds the inputs and the message:\n<answer>\n"
                + code_block("input", "...")
                + "\n"
                + code_block("input", "...")
                + "\n...\n"
                + code_block("message", "...")
                + "\n</answer>",
            ]
        )
        return render(text, style)

    def solver_prompt(self, task: Task, style: PromptStyle = PromptStyle.CHAT) -> Prompt:
        shown, _ = split_pairs(task)
        examples = "\n".join(f"{ENTRY_FUNCTION}({given}) == {expected}" for given, expected in shown)
        text = "\n\n".join(
            [
                f"Write a Python function `{ENTRY_FUNCTION}` that matches the description and the examples. "
                "It will also be tested on other inputs.",
                f"Description: {task.message}",
                "Examples:\n" + examples,
                f"{ANSWER_FORMAT} Write the program in a python block:\n<answer>\n"
                + code_block("python", f"def {ENTRY_FUNCTION}(...):\n    ...")
                + "\n</answer>",
            ]
        )
        return render(text, style)

    def parse_proposal(self, response: str) -> Proposal | FormatError:
        inputs = extract_blocks(response, "input")
        if isinstance(inputs, FormatError):
            return inputs
        messages = extract_blocks(response, "message")
        if isinstance(messages, FormatError):
            return messages
        return Proposal(inputs=tuple(strip_entry_call(text) for text in inputs), message=messages[-1].strip())

    def parse_answer(self, response: str) -> str | FormatError:
        return extract_block(response, "python")

    def proposal_plan(self, proposal: Proposal, context: ProposalContext) -> Plan[Task | Rejection]:
        limits = self.limits
        if context.program is None:
            raise ValueError("validating an induction proposal needs ProposalContext.program")
        program = context.program
        rejection = check_program_shape(program, limits.max_program_chars)
        if rejection is not None:
            return rejection
        static = check_program(program)  # the executor's own check, once for all inputs
        if not static.accepted:
            return Rejection(RejectionRule.UNSAFE_CODE, f"program: {static.reason}")
        if len(proposal.message) > limits.max_message_chars:
            return Rejection(
                RejectionRule.MESSAGE_TOO_LARGE,
                f"message has {len(proposal.message)} characters, limit {limits.max_message_chars}",
            )
        if len(proposal.inputs) > limits.induction_num_inputs:
            return Rejection(
                RejectionRule.TOO_MANY_INPUTS,
                f"{len(proposal.inputs)} inputs, at most {limits.induction_num_inputs} allowed",
            )
        fates: dict[int, str] = {}
        candidates: list[int] = []
        seen: set[str] = set()
        for index, text in enumerate(proposal.inputs):
            rejection = check_input_text(text, limits.max_input_chars)
            key = _input_key(text) if rejection is None else ""
            if rejection is not None:
                fates[index] = rejection.rule.value
            elif key in seen:
                fates[index] = "duplicate"
            else:
                seen.add(key)
                candidates.append(index)
        runs = yield [
            ExecRequest.run_deterministic(program, proposal.inputs[index], runs=limits.determinism_runs)
            for index in candidates
        ]
        outputs: dict[int, str] = {}
        for index, result in zip(candidates, runs, strict=True):
            if result.status is ExecStatus.SANDBOX_FAILURE:
                return Rejection(RejectionRule.SANDBOX_FAILURE, result.message[:500])
            if result.ok and result.value is not None:
                outputs[index] = result.value
            else:
                fates[index] = rejection_for(result).rule.value
        return (yield from self._finish(proposal, program, outputs, fates))

    def _finish(
        self, proposal: Proposal, program: str, outputs: dict[int, str], fates: dict[int, str]
    ) -> Plan[Task | Rejection]:
        """Drop outputs that cannot be compared, then apply the minimum-count rule."""
        limits = self.limits
        indices = sorted(outputs)
        verdicts = yield from comparable_outputs_plan(
            [outputs[index] for index in indices], limits.max_output_chars, limits.max_nesting_depth
        )
        for index, rejection in zip(indices, verdicts, strict=True):
            if rejection is not None and rejection.rule is RejectionRule.SANDBOX_FAILURE:
                return rejection
            if rejection is not None:
                fates[index] = rejection.rule.value
                del outputs[index]
        if len(outputs) < limits.induction_min_valid_inputs:
            listing = ", ".join(f"#{index}: {fate}" for index, fate in sorted(fates.items()))
            return Rejection(
                RejectionRule.TOO_FEW_VALID_INPUTS,
                f"{len(outputs)} valid distinct inputs, need {limits.induction_min_valid_inputs} ({listing})",
            )
        kept = sorted(outputs)
        return Task(
            kind=self.kind,
            program=program,
            inputs=tuple(proposal.inputs[index] for index in kept),
            outputs=tuple(outputs[index] for index in kept),
            message=proposal.message,
        )

    def answer_plan(self, task: Task, answer: str) -> Plan[AnswerCheck]:
        shown, held_out = split_pairs(task)
        held_out = held_out or shown  # a one-pair task (not built by this validator) checks its pair
        inputs = [given for given, _ in held_out]
        outputs = [expected for _, expected in held_out]
        return (yield from check_program_plan(answer, inputs, outputs, self.limits.max_program_chars))
