"""What a report figure is: the numbers it plots, independent of how they are drawn.

Every figure family computes `FigureData` from a run's records; the PNG renderer and the HTML
tables draw exactly these series, so a test can compare a figure's numbers with the logged ones
without reading pixels.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["FigureData", "FigureKind", "Section", "Series", "XValue"]

XValue = int | float | str


class FigureKind(str, enum.Enum):
    """How the series of a figure are drawn."""

    LINE = "line"  # one line per series over numeric x (training steps)
    STACKED_BAR = "stacked_bar"  # bars over numeric x, series stacked on each other
    GROUPED_BAR = "grouped_bar"  # bars side by side per category (x labels), one colour per series


@dataclass(frozen=True)
class Series:
    """One plotted series: `y[i]` is drawn at `x[i]`."""

    label: str
    x: tuple[XValue, ...]
    y: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.x) != len(self.y):
            raise ValueError(f"series {self.label!r}: {len(self.x)} x values but {len(self.y)} y values")

    def points(self) -> dict[XValue, float]:
        """x -> y (x values are unique within a series)."""
        return dict(zip(self.x, self.y, strict=True))


@dataclass(frozen=True)
class FigureData:
    """One figure: its file name stem, labels, drawing kind and series.

    Attributes:
        slug: file name stem of the PNG (`reward_per_group` -> reward_per_group.png).
        title, x_label, y_label: as drawn.
        kind: see FigureKind.
        series: the plotted data, in legend order.
        note: a sentence shown under the figure (what the numbers mean, what is left out).
    """

    slug: str
    title: str
    x_label: str
    y_label: str
    kind: FigureKind
    series: tuple[Series, ...]
    note: str = ""

    def get(self, label: str) -> Series:
        """The series named `label`.

        Raises:
            KeyError: no such series (the message lists the labels there are).
        """
        for series in self.series:
            if series.label == label:
                return series
        raise KeyError(f"figure {self.slug} has no series {label!r}; it has {self.labels()}")

    def labels(self) -> list[str]:
        return [s.label for s in self.series]

    def categories(self) -> list[XValue]:
        """Every x value of any series, in first-seen order (numbers sorted)."""
        seen: dict[XValue, None] = {}
        for series in self.series:
            for x in series.x:
                seen.setdefault(x, None)
        values = list(seen)
        if all(isinstance(v, (int, float)) for v in values):
            values.sort()
        return values


@dataclass(frozen=True)
class Section:
    """A titled group of figures, with notes on what could not be plotted and why."""

    title: str
    figures: tuple[FigureData, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @staticmethod
    def of(title: str, figures: Sequence[FigureData | None], notes: Sequence[str]) -> Section:
        """A section of the figures that exist (None entries are the skipped ones, explained in notes)."""
        return Section(title, tuple(f for f in figures if f is not None), tuple(notes))
