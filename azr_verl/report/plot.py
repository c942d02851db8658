"""Drawing a `FigureData` as a PNG with matplotlib's Agg canvas.

A `matplotlib.figure.Figure` is drawn on its own Agg canvas, never through pyplot: no display, no
global figure registry, nothing left open between figures, whatever backend the user configured.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Sequence

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from azr_verl.report.figure import FigureData, FigureKind, Series, XValue

__all__ = ["render_png"]

_SIZE_IN = (8.0, 4.2)
_DPI = 100
_DENSE_POINTS = 50  # above this many steps: no markers, bars without gaps


def _line_styles(labels: Sequence[str]) -> list[dict[str, str]]:
    """Group series ("code_o:propose", "code_o:solve"): one colour per task type, dashed for solve."""
    if not labels or not all(label.count(":") == 1 for label in labels):
        return [{} for _ in labels]
    types = list(dict.fromkeys(label.split(":")[0] for label in labels))
    return [
        {
            "color": f"C{types.index(label.split(':')[0]) % 10}",
            "linestyle": "--" if label.endswith(":solve") else "-",
        }
        for label in labels
    ]


def _line(ax, figure: FigureData) -> None:
    dense = len(figure.categories()) > _DENSE_POINTS
    for series, style in zip(figure.series, _line_styles(figure.labels()), strict=True):
        marker = {} if dense else {"marker": "o", "markersize": 3}
        ax.plot(series.x, series.y, linewidth=1.5, label=series.label, **marker, **style)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _stacked(ax, figure: FigureData) -> None:
    bottoms: dict[XValue, float] = {}
    steps = figure.categories()
    fill = 1.0 if len(steps) > _DENSE_POINTS else 0.8
    width = fill * min((b - a for a, b in itertools.pairwise(steps)), default=1)
    for series in figure.series:
        below = [bottoms.get(x, 0.0) for x in series.x]
        ax.bar(series.x, series.y, width=width, bottom=below, label=series.label, linewidth=0)
        for x, y in zip(series.x, series.y, strict=True):
            bottoms[x] = bottoms.get(x, 0.0) + y
    if len(steps) <= 20:
        ax.set_xticks(steps)


def _grouped(ax, figure: FigureData) -> None:
    categories = figure.categories()
    position = {c: i for i, c in enumerate(categories)}
    count = max(len(figure.series), 1)
    width = 0.8 / count
    for index, series in enumerate(figure.series):
        offset = (index - (count - 1) / 2) * width
        ax.bar([position[x] + offset for x in series.x], series.y, width=width, label=series.label)
    ax.set_xticks(range(len(categories)))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # grouped bars count things
    rotate = any(len(str(c)) > 4 for c in categories) or len(categories) > 15
    ax.set_xticklabels(
        [str(c) for c in categories], rotation=45 if rotate else 0, ha="right" if rotate else "center"
    )


_DRAW = {FigureKind.LINE: _line, FigureKind.STACKED_BAR: _stacked, FigureKind.GROUPED_BAR: _grouped}


def _legend_columns(series: Sequence[Series]) -> int:
    return 1 if len(series) <= 8 else 2


def render_png(figure: FigureData) -> bytes:
    """The figure as PNG bytes (title, axis labels, legend, a light grid)."""
    canvas_figure = Figure(figsize=_SIZE_IN, dpi=_DPI, layout="constrained")
    FigureCanvasAgg(canvas_figure)
    ax = canvas_figure.add_subplot()
    _DRAW[figure.kind](ax, figure)
    ax.set_title(figure.title)
    ax.set_xlabel(figure.x_label)
    ax.set_ylabel(figure.y_label)
    ax.grid(True, alpha=0.3)
    if figure.series:
        ax.legend(
            fontsize="small",
            loc="center left",
            bbox_to_anchor=(1.01, 0.5),
            ncols=_legend_columns(figure.series),
        )
    buffer = io.BytesIO()
    canvas_figure.savefig(buffer, format="png")
    return buffer.getvalue()
