"""Answer checking per task type, and the solver reward it leads to."""

from __future__ import annotations

import asyncio

import pytest

from azr_verl.tasks import NO_ERROR, RewardConfig, Task, TaskKind, Verdict, get_task_type, split_pairs

_DOUBLE = "def f(xs):\n    return [x * 2 for x in xs]"
_DEDUCTION = Task(kind=TaskKind.DEDUCTION, program=_DOUBLE, inputs=("[1, 2]",), outputs=("[2, 4]",))
_ABDUCTION = Task(kind=TaskKind.ABDUCTION, program=_DOUBLE, inputs=("[1, 2]",), outputs=("[2, 4]",))


def _answer(tag: str, body: str) -> str:
    return f"<think>...</think>\n<answer>\n```{tag}\n{body}\n```\n</answer>"


@pytest.mark.parametrize(
    ("body", "verdict"),
    [
        ("[2,4]", Verdict.CORRECT),
        ("[2, 4]", Verdict.CORRECT),
        ("[2.0, 4]", Verdict.CORRECT),  # == semantics
        ("list((2, 4))", Verdict.CORRECT),  # not a plain literal: compared in the sandbox
        ("[4, 2]", Verdict.WRONG),
        ("(2, 4)", Verdict.WRONG),
        ("[2, 4", Verdict.WRONG),
        ("__import__('os').getcwd()", Verdict.WRONG),
    ],
)
def test_deduction_compares_values_not_strings(executor, body: str, verdict: Verdict) -> None:
    scored = get_task_type("code_o").score_response(_DEDUCTION, _answer("output", body), executor)
    assert scored.verdict is verdict, scored
    assert scored.reward == {Verdict.CORRECT: 1.0, Verdict.WRONG: -0.5}[verdict]


@pytest.mark.parametrize(
    ("body", "verdict"),
    [
        ("[1, 2]", Verdict.CORRECT),
        ("[1.0, 2.0]", Verdict.CORRECT),  # another input with the same output is right too
        ("f([1, 2])", Verdict.CORRECT),
        ("list(range(1, 3))", Verdict.CORRECT),
        ("[2, 1]", Verdict.WRONG),
        ("1", Verdict.WRONG),  # f raises: wrong, not a crash
        ("[1, 2], [3]", Verdict.WRONG),
    ],
)
def test_abduction_accepts_any_input_that_reproduces_the_output(
    executor, body: str, verdict: Verdict
) -> None:
    scored = get_task_type("code_i").score_response(_ABDUCTION, _answer("input", body), executor)
    assert scored.verdict is verdict, scored


@pytest.mark.parametrize(
    ("gold", "body", "verdict"),
    [
        ("ZeroDivisionError", "ZeroDivisionError", Verdict.CORRECT),
        ("ZeroDivisionError", "`builtins.ZeroDivisionError`", Verdict.CORRECT),
        ("KeyError", "keyerror()", Verdict.CORRECT),
        (NO_ERROR, "No Error", Verdict.CORRECT),
        ("KeyError", "IndexError", Verdict.WRONG),
        (NO_ERROR, "KeyError", Verdict.WRONG),
    ],
)
def test_error_prediction_compares_type_names(executor, gold: str, body: str, verdict: Verdict) -> None:
    task = Task(kind=TaskKind.ERROR, program="def f(a):\n    return a", inputs=("1",), outputs=(gold,))
    assert get_task_type("code_e").score_response(task, _answer("output", body), executor).verdict is verdict


def _induction_task() -> Task:
    inputs = tuple(str(n) for n in range(8))
    return Task(
        kind=TaskKind.INDUCTION,
        program="def f(n):\n    return n * n",
        inputs=inputs,
        outputs=tuple(str(int(n) ** 2) for n in inputs),
        message="square it",
    )


def test_induction_split_is_half_and_half_and_independent_of_pair_order() -> None:
    task = _induction_task()
    shown, held = split_pairs(task)
    assert len(shown) == 4 and len(held) == 4
    assert sorted(shown + held) == sorted(zip(task.inputs, task.outputs, strict=True))
    reordered = Task(
        kind=task.kind,
        program=task.program,
        inputs=task.inputs[::-1],
        outputs=task.outputs[::-1],
        message=task.message,
    )
    assert split_pairs(reordered) == (shown, held)


def test_induction_solver_sees_only_the_shown_half_and_the_message() -> None:
    task = _induction_task()
    shown, held = split_pairs(task)
    [message] = get_task_type("code_f").solver_prompt(task)
    assert "square it" in message["content"]
    assert all(f"f({given}) == {out}" in message["content"] for given, out in shown)
    assert not any(f"f({given}) ==" in message["content"] for given, _ in held)


def test_induction_needs_every_held_out_pair(executor) -> None:
    task = _induction_task()
    _, held = split_pairs(task)
    task_type = get_task_type("code_f")
    right = task_type.score_response(task, _answer("python", "def f(n):\n    return n ** 2"), executor)
    table = ", ".join(f"{given}: {out}" for given, out in split_pairs(task)[0])
    memorized = task_type.score_response(
        task, _answer("python", f"def f(n):\n    return {{{table}}}.get(n, 0)"), executor
    )
    assert right.verdict is Verdict.CORRECT
    assert memorized.verdict is Verdict.WRONG and f"0/{len(held)}" in memorized.detail


@pytest.mark.parametrize(
    "program",
    [
        "def g(n):\n    return n * n",
        "import os\n\ndef f(n):\n    return n * n",
        "def f(n):\n    while True:\n        pass",
        "def f(n)\n    return n",
    ],
)
def test_induction_answers_that_break_rules_are_wrong_not_crashes(quick_executor, program: str) -> None:
    scored = get_task_type("code_f").score_response(
        _induction_task(), _answer("python", program), quick_executor
    )
    assert scored.verdict is Verdict.WRONG


@pytest.mark.parametrize("kind", ["code_o", "code_i", "code_f", "code_e"])
def test_unreadable_answers_get_the_format_penalty(executor, kind: str) -> None:
    task = (
        _induction_task()
        if kind == "code_f"
        else Task(kind=TaskKind(kind), program=_DOUBLE, inputs=("[1]",), outputs=("[2]",))
    )
    scored = get_task_type(kind).score_response(
        task, "I think it is [2]", executor, RewardConfig(format_error=-2.0)
    )
    assert (scored.verdict, scored.reward, scored.answer) == (Verdict.FORMAT_ERROR, -2.0, None)


def test_async_checking_agrees_with_sync(executor) -> None:
    cases = [
        ("code_o", _DEDUCTION, _answer("output", "list((2, 4))")),
        ("code_o", _DEDUCTION, _answer("output", "[4, 2]")),
        ("code_i", _ABDUCTION, _answer("input", "[1, 2]")),
        ("code_f", _induction_task(), _answer("python", "def f(n):\n    return n * n")),
    ]

    async def score_all():
        return await asyncio.gather(
            *(get_task_type(kind).ascore_response(task, response, executor) for kind, task, response in cases)
        )

    expected = [
        get_task_type(kind).score_response(task, response, executor) for kind, task, response in cases
    ]
    assert asyncio.run(score_all()) == expected
