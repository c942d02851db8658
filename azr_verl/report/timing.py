"""Where a step's time went: veRL's phase timers (`timing_s/*`) and the AZR busy times (`azr/time/*`).

veRL times the phases of a step (gen, reward, old_log_prob, ref, values, adv, update_critic,
update_actor, save_checkpoint, update_weights) inside one `step` timer; they do not overlap, so they
stack, and whatever `step` holds beyond their sum is shown as "other". Validation and rollout dumps
are timed outside `step`. The AZR busy times are sums over concurrent samples (a load figure, not
wall time), so they are drawn apart as lines.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from azr_verl.metrics_log import StepMetrics
from azr_verl.report.figure import FigureData, FigureKind, Section, Series
from azr_verl.report.series import metric_series, names_in, per_name_figure, step_figure

__all__ = ["OTHER", "OUTSIDE_STEP", "PHASE_ORDER", "step_time"]

PHASE_ORDER = (
    "gen",
    "reward",
    "old_log_prob",
    "ref",
    "values",
    "adv",
    "update_critic",
    "update_actor",
    "save_checkpoint",
    "update_weights",
)
OUTSIDE_STEP = frozenset({"testing", "dump_rollout_generations"})  # timed after the step timer
OTHER = "other"
_PHASE = re.compile(r"^timing_s/(?P<name>[^/]+)$")


def _phase_order(name: str) -> tuple[int, str]:
    return (PHASE_ORDER.index(name) if name in PHASE_ORDER else len(PHASE_ORDER), name)


def _other(steps: Sequence[StepMetrics], phases: Sequence[str]) -> Series | None:
    """`step` minus the phases inside it, for each step that logged `step` (clipped at 0)."""
    total = metric_series(steps, "timing_s/step", OTHER)
    if total is None:
        return None
    by_step = {row.step: row for row in steps}
    inside = [p for p in phases if p not in OUTSIDE_STEP]
    rest = []
    for step, step_s in zip(total.x, total.y, strict=True):
        parts = sum(by_step[step].get(f"timing_s/{p}", 0.0) or 0.0 for p in inside)
        rest.append(max(step_s - parts, 0.0))
    return Series(OTHER, total.x, tuple(rest))


def _phases(steps: Sequence[StepMetrics]) -> FigureData | None:
    phases = sorted((n for n in names_in(steps, _PHASE) if n != "step"), key=_phase_order)
    series = [metric_series(steps, f"timing_s/{p}", p) for p in phases]
    found = [s for s in series if s is not None]
    other = _other(steps, phases)
    if other is not None:
        found.append(other)
    if not found:
        return None
    return FigureData(
        "step_time",
        "Step time split (veRL phase timers)",
        "training step",
        "seconds",
        FigureKind.STACKED_BAR,
        tuple(found),
        f"Stacked veRL timers (timing_s/*); '{OTHER}' is timing_s/step minus the phases inside it.",
    )


def step_time(steps: Sequence[StepMetrics]) -> Section:
    """The step-time figures; a missing family is a note."""
    busy = per_name_figure(
        steps,
        r"^azr/time/(?P<name>[^/]+_s)$",
        lambda name: f"azr/time/{name}",
        step_figure(
            "azr_time",
            "AZR time per step",
            "seconds",
            "Busy seconds summed over the samples of a step (executor, reward manager): they run "
            "concurrently, so this is load, not wall time; metrics_s is wall time.",
        ),
        order=str,
    )
    figures = [_phases(steps), busy]
    notes = []
    if figures[0] is None:
        notes.append("no step logged veRL's phase timers (timing_s/*): the step time split is not plotted")
    if busy is None:
        notes.append("no step logged AZR times (azr/time/*_s): not plotted")
    return Section.of("Step time", figures, notes)
