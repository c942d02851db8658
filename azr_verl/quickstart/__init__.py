"""The quickstart's parts: the model and step shape, the progress and summary text
(a run's metrics are read with azr_verl.metrics_log).

`azr-verl quickstart` (azr_verl/cli/quickstart.py) puts them together; they are importable without
torch or veRL.
"""

from azr_verl.quickstart.figures import BufferFigures, StepFigures, TypeFigures
from azr_verl.quickstart.render import RunPaths, progress_line, render_summary

__all__ = [
    "BufferFigures",
    "RunPaths",
    "StepFigures",
    "TypeFigures",
    "progress_line",
    "render_summary",
]
