"""Proposer prompts state exactly the rules the validator enforces (the reference's fault 7)."""

from __future__ import annotations

import re

import pytest

from azr_verl.executor.static_check import FORBIDDEN_BUILTINS, FORBIDDEN_MODULES
from azr_verl.tasks import (
    INPUT_CALLABLES,
    PromptStyle,
    Proposal,
    ProposalContext,
    RejectionRule,
    Task,
    TaskKind,
    TaskLimits,
    get_task_type,
)

_WRITERS = ["code_o", "code_i", "code_e"]  # types whose proposer writes the program
_REFERENCE = Task(
    kind=TaskKind.DEDUCTION,
    program="def f(a):\n    return a",
    inputs=("'Hello world'",),
    outputs=("'Hello world'",),
)


def _content(prompt) -> str:
    return prompt if isinstance(prompt, str) else prompt[0]["content"]


@pytest.mark.parametrize("kind", _WRITERS)
def test_the_prompt_names_every_forbidden_module_and_call_and_every_limit(kind: str) -> None:
    limits = TaskLimits(max_program_chars=1234, max_input_chars=567, max_output_chars=89)
    text = _content(get_task_type(kind, limits).proposer_prompt(ProposalContext(references=(_REFERENCE,))))
    assert all(re.search(rf"\b{re.escape(name)}\b", text) for name in FORBIDDEN_MODULES)
    assert all(re.search(rf"\b{re.escape(name)}\b", text) for name in FORBIDDEN_BUILTINS)
    assert all(name in text for name in INPUT_CALLABLES)
    assert "1234" in text and "567" in text
    assert ("89" in text) is (kind != "code_e")  # error prediction has no value output


@pytest.mark.parametrize("kind", _WRITERS)
def test_the_prompt_shows_each_reference_task(kind: str) -> None:
    references = tuple(
        Task(
            kind=TaskKind.DEDUCTION,
            program=f"def f(a):\n    return a + {n}",
            inputs=(str(n),),
            outputs=(str(2 * n),),
        )
        for n in range(3)
    )
    text = _content(get_task_type(kind).proposer_prompt(ProposalContext(references=references)))
    assert all(reference.program in text for reference in references)
    assert text.count("Reference task") == 3


@pytest.mark.parametrize("module", ["math", "re", "collections", "itertools"])
def test_modules_the_prompt_calls_fine_are_accepted(executor, module: str) -> None:
    text = _content(get_task_type("code_o").proposer_prompt(ProposalContext()))
    assert module in text
    program = f"import {module}\n\ndef f(a):\n    return a"
    assert isinstance(
        get_task_type("code_o").validate_proposal(Proposal(program=program, inputs=("1",)), executor), Task
    )


@pytest.mark.parametrize("module", sorted(FORBIDDEN_MODULES))
def test_modules_the_prompt_forbids_are_rejected(executor, module: str) -> None:
    program = f"import {module}\n\ndef f(a):\n    return a"
    result = get_task_type("code_o").validate_proposal(Proposal(program=program, inputs=("1",)), executor)
    assert not isinstance(result, Task) and result.rule is RejectionRule.UNSAFE_CODE


@pytest.mark.parametrize("kind", ["code_o", "code_i", "code_e", "code_f"])
def test_base_style_prompts_end_in_an_open_think(kind: str) -> None:
    task_type = get_task_type(kind)
    context = ProposalContext(references=(_REFERENCE,), program=_REFERENCE.program)
    task = Task(
        kind=TaskKind(kind),
        program=_REFERENCE.program,
        inputs=_REFERENCE.inputs * (2 if kind == "code_f" else 1),
        outputs=_REFERENCE.outputs * (2 if kind == "code_f" else 1),
        message="echo",
    )
    for prompt in (
        task_type.proposer_prompt(context, PromptStyle.BASE),
        task_type.solver_prompt(task, PromptStyle.BASE),
    ):
        assert isinstance(prompt, str) and prompt.endswith("Assistant: <think>")


@pytest.mark.parametrize(
    ("kind", "program", "input_text", "output", "hidden"),
    [
        ("code_o", "def f(a):\n    return a * 7", "123456", "864192", "864192"),
        ("code_i", "def f(a):\n    return a * 7", "123456", "864192", "123456"),
        ("code_e", "def f(a):\n    return 7 // a", "0", "ZeroDivisionError", "ZeroDivisionError"),
    ],
)
def test_the_solver_prompt_hides_the_answer(kind, program, input_text, output, hidden) -> None:
    task = Task(kind=TaskKind(kind), program=program, inputs=(input_text,), outputs=(output,))
    text = _content(get_task_type(kind).solver_prompt(task))
    assert hidden not in text
    assert program in text
