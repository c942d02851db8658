"""Starting tasks: the zero triplet, and seed files in the reference implementation's jsonl format.

Seed files come in two shapes (see ../shared/data/README.md):
- io seeds `{snippet, input, output, imports, ...}`: one line becomes a deduction (code_o) AND an
  abduction (code_i) task with the same program, input and output, as the reference seeds both of
  its io buffers from one file. Storing both keeps sampling a plain filter on the task type.
- induction seeds `{snippet, inputs, outputs, message, imports}`: one code_f task.
- a line exported by `azr-verl buffer export` (`{kind, program, inputs, outputs, message}`) is
  loaded as that task type, so an exported buffer can seed a new run.

The seed file's outputs are trusted (checking them needs the executor and is the validator's job).
Malformed lines are skipped, counted and logged with their line number; they never stop the load.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from azr_verl.tasks.task import Task, TaskKind

__all__ = ["ZERO_PROGRAM", "SeedFile", "parse_seed_line", "read_seed_file", "seed_fields", "zero_tasks"]

logger = logging.getLogger(__name__)

ZERO_PROGRAM = "def f(a):\n    return a"
_ZERO_INPUT = '"Hello world"'
# Literal inputs for the identity program's induction task: several types, so the zero task already
# shows what an induction task looks like. Each output is the input text itself (values compare equal).
_ZERO_INDUCTION_INPUTS = ('"Hello world"', "42", "[1, 2, 3]", "{'a': 1, 'b': [2]}", "(0.5, None)", "True")
_MAX_LOGGED_LINES = 10


def zero_tasks() -> list[Task]:
    """The zero triplet (identity on "Hello world") as a deduction and an abduction task, and the
    identity program probed with a few literals as an induction task, so self-play can start empty."""
    return [
        Task(TaskKind.DEDUCTION, ZERO_PROGRAM, (_ZERO_INPUT,), (_ZERO_INPUT,)),
        Task(TaskKind.ABDUCTION, ZERO_PROGRAM, (_ZERO_INPUT,), (_ZERO_INPUT,)),
        Task(
            TaskKind.INDUCTION,
            ZERO_PROGRAM,
            _ZERO_INDUCTION_INPUTS,
            _ZERO_INDUCTION_INPUTS,
            "Write a function that returns its argument unchanged.",
        ),
    ]


@dataclass(frozen=True)
class SeedFile:
    """Tasks read from a seed file, and what was skipped."""

    path: Path
    tasks: tuple[Task, ...]
    lines: int
    malformed: int


def _text(record: dict[str, Any], key: str) -> str:
    value = record.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key!r} must be a non-empty string")
    return value


def _texts(record: dict[str, Any], key: str) -> tuple[str, ...]:
    value = record.get(key)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{key!r} must be a non-empty list of strings")
    return tuple(value)


def _program(record: dict[str, Any], key: str) -> str:
    """The program with its import lines (prepended when the snippet lacks them)."""
    program = _text(record, key)
    imports = record.get("imports") or []
    if not isinstance(imports, list) or not all(isinstance(i, str) for i in imports):
        raise ValueError("'imports' must be a list of strings")
    present = {line.strip() for line in program.splitlines()}
    missing = [line.strip() for line in imports if line.strip() and line.strip() not in present]
    return "\n".join([*missing, program]) if missing else program


def seed_fields(task: Task) -> dict[str, Any]:
    """The task as an exported seed line holds it: what `parse_seed_line` reads back as `task`."""
    return {
        "kind": task.kind.value,
        "program": task.program,
        "inputs": list(task.inputs),
        "outputs": list(task.outputs),
        "message": task.message,
    }


def parse_seed_line(line: str) -> list[Task]:
    """The tasks one jsonl line holds (see the module docstring).

    Raises:
        ValueError: the line is not JSON or lacks a field of the shape it looks like.
    """
    record = json.loads(line)
    if not isinstance(record, dict):
        raise ValueError("line is not a JSON object")
    if "kind" in record and "program" in record:
        message = record.get("message") or ""
        if not isinstance(message, str):
            raise ValueError("'message' must be a string")
        kind = TaskKind(record["kind"])
        return [
            Task(
                kind,
                _program(record, "program"),
                _texts(record, "inputs"),
                _texts(record, "outputs"),
                message,
            )
        ]
    if "inputs" in record:
        message = record.get("message")
        if not isinstance(message, str):
            raise ValueError("'message' must be a string")
        inputs, outputs = _texts(record, "inputs"), _texts(record, "outputs")
        return [Task(TaskKind.INDUCTION, _program(record, "snippet"), inputs, outputs, message)]
    program, given, result = _program(record, "snippet"), _text(record, "input"), _text(record, "output")
    return [Task(kind, program, (given,), (result,)) for kind in (TaskKind.DEDUCTION, TaskKind.ABDUCTION)]


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, line


def read_seed_file(path: str | os.PathLike[str]) -> SeedFile:
    """Parse a seed file, skipping (and logging) malformed lines.

    Raises:
        FileNotFoundError: the file does not exist.
    """
    path = Path(path)
    tasks: list[Task] = []
    lines = malformed = 0
    for number, line in _lines(path):
        lines += 1
        try:
            tasks.extend(parse_seed_line(line))
        except (ValueError, TypeError, KeyError, RecursionError) as exc:  # json errors are ValueErrors
            malformed += 1
            if malformed <= _MAX_LOGGED_LINES:
                logger.warning("seed file %s line %d skipped: %s", path, number, exc)
    if malformed:
        logger.warning("seed file %s: skipped %d malformed of %d lines", path, malformed, lines)
    return SeedFile(path, tuple(tasks), lines, malformed)
