"""Where a run keeps its metrics under `azr.run_dir`, so the trainer and `azr-verl report` agree.

veRL's file logger truncates its file when it opens it, so a resumed run must not reuse the first
run's metrics file: each start of the trainer gets the next free `metrics[.N].jsonl`.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["metrics_files", "next_metrics_file"]

_METRICS_GLOB = "metrics*.jsonl"
_METRICS_NAME = re.compile(r"^metrics(?:\.(\d+))?\.jsonl$")


def _order(path: Path) -> int:
    match = _METRICS_NAME.match(path.name)
    return int(match.group(1) or 1) if match else 0


def metrics_files(run_dir: str | Path) -> list[Path]:
    """The run's metrics files in the order the trainer wrote them (metrics.jsonl, metrics.2.jsonl, ...)."""
    found = [p for p in Path(run_dir).glob(_METRICS_GLOB) if _METRICS_NAME.match(p.name)]
    return sorted(found, key=_order)


def next_metrics_file(run_dir: str | Path) -> Path:
    """The file this start of the trainer should log to: the first name not holding earlier metrics."""
    existing = [p for p in metrics_files(run_dir) if p.stat().st_size > 0]
    if not existing:
        return Path(run_dir) / "metrics.jsonl"
    return Path(run_dir) / f"metrics.{_order(existing[-1]) + 1}.jsonl"
