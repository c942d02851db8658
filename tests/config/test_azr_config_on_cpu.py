"""The `azr:` block: paper defaults, and every config error named by its full key before anything runs."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf

from azr_verl.azr_config import AZRConfig
from azr_verl.tasks import PromptStyle


def test_defaults_are_the_papers():
    config = AZRConfig()
    assert config.task_types == ("code_o", "code_i", "code_f")
    assert config.num_solver_attempts == 8
    assert config.num_references == 6
    assert config.rewards.extreme_accuracy == 0.0
    assert config.slots == (
        "code_o:propose",
        "code_o:solve",
        "code_i:propose",
        "code_i:solve",
        "code_f:propose",
        "code_f:solve",
    )
    assert all(config.slot_weight(s) == 1.0 for s in config.slots)


def test_an_omegaconf_block_with_nested_sections_builds_typed_settings():
    block = OmegaConf.create(
        {
            "task_types": ["code_o", "code_e"],
            "num_solver_attempts": 4,
            "prompt_style": "base",
            "slot_weights": {"code_o": {"propose": 2.0}},
            "reference_sampling": "recent",
            "rewards": {"extreme_accuracy": -0.5},
            "limits": {"induction_num_inputs": 6},
            "executor": {"max_workers": 2, "limits": {"timeout_s": 1.5}},
            "buffer": {"max_tasks_per_kind": 100, "eviction": "least_useful"},
        }
    )
    config = AZRConfig.from_mapping(block)
    assert config.slots == ("code_o:propose", "code_o:solve", "code_e:propose", "code_e:solve")
    assert config.prompt_style is PromptStyle.BASE
    assert config.slot_weight("code_o:propose") == 2.0
    assert config.slot_weight("code_o:solve") == 1.0
    assert config.reference_sampling == "recent"
    assert config.rewards.extreme_accuracy == -0.5
    assert config.limits.induction_num_inputs == 6
    assert config.executor.max_workers == 2
    assert config.executor.limits.timeout_s == 1.5
    assert config.buffer.max_tasks_per_kind == 100


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ({"task_types": ["code_x"]}, r"azr\.task_types: unknown task type 'code_x'.*code_o"),
        ({"task_types": []}, r"azr\.task_types must be a non-empty list"),
        ({"task_types": ["code_o", "code_o"]}, r"azr\.task_types lists a task type twice"),
        ({"num_solver_attempts": 1}, r"azr\.num_solver_attempts must be an integer >= 2"),
        ({"num_references": -1}, r"azr\.num_references must be an integer >= 0"),
        (
            {"num_references": 8, "buffer": {"max_tasks_per_kind": 4}},
            r"azr\.num_references=8 exceeds azr\.buffer\.max_tasks_per_kind=4",
        ),
        ({"prompt_style": "instruct"}, r"azr\.prompt_style='instruct' is not one of"),
        (
            {"slot_weights": {"code_x": {"solve": 1}}},
            r"azr\.slot_weights\.code_x: not one of azr\.task_types",
        ),
        ({"slot_weights": {"code_o": {"solver": 1}}}, r"azr\.slot_weights\.code_o\.solver: roles are"),
        (
            {"slot_weights": {"code_o": {"solve": -1}}},
            r"azr\.slot_weights\.code_o\.solve must be a number >= 0",
        ),
        ({"slot_weights": {"code_o": 2}}, r"azr\.slot_weights\.code_o must map roles to weights"),
        (
            {"slot_weights": {k: {"propose": 0, "solve": 0} for k in ("code_o", "code_i", "code_f")}},
            r"azr\.slot_weights gives every slot weight 0",
        ),
        ({"reference_sampling": "newest"}, r"azr\.reference_sampling='newest' is not one of"),
        ({"n_attempts": 8}, r"unknown key\(s\) azr\.n_attempts"),
        ({"rewards": {"corect": 1}}, r"unknown key\(s\) azr\.rewards\.corect"),
        ({"rewards": {"correct": -2}}, r"azr\.rewards: RewardConfig\.correct"),
        ({"executor": {"limits": {"timeout": 1}}}, r"unknown key\(s\) azr\.executor\.limits\.timeout"),
        ({"executor": {"limits": {"timeout_s": 0}}}, r"azr\.executor\.limits: ExecLimits\.timeout_s"),
        ({"executor": {"max_workers": 0}}, r"azr\.executor\.max_workers must be an integer >= 1"),
        ({"buffer": {"eviction": "newest"}}, r"azr\.buffer\.eviction"),
    ],
)
def test_config_errors_name_the_key(block, message):
    with pytest.raises(ValueError, match=message):
        AZRConfig.from_mapping(block)
