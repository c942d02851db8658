"""Consistent copies of a buffer (beside each checkpoint) and restoring one (on resume).

Both use SQLite's online backup API: a snapshot is a single read transaction, so it is consistent
while writers keep adding (WAL lets them), and a restore is a single write transaction into the live
file, so a crash mid-restore leaves the old contents, never a mix. A snapshot is written under a
temporary name and renamed into place, in rollback-journal mode so it is one self-contained file.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from azr_verl.buffer.schema import BufferFileError, connect, fsync_dir

__all__ = [
    "CHECKPOINT_FILE_NAME",
    "SnapshotInfo",
    "checkpoint_snapshot_path",
    "copy_snapshot_into",
    "restore_file",
    "snapshot_file",
    "write_snapshot",
]

logger = logging.getLogger(__name__)

CHECKPOINT_FILE_NAME = "azr_buffer.sqlite"  # beside veRL's files in each global_step_N directory


def checkpoint_snapshot_path(checkpoint_dir: str | os.PathLike[str]) -> Path:
    """Where the buffer snapshot of a checkpoint lives (written on save, read on resume)."""
    return Path(checkpoint_dir) / CHECKPOINT_FILE_NAME


@dataclass(frozen=True)
class SnapshotInfo:
    """A written snapshot: where, how many tasks, how big."""

    path: Path
    tasks: int
    size_bytes: int


def write_snapshot(conn: sqlite3.Connection, dst: str | os.PathLike[str]) -> SnapshotInfo:
    """Copy the database behind `conn` to `dst` atomically (temporary file, fsync, rename)."""
    dst = Path(dst).absolute()
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.partial-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    out = sqlite3.connect(tmp, isolation_level=None)
    try:
        conn.backup(out)
        out.execute("PRAGMA journal_mode = DELETE")
        tasks = int(out.execute("SELECT COUNT(*) FROM tasks").fetchone()[0])
    except BaseException:
        out.close()
        tmp.unlink(missing_ok=True)
        raise
    out.close()
    with open(tmp, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, dst)
    fsync_dir(dst.parent)
    info = SnapshotInfo(dst, tasks, dst.stat().st_size)
    logger.info("buffer snapshot %s: %d tasks, %d bytes", dst, tasks, info.size_bytes)
    return info


def copy_snapshot_into(snapshot: str | os.PathLike[str], conn: sqlite3.Connection) -> int:
    """Replace the contents behind `conn` with those of a snapshot; returns its task count.

    Raises:
        BufferFileError: the snapshot is missing, foreign or corrupted (checked before anything
            is overwritten).
    """
    src = connect(snapshot, readonly=True, check=True)
    try:
        tasks = int(src.execute("SELECT COUNT(*) FROM tasks").fetchone()[0])
        src.backup(conn)
    finally:
        src.close()
    logger.info("buffer restored from snapshot %s: %d tasks", snapshot, tasks)
    return tasks


def snapshot_file(buffer_path: str | os.PathLike[str], dst: str | os.PathLike[str]) -> SnapshotInfo:
    """Snapshot a buffer file without opening a store (a writer may be running)."""
    conn = connect(buffer_path, readonly=True, check=False)
    try:
        return write_snapshot(conn, dst)
    finally:
        conn.close()


def restore_file(snapshot: str | os.PathLike[str], buffer_path: str | os.PathLike[str]) -> int:
    """Make `buffer_path` hold exactly the snapshot (created if missing); no store may have it open.

    Raises:
        BufferFileError: the snapshot, or an existing file at `buffer_path`, is not a sound buffer.
    """
    if Path(snapshot).absolute() == Path(buffer_path).absolute():
        raise BufferFileError(snapshot, "cannot restore a buffer file onto itself")
    conn = connect(buffer_path, create=True, check=False)
    try:
        return copy_snapshot_into(snapshot, conn)
    finally:
        conn.close()
