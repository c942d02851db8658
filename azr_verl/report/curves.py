"""Training curves the AZR trainer logs per step (`azr/...` metrics, see azr_verl.metrics and the buffer's
`metrics`): reward per (task type, role) group, valid proposal rate, learnability, solver accuracy and
buffer size."""

from __future__ import annotations

import re
from collections.abc import Sequence

from azr_verl.quickstart.metrics_log import StepMetrics
from azr_verl.report.figure import FigureData, Section, Series
from azr_verl.report.series import per_name_figure, step_figure

__all__ = ["training_curves"]

_BIN = re.compile(r"^azr/learnability/bin_(?P<name>(?P<lo>[0-9.]+)_(?P<hi>[0-9.]+))$")


def _per_type(steps: Sequence[StepMetrics], prefix: str, figure: FigureData) -> FigureData | None:
    """One series per task type of the keys `{prefix}/{task type}`."""
    pattern = rf"^{re.escape(prefix)}/(?P<name>[^/]+)$"
    return per_name_figure(steps, pattern, lambda name: f"{prefix}/{name}", figure)


def _bin_order(name: str) -> float:
    return float(name.split("_", 1)[0])


def _learnability(steps: Sequence[StepMetrics]) -> FigureData | None:
    figure = step_figure(
        "learnability_histogram",
        "Learnability reward of valid proposals",
        "share of valid proposals",
        "Share of the step's valid proposals per learnability-reward bin (1 - solver accuracy over the "
        "N attempts; the last bin includes 1.0). Steps without a valid proposal have no bar.",
        stacked=True,
    )
    found = per_name_figure(
        steps, _BIN.pattern, lambda name: f"azr/learnability/bin_{name}", figure, _bin_order
    )
    if found is None:
        return None
    relabelled = tuple(Series(s.label.replace("_", "-"), s.x, s.y) for s in found.series)  # "0.0-0.2"
    return FigureData(
        found.slug, found.title, found.x_label, found.y_label, found.kind, relabelled, found.note
    )


def training_curves(steps: Sequence[StepMetrics]) -> Section:
    """The training-curve figures of the logged steps; a family no step logged is a note, not a figure."""
    candidates = [
        (
            per_name_figure(
                steps,
                r"^azr/reward/(?P<name>[^/]+:[^/]+)/mean$",
                lambda group: f"azr/reward/{group}/mean",
                step_figure(
                    "reward_per_group",
                    "Mean reward per (task type, role) group",
                    "mean reward",
                    "The reward before TRR++ normalization: executor-checked answers for solve, "
                    "learnability (or the invalid-proposal penalty) for propose.",
                ),
            ),
            "rewards per group (azr/reward/*/mean)",
        ),
        (
            _per_type(
                steps,
                "azr/valid_rate",
                step_figure("valid_rate", "Valid proposal rate", "valid proposals / proposals"),
            ),
            "valid proposal rates (azr/valid_rate/*)",
        ),
        (_learnability(steps), "learnability histograms (azr/learnability/bin_*)"),
        (
            _per_type(
                steps,
                "azr/propose_attempt_acc",
                step_figure(
                    "propose_attempt_acc",
                    "Solver accuracy on valid proposals (learnability attempts)",
                    "accuracy of the N attempts",
                    "Learnability is 1 minus this accuracy, and 0 at accuracy 0 or 1.",
                ),
            ),
            "learnability attempt accuracies (azr/propose_attempt_acc/*)",
        ),
        (
            _per_type(
                steps,
                "azr/solver_acc",
                step_figure("solver_acc", "Solver accuracy per task type", "correct answers / solve samples"),
            ),
            "solver accuracies (azr/solver_acc/*)",
        ),
        (
            per_name_figure(
                steps,
                r"^azr/buffer/(?P<name>[^/]+)/size$",
                lambda kind: f"azr/buffer/{kind}/size",
                step_figure("buffer_size", "Buffer size per task type", "tasks stored after the step"),
            ),
            "buffer sizes (azr/buffer/*/size)",
        ),
    ]
    notes = [f"no step logged {what}: not plotted" for figure, what in candidates if figure is None]
    return Section.of("Training curves", [figure for figure, _ in candidates], notes)
