"""Size and count limits of tasks: the one source both the validator and the proposer prompt read.

The reference implementation's prompt allowed things its validator then rejected (fault 7). Here the
proposer prompt's rules are rendered from these same values, so the two cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

__all__ = ["ENTRY_FUNCTION", "INPUT_CALLABLES", "NO_ERROR", "TaskLimits"]

ENTRY_FUNCTION = "f"
"""Name of the entry function every program defines; the call is `f(<input>)`."""

INPUT_CALLABLES: tuple[str, ...] = (
    "dict",
    "list",
    "set",
    "tuple",
    "frozenset",
    "str",
    "int",
    "float",
    "bool",
    "complex",
    "bytes",
    "bytearray",
    "range",
)
"""Builtins a proposed input may call (`dict(a=1)`, `list(range(5))`); no other name may appear."""

NO_ERROR = "NoError"
"""The error-prediction answer when `f(<input>)` returns normally."""


@dataclass(frozen=True)
class TaskLimits:
    """Limits on what a proposal may contain. Over a limit is invalid, never truncated.

    Attributes:
        max_program_chars: Characters of a program (import lines included).
        max_input_chars: Characters of one input (argument-list text).
        max_output_chars: Characters of the repr of one output; the executor's own cap
            (`ExecLimits.max_output_bytes`) is a second, larger line of defence.
        max_message_chars: Characters of an induction message.
        max_answer_chars: Characters of a solver's value answer (a predicted output or input);
            a longer answer is wrong without being run.
        max_nesting_depth: Nesting depth of an input or output value that is compared in-process
            without the executor (deeper values go to the executor).
        determinism_runs: Fresh processes a proposal runs in; all must agree.
        induction_num_inputs: Inputs the induction proposer is asked for (the paper: 10).
        induction_min_valid_inputs: Fewest distinct inputs that must run cleanly for an induction
            proposal to be valid; failing and duplicate inputs are dropped first.
    """

    max_program_chars: int = 4000
    max_input_chars: int = 1000
    max_output_chars: int = 1000
    max_message_chars: int = 2000
    max_answer_chars: int = 4000
    max_nesting_depth: int = 50
    determinism_runs: int = 2
    induction_num_inputs: int = 10
    induction_min_valid_inputs: int = 4

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"TaskLimits.{item.name} must be a positive integer, got {value!r}")
        if self.induction_min_valid_inputs < 2:
            raise ValueError(
                f"TaskLimits.induction_min_valid_inputs={self.induction_min_valid_inputs}: an induction "
                "task needs at least 2 pairs (one shown, one held out); set it to 2 or more"
            )
        if self.induction_min_valid_inputs > self.induction_num_inputs:
            raise ValueError(
                f"TaskLimits.induction_min_valid_inputs={self.induction_min_valid_inputs} exceeds "
                f"induction_num_inputs={self.induction_num_inputs}; lower it or ask for more inputs"
            )
        if self.determinism_runs < 2:
            raise ValueError(
                f"TaskLimits.determinism_runs={self.determinism_runs}: determinism needs at least 2 "
                "runs in fresh processes"
            )
