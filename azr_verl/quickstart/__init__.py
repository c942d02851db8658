"""The quickstart's parts: the model and step shape, watching a run's metrics, the progress and summary text.

`azr-verl quickstart` (azr_verl/cli/quickstart.py) puts them together; they are importable without
torch or veRL.
"""

from azr_verl.quickstart.figures import BufferFigures, StepFigures, TypeFigures
from azr_verl.quickstart.metrics_log import MetricsTail, StepMetrics, read_metrics
from azr_verl.quickstart.render import RunPaths, progress_line, render_summary

__all__ = [
    "BufferFigures",
    "MetricsTail",
    "RunPaths",
    "StepFigures",
    "StepMetrics",
    "TypeFigures",
    "progress_line",
    "read_metrics",
    "render_summary",
]
