"""The self-play task buffer: a SQLite store (WAL) per run, deterministic sampling, dedup by
fingerprint, seeding, eviction under a cap, snapshots for checkpoints, and a named Ray actor.

The Ray actor lives in `azr_verl.buffer.actor` and RemoteBuffer gives it TaskStore's methods; Ray is
imported only when they are used, so importing this package stays light.
"""

from azr_verl.buffer.config import BufferConfig, EvictionPolicy, SyncMode
from azr_verl.buffer.records import (
    AddResult,
    SampleMode,
    SampleRequest,
    SolveOutcome,
    StoredTask,
    TaskStats,
    induction_program_request,
    reference_request,
    solver_request,
)
from azr_verl.buffer.remote import RemoteBuffer
from azr_verl.buffer.schema import BufferFileError
from azr_verl.buffer.seeds import read_seed_file, zero_tasks
from azr_verl.buffer.snapshot import (
    CHECKPOINT_FILE_NAME,
    SnapshotInfo,
    checkpoint_snapshot_path,
    restore_file,
    snapshot_file,
)
from azr_verl.buffer.store import SeedReport, TaskStore

__all__ = [
    "CHECKPOINT_FILE_NAME",
    "AddResult",
    "BufferConfig",
    "BufferFileError",
    "EvictionPolicy",
    "RemoteBuffer",
    "SampleMode",
    "SampleRequest",
    "SeedReport",
    "SnapshotInfo",
    "SolveOutcome",
    "StoredTask",
    "SyncMode",
    "TaskStats",
    "TaskStore",
    "checkpoint_snapshot_path",
    "induction_program_request",
    "read_seed_file",
    "reference_request",
    "restore_file",
    "snapshot_file",
    "solver_request",
    "zero_tasks",
]
