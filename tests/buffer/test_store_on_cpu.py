"""TaskStore: commit before return, dedup by fingerprint, statistics, eviction, file identity checks."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from azr_verl.buffer import (
    BufferConfig,
    BufferFileError,
    EvictionPolicy,
    SampleRequest,
    SolveOutcome,
    TaskStore,
)
from azr_verl.tasks import Source, Task, TaskKind, task_fingerprint


def test_add_is_visible_to_another_connection_when_add_returns(make_task, store: TaskStore) -> None:
    results = store.add([make_task("code_o", i) for i in range(5)], step=3)
    other = sqlite3.connect(store.path)  # a second connection sees only committed data
    rows = other.execute(
        "SELECT id, kind, step, source FROM tasks WHERE source = 'proposed' ORDER BY id"
    ).fetchall()
    other.close()
    assert [r[0] for r in rows] == [r.id for r in results]
    assert {(r[1], r[2], r[3]) for r in rows} == {("code_o", 3, "proposed")}


def test_stored_task_round_trips_every_field(store: TaskStore) -> None:
    task = Task(TaskKind.INDUCTION, "import re\ndef f(s):\n    return re.sub('a', 'b', s)",
                ("'aa'", "'xa'"), ("'bb'", "'xb'"), "replace a", {"origin": "test"})  # fmt: skip
    (result,) = store.add([task], source=Source.SEED, step=7, learnability=[0.25])
    (stored,) = store.get([result.id])
    assert stored.task == task and stored.task.extra == {"origin": "test"}
    assert (stored.source, stored.step, stored.fingerprint) == (Source.SEED, 7, task_fingerprint(task))
    assert stored.stats.learnability_last == 0.25 and stored.stats.learnability_mean == 0.25


def test_duplicate_fingerprint_returns_existing_id_and_stores_once(store: TaskStore) -> None:
    original = Task(TaskKind.DEDUCTION, "def f(a):\n    return a * 2", ("3",), ("6",))
    reformatted = Task(
        TaskKind.DEDUCTION, 'def f(a):\n    "doubles"\n    return a*2  # same AST', ("3",), ("6",)
    )
    first = store.add([original])
    second = store.add([reformatted, original])
    assert first[0].inserted and not any(r.inserted for r in second)
    assert {r.id for r in second} == {first[0].id}
    assert store.count(TaskKind.DEDUCTION) == 1


def test_same_program_in_two_task_types_is_two_tasks(make_task, store: TaskStore) -> None:
    results = store.add([make_task("code_o", 1), make_task("code_i", 1)])
    assert all(r.inserted for r in results) and results[0].id != results[1].id


def test_duplicate_within_one_batch_is_stored_once(make_task, store: TaskStore) -> None:
    results = store.add([make_task("code_i", 1), make_task("code_i", 1)])
    assert [r.inserted for r in results] == [True, False] and results[0].id == results[1].id


def test_caller_fingerprints_are_used_for_dedup(make_task, store: TaskStore) -> None:
    a, b = make_task("code_o", 1), make_task("code_o", 2)
    results = store.add([a, b], fingerprints=["same", "same"])
    assert [r.inserted for r in results] == [True, False]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"fingerprints": ["x"]}, "fingerprints"), ({"learnability": [0.1, 0.2, 0.3]}, "learnability")],
)
def test_add_with_mismatched_lengths_raises_and_stores_nothing(
    make_task, store: TaskStore, kwargs: dict, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        store.add([make_task("code_o", 1), make_task("code_o", 2)], **kwargs)
    assert store.count() == 0


def test_served_and_outcomes_accumulate_and_missing_ids_are_ignored(make_task, store: TaskStore) -> None:
    ids = [r.id for r in store.add([make_task("code_o", i) for i in range(2)])]
    assert store.record_served([ids[0], ids[0], ids[1], 10_000]) == 2
    store.record_outcomes(
        [SolveOutcome(ids[0], 8, 2, 0.75), SolveOutcome(ids[0], 2, 2), SolveOutcome(10_000, 1, 1)]
    )
    store.record_outcomes([SolveOutcome(ids[0], learnability=0.25)])
    first, second = store.get(ids)
    assert (first.stats.times_served, second.stats.times_served) == (2, 1)
    assert (first.stats.solve_attempts, first.stats.solve_successes, first.stats.solve_rate) == (10, 4, 0.4)
    assert first.stats.learnability_last == 0.25 and first.stats.learnability_mean == pytest.approx(0.5)
    assert second.stats.solve_rate is None and second.stats.learnability_mean is None


@pytest.mark.parametrize(("attempts", "successes"), [(-1, 0), (2, 3), (1, -1)])
def test_solve_outcome_rejects_impossible_counts(attempts: int, successes: int) -> None:
    with pytest.raises(ValueError):
        SolveOutcome(1, attempts, successes)


def test_oldest_eviction_keeps_the_cap_and_never_refuses_new_tasks(make_task, tmp_path: Path) -> None:
    config = BufferConfig(max_tasks_per_kind=5, eviction=EvictionPolicy.OLDEST)
    with TaskStore(tmp_path / "b.sqlite", config) as store:
        store.seed_zero()
        ids = [store.add([make_task("code_o", i)], step=i)[0].id for i in range(12)]
        kept = {s.id for s in store.sample([_all("code_o")], seed=0, step=20)[0]}
        assert store.count(TaskKind.DEDUCTION) == 5
        assert kept == {1, *ids[-4:]}  # zero triplet (id 1) is protected; the newest four remain
        assert store.count(TaskKind.ABDUCTION) == 1  # other task types are untouched


def test_least_useful_eviction_removes_mastered_tasks_before_unknown_ones(make_task, tmp_path: Path) -> None:
    config = BufferConfig(max_tasks_per_kind=3, eviction=EvictionPolicy.LEAST_USEFUL)
    with TaskStore(tmp_path / "b.sqlite", config) as store:
        ids = [r.id for r in store.add([make_task("code_i", i) for i in range(3)])]
        store.record_outcomes([SolveOutcome(ids[1], 20, 20), SolveOutcome(ids[2], 4, 2)])
        new = store.add([make_task("code_i", 99)])[0].id
        remaining = {s.id for s in store.get([*ids, new])}
        assert remaining == {ids[0], ids[2], new}  # the always-solved task left first


def test_protected_tasks_above_the_cap_are_kept(
    make_task, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = BufferConfig(max_tasks_per_kind=2)
    with TaskStore(tmp_path / "b.sqlite", config) as store:
        store.add([make_task("code_o", i) for i in range(4)], source=Source.SEED)
        store.add([make_task("code_o", 50)])
        assert store.count(TaskKind.DEDUCTION) == 4  # only the unprotected newcomer could go, and did
        assert "exceed max_tasks_per_kind" in caplog.text


def test_step_counts_record_growth_duplicates_and_evictions(make_task, tmp_path: Path) -> None:
    with TaskStore(tmp_path / "b.sqlite", BufferConfig(max_tasks_per_kind=2)) as store:
        store.add([make_task("code_o", i) for i in range(3)], step=1)
        store.add([make_task("code_o", 2)], step=2)
        rows = sqlite3.connect(store.path).execute(
            "SELECT step, kind, added, duplicates, evicted FROM step_counts"
        )
        assert sorted(rows) == [(1, "code_o", 3, 0, 1), (2, "code_o", 0, 1, 0)]


def test_writes_of_another_connection_reach_the_sampling_index(
    make_task, store: TaskStore, tmp_path: Path
) -> None:
    store.add([make_task("code_o", 1)])
    with TaskStore(store.path) as other:
        other.add([make_task("code_o", 2)])
    assert store.count(TaskKind.DEDUCTION) == 2
    assert len(store.sample([_all("code_o")], seed=0, step=0)[0]) == 2


def _all(kind: str) -> SampleRequest:
    return SampleRequest((TaskKind(kind),), 1000)


# -- refusing files that are not a sound buffer --------------------------------------------------


def _foreign_sqlite(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE other (x)")
    conn.commit()
    conn.close()


def _garbage(path: Path) -> None:
    path.write_bytes(b"this is not a database" * 100)


def _newer_schema(path: Path) -> None:
    TaskStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()


def _corrupted_pages(path: Path) -> None:
    with TaskStore(path) as store:
        store.add(
            [Task(TaskKind.DEDUCTION, f"def f(x):\n    return x + {i}", ("1",), ("2",)) for i in range(300)]
        )
    data = bytearray(path.read_bytes())
    page = 4096
    data[3 * page : 6 * page] = b"\xff" * (3 * page)  # trash b-tree pages, keep the header
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (_foreign_sqlite, "not an azr-verl buffer"),
        (_garbage, "not a readable SQLite database"),
        (_newer_schema, "newer than this azr-verl"),
        (_corrupted_pages, "corrupted|not a readable"),
    ],
)
def test_foreign_or_damaged_file_is_refused_naming_the_file(tmp_path: Path, damage, message: str) -> None:
    path = tmp_path / "buffer.sqlite"
    damage(path)
    with pytest.raises(BufferFileError, match=message) as info:
        TaskStore(path)
    assert str(path) in str(info.value)


def test_missing_file_is_an_error_when_creation_is_not_allowed(tmp_path: Path) -> None:
    with pytest.raises(BufferFileError, match="does not exist") as info:
        TaskStore.in_run_dir(tmp_path, create=False)
    assert "buffer.sqlite" in str(info.value) and not (tmp_path / "buffer.sqlite").exists()


def test_reopening_keeps_tasks_and_continues_ids(make_task, tmp_path: Path) -> None:
    with TaskStore.in_run_dir(tmp_path) as store:
        first = store.add([make_task("code_f", 1)])[0].id
    with TaskStore.in_run_dir(tmp_path, create=False) as store:
        second = store.add([make_task("code_f", 2)])[0].id
        assert store.count() == 2 and second > first


def test_add_failing_midway_stores_nothing_and_the_store_stays_usable(make_task, store: TaskStore) -> None:
    bad = Task(TaskKind.DEDUCTION, "def f(x):\n    return x", ("1",), ("1",), extra={"k": object()})
    with pytest.raises(TypeError):
        store.add([make_task("code_o", 1), make_task("code_o", 2), bad])
    assert store.count() == 0 and sqlite3.connect(store.path).execute(
        "SELECT COUNT(*) FROM tasks"
    ).fetchone() == (0,)
    assert store.add([make_task("code_o", 1)])[0].inserted


def test_concurrent_creators_share_one_file(tmp_path: Path) -> None:
    path, stores, errors = tmp_path / "b.sqlite", [], []

    def open_store() -> None:
        try:
            stores.append(TaskStore(path))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(stores) == 4
    stores[0].add([Task(TaskKind.DEDUCTION, "def f(x):\n    return x", ("1",), ("1",))])
    assert [s.count() for s in stores] == [1, 1, 1, 1]  # all opened the same file, none a replaced one
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("b.sqlite-")) == ["b.sqlite"]
    for store in stores:
        store.close()
