"""BufferConfig: every bad value is refused at start-up with the full key in the message."""

from __future__ import annotations

import pytest

from azr_verl.buffer import BufferConfig, EvictionPolicy, SyncMode
from azr_verl.tasks import Source


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"max_tasks_per_kind": -1}, "azr.buffer.max_tasks_per_kind"),
        ({"max_tasks_per_kind": 2.5}, "azr.buffer.max_tasks_per_kind"),
        ({"max_tasks_per_kind": True}, "azr.buffer.max_tasks_per_kind"),
        ({"eviction": "random"}, "azr.buffer.eviction"),
        ({"synchronous": "off"}, "azr.buffer.synchronous"),
        ({"protected_sources": ["zero", "model"]}, "azr.buffer.protected_sources"),
        ({"protected_sources": "zero"}, "azr.buffer.protected_sources"),
        ({"recency_half_life_steps": 0}, "azr.buffer.recency_half_life_steps"),
        ({"solver_fresh_steps": -2}, "azr.buffer.solver_fresh_steps"),
        ({"file_name": "../x.sqlite"}, "azr.buffer.file_name"),
        ({"busy_timeout_s": -1}, "azr.buffer.busy_timeout_s"),
        ({"max_task": 10}, "azr.buffer.max_task"),
    ],
)
def test_bad_value_names_the_key(values: dict, key: str) -> None:
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        BufferConfig.from_mapping(values)


def test_mapping_round_trip_keeps_every_setting() -> None:
    config = BufferConfig(max_tasks_per_kind=10, eviction="least_useful", synchronous="normal",
                          protected_sources=("zero",), solver_fresh_steps=3)  # fmt: skip
    again = BufferConfig.from_mapping(config.to_mapping())
    assert again == config
    assert (again.eviction, again.synchronous, again.protected_sources) == (
        EvictionPolicy.LEAST_USEFUL, SyncMode.NORMAL, (Source.ZERO,))  # fmt: skip


def test_empty_mapping_gives_the_defaults() -> None:
    assert BufferConfig.from_mapping(None) == BufferConfig() == BufferConfig.from_mapping({})
