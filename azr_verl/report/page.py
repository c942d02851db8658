"""The report as one self-contained HTML page: every PNG embedded as a data URI, the plotted numbers as
tables, the notes on what was not plotted. No scripts, no external files or fonts: the page can be
mailed or attached to an issue as it is."""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from azr_verl.report.figure import FigureData, Section
from azr_verl.report.run_data import RunData

__all__ = ["PageInfo", "render_page"]

_STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 70em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.25em; border-bottom: 1px solid #ccc; margin-top: 2em; }
h3 { font-size: 1.05em; } img { max-width: 100%; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ddd; padding: 0.2em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.note { color: #555; font-size: 0.9em; } .skipped { color: #8a5a00; }
"""


@dataclass(frozen=True)
class PageInfo:
    """The header of the page: what was read."""

    title: str
    generated: str  # e.g. "2026-11-24 07:00 UTC"


def _number(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}"


def _table(figure: FigureData) -> str:
    """The plotted numbers: one row per x value, one column per series (blank: no point there)."""
    header = "".join(f"<th>{html.escape(s.label)}</th>" for s in figure.series)
    points = [s.points() for s in figure.series]
    rows = []
    for x in figure.categories():
        cells = "".join(f"<td>{_number(p[x]) if x in p else ''}</td>" for p in points)
        rows.append(f"<tr><td>{html.escape(str(x))}</td>{cells}</tr>")
    return (
        f"<details><summary>numbers</summary><table><tr><th>{html.escape(figure.x_label)}</th>{header}</tr>"
        + "".join(rows)
        + "</table></details>"
    )


def _figure(figure: FigureData, png: bytes) -> str:
    data = base64.b64encode(png).decode("ascii")
    note = f'<p class="note">{html.escape(figure.note)}</p>' if figure.note else ""
    return (
        f'<section id="{html.escape(figure.slug)}"><h3>{html.escape(figure.title)}</h3>'
        f'<img alt="{html.escape(figure.title)}" src="data:image/png;base64,{data}">{note}{_table(figure)}</section>'
    )


def _notes(notes: Sequence[str]) -> str:
    if not notes:
        return ""
    items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    return f'<ul class="skipped">{items}</ul>'


def _header(run: RunData, info: PageInfo) -> str:
    files = ", ".join(f"{f.path.name} ({f.steps} steps)" for f in run.metrics_files) or "none"
    steps = f"{run.steps[0].step}-{run.steps[-1].step} ({len(run.steps)} logged)" if run.steps else "none"
    buffer = f"{run.buffer_path} ({len(run.tasks)} tasks)" if run.buffer_path else "none"
    rows = [
        ("run directory", str(run.run_dir)),
        ("metrics files", files),
        ("steps", steps),
        ("buffer", buffer),
    ]
    cells = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>" for k, v in rows)
    return (
        f'<h1>{html.escape(info.title)}</h1><p class="note">generated {html.escape(info.generated)}</p>'
        f"<table>{cells}</table>{_notes(run.notes)}"
    )


def render_page(run: RunData, sections: Sequence[Section], pngs: Mapping[str, bytes], info: PageInfo) -> str:
    """The whole HTML page.

    Args:
        run: what was read (header, reading notes).
        sections: the figures and their notes, in page order.
        pngs: slug -> PNG bytes of every figure in `sections`.
        info: title and generation time.
    """
    body = [_header(run, info)]
    for section in sections:
        body.append(f"<h2>{html.escape(section.title)}</h2>{_notes(section.notes)}")
        body.extend(_figure(figure, pngs[figure.slug]) for figure in section.figures)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(info.title)}</title><style>{_STYLE}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )
