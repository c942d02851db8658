"""Property: whatever mix of adds, duplicates and evictions happens, the in-memory index matches the
table, so sampling only hands out stored tasks and counts are exact."""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from azr_verl.buffer import BufferConfig, EvictionPolicy, SampleMode, SampleRequest, SolveOutcome, TaskStore
from azr_verl.tasks import Source, Task, TaskKind

KINDS = [TaskKind.DEDUCTION, TaskKind.ABDUCTION]
operation = st.tuples(
    st.sampled_from(KINDS),
    st.lists(st.integers(0, 40), min_size=1, max_size=6),  # program numbers: repeats are duplicates
    st.sampled_from(list(Source)),
    st.integers(0, 6),  # step
    st.integers(0, 3),  # solve successes recorded for the first task (of 3 attempts)
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(operation, min_size=1, max_size=12), cap=st.integers(0, 8),
       policy=st.sampled_from(list(EvictionPolicy)))  # fmt: skip
def test_index_matches_the_table_after_any_operations(ops: list, cap: int, policy: EvictionPolicy) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = BufferConfig(max_tasks_per_kind=cap, eviction=policy, check_on_open=False)
        with TaskStore(Path(tmp) / "b.sqlite", config) as store:
            for kind, numbers, source, step, successes in ops:
                tasks = [Task(kind, f"def f(x):\n    return x * {n}", ("2",), (str(2 * n),)) for n in numbers]
                results = store.add(tasks, source=source, step=step)
                store.record_outcomes([SolveOutcome(results[0].id, 3, successes)])
            table = dict(
                sqlite3.connect(store.path)
                .execute("SELECT kind, COUNT(*) FROM tasks GROUP BY kind")
                .fetchall()
            )
            for kind in KINDS:
                assert store.count(kind) == table.get(kind.value, 0)
                unprotected = sum(1 for s in _all(store, kind) if s.source is Source.PROPOSED)
                if cap:
                    assert unprotected <= cap
                for mode in SampleMode:
                    (picked,) = store.sample([SampleRequest((kind,), 5, mode)], seed=1, step=7)
                    assert len(picked) == min(5, table.get(kind.value, 0)) == len({t.id for t in picked})


def _all(store: TaskStore, kind: TaskKind):
    return store.sample([SampleRequest((kind,), 10_000)], seed=0, step=0)[0]
