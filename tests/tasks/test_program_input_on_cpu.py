"""Proposal validation of the program + input task types (deduction, abduction, error prediction)."""

from __future__ import annotations

import pytest

from azr_verl.tasks import (
    NO_ERROR,
    FormatError,
    Proposal,
    RejectionRule,
    Task,
    TaskKind,
    TaskLimits,
    get_task_type,
)

_IDENTITY = "def f(a):\n    return a"


def _proposal_response(program: str, input_text: str) -> str:
    return f"<think>plan</think>\n<answer>\n```python\n{program}\n```\n```input\n{input_text}\n```\n</answer>"


@pytest.mark.parametrize("kind", ["code_o", "code_i"])
def test_a_valid_proposal_becomes_a_task_with_executor_computed_output(executor, kind: str) -> None:
    program = "import math\n\ndef f(xs, k=2):\n    return [math.floor(x / k) for x in xs]"
    result = get_task_type(kind).validate_response(_proposal_response(program, "[3, 7, 10], k=3"), executor)
    assert isinstance(result, Task), result
    assert result.kind is TaskKind(kind)
    assert (result.program, result.inputs, result.outputs) == (program, ("[3, 7, 10], k=3",), ("[1, 2, 3]",))


def test_an_input_written_as_the_whole_call_is_unwrapped(executor) -> None:
    result = get_task_type("code_o").validate_response(_proposal_response(_IDENTITY, "f('abc')"), executor)
    assert isinstance(result, Task) and result.input == "'abc'" and result.output == "'abc'"


@pytest.mark.parametrize(
    ("program", "input_text", "rule"),
    [
        ("def g(a):\n    return a", "1", RejectionRule.NO_ENTRY_FUNCTION),
        ("def f(a)\n    return a", "1", RejectionRule.PROGRAM_SYNTAX),
        (_IDENTITY, "f(1) + f(2)", RejectionRule.INPUT_NOT_ALLOWED),
        (_IDENTITY, "1) + (2", RejectionRule.INPUT_SYNTAX),
        ("def f(a):\n    return 1 / a", "0", RejectionRule.RUNTIME_ERROR),
        (
            "def f(a):\n    return list(set('abcdefghijklmnopqrstuvwxyz'))",
            "1",
            RejectionRule.NONDETERMINISTIC,
        ),
        ("import random\n\ndef f(a):\n    return random.random()", "1", RejectionRule.UNSAFE_CODE),
        # an address in the repr: differs between processes, or at least never evaluates back
        (
            "def f(a):\n    return object()",
            "1",
            (RejectionRule.NONDETERMINISTIC, RejectionRule.OUTPUT_NOT_COMPARABLE),
        ),
        (
            "from collections import defaultdict\n\ndef f(a):\n    return defaultdict(int)",
            "1",
            RejectionRule.OUTPUT_NOT_COMPARABLE,
        ),
        ("def f(a):\n    return float('nan')", "1", RejectionRule.OUTPUT_NOT_COMPARABLE),
        (
            "def f(a):\n    return {1: f}",
            "1",
            (RejectionRule.NONDETERMINISTIC, RejectionRule.OUTPUT_NOT_COMPARABLE),
        ),
    ],
)
def test_each_broken_rule_is_named(executor, program: str, input_text: str, rule) -> None:
    result = get_task_type("code_o").validate_proposal(
        Proposal(program=program, inputs=(input_text,)), executor
    )
    assert not isinstance(result, Task), result
    assert result.rule in (rule if isinstance(rule, tuple) else (rule,)), result


def test_state_leaking_between_calls_is_caught_across_fresh_processes(executor) -> None:
    program = "_seen = []\n\ndef f(a):\n    _seen.append(a)\n    return len(_seen)"
    result = get_task_type("code_o").validate_proposal(Proposal(program=program, inputs=("1",)), executor)
    assert isinstance(result, Task) and result.output == "1"  # each fresh process sees the first call


@pytest.mark.parametrize(
    ("limits", "program", "input_text", "rule"),
    [
        (
            TaskLimits(max_program_chars=30),
            "def f(a):\n    return a + 1000000",
            "1",
            RejectionRule.PROGRAM_TOO_LARGE,
        ),
        (TaskLimits(max_input_chars=5), _IDENTITY, "'abcdef'", RejectionRule.INPUT_TOO_LARGE),
        (TaskLimits(max_output_chars=5), _IDENTITY, "'abcdef'", RejectionRule.OUTPUT_TOO_LARGE),
    ],
)
def test_size_limits_come_from_the_config(executor, limits, program, input_text, rule) -> None:
    result = get_task_type("code_o", limits).validate_proposal(
        Proposal(program=program, inputs=(input_text,)), executor
    )
    assert not isinstance(result, Task) and result.rule is rule


@pytest.mark.parametrize(
    ("program", "expected"),
    [
        ("def f(a):\n    return 1 // a", "ZeroDivisionError"),
        ("def f(a):\n    return {}[a]", "KeyError"),
        ("class Oops(Exception):\n    pass\n\ndef f(a):\n    raise Oops(a)", "Oops"),
        ("def f(a):\n    return a + 1", NO_ERROR),
    ],
)
def test_error_prediction_gold_is_the_exception_type_name(executor, program: str, expected: str) -> None:
    result = get_task_type("code_e").validate_proposal(Proposal(program=program, inputs=("0",)), executor)
    assert isinstance(result, Task), result
    assert result.output == expected


@pytest.mark.parametrize("kind", ["code_o", "code_i", "code_e"])
def test_a_hanging_program_is_rejected_as_timeout(quick_executor, kind: str) -> None:
    program = "def f(a):\n    while True:\n        pass"
    result = get_task_type(kind).validate_proposal(Proposal(program=program, inputs=("0",)), quick_executor)
    assert not isinstance(result, Task) and result.rule is RejectionRule.TIMEOUT


@pytest.mark.parametrize(
    "response",
    [
        "no answer",
        "<answer>```python\ndef f(a):\n    return a\n```</answer>",  # no input block
        "<answer>```input\n1\n```</answer>",  # no program block
    ],
)
def test_unreadable_proposals_are_format_errors(executor, response: str) -> None:
    assert isinstance(get_task_type("code_o").validate_response(response, executor), FormatError)
