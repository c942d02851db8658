"""Induction proposals: the program comes from the buffer, inputs and message from the proposer."""

from __future__ import annotations

import pytest

from azr_verl.tasks import ProposalContext, RejectionRule, Task, TaskKind, TaskLimits, get_task_type

_PROGRAM = "def f(n):\n    if n == 3:\n        raise ValueError(n)\n    return n * 2"
_CONTEXT = ProposalContext(program=_PROGRAM)


def _response(inputs: list[str], message: str = "double it") -> str:
    blocks = "\n".join(f"```input\n{text}\n```" for text in inputs)
    return f"<think>..</think>\n<answer>\n{blocks}\n```message\n{message}\n```\n</answer>"


def test_all_inputs_valid_gives_a_task_with_computed_outputs(executor) -> None:
    result = get_task_type("code_f").validate_response(_response(["1", "2", "4", "5"]), executor, _CONTEXT)
    assert isinstance(result, Task), result
    assert result.kind is TaskKind.INDUCTION and result.program == _PROGRAM and result.message == "double it"
    assert dict(zip(result.inputs, result.outputs, strict=True)) == {"1": "2", "2": "4", "4": "8", "5": "10"}


def test_failing_and_duplicate_inputs_are_dropped_when_enough_remain(executor) -> None:
    inputs = ["1", "3", "2", "2", "f(1)", "4", "x", "5", "(  5 )"]
    result = get_task_type("code_f").validate_response(_response(inputs), executor, _CONTEXT)
    assert isinstance(result, Task), result
    assert result.inputs == ("1", "2", "4", "5")  # 3 raises, the second 2 and "(  5 )" repeat, x is a name


def test_too_few_valid_inputs_rejects_and_lists_each_inputs_fate(executor) -> None:
    result = get_task_type("code_f").validate_response(
        _response(["1", "3", "2", "2", "x"]), executor, _CONTEXT
    )
    assert not isinstance(result, Task)
    assert result.rule is RejectionRule.TOO_FEW_VALID_INPUTS
    for fate in ("#1: runtime_error", "#3: duplicate", "#4: input_not_allowed"):
        assert fate in result.detail


def test_more_inputs_than_asked_for_is_invalid_not_truncated(executor) -> None:
    limits = TaskLimits(induction_num_inputs=4, induction_min_valid_inputs=2)
    result = get_task_type("code_f", limits).validate_response(
        _response(["1", "2", "4", "5", "6"]), executor, _CONTEXT
    )
    assert not isinstance(result, Task) and result.rule is RejectionRule.TOO_MANY_INPUTS


def test_an_overlong_message_is_invalid(executor) -> None:
    limits = TaskLimits(max_message_chars=10)
    result = get_task_type("code_f", limits).validate_response(
        _response(["1", "2", "4", "5"], "a message that is long"), executor, _CONTEXT
    )
    assert not isinstance(result, Task) and result.rule is RejectionRule.MESSAGE_TOO_LARGE


def test_a_nondeterministic_program_drops_every_input(executor) -> None:
    # string-hash order differs between the executor's fork-servers (different hash seeds)
    context = ProposalContext(program="def f(n):\n    return [n, *set('abcdefghijklmnopqrstuvwxyz')]")
    result = get_task_type("code_f").validate_response(_response(["1", "2", "4", "5"]), executor, context)
    assert not isinstance(result, Task) and result.rule is RejectionRule.TOO_FEW_VALID_INPUTS
    assert result.detail.count("nondeterministic") == 4


@pytest.mark.parametrize(
    "response",
    [
        "<answer>```message\nhi\n```</answer>",  # no inputs
        "<answer>```input\n1\n```</answer>",  # no message
        "nothing",
    ],
)
def test_unreadable_induction_proposals_are_format_errors(response: str) -> None:
    from azr_verl.tasks import FormatError

    assert isinstance(get_task_type("code_f").parse_proposal(response), FormatError)


def test_the_proposer_prompt_shows_the_program_and_asks_for_the_configured_count() -> None:
    limits = TaskLimits(induction_num_inputs=7, induction_min_valid_inputs=3)
    [message] = get_task_type("code_f", limits).proposer_prompt(_CONTEXT)
    assert _PROGRAM in message["content"]
    assert "Write 7 different inputs" in message["content"] and "at least 3" in message["content"]


def test_induction_needs_the_buffer_program() -> None:
    with pytest.raises(ValueError, match=r"ProposalContext\.program"):
        get_task_type("code_f").proposer_prompt(ProposalContext())


def test_an_unsafe_buffer_program_is_rejected_once_for_the_whole_proposal(executor) -> None:
    context = ProposalContext(program="import secrets\n\ndef f(n):\n    return n")
    result = get_task_type("code_f").validate_response(_response(["1", "2", "4", "5"]), executor, context)
    assert not isinstance(result, Task) and result.rule is RejectionRule.UNSAFE_CODE
    assert "secrets" in result.detail
