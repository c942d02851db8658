"""Series from logged metrics: which names a key pattern covers, and the finite values of one key per step.

A step that did not log a key, or logged NaN (a mean over no samples), has no point: the series
holds exactly the numbers the trainer wrote, so a gap in a line is a step without data.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from azr_verl.metrics_log import StepMetrics
from azr_verl.report.figure import FigureData, FigureKind, Series
from azr_verl.tasks.task import paper_order

__all__ = ["metric_series", "names_in", "per_name_figure", "step_figure"]


def names_in(steps: Sequence[StepMetrics], pattern: re.Pattern[str]) -> list[str]:
    """The distinct `name` groups of `pattern` over the keys of every step, in task-type order."""
    found: set[str] = set()
    for row in steps:
        for key in row.data:
            match = pattern.match(key)
            if match:
                found.add(match["name"])
    return sorted(found, key=paper_order)


def metric_series(steps: Sequence[StepMetrics], key: str, label: str) -> Series | None:
    """(step, value) of every step that logged `key` as a finite number; None when there is none."""
    xs, ys = [], []
    for row in steps:
        value = row.get(key)
        if value is not None and math.isfinite(value):
            xs.append(row.step)
            ys.append(value)
    return Series(label, tuple(xs), tuple(ys)) if xs else None


def per_name_figure(
    steps: Sequence[StepMetrics],
    pattern: str,
    key_of: Callable[[str], str],
    figure: FigureData,
    order: Callable[[str], object] = paper_order,
) -> FigureData | None:
    """`figure` with one series per name matched by `pattern` (a regex with a `name` group).

    Args:
        steps: the logged steps.
        pattern: matches the keys that name a series.
        key_of: the metric key plotted for a name.
        figure: title, labels and kind; its series are replaced.
        order: sort key of the names.

    Returns:
        The figure, or None when no step logged a finite value under any matching key.
    """
    names = sorted(names_in(steps, re.compile(pattern)), key=order)
    series = [metric_series(steps, key_of(name), name) for name in names]
    found = tuple(s for s in series if s is not None)
    if not found:
        return None
    return replace(figure, series=found)


def step_figure(slug: str, title: str, y_label: str, note: str = "", *, stacked: bool = False) -> FigureData:
    """An empty figure over training steps (its series are filled in by `per_name_figure`)."""
    kind = FigureKind.STACKED_BAR if stacked else FigureKind.LINE
    return FigureData(slug, title, "training step", y_label, kind, (), note)
