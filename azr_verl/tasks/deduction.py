"""Deduction (`code_o`): given a program and an input, predict the output.

An answer is right when its value equals the gold output (Python `==`, so `[1,2]` and `[1, 2]`
are the same answer): in-process when both are plain literals, in the sandbox otherwise.
"""

from __future__ import annotations

from azr_verl.tasks.base import AnswerCheck, Plan
from azr_verl.tasks.limits import ENTRY_FUNCTION
from azr_verl.tasks.parsing import FormatError, extract_block
from azr_verl.tasks.program_input import ProgramInputTaskType, values_equal_plan
from azr_verl.tasks.prompts import ANSWER_FORMAT, Prompt, PromptStyle, code_block, render
from azr_verl.tasks.registry import register_task_type
from azr_verl.tasks.rewards import Verdict
from azr_verl.tasks.rules import output_rules
from azr_verl.tasks.task import Task, TaskKind

__all__ = ["DeductionTaskType"]


@register_task_type(TaskKind.DEDUCTION.value)
class DeductionTaskType(ProgramInputTaskType):
    """Program + input -> output."""

    kind = TaskKind.DEDUCTION
    proposer_goal = (
        "Design a new Python task to test reasoning about code: write a program and one input for it. "
        "The test-taker sees the program and the input and must predict the output by reasoning alone. "
        "Make it take careful step-by-step tracing, but keep it solvable."
    )

    def extra_rules(self) -> list[str]:
        return output_rules(self.limits)

    def solver_prompt(self, task: Task, style: PromptStyle = PromptStyle.CHAT) -> Prompt:
        text = "\n\n".join(
            [
                f"Predict the output of `{ENTRY_FUNCTION}({task.input})` for this program.",
                code_block("python", task.program),
                f"{ANSWER_FORMAT} Write the returned value as a Python literal in an output block:\n"
                "<answer>\n" + code_block("output", "...") + "\n</answer>",
            ]
        )
        return render(text, style)

    def parse_answer(self, response: str) -> str | FormatError:
        return extract_block(response, "output")

    def answer_plan(self, task: Task, answer: str) -> Plan[AnswerCheck]:
        if len(answer) > self.limits.max_answer_chars:
            return AnswerCheck(Verdict.WRONG, f"answer has {len(answer)} characters")
        return (
            yield from values_equal_plan(
                answer.strip(), task.output, self.limits.max_answer_chars, self.limits.max_nesting_depth
            )
        )
