"""The buffer as a named Ray actor: reached by name from other Ray processes, sync and async.

One Ray session serves every check (Ray takes seconds to start on 2 cores). It runs in a child
process under a hard wall-clock limit with its own short temp dir (unix socket paths are limited),
and the whole process group is killed by id if it hangs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

CHECK = Path(__file__).with_name("ray_actor_check.py")
TIMEOUT_S = 240


@pytest.fixture(scope="module")
def ray_result(tmp_path_factory: pytest.TempPathFactory, run_ray_check) -> dict:
    work = tmp_path_factory.mktemp("actor")
    return run_ray_check(CHECK, [str(work)], TIMEOUT_S, "Ray actor check")


def test_new_run_buffer_starts_with_the_zero_triplet(ray_result: dict) -> None:
    assert ray_result["initial_counts"] == {"code_o": 1, "code_i": 1, "code_f": 1, "code_e": 0}


def test_other_ray_processes_and_async_code_reach_the_actor_by_name(ray_result: dict) -> None:
    assert len(set(ray_result["worker_ids"])) == 3 and len(ray_result["async_ids"]) == 1
    assert min(ray_result["async_ids"]) > max(ray_result["worker_ids"])


def test_metrics_report_sizes_and_the_steps_additions(ray_result: dict) -> None:
    metrics = ray_result["metrics"]
    assert metrics["azr/buffer/code_o/added"] == 3.0 and metrics["azr/buffer/code_o/size"] == 5.0
    assert metrics["azr/buffer/code_e/size"] == 0.0


def test_get_or_create_returns_the_existing_actor_of_the_run(ray_result: dict) -> None:
    assert ray_result["same_actor"] is True
    assert (
        "already serves" in ray_result["other_path_error"]
        and "other.sqlite" in ray_result["other_path_error"]
    )


def test_unknown_run_gives_a_clear_lookup_error(ray_result: dict) -> None:
    assert "azr_buffer:nope" in ray_result["missing_error"]


def test_actor_sampling_is_deterministic_and_stats_are_recorded(ray_result: dict) -> None:
    assert ray_result["sample_repeat_same"] is True and len(ray_result["sample_ids"][0]) == 3
    assert ray_result["sample_ids"][1] == ray_result["async_ids"]  # the last step's proposal comes first
    assert ray_result["stats"] == 0.25


def test_actor_snapshot_restore_and_resume_keep_exact_counts(ray_result: dict) -> None:
    assert ray_result["restored"] == ray_result["count_after_restore"] == ray_result["resumed_count"] == 7


@pytest.mark.parametrize(
    ("key", "name"), [("must_exist_error", "missing.sqlite"), ("foreign_error", "foreign.sqlite")]
)
def test_resume_on_a_missing_or_foreign_file_fails_naming_it(ray_result: dict, key: str, name: str) -> None:
    assert "buffer file" in ray_result[key] and name in ray_result[key]
