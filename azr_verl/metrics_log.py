"""Reading veRL's file-logger output (one JSON line per step) while the run is still writing it.

veRL's `FileLogger` writes `{"step": N, "data": {...}}` per step, unbuffered, to the file named by
`VERL_FILE_LOGGER_PATH`. A reader polling that file can see a line that is only partly written, so
`MetricsTail` keeps an incomplete last line back until its newline arrives. Used by the quickstart's
progress lines and by `azr-verl report`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

__all__ = ["MetricsTail", "StepMetrics", "read_metrics"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StepMetrics:
    """The metrics veRL logged for one training step."""

    step: int
    data: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    def get(self, key: str, default: float | None = None) -> float | None:
        """A numeric metric, or `default` when it is absent or not a number."""
        value = self.data.get(key, default)
        return float(value) if isinstance(value, (int, float)) else default


def _parse(line: str) -> StepMetrics | None:
    try:
        row: Any = json.loads(line)
    except json.JSONDecodeError:
        logger.warning("metrics log: skipping an unreadable line: %.80s", line)
        return None
    if (
        not isinstance(row, dict)
        or not isinstance(row.get("step"), int)
        or not isinstance(row.get("data"), dict)
    ):
        logger.warning("metrics log: skipping a line without step/data: %.80s", line)
        return None
    return StepMetrics(row["step"], MappingProxyType(dict(row["data"])))


class MetricsTail:
    """Incremental reader of a growing metrics jsonl file.

    Args:
        path: the file; it may not exist yet (veRL creates it when its logger starts).
    """

    def __init__(self, path: Path):
        self._path = Path(path)
        self._offset = 0
        self._pending = b""

    @property
    def path(self) -> Path:
        return self._path

    def poll(self) -> list[StepMetrics]:
        """Steps whose lines were completed since the last call (none if the file is missing)."""
        try:
            with open(self._path, "rb") as handle:
                size = handle.seek(0, 2)
                if size < self._offset:  # truncated (a new logger opened it): start over
                    self._offset, self._pending = 0, b""
                handle.seek(self._offset)
                chunk = handle.read()
        except FileNotFoundError:
            return []
        self._offset += len(chunk)
        data = self._pending + chunk
        lines = data.split(b"\n")
        self._pending = lines.pop()
        rows = [_parse(line.decode("utf-8", errors="replace")) for line in lines if line.strip()]
        return [row for row in rows if row is not None]


def read_metrics(path: Path) -> list[StepMetrics]:
    """Every complete step of a finished metrics file, in file order."""
    return MetricsTail(path).poll()
