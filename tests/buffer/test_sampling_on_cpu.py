"""Sampling: deterministic for a seed, the documented modes, and never more than the buffer holds."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from azr_verl.buffer import (
    BufferConfig,
    SampleMode,
    SampleRequest,
    TaskStore,
    induction_program_request,
    reference_request,
    solver_request,
)
from azr_verl.tasks import Source, TaskKind


def _batch() -> list[SampleRequest]:
    requests = [
        reference_request(kind, 6, slot) for slot, kind in enumerate(["code_o", "code_i", "code_f"] * 4)
    ]
    requests += [
        solver_request(kind, 100 + slot) for slot, kind in enumerate(["code_o", "code_i", "code_f"] * 4)
    ]
    return requests + [induction_program_request(200 + slot) for slot in range(4)]


@pytest.fixture
def filled(make_task, tmp_path: Path) -> TaskStore:
    store = TaskStore(tmp_path / "b.sqlite")
    store.seed_zero()
    for step in range(1, 6):
        store.add(
            [make_task(kind, step * 100 + i) for kind in ("code_o", "code_i", "code_f") for i in range(20)],
            step=step,
        )
    yield store
    store.close()


def _ids(result) -> list[list[int]]:
    return [[t.id for t in slot] for slot in result]


def test_same_seed_and_step_give_the_same_tasks(filled: TaskStore) -> None:
    assert _ids(filled.sample(_batch(), seed=7, step=6)) == _ids(filled.sample(_batch(), seed=7, step=6))


@pytest.mark.parametrize(("seed", "step"), [(8, 6), (7, 7)])
def test_another_seed_or_step_gives_other_tasks(filled: TaskStore, seed: int, step: int) -> None:
    assert _ids(filled.sample(_batch(), seed=7, step=6)) != _ids(
        filled.sample(_batch(), seed=seed, step=step)
    )


def test_a_slot_draw_does_not_depend_on_the_other_requests(filled: TaskStore) -> None:
    alone = filled.sample([reference_request("code_i", 6, slot=5)], seed=1, step=6)
    among = filled.sample(
        [reference_request("code_o", 6, slot=4), reference_request("code_i", 6, slot=5)], seed=1, step=6
    )
    assert _ids(alone)[0] == _ids(among)[1]


def test_sampling_is_the_same_in_a_reopened_store(filled: TaskStore) -> None:
    before = _ids(filled.sample(_batch(), seed=3, step=6))
    with TaskStore(filled.path) as reopened:
        assert _ids(reopened.sample(_batch(), seed=3, step=6)) == before


def test_reference_requests_get_distinct_tasks_of_their_type(filled: TaskStore) -> None:
    for request, tasks in zip(_batch()[:12], filled.sample(_batch()[:12], seed=0, step=6), strict=True):
        assert len(tasks) == 6 and len({t.id for t in tasks}) == 6
        assert {t.kind for t in tasks} == set(request.kinds)


def test_induction_programs_come_from_deduction_and_abduction_tasks(filled: TaskStore) -> None:
    requests = [induction_program_request(slot) for slot in range(200)]
    kinds = Counter(tasks[0].kind for tasks in filled.sample(requests, seed=0, step=6))
    assert set(kinds) == {TaskKind.DEDUCTION, TaskKind.ABDUCTION}


def test_solver_requests_take_the_last_steps_proposals_newest_first_then_others(filled: TaskStore) -> None:
    requests = [solver_request("code_o", slot) for slot in range(30)]
    tasks = [slot[0] for slot in filled.sample(requests, seed=0, step=6)]
    fresh = tasks[:20]
    assert [t.id for t in fresh] == sorted((t.id for t in fresh), reverse=True)
    assert {t.step for t in fresh} == {5} and all(t.source is Source.PROPOSED for t in fresh)
    assert all(t.step < 5 for t in tasks[20:])  # once the fresh tasks are used, the rest


def test_seed_tasks_are_never_fresh(make_task, tmp_path: Path) -> None:
    with TaskStore(tmp_path / "b.sqlite") as store:
        seeds = [make_task("code_o", i) for i in range(50)]
        store.add(seeds, source=Source.SEED, step=0)
        picks = [
            s[0].id for s in store.sample([solver_request("code_o", i) for i in range(10)], seed=0, step=1)
        ]
        assert picks != sorted(picks, reverse=True)  # uniform, not the last 10 seeds in file order


def test_recent_mode_prefers_recent_steps(make_task, tmp_path: Path) -> None:
    with TaskStore(tmp_path / "b.sqlite", BufferConfig(recency_half_life_steps=2.0)) as store:
        for step in range(0, 20, 2):
            store.add([make_task("code_o", step * 100 + i) for i in range(30)], step=step)
        recent = [t.step for s in store.sample([reference_request("code_o", 4, i, recent=True) for i in range(100)],
                                               seed=0, step=20) for t in s]  # fmt: skip
        uniform = [t.step for s in store.sample([reference_request("code_o", 4, i) for i in range(100)], seed=0, step=20)
                   for t in s]  # fmt: skip
        assert sum(recent) / len(recent) > sum(uniform) / len(uniform) + 4


@pytest.mark.parametrize("mode", list(SampleMode))
def test_asking_for_more_than_stored_returns_what_exists(make_task, tmp_path: Path, mode: SampleMode) -> None:
    with TaskStore(tmp_path / "b.sqlite") as store:
        store.add([make_task("code_f", i) for i in range(3)], step=1)
        (tasks, empty) = store.sample(
            [SampleRequest((TaskKind.INDUCTION,), 10, mode, 0), SampleRequest((TaskKind.ERROR,), 2, mode, 1)],
            seed=0,
            step=2,
        )
        assert len(tasks) == 3 and len({t.id for t in tasks}) == 3 and empty == ()


@pytest.mark.parametrize(("kinds", "count"), [((), 1), (("code_o",), -1), (("code_x",), 1)])
def test_malformed_requests_are_rejected(kinds: tuple, count: int) -> None:
    with pytest.raises(ValueError):
        SampleRequest(kinds, count)
