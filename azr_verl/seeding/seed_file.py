"""The seed file a seeding run writes: append-only jsonl in the buffer's export format.

Each line is one task as `azr-verl buffer export` writes it (`kind`, `program`, `inputs`,
`outputs`, `message`, plus `fingerprint`, `source`, `task_type` and `round` for provenance), which
`read_seed_file` loads back as exactly that task: unlike the reference's io format, a deduction
seed does not also become an abduction seed.

Durability: lines are only ever appended, each batch with one `write` followed by `fsync`, so a
killed run keeps every batch it finished; at worst the last line is cut short, and the next run
terminates it with a newline (the reader skips and logs that one line). A rerun with the same path
continues: the tasks already in the file count toward the target and are deduplicated against.
An exclusive `flock` keeps two runs from appending to one file at once.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

from azr_verl.buffer.seeds import SeedFile, read_seed_file, seed_fields
from azr_verl.tasks import Source, Task

__all__ = ["SeedFileError", "SeedWriter", "seed_line"]

logger = logging.getLogger(__name__)


class SeedFileError(RuntimeError):
    """The output file cannot be used: locked by another run, not a seed file, or not writable."""


def seed_line(task: Task, fingerprint: str, task_type: str, round_index: int) -> str:
    """One jsonl line (with its newline) that `read_seed_file` reads back as `task`."""
    record = {
        **seed_fields(task),
        "source": Source.SEED.value,
        "fingerprint": fingerprint,
        "task_type": task_type,
        "round": round_index,
    }
    return json.dumps(record) + "\n"  # ASCII: any text, even a lone surrogate, reads back exactly


class SeedWriter:
    """Appends seeds to one file, holding an exclusive lock on it while open.

    Args:
        path: the seed file; created (with its parent directories) when missing.

    Raises:
        SeedFileError: another process holds the lock, the path is a directory, or the existing
            file has lines but none of them is a seed.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise SeedFileError(f"--out {self.path} is a directory; give a file path")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            raise SeedFileError(f"{self.path} is being written by another azr-verl seed run") from None
        try:
            self.existing = self._read_existing()
        except BaseException:
            self.close()
            raise

    def _read_existing(self) -> SeedFile:
        """The tasks already in the file; terminates a cut-short last line first."""
        existing = read_seed_file(self.path)
        if existing.lines and not existing.tasks:
            raise SeedFileError(
                f"{self.path} has {existing.lines} lines but no seed task; refusing to append to it "
                "(choose another --out)"
            )
        size = self.path.stat().st_size
        if size:
            with open(self.path, "rb") as handle:
                handle.seek(size - 1)
                last = handle.read(1)
            if last != b"\n":
                logger.warning(
                    "%s: the last line was cut short (an interrupted run?); it is skipped", self.path
                )
                self._write("\n")
        return existing

    def _write(self, text: str) -> None:
        data = text.encode("utf-8")
        written = 0
        while written < len(data):
            written += os.write(self._fd, data[written:])
        os.fsync(self._fd)

    def append(self, lines: Sequence[str]) -> None:
        """Append complete lines (see `seed_line`) durably, in one write."""
        if lines:
            self._write("".join(lines))

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # releases the lock
            self._fd = -1

    def __enter__(self) -> SeedWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
