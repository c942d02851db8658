"""Text of the quickstart: one progress line per step, and the end-of-run summary.

Pure functions of the figures (see `figures.py`), so they are tested on real metrics and buffer
files without running a model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from azr_verl.buffer.config import BufferConfig
from azr_verl.buffer.records import StoredTask
from azr_verl.quickstart.figures import BufferFigures, StepFigures, TypeFigures

__all__ = ["RunPaths", "format_duration", "progress_line", "render_summary"]

_ROLE_NAMES = {"propose": "propose", "solve": "solve"}


@dataclass(frozen=True)
class RunPaths:
    """Where a quickstart run keeps everything."""

    run_dir: Path
    verl_log: Path
    metrics: Path
    checkpoint: Path | None  # the last global_step_N folder, if one was written


def format_duration(seconds: float) -> str:
    """`75.4` -> `1m15s`; under a minute `42s`."""
    if math.isnan(seconds):
        return "?"
    total = round(seconds)
    minutes, secs = divmod(total, 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def _num(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:+.2f}"


def _pct(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{100 * value:.0f}%"


def _short(task_type: str) -> str:
    return task_type.removeprefix("code_")


def progress_line(figures: StepFigures, total_steps: int, elapsed_s: float) -> str:
    """`step 1/3  4m12s (step 2m01s) | reward P/S  o -1.00/-0.50 ... | valid o 0/2 ... | buffer o 1 ...`."""
    rewards = "  ".join(
        f"{_short(t.task_type)} {_num(t.propose_reward)}/{_num(t.solve_reward)}" for t in figures.types
    )
    valid = " ".join(f"{_short(t.task_type)} {t.valid}/{t.proposals}" for t in figures.types)
    trained = {t.task_type for t in figures.types}
    buffer = " ".join(f"{_short(k)} {n}" for k, n in figures.buffer_sizes if k in trained or n)
    return (
        f"step {figures.step}/{total_steps}  {format_duration(elapsed_s)} "
        f"(step {format_duration(figures.step_s)}) | reward propose/solve  {rewards} | "
        f"valid proposals {valid} | buffer {buffer}"
    )


def _type_table(types: Sequence[TypeFigures], buffer: BufferFigures | None) -> list[str]:
    header = (
        f"  {'task type':<10} {'valid proposals':>16} {'propose reward':>15} {'solve reward':>13} "
        f"{'solver acc':>11} {'readable':>9} {'buffer (proposed)':>18}"
    )
    lines = [header]
    for t in types:
        valid = f"{t.valid}/{t.proposals} ({_pct(t.valid_rate)})"
        stored = f"{buffer.size(t.task_type)} ({buffer.size(t.task_type, 'proposed')})" if buffer else "n/a"
        lines.append(
            f"  {t.task_type:<10} {valid:>16} {_num(t.propose_reward):>15} {_num(t.solve_reward):>13} "
            f"{_pct(t.solver_acc):>11} {f'{t.readable}/{t.proposals + t.solves}':>9} {stored:>18}"
        )
    return lines


def _indent(text: str, prefix: str = "      ") -> list[str]:
    return [prefix + line for line in text.splitlines()]


def _example(stored: StoredTask) -> list[str]:
    task, stats = stored.task, stored.stats
    if stats.solve_attempts:
        solved = f"solved in {stats.solve_successes} of {stats.solve_attempts} solver attempts"
    else:
        solved = "not yet given to the solver"
    if stats.learnability_last is not None:
        solved += f"; learnability reward {stats.learnability_last:+.2f}"
    lines = [f"  - #{stored.id} {task.kind.value} (step {stored.step}): {solved}"]
    lines += _indent(task.program)
    if task.message:
        lines.append(f"      message: {task.message}")
    errors = task.kind.value == "code_e"  # outputs are exception type names
    for inp, out in list(zip(task.inputs, task.outputs, strict=False))[:3]:
        lines.append(f"      f({inp}) raises {out}" if errors else f"      f({inp}) == {out}")
    return lines


def _examples(buffer: BufferFigures | None, steps: int) -> list[str]:
    if buffer is None:
        return ["Proposed tasks: the buffer could not be read."]
    if not buffer.examples:
        return [
            f"Proposed tasks: none. In {steps} step(s) the model proposed no task the executor accepted "
            "(a 135M model writes few valid programs; the buffer holds only its seed tasks)."
        ]
    lines = [f"Proposed tasks ({len(buffer.examples)} of {buffer.proposed_total} in the buffer):"]
    for stored in buffer.examples:
        lines += _example(stored)
    return lines


def render_summary(
    types: Sequence[TypeFigures],
    buffer: BufferFigures | None,
    paths: RunPaths,
    steps: int,
    elapsed_s: float,
) -> str:
    """The end-of-run summary: a table per task type, example proposals, and where things are."""
    lines = [f"Summary: {steps} step(s) in {format_duration(elapsed_s)}"]
    lines += _type_table(types, buffer) if types else ["  no step was logged"]
    if types and not any(t.readable for t in types):
        lines.append(
            "  No response was in the answer format (an <answer> section with a fenced block), so every "
            "reward is the format penalty and TRR++ advantages are zero: these steps taught nothing."
        )
    lines.append("")
    lines += _examples(buffer, steps)
    lines.append("")
    lines.append(f"run directory  {paths.run_dir}")
    lines.append(f"veRL log       {paths.verl_log}")
    lines.append(f"metrics jsonl  {paths.metrics}")
    lines.append(f"buffer         {buffer.path if buffer else paths.run_dir / BufferConfig().file_name}")
    lines.append(f"checkpoint     {paths.checkpoint if paths.checkpoint else 'none written'}")
    lines.append(f"plots          azr-verl report {paths.run_dir}")
    return "\n".join(lines) + "\n"
