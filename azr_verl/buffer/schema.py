"""The buffer's SQLite file: schema, identity checks and connections.

A buffer file carries an application id ("AZRB") and a schema version in its header, so a foreign,
corrupted, missing or too-new file is refused with an error naming it. A new file is built under a
temporary name and renamed into place, so a half-created file never sits at the buffer's path.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
import uuid
from pathlib import Path
from urllib.parse import quote

from azr_verl import __version__
from azr_verl.buffer.config import SyncMode

__all__ = [
    "APPLICATION_ID",
    "SCHEMA_VERSION",
    "BufferFileError",
    "connect",
    "fsync_dir",
    "integrity_problems",
]

logger = logging.getLogger(__name__)

APPLICATION_ID = 0x415A5242  # "AZRB" in the SQLite header: this file is an azr-verl buffer
SCHEMA_VERSION = 1
CACHE_KIB = 65536  # page cache per connection: keeps the dedup index of a large buffer in memory

_SCHEMA = """
CREATE TABLE tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- creation order; never reused after eviction
    kind TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    program TEXT NOT NULL,
    inputs TEXT NOT NULL,                  -- JSON list of argument-list texts
    outputs TEXT NOT NULL,                 -- JSON list of repr texts
    message TEXT NOT NULL,
    extra TEXT NOT NULL,                   -- JSON object of strings
    source TEXT NOT NULL,
    step INTEGER NOT NULL,
    created_s REAL NOT NULL,
    times_served INTEGER NOT NULL DEFAULT 0,
    solve_attempts INTEGER NOT NULL DEFAULT 0,
    solve_successes INTEGER NOT NULL DEFAULT 0,
    learnability_last REAL,
    learnability_sum REAL NOT NULL DEFAULT 0,
    learnability_count INTEGER NOT NULL DEFAULT 0,
    UNIQUE (kind, fingerprint)
);
CREATE INDEX tasks_by_kind ON tasks (kind, id);
-- eviction order of the least_useful policy (must match azr_verl.buffer.eviction.USEFULNESS_SQL)
CREATE INDEX tasks_by_usefulness ON tasks (
    kind,
    (4.0 * ((solve_successes + 1.0) / (solve_attempts + 2.0)) * (1.0 - ((solve_successes + 1.0) / (solve_attempts + 2.0)))),
    id
);
CREATE TABLE step_counts (
    step INTEGER NOT NULL,
    kind TEXT NOT NULL,
    added INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0,
    evicted INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (step, kind)
) WITHOUT ROWID;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
"""


class BufferFileError(RuntimeError):
    """A buffer file that is missing, foreign, corrupted or of an unknown schema version."""

    def __init__(self, path: str | os.PathLike[str], problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"buffer file {self.path}: {problem}")

    def __reduce__(self) -> tuple[type[BufferFileError], tuple[Path, str]]:
        # Crosses process boundaries intact (Ray re-raises an actor's errors in the caller).
        return (type(self), (self.path, self.problem))


def fsync_dir(directory: Path) -> None:
    """Make a rename inside `directory` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _create(path: Path) -> None:
    tmp = path.with_name(f".{path.name}.creating-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    conn = sqlite3.connect(tmp, isolation_level=None)
    try:
        conn.executescript(_SCHEMA)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.executemany(
            "INSERT INTO meta (key, value) VALUES (?, ?)",
            [("created_s", repr(time.time())), ("created_by", f"azr-verl {__version__}")],
        )
        conn.execute("PRAGMA journal_mode = WAL")
    finally:
        conn.close()
    with open(tmp, "rb+") as handle:
        os.fsync(handle.fileno())
    try:
        os.link(tmp, path)  # unlike a rename, never replaces a buffer another process just created
    except FileExistsError:
        logger.info("buffer file %s was created concurrently; using that one", path)
    except OSError:  # a filesystem without hard links
        os.replace(tmp, path)
    else:
        logger.info("created buffer file %s", path)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)


def integrity_problems(conn: sqlite3.Connection, *, full: bool = False) -> list[str]:
    """SQLite's quick_check (or the slower integrity_check); an empty list when the file is sound."""
    pragma = "integrity_check" if full else "quick_check"
    rows = [str(r[0]) for r in conn.execute(f"PRAGMA {pragma}").fetchall()]
    return [] if rows == ["ok"] else rows


def _validate(conn: sqlite3.Connection, path: Path, *, check: bool) -> None:
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        problems = integrity_problems(conn) if check else []
    except sqlite3.DatabaseError as exc:
        raise BufferFileError(
            path, f"not a readable SQLite database ({exc}); corrupted or foreign file"
        ) from exc
    if app_id != APPLICATION_ID:
        raise BufferFileError(
            path, f"not an azr-verl buffer (SQLite application_id {app_id:#x}, expected {APPLICATION_ID:#x})"
        )
    if version > SCHEMA_VERSION:
        raise BufferFileError(
            path,
            f"schema version {version} is newer than this azr-verl reads ({SCHEMA_VERSION}); upgrade azr-verl",
        )
    if version < SCHEMA_VERSION:
        raise BufferFileError(
            path, f"schema version {version} is older than {SCHEMA_VERSION} and has no migration"
        )
    if problems:
        raise BufferFileError(path, "corrupted (SQLite quick_check: " + "; ".join(problems[:5]) + ")")


def connect(
    path: str | os.PathLike[str],
    *,
    create: bool = False,
    readonly: bool = False,
    synchronous: SyncMode = SyncMode.FULL,
    check: bool = True,
    busy_timeout_s: float = 30.0,
) -> sqlite3.Connection:
    """Open a buffer file after checking that it is one.

    Args:
        path: the SQLite file.
        create: build a new, empty buffer when `path` does not exist (otherwise that is an error).
        readonly: open read-only (inspection; the file must exist).
        synchronous: durability of commits, see SyncMode.
        check: run quick_check on open.
        busy_timeout_s: wait this long for another connection's write lock.

    Returns:
        A connection in autocommit mode (transactions are explicit), WAL journal for writers.

    Raises:
        BufferFileError: the file is missing (and not to be created), foreign, corrupted or of
            another schema version.
    """
    path = Path(path).absolute()
    if not path.exists():
        if readonly or not create:
            raise BufferFileError(path, "does not exist (expected an azr-verl buffer here)")
        path.parent.mkdir(parents=True, exist_ok=True)
        _create(path)
    elif not path.is_file():
        raise BufferFileError(path, "is not a regular file")
    if readonly:
        conn = sqlite3.connect(
            f"file:{quote(str(path))}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
        )
    else:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        _validate(conn, path, check=check)
        if not readonly:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise BufferFileError(path, f"cannot switch to WAL journal mode (got {mode!r})")
            conn.execute(f"PRAGMA synchronous = {SyncMode(synchronous).value.upper()}")
            conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    except BaseException:
        conn.close()
        raise
    return conn
