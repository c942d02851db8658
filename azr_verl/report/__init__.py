"""`azr-verl report RUN_DIR`: PNG figures and one self-contained HTML page of a run.

Parts: `run_data` reads and merges the run's metrics files and its buffer; `curves`, `timing` and
`contents` compute the figures as data (`figure.FigureData`, the exact series drawn); `plot` draws
them with matplotlib's Agg canvas; `page` writes the HTML; `build` puts them together.
"""

from azr_verl.report.build import HTML_NAME, Report, build_report, report_sections
from azr_verl.report.figure import FigureData, FigureKind, Section, Series
from azr_verl.report.run_data import ReportError, RunData, load_run, merge_metrics

__all__ = [
    "HTML_NAME",
    "FigureData",
    "FigureKind",
    "Report",
    "ReportError",
    "RunData",
    "Section",
    "Series",
    "build_report",
    "load_run",
    "merge_metrics",
    "report_sections",
]
