"""Rules checked without execution: program shape and size, the input grammar, limits config."""

from __future__ import annotations

import pytest

from azr_verl.tasks.limits import INPUT_CALLABLES, TaskLimits
from azr_verl.tasks.validation import (
    RejectionRule,
    check_input_text,
    check_program_shape,
    input_grammar_text,
)


@pytest.mark.parametrize(
    "program",
    [
        "def f(a):\n    return a",
        "def process_input(s):\n    return s.strip()\n\ndef f(s):\n    return process_input(s)",
        "class Stack:\n    def __init__(self):\n        self.items = []\n    def push(self, x):\n"
        "        self.items.append(x)\n\ndef f(xs):\n    s = Stack()\n    for x in xs:\n        s.push(x)\n"
        "    return s.items",
        "import math\nfrom collections import deque\n\ndef helper(x):\n    return x\n\ndef f(x):\n"
        "    return helper(math.floor(x))",
    ],
)
def test_programs_with_helpers_classes_and_imports_have_the_task_shape(program: str) -> None:
    assert check_program_shape(program, max_chars=4000) is None


@pytest.mark.parametrize(
    ("program", "rule"),
    [
        ("def g(a):\n    return a", RejectionRule.NO_ENTRY_FUNCTION),
        ("def f(a):\n    return a\ndef f(b):\n    return b", RejectionRule.NO_ENTRY_FUNCTION),
        ("class A:\n    def f(self):\n        return 1", RejectionRule.NO_ENTRY_FUNCTION),
        ("f = lambda a: a", RejectionRule.NO_ENTRY_FUNCTION),
        ("def f(a):\n  return (", RejectionRule.PROGRAM_SYNTAX),
        ("def f(a):\n    return a\n" + "#" * 5000, RejectionRule.PROGRAM_TOO_LARGE),
    ],
)
def test_programs_breaking_a_rule_name_it(program: str, rule: RejectionRule) -> None:
    rejection = check_program_shape(program, max_chars=4000)
    assert rejection is not None and rejection.rule is rule
    assert rejection.detail


@pytest.mark.parametrize(
    "text",
    [
        "'abc', 3",
        "dict(a=1, b=[1, 2])",
        "[1, 2], key=-1",
        "list(range(1, 6)), list(range(4, 9))",
        "['string' for _ in range(100)]",
        "{k: v for k, v in [(1, 2)]}",
        "' ' * 256 + 'a'",
        "frozenset({1, 2}), set()",
        "*[1, 2]",
        "[1, 2, 3][0]",
    ],
)
def test_inputs_in_the_grammar_pass(text: str) -> None:
    assert check_input_text(text, max_chars=1000) is None


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("f(3) + f(33)", RejectionRule.INPUT_NOT_ALLOWED),
        ("__import__('os')", RejectionRule.INPUT_NOT_ALLOWED),
        ("''.join(['A'] * 20)", RejectionRule.INPUT_NOT_ALLOWED),
        ("().__class__", RejectionRule.INPUT_NOT_ALLOWED),
        ("lambda x: x", RejectionRule.INPUT_NOT_ALLOWED),
        ("open('x')", RejectionRule.INPUT_NOT_ALLOWED),
        ("(y := 1)", RejectionRule.INPUT_NOT_ALLOWED),
        ("[x for x in undefined_name]", RejectionRule.INPUT_NOT_ALLOWED),
        ("1) + (2", RejectionRule.INPUT_SYNTAX),
        ("1)(2", RejectionRule.INPUT_SYNTAX),
        ("1  # comment", RejectionRule.INPUT_SYNTAX),
        ("'a", RejectionRule.INPUT_SYNTAX),
        ("   ", RejectionRule.INPUT_SYNTAX),
        ("'" + "a" * 2000 + "'", RejectionRule.INPUT_TOO_LARGE),
    ],
)
def test_inputs_breaking_the_grammar_name_the_rule(text: str, rule: RejectionRule) -> None:
    rejection = check_input_text(text, max_chars=1000)
    assert rejection is not None and rejection.rule is rule


def test_grammar_sentence_lists_every_allowed_callable() -> None:
    sentence = input_grammar_text()
    assert all(name in sentence for name in INPUT_CALLABLES)


def test_only_a_broken_sandbox_is_not_the_models_fault() -> None:
    assert [rule for rule in RejectionRule if not rule.model_fault] == [RejectionRule.SANDBOX_FAILURE]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"max_program_chars": 0}, "max_program_chars"),
        ({"max_input_chars": 1.5}, "max_input_chars"),
        ({"determinism_runs": 1}, "determinism_runs"),
        ({"induction_min_valid_inputs": 1}, "induction_min_valid_inputs"),
        ({"induction_num_inputs": 3, "induction_min_valid_inputs": 4}, "induction_min_valid_inputs"),
        ({"max_output_chars": True}, "max_output_chars"),
    ],
)
def test_task_limits_name_the_bad_field(kwargs: dict, field: str) -> None:
    with pytest.raises(ValueError, match=f"TaskLimits.{field}"):
        TaskLimits(**kwargs)
