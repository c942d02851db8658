"""The rules a proposer is told, rendered from the constants the validator and executor enforce.

Nothing here is free text about limits: module names come from the executor's static check,
sizes from `TaskLimits`, the input grammar from `validation.input_grammar_text`. Change a
constant and the prompt follows.
"""

from __future__ import annotations

from azr_verl.executor.static_check import FORBIDDEN_BUILTINS, FORBIDDEN_MODULES, SAFE_DUNDERS
from azr_verl.tasks.limits import ENTRY_FUNCTION, TaskLimits
from azr_verl.tasks.validation import input_grammar_text

__all__ = ["input_rules", "output_rules", "program_rules"]


def program_rules(limits: TaskLimits) -> list[str]:
    """Rules on the program, as prompt lines."""
    return [
        f"Define the entry function `{ENTRY_FUNCTION}` at the top level. Helper functions and classes "
        f"(with methods) are allowed and `{ENTRY_FUNCTION}` may use them.",
        "The program must be deterministic: no randomness, no time or date, no file, network or "
        "console I/O, no printing, no state kept between calls.",
        f"Do not import {', '.join(sorted(FORBIDDEN_MODULES))}. Other standard-library modules "
        "(math, re, collections, itertools, functools, heapq, string, ...) are fine; import them at the top.",
        f"Do not use the names {', '.join(sorted(FORBIDDEN_BUILTINS))}.",
        "Do not use double-underscore attributes or strings (like `__dict__`) other than "
        f"{', '.join(sorted(SAFE_DUNDERS))}.",
        f"At most {limits.max_program_chars} characters.",
    ]


def input_rules(limits: TaskLimits) -> list[str]:
    """Rules on one input, as prompt lines."""
    return [
        f"An input is the argument list of one call `{ENTRY_FUNCTION}(...)`, written without "
        f"`{ENTRY_FUNCTION}` and parentheses, and never empty (`{ENTRY_FUNCTION}` takes at least one "
        f"argument): {input_grammar_text()}.",
        f"At most {limits.max_input_chars} characters per input.",
    ]


def output_rules(limits: TaskLimits) -> list[str]:
    """Rules on what `f` returns when the output must be compared as a value."""
    return [
        "The returned value's repr must be a Python value again (numbers, strings, lists, tuples, "
        "dicts, sets, booleans, None), at most "
        f"{limits.max_output_chars} characters long.",
    ]
