"""Snapshots beside checkpoints, and resuming restores exactly the snapshot's buffer."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from azr_verl.buffer import (
    BufferFileError,
    SolveOutcome,
    TaskStore,
    restore_file,
    snapshot_file,
    solver_request,
)
from azr_verl.tasks import TaskKind


def _dump(path: Path) -> list[tuple]:
    """Every row of every table, for exact comparison."""
    conn = sqlite3.connect(path)
    try:
        tables = [
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        ]
        return [(t, *row) for t in tables for row in conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2")]
    finally:
        conn.close()


@pytest.fixture
def trained(make_task, tmp_path: Path) -> TaskStore:
    store = TaskStore(tmp_path / "run" / "buffer.sqlite")
    store.seed_zero()
    ids = [
        r.id for r in store.add([make_task("code_o", i) for i in range(10)], step=1, learnability=[0.5] * 10)
    ]
    store.record_served(ids[:4])
    store.record_outcomes([SolveOutcome(ids[0], 3, 1)])
    yield store
    store.close()


def test_restore_brings_back_the_snapshot_exactly_after_more_training(
    make_task, trained: TaskStore, tmp_path: Path
) -> None:
    snap = trained.snapshot(tmp_path / "ckpt" / "global_step_1" / "buffer.sqlite")
    expected = _dump(snap.path)
    sample_before = [
        t.id
        for s in trained.sample([solver_request("code_o", i) for i in range(8)], seed=1, step=2)
        for t in s
    ]
    trained.add([make_task("code_o", 100 + i) for i in range(5)], step=2)
    trained.record_outcomes([SolveOutcome(1, 9, 9)])
    assert _dump(trained.path) != expected
    assert trained.restore(snap.path) == snap.tasks == 13
    assert _dump(trained.path) == expected
    sample_after = [
        t.id
        for s in trained.sample([solver_request("code_o", i) for i in range(8)], seed=1, step=2)
        for t in s
    ]
    assert sample_after == sample_before  # the index follows the restored contents
    new_id = trained.add([make_task("code_o", 999)], step=2)[0].id
    assert new_id > 13  # AUTOINCREMENT state restored too: ids are never reused


def test_restore_file_before_the_store_opens(trained: TaskStore, tmp_path: Path) -> None:
    snap = trained.snapshot(tmp_path / "snap.sqlite")
    expected = _dump(snap.path)
    assert restore_file(snap.path, tmp_path / "resumed" / "buffer.sqlite") == 13
    assert _dump(tmp_path / "resumed" / "buffer.sqlite") == expected
    with TaskStore(tmp_path / "resumed" / "buffer.sqlite", create=False) as store:
        assert store.count(TaskKind.DEDUCTION) == 11


def test_snapshot_file_is_self_contained_and_replaced_atomically(trained: TaskStore, tmp_path: Path) -> None:
    dst = tmp_path / "snap.sqlite"
    dst.write_text("old snapshot")
    info = snapshot_file(trained.path, dst)
    assert info.tasks == 13 and info.size_bytes == dst.stat().st_size
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith((".snap", "snap"))) == [
        "snap.sqlite"
    ]
    with TaskStore(dst, create=False) as reopened:
        assert reopened.count() == 13


def _foreign(path: Path) -> None:
    sqlite3.connect(path).execute("CREATE TABLE x (y)").connection.commit()


def _truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:100])


@pytest.mark.parametrize(("damage", "message"), [(None, "does not exist"), (_foreign, "not an azr-verl"),
                                                 (_truncated, "not a readable|corrupted")])  # fmt: skip
def test_restoring_a_bad_snapshot_fails_naming_it_and_changes_nothing(
    trained: TaskStore, tmp_path: Path, damage, message: str
) -> None:
    snap = tmp_path / "snap.sqlite"
    if damage is _truncated:
        trained.snapshot(snap)
    if damage is not None:
        damage(snap)
    before = _dump(trained.path)
    with pytest.raises(BufferFileError, match=message) as info:
        trained.restore(snap)
    assert str(snap) in str(info.value)
    assert _dump(trained.path) == before and trained.count() == 13
