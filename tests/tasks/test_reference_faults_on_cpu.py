"""The reference implementation's validation faults, fed to ours (issue 5's list)."""

from __future__ import annotations

import pytest

from azr_verl.tasks import Proposal, RejectionRule, Task, TaskLimits, get_task_type

_ESCAPES = {
    "import_os": "import os\n\ndef f(x):\n    return os.getcwd()",
    "dunder_import": "def f(x):\n    return __import__('os').getcwd()",
    "getattr_builtins_eval": "def f(x):\n    return getattr(__builtins__, 'ev' + 'al')('1 + 1')",
}


@pytest.mark.parametrize("kind", ["code_o", "code_i", "code_e"])
@pytest.mark.parametrize("program", list(_ESCAPES.values()), ids=list(_ESCAPES))
def test_escape_hatches_are_rejected_as_unsafe(executor, kind: str, program: str) -> None:
    result = get_task_type(kind).validate_proposal(Proposal(program=program, inputs=("1",)), executor)
    assert not isinstance(result, Task)
    assert result.rule is RejectionRule.UNSAFE_CODE, result


def test_a_program_with_process_input_is_not_rejected_for_the_name(executor) -> None:
    program = (
        "def process_input(text):\n    return text.split()\n\ndef f(text):\n    return process_input(text)"
    )
    result = get_task_type("code_o").validate_proposal(Proposal(program=program, inputs=("'a b'",)), executor)
    assert isinstance(result, Task), result
    assert result.outputs == ("['a', 'b']",)


def test_a_class_with_methods_is_allowed(executor) -> None:
    program = (
        "class Counter:\n"
        "    def __init__(self):\n        self.n = 0\n"
        "    def add(self, k):\n        self.n += k\n        return self\n\n"
        "def f(xs):\n    c = Counter()\n    for x in xs:\n        c.add(x)\n    return c.n"
    )
    result = get_task_type("code_i").validate_proposal(
        Proposal(program=program, inputs=("[1, 2, 3]",)), executor
    )
    assert isinstance(result, Task), result
    assert result.output == "6"


@pytest.mark.parametrize("length", [1000, 1001, 5000, 100_000])
def test_an_output_over_the_limit_is_invalid_never_truncated(executor, length: int) -> None:
    limits = TaskLimits(max_output_chars=1000)
    program = "def f(n):\n    return 'x' * n"
    result = get_task_type("code_o", limits).validate_proposal(
        Proposal(program=program, inputs=(str(length - 2),)), executor
    )  # repr adds two quotes
    if length <= limits.max_output_chars:
        assert isinstance(result, Task) and len(result.output) == length
    else:
        assert not isinstance(result, Task)
        assert result.rule is RejectionRule.OUTPUT_TOO_LARGE
