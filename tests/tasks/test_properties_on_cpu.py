"""Property tests: any string through every parser and scorer gives a defined result, never raises."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from azr_verl.tasks import (
    FormatError,
    Proposal,
    ProposalContext,
    Rejection,
    RewardConfig,
    Task,
    TaskKind,
    Verdict,
    get_task_type,
)

_KINDS = ["code_o", "code_i", "code_f", "code_e"]
_TASKS = {
    "code_o": Task(
        kind=TaskKind.DEDUCTION, program="def f(a):\n    return a * 2", inputs=("3",), outputs=("6",)
    ),
    "code_i": Task(
        kind=TaskKind.ABDUCTION, program="def f(a):\n    return a * 2", inputs=("3",), outputs=("6",)
    ),
    "code_e": Task(
        kind=TaskKind.ERROR,
        program="def f(a):\n    return 1 // a",
        inputs=("0",),
        outputs=("ZeroDivisionError",),
    ),
    "code_f": Task(
        kind=TaskKind.INDUCTION,
        program="def f(a):\n    return a * 2",
        inputs=("1", "2", "3", "4"),
        outputs=("2", "4", "6", "8"),
        message="double",
    ),
}
_PIECES = [
    "<think>",
    "</think>",
    "<answer>",
    "</answer>",
    "<ANSWER>",
    "```",
    "```python",
    "```py",
    "```input",
    "```output",
    "```message",
    "```error",
    "\n",
    "\r\n",
    "  ",
    "def f(a):",
    "    return a * 2",
    "    return (",
    "6",
    "3",
    "[1, 2]",
    "'x'",
    "f(3)",
    "f(",
    ")",
    "ZeroDivisionError",
    "NoError",
    "import os",
    "__import__('os')",
    "while True: pass",
    "1e999",
    "[[[[",
    "}",
    "\x00",
    "é",
]
responses = st.one_of(st.text(max_size=300), st.lists(st.sampled_from(_PIECES), max_size=25).map("".join))


@settings(max_examples=300, deadline=None)
@given(responses, st.sampled_from(_KINDS))
def test_parsers_give_a_value_or_a_format_error(response: str, kind: str) -> None:
    task_type = get_task_type(kind)
    proposal = task_type.parse_proposal(response)
    assert isinstance(proposal, (Proposal, FormatError))
    answer = task_type.parse_answer(response)
    assert isinstance(answer, (str, FormatError))
    prompt_kind_task = _TASKS[kind]
    assert task_type.solver_prompt(prompt_kind_task)[0]["content"]


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(responses, st.sampled_from(_KINDS))
def test_scoring_any_response_gives_a_reward_from_the_defined_set(
    quick_executor, response: str, kind: str
) -> None:
    config = RewardConfig()
    scored = get_task_type(kind).score_response(_TASKS[kind], response, quick_executor, config)
    assert scored.verdict in set(Verdict)
    assert scored.reward in config.solver_values
    assert (scored.answer is None) == (scored.verdict is Verdict.FORMAT_ERROR)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(responses, st.sampled_from(_KINDS))
def test_validating_any_proposal_gives_a_task_a_rejection_or_a_format_error(
    quick_executor, response: str, kind: str
) -> None:
    context = ProposalContext(program="def f(a):\n    return a * 2")
    result = get_task_type(kind).validate_response(response, quick_executor, context)
    assert isinstance(result, (Task, Rejection, FormatError))
    if isinstance(result, Rejection):
        assert result.rule.model_fault, result
