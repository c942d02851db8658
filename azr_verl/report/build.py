"""`build_report`: read a run, compute every figure, write the PNGs and the HTML page."""

from __future__ import annotations

import datetime
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from azr_verl.report.contents import buffer_contents
from azr_verl.report.curves import training_curves
from azr_verl.report.figure import FigureData, Section
from azr_verl.report.page import PageInfo, render_page
from azr_verl.report.plot import render_png
from azr_verl.report.run_data import RunData, load_run
from azr_verl.report.timing import step_time

__all__ = ["HTML_NAME", "Report", "build_report", "report_sections"]

logger = logging.getLogger(__name__)

HTML_NAME = "report.html"


@dataclass(frozen=True)
class Report:
    """What `build_report` wrote, and the data behind every figure.

    Attributes:
        run: what was read.
        sections: the figures (with the exact series drawn) and the notes on what was skipped.
        out_dir: where the files are.
        html_path: the self-contained page.
        png_paths: one PNG per figure, in page order.
    """

    run: RunData
    sections: tuple[Section, ...]
    out_dir: Path
    html_path: Path
    png_paths: tuple[Path, ...]

    @property
    def figures(self) -> dict[str, FigureData]:
        """slug -> figure, over all sections."""
        return {f.slug: f for section in self.sections for f in section.figures}

    @property
    def notes(self) -> tuple[str, ...]:
        """Every note: reading the run, then each section's."""
        return self.run.notes + tuple(n for section in self.sections for n in section.notes)


def report_sections(run: RunData) -> tuple[Section, ...]:
    """Every figure of a run, grouped as on the page."""
    return (training_curves(run.steps), step_time(run.steps), buffer_contents(run))


def build_report(
    run_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str] | None = None,
    extra_metrics: Sequence[str | os.PathLike[str]] = (),
) -> Report:
    """Draw the report of a run.

    Args:
        run_dir: the run directory (metrics*.jsonl and buffer.sqlite).
        out_dir: where to write `<figure>.png` and report.html; default RUN_DIR/report.
        extra_metrics: more metrics files, merged after the run directory's own.

    Returns:
        The report, with the plotted series of every figure.

    Raises:
        ReportError: no run directory, or nothing to report in it.
    """
    run = load_run(run_dir, extra_metrics)
    sections = report_sections(run)
    out = Path(out_dir) if out_dir is not None else run.run_dir / "report"
    out.mkdir(parents=True, exist_ok=True)
    pngs: dict[str, bytes] = {}
    paths = []
    for section in sections:
        for figure in section.figures:
            pngs[figure.slug] = render_png(figure)
            path = out / f"{figure.slug}.png"
            path.write_bytes(pngs[figure.slug])
            paths.append(path)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    page = render_page(run, sections, pngs, PageInfo(f"AZR run report: {run.run_dir.name}", now))
    html_path = out / HTML_NAME
    html_path.write_text(page, encoding="utf-8")
    logger.info("report of %s: %d figures in %s", run.run_dir, len(paths), out)
    return Report(run, sections, out, html_path, tuple(paths))
