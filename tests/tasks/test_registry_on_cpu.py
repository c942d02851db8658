"""The task-type registry: built-ins, a user type registered from outside, and the refusals."""

from __future__ import annotations

import pytest

from azr_verl.tasks import (
    AnswerCheck,
    DeductionTaskType,
    Task,
    TaskKind,
    TaskLimits,
    TaskType,
    Verdict,
    default_task_type_names,
    get_task_type,
    get_task_type_cls,
    register_task_type,
    task_type_names,
)


@register_task_type("code_o_exact_test")
class ExactDeduction(DeductionTaskType):
    """The README example: deduction where the answer must be the output's exact repr text."""

    def answer_plan(self, task, answer):
        same = answer.strip() == task.output
        return AnswerCheck(Verdict.CORRECT if same else Verdict.WRONG, "compared as text")
        yield []  # plans are generators; this one runs nothing


def test_builtin_types_are_registered_under_their_kind_ids() -> None:
    assert {"code_o", "code_i", "code_f", "code_e"} <= set(task_type_names())
    for kind in TaskKind:
        assert get_task_type(kind).kind is kind
        assert get_task_type_cls(kind.value) is get_task_type_cls(kind)


def test_error_prediction_is_off_by_default() -> None:
    defaults = default_task_type_names()
    assert {"code_o", "code_i", "code_f"} <= set(defaults)
    assert "code_e" not in defaults


def test_a_user_type_registers_and_dispatches_without_touching_ours(executor) -> None:
    task_type = get_task_type("code_o_exact_test")
    assert isinstance(task_type, ExactDeduction) and task_type.name == "code_o_exact_test"
    task = Task(kind=TaskKind.DEDUCTION, program="def f(x):\n    return [x]", inputs=("1",), outputs=("[1]",))
    exact = task_type.score_response(task, "<answer>```output\n[1]\n```</answer>", executor)
    spaced = task_type.score_response(task, "<answer>```output\n[ 1 ]\n```</answer>", executor)
    assert (exact.verdict, spaced.verdict) == (Verdict.CORRECT, Verdict.WRONG)
    builtin = get_task_type("code_o").score_response(task, "<answer>```output\n[ 1 ]\n```</answer>", executor)
    assert builtin.verdict is Verdict.CORRECT  # the built-in compares values


def test_a_taken_name_is_not_rebound_and_both_classes_are_named() -> None:
    class Impostor(DeductionTaskType):
        pass

    with pytest.raises(ValueError, match=r"DeductionTaskType.*Impostor"):
        register_task_type("code_o")(Impostor)


def test_reregistering_the_same_class_under_its_name_is_harmless() -> None:
    assert register_task_type("code_o_exact_test")(ExactDeduction) is ExactDeduction


def test_one_class_cannot_take_two_names() -> None:
    with pytest.raises(ValueError, match="already registered as 'code_o_exact_test'"):
        register_task_type("code_o_exact_again")(ExactDeduction)


@pytest.mark.parametrize("bad", [object, int, "not a class"])
def test_only_task_type_subclasses_register(bad: object) -> None:
    with pytest.raises(TypeError, match="TaskType subclass"):
        register_task_type("bad_test")(bad)  # type: ignore[arg-type]


def test_a_type_without_a_task_kind_is_refused() -> None:
    class NoKind(TaskType):  # abstract methods do not matter for the check
        pass

    with pytest.raises(TypeError, match="kind must be a TaskKind"):
        register_task_type("no_kind_test")(NoKind)


def test_unknown_name_lists_the_registered_names() -> None:
    with pytest.raises(ValueError, match=r"unknown task type 'code_x'.*code_f, code_i, code_o"):
        get_task_type("code_x")


def test_limits_reach_the_instance() -> None:
    limits = TaskLimits(max_program_chars=123)
    assert get_task_type("code_i", limits).limits is limits
