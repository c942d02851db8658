"""Abduction (`code_i`): given a program and an output, find an input that produces it.

Any input is right whose run gives a value equal to the gold output; it is run in the sandbox
with the gold output compared there. Answers follow no input grammar (the grammar binds
proposers, whose inputs become tasks): only the executor's static check and a size cap apply.
"""

from __future__ import annotations

from azr_verl.executor import ExecRequest, ExecStatus
from azr_verl.tasks.base import AnswerCheck, Plan
from azr_verl.tasks.limits import ENTRY_FUNCTION
from azr_verl.tasks.literals import parses
from azr_verl.tasks.parsing import FormatError, extract_block, strip_entry_call
from azr_verl.tasks.program_input import ProgramInputTaskType
from azr_verl.tasks.prompts import ANSWER_FORMAT, Prompt, PromptStyle, code_block, render
from azr_verl.tasks.registry import register_task_type
from azr_verl.tasks.rewards import Verdict
from azr_verl.tasks.rules import output_rules
from azr_verl.tasks.task import Task, TaskKind

__all__ = ["AbductionTaskType"]


@register_task_type(TaskKind.ABDUCTION.value)
class AbductionTaskType(ProgramInputTaskType):
    """Program + output -> an input."""

    kind = TaskKind.ABDUCTION
    proposer_goal = (
        "Design a new Python task to test reasoning about code: write a program and one input for it. "
        "The test-taker sees the program and the output it returns for your input, and must find an "
        "input that produces that output. Make it take careful reasoning backwards through the code, "
        "but keep it solvable."
    )

    def extra_rules(self) -> list[str]:
        return output_rules(self.limits)

    def solver_prompt(self, task: Task, style: PromptStyle = PromptStyle.CHAT) -> Prompt:
        text = "\n\n".join(
            [
                f"Find an input for which this program's `{ENTRY_FUNCTION}` returns the output below.",
                code_block("python", task.program),
                code_block("output", task.output),
                f"{ANSWER_FORMAT} Write the input as the argument list of the call (without "
                f"`{ENTRY_FUNCTION}(` and `)`) in an input block:\n<answer>\n"
                + code_block("input", "...")
                + "\n</answer>",
            ]
        )
        return render(text, style)

    def parse_answer(self, response: str) -> str | FormatError:
        answer = extract_block(response, "input", allow_empty=True)
        return answer if isinstance(answer, FormatError) else strip_entry_call(answer)

    def answer_plan(self, task: Task, answer: str) -> Plan[AnswerCheck]:
        if len(answer) > self.limits.max_answer_chars:
            return AnswerCheck(Verdict.WRONG, f"answer has {len(answer)} characters")
        if not parses(f"{ENTRY_FUNCTION}({answer}\n)"):
            return AnswerCheck(Verdict.WRONG, "the answer is no argument list")
        [result] = yield [ExecRequest.check_output(task.program, answer, task.output)]
        if result.ok:
            return AnswerCheck(Verdict.CORRECT)
        if result.status is ExecStatus.SANDBOX_FAILURE:
            return AnswerCheck(Verdict.SANDBOX_FAILURE, result.message[:500])
        return AnswerCheck(Verdict.WRONG, f"{result.status.value}: {result.message[:200]}".strip())
