"""In-process comparison of plain literal values, so that most deduction checks need no execution.

Nothing model-written is ever `eval`'d here. A text counts as a plain literal only when its AST
(parsed under a size cap) holds nothing but `Constant`, `Tuple`, `List`, `Dict` (no `**`), `Set`
and a unary sign on a number, nested at most `max_depth` deep; only that checked tree is handed to
`ast.literal_eval`. Such values are builtin numbers, strings, bytes and containers of them, so
`==` on them runs no user code. Anything else (`dict(a=1)`, `float('nan')`, a custom repr) is not a
plain literal and callers compare it in the executor's sandbox instead.
"""

from __future__ import annotations

import ast
import warnings
from dataclasses import dataclass
from typing import Any

__all__ = ["PlainLiteral", "parse_plain_literal", "parse_quietly", "parses", "plain_values_equal"]

_NUMBER_TYPES = (int, float, complex)
_CONTAINERS = (ast.Tuple, ast.List, ast.Set)


@dataclass(frozen=True)
class PlainLiteral:
    """A parsed plain literal value (builtin types only)."""

    value: Any


def parse_quietly(text: str, mode: str = "exec") -> ast.AST:
    """`ast.parse` without the warnings model text provokes (invalid escapes in its strings).

    Under `-W error` those warnings would turn valid programs into SyntaxErrors; here they are
    ignored. Raises what `ast.parse` raises.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        return ast.parse(text, mode=mode)


def parses(text: str, mode: str = "eval") -> bool:
    """Whether `text` is syntactically valid (an expression by default); never raises.

    Text that does not parse cannot evaluate to anything, so no execution is spent on it.
    """
    try:
        parse_quietly(text, mode)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return False
    return True


def _depth_ok(node: ast.expr, max_depth: int) -> bool:
    """True when `node` is a plain literal of nesting depth at most `max_depth`."""
    stack: list[tuple[ast.expr, int]] = [(node, 1)]
    while stack:
        current, depth = stack.pop()
        if depth > max_depth:
            return False
        if isinstance(current, ast.Constant):
            continue
        if isinstance(current, ast.UnaryOp):
            if not (
                isinstance(current.op, (ast.USub, ast.UAdd))
                and isinstance(current.operand, ast.Constant)
                and isinstance(current.operand.value, _NUMBER_TYPES)
                and not isinstance(current.operand.value, bool)
            ):
                return False
            continue
        if isinstance(current, _CONTAINERS):
            stack.extend((child, depth + 1) for child in current.elts)
            continue
        if isinstance(current, ast.Dict):
            if any(key is None for key in current.keys):  # `**mapping` unpacking
                return False
            stack.extend((child, depth + 1) for child in current.keys if child is not None)
            stack.extend((child, depth + 1) for child in current.values)
            continue
        return False
    return True


def parse_plain_literal(text: str, max_chars: int = 16_384, max_depth: int = 50) -> PlainLiteral | None:
    """The value of `text` when it is a plain literal within the caps; None otherwise.

    Never raises: oversized, deeply nested, unparsable or non-literal text gives None.
    """
    if not isinstance(text, str) or len(text) > max_chars:
        return None
    try:
        tree = parse_quietly(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    if not _depth_ok(tree.body, max_depth):
        return None
    try:
        return PlainLiteral(ast.literal_eval(tree))
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        return None  # e.g. `{[1]}`: an unhashable element


def plain_values_equal(left: str, right: str, max_chars: int = 16_384, max_depth: int = 50) -> bool | None:
    """`left == right` for two plain literal texts; None when either is not one (ask the executor).

    Python `==` as the executor applies it (so `[1,2]` equals `[1, 2]` and `1` equals `1.0`).
    A plain literal cannot be NaN, so no NaN rule is needed here.
    """
    parsed_left = parse_plain_literal(left, max_chars, max_depth)
    if parsed_left is None:
        return None
    parsed_right = parse_plain_literal(right, max_chars, max_depth)
    if parsed_right is None:
        return None
    try:
        return bool(parsed_left.value == parsed_right.value)
    except RecursionError:
        return None
