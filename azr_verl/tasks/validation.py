"""Proposal rules that need no execution: size limits, program shape, the grammar of inputs.

Every rejection names a `RejectionRule`; the proposer prompt states the same rules from the same
constants (`limits.py`, the executor's static check), so a proposal the prompt allows is never
refused for a reason the prompt did not give.
"""

from __future__ import annotations

import ast
import enum
from dataclasses import dataclass

from azr_verl.tasks.limits import ENTRY_FUNCTION, INPUT_CALLABLES
from azr_verl.tasks.literals import parse_quietly

__all__ = [
    "Rejection",
    "RejectionRule",
    "check_input_text",
    "check_program_shape",
    "input_grammar_text",
]


class RejectionRule(str, enum.Enum):
    """Why a proposal was refused. `model_fault` is False only for a broken sandbox."""

    PROGRAM_TOO_LARGE = "program_too_large"
    PROGRAM_SYNTAX = "program_syntax"
    NO_ENTRY_FUNCTION = "no_entry_function"
    UNSAFE_CODE = "unsafe_code"  # the executor's static check refused it
    INPUT_TOO_LARGE = "input_too_large"
    INPUT_SYNTAX = "input_syntax"
    INPUT_NOT_ALLOWED = "input_not_allowed"  # outside the input grammar
    RUNTIME_ERROR = "runtime_error"
    TIMEOUT = "timeout"
    MEMORY_LIMIT = "memory_limit"
    NONDETERMINISTIC = "nondeterministic"
    OUTPUT_TOO_LARGE = "output_too_large"
    OUTPUT_NOT_COMPARABLE = "output_not_comparable"  # the repr does not evaluate back to an equal value
    TOO_MANY_INPUTS = "too_many_inputs"
    TOO_FEW_VALID_INPUTS = "too_few_valid_inputs"
    MESSAGE_TOO_LARGE = "message_too_large"
    SANDBOX_FAILURE = "sandbox_failure"

    @property
    def model_fault(self) -> bool:
        return self is not RejectionRule.SANDBOX_FAILURE


@dataclass(frozen=True)
class Rejection:
    """A refused proposal: the rule it broke and a human-readable detail."""

    rule: RejectionRule
    detail: str = ""


def check_program_shape(program: str, max_chars: int) -> Rejection | None:
    """Size, syntax and exactly one top-level `def f`; helpers and classes are allowed.

    The name of any other function is irrelevant (the reference refused `process_input(`).
    """
    if len(program) > max_chars:
        return Rejection(
            RejectionRule.PROGRAM_TOO_LARGE, f"program has {len(program)} characters, limit {max_chars}"
        )
    try:
        tree = parse_quietly(program)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return Rejection(RejectionRule.PROGRAM_SYNTAX, f"{type(exc).__name__}: {exc}")
    entries = [
        node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == ENTRY_FUNCTION
    ]
    if len(entries) != 1:
        found = "no" if not entries else f"{len(entries)}"
        return Rejection(
            RejectionRule.NO_ENTRY_FUNCTION,
            f"{found} top-level `def {ENTRY_FUNCTION}(...)`; exactly one is required",
        )
    return None


def _disallowed(call: ast.Call) -> str | None:
    """Why an input expression breaks the grammar, or None when it keeps to it."""
    bound: set[str] = set()
    for node in ast.walk(call):
        if isinstance(node, ast.comprehension):
            bound.update(name.id for name in ast.walk(node.target) if isinstance(name, ast.Name))
    for node in ast.walk(call):
        if node is call.func:
            continue
        if isinstance(node, ast.Name):
            if node.id not in INPUT_CALLABLES and node.id not in bound:
                return f"name `{node.id}` (only {', '.join(INPUT_CALLABLES)} may be called)"
        elif isinstance(node, ast.Attribute):
            return f"attribute access `.{node.attr}`"
        elif isinstance(node, (ast.Lambda, ast.NamedExpr, ast.Await, ast.Yield, ast.YieldFrom)):
            return f"a {type(node).__name__.lower()} expression"
    return None


def input_grammar_text() -> str:
    """The input grammar `check_input_text` enforces, as one sentence for the proposer prompt."""
    return (
        "Python literals (numbers, strings, lists, tuples, dicts, sets, True/False/None), arithmetic, "
        f"comprehensions, keyword arguments and calls of {', '.join(INPUT_CALLABLES)}; "
        "no other names, no attribute access, no lambdas"
    )


def check_input_text(text: str, max_chars: int) -> Rejection | None:
    """Size, argument-list syntax and the input grammar the proposer prompt states.

    The grammar: Python literals, containers, arithmetic, comprehensions, keyword arguments and
    calls of `INPUT_CALLABLES`; no other names, no attribute access, no lambdas. The input is
    still evaluated only inside the sandbox; the grammar keeps tasks readable and free of
    references to `f` itself.
    """
    if len(text) > max_chars:
        return Rejection(
            RejectionRule.INPUT_TOO_LARGE, f"input has {len(text)} characters, limit {max_chars}"
        )
    if not text.strip():
        return Rejection(RejectionRule.INPUT_SYNTAX, "empty input")
    try:
        call = parse_quietly(f"{ENTRY_FUNCTION}({text})", mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return Rejection(RejectionRule.INPUT_SYNTAX, f"not an argument list: {type(exc).__name__}: {exc}")
    if not (
        isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == ENTRY_FUNCTION
    ):
        return Rejection(RejectionRule.INPUT_SYNTAX, "not a single argument list")
    if ast.get_source_segment(f"{ENTRY_FUNCTION}({text})", call) != f"{ENTRY_FUNCTION}({text})":
        return Rejection(RejectionRule.INPUT_SYNTAX, "text after the argument list")
    reason = _disallowed(call)
    if reason is not None:
        return Rejection(RejectionRule.INPUT_NOT_ALLOWED, f"input uses {reason}")
    return None
