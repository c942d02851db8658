"""Training curves the AZR trainer logs per step (`azr/...` metrics, see azr_verl.metrics and the buffer's
`metrics`): reward per (task type, role) group, valid proposal rate, learnability, solver accuracy and
buffer size."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from azr_verl.metrics_log import StepMetrics
from azr_verl.report.figure import FigureData, Section, Series
from azr_verl.report.series import per_name_figure, step_figure

__all__ = ["CURVES", "Curve", "training_curves"]


@dataclass(frozen=True)
class Curve:
    """One family of logged keys drawn as one figure: `{prefix}<name>{suffix}`, one series per name.

    Attributes:
        slug, title, y_label, note: of the figure.
        prefix, suffix: around the name in the metric key.
        name: regex of a name (a task type, a group, a bin).
        histogram: the names are bins `lo_hi` of a per-step histogram, drawn as stacked bars.
    """

    slug: str
    title: str
    y_label: str
    prefix: str
    suffix: str = ""
    name: str = r"[^/]+"
    note: str = ""
    histogram: bool = False

    @property
    def pattern(self) -> str:
        return f"^{re.escape(self.prefix)}(?P<name>{self.name}){re.escape(self.suffix)}$"

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}{self.suffix}"


CURVES = (
    Curve(
        "reward_per_group",
        "Mean reward per (task type, role) group",
        "mean reward",
        "azr/reward/",
        "/mean",
        r"[^/]+:[^/]+",
        "The reward before TRR++ normalization: executor-checked answers for solve, learnability (or "
        "the invalid-proposal penalty) for propose.",
    ),
    Curve("valid_rate", "Valid proposal rate", "valid proposals / proposals", "azr/valid_rate/"),
    Curve(
        "learnability_histogram",
        "Learnability reward of valid proposals",
        "share of valid proposals",
        "azr/learnability/bin_",
        name=r"[0-9.]+_[0-9.]+",
        note="Share of the step's valid proposals per learnability-reward bin (1 - solver accuracy over "
        "the N attempts; the last bin includes 1.0). Steps without a valid proposal have no bar.",
        histogram=True,
    ),
    Curve(
        "propose_attempt_acc",
        "Solver accuracy on valid proposals (learnability attempts)",
        "accuracy of the N attempts",
        "azr/propose_attempt_acc/",
        note="Learnability is 1 minus this accuracy, and 0 at accuracy 0 or 1.",
    ),
    Curve(
        "solver_acc", "Solver accuracy per task type", "correct answers / solve samples", "azr/solver_acc/"
    ),
    Curve("buffer_size", "Buffer size per task type", "tasks stored after the step", "azr/buffer/", "/size"),
)


def _bin_order(name: str) -> float:
    return float(name.split("_", 1)[0])


def _curve(steps: Sequence[StepMetrics], curve: Curve) -> FigureData | None:
    empty = step_figure(curve.slug, curve.title, curve.y_label, curve.note, stacked=curve.histogram)
    if not curve.histogram:
        return per_name_figure(steps, curve.pattern, curve.key, empty)
    found = per_name_figure(steps, curve.pattern, curve.key, empty, _bin_order)
    if found is None:
        return None
    bins = tuple(Series(s.label.replace("_", "-"), s.x, s.y) for s in found.series)  # "0.0_0.2" -> "0.0-0.2"
    return replace(found, series=bins)


def training_curves(steps: Sequence[StepMetrics], curves: Sequence[Curve] = CURVES) -> Section:
    """The training-curve figures of the logged steps; a family no step logged is a note, not a figure."""
    figures = [_curve(steps, curve) for curve in curves]
    notes = [
        f"no step logged {curve.prefix}*{curve.suffix}: {curve.title.lower()} is not plotted"
        for curve, figure in zip(curves, figures, strict=True)
        if figure is None
    ]
    return Section.of("Training curves", figures, notes)
