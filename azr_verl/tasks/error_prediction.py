"""Error prediction (`code_e`, off by default): given a program and an input, name the exception.

The gold output is the exception type name `f(<input>)` raises (consistently across fresh
processes), or `NoError` when it returns. Answers are compared by name, ignoring case, quotes, a
module prefix (`builtins.ValueError`) and a trailing `()`.
"""

from __future__ import annotations

import re

from azr_verl.executor import ExecResult, ExecStatus
from azr_verl.tasks.base import AnswerCheck, Plan
from azr_verl.tasks.limits import ENTRY_FUNCTION, NO_ERROR
from azr_verl.tasks.parsing import FormatError, extract_block
from azr_verl.tasks.program_input import ProgramInputTaskType, rejection_for
from azr_verl.tasks.prompts import ANSWER_FORMAT, Prompt, PromptStyle, code_block, render
from azr_verl.tasks.registry import register_task_type
from azr_verl.tasks.rewards import Verdict
from azr_verl.tasks.task import Task, TaskKind
from azr_verl.tasks.validation import Rejection

__all__ = ["ErrorPredictionTaskType", "normalize_error_name"]

_NOISE = re.compile(r"[\s`'\"]+")


def normalize_error_name(text: str) -> str:
    """A comparable form of an exception name as a model may write it."""
    name = _NOISE.sub("", text)
    if name.endswith("()"):
        name = name[:-2]
    name = name.rstrip(":.").rsplit(".", 1)[-1]
    return name.lower()


@register_task_type(TaskKind.ERROR.value)
class ErrorPredictionTaskType(ProgramInputTaskType):
    """Program + input -> the exception type raised, or NoError."""

    kind = TaskKind.ERROR
    enabled_by_default = False
    output_rules_apply = False
    proposer_goal = (
        "Design a new Python task to test reasoning about code: write a program and one input for it. "
        "The test-taker sees the program and the input and must tell which exception the call raises, "
        f"or {NO_ERROR} if it returns normally. Make the answer depend on careful tracing."
    )

    def gold_output(self, result: ExecResult) -> str | Rejection:
        if result.ok:
            return NO_ERROR
        if result.status is ExecStatus.ERROR and result.error_type:
            return result.error_type
        return rejection_for(result)

    def extra_rules(self) -> list[str]:
        return [f"The call may raise an exception (any type) or return normally ({NO_ERROR})."]

    def solver_prompt(self, task: Task, style: PromptStyle = PromptStyle.CHAT) -> Prompt:
        text = "\n\n".join(
            [
                f"Does `{ENTRY_FUNCTION}({task.input})` raise an exception with this program? "
                f"Name the exception type, or {NO_ERROR} if it returns normally.",
                code_block("python", task.program),
                f"{ANSWER_FORMAT} Write only the type name in an output block:\n<answer>\n"
                + code_block("output", "...")
                + "\n</answer>",
            ]
        )
        return render(text, style)

    def parse_answer(self, response: str) -> str | FormatError:
        return extract_block(response, "output")

    def answer_plan(self, task: Task, answer: str) -> Plan[AnswerCheck]:
        same = normalize_error_name(answer) == normalize_error_name(task.output)
        return AnswerCheck(Verdict.CORRECT if same else Verdict.WRONG, "compared by name")
        yield []  # a plan is a generator; this one needs no execution
