"""Normalized-AST fingerprints: the dedup key of a task within its task type.

Two proposals that differ only in formatting, comments or docstrings are the same task. Names are
kept (renaming variables can change what a solver has to read), and so are type annotations.
"""

from __future__ import annotations

import ast
import hashlib
import warnings
from collections.abc import Iterable

from azr_verl.tasks.task import Task

__all__ = ["normalized_source", "task_fingerprint"]


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]
    return tree


def normalized_source(text: str, mode: str = "exec") -> str:
    """A canonical dump of `text`'s AST; the text itself when it does not parse."""
    try:
        with warnings.catch_warnings():  # model text may hold invalid escapes; not our warning to print
            warnings.simplefilter("ignore", (SyntaxWarning, DeprecationWarning))
            tree = ast.parse(text, mode=mode)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return text.strip()
    return ast.dump(_strip_docstrings(tree), annotate_fields=False, include_attributes=False)


def _digest(parts: Iterable[str]) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()[:32]


def task_fingerprint(task: Task) -> str:
    """Hex digest over the task type, the program's normalized AST and the normalized inputs.

    Induction inputs are sorted: the same program probed with the same inputs in another order is
    the same task.
    """
    inputs = [normalized_source(f"f({text})", mode="eval") for text in task.inputs]
    if len(inputs) > 1:
        inputs.sort()
    return _digest([task.kind.value, normalized_source(task.program), *inputs])
