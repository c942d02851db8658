"""The reward functions: veRL's signature, the ground-truth formats, and loading through veRL."""

from __future__ import annotations

import asyncio
import doctest
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from omegaconf import OmegaConf

from reward_fns import input_prediction, output_prediction, program_synthesis
from reward_fns.scoring import RESULT_KEYS

_PROGRAM = "def f(s, n):\n    return s[::-1] * n"
_IO_TRUTH = json.dumps({"program": _PROGRAM, "input": "'ab', 2", "output": "'baba'"})
_PAIRS_TRUTH = json.dumps({"inputs": ["1", "2", "3"], "outputs": ["1", "4", "9"], "message": "square"})
_MODULES = [output_prediction, input_prediction, program_synthesis]
_SCORES = {-1.0, -0.5, 1.0}


def _reply(tag: str, body: str) -> str:
    return f"<think>\nworking\n</think>\n<answer>\n```{tag}\n{body}\n```\n</answer>"


@pytest.mark.parametrize(
    ("module", "truth", "reply", "score"),
    [
        (output_prediction, _IO_TRUTH, _reply("output", "'baba'"), 1.0),
        (output_prediction, _IO_TRUTH, _reply("output", '"baba"'), 1.0),
        (output_prediction, _IO_TRUTH, _reply("output", "'abab'"), -0.5),
        (output_prediction, _IO_TRUTH, "baba", -1.0),
        (input_prediction, _IO_TRUTH, _reply("input", "'ab', 2"), 1.0),
        (input_prediction, _IO_TRUTH, _reply("input", "'xab'[1:], 2"), 1.0),
        (input_prediction, _IO_TRUTH, _reply("input", "'abab', 1"), 1.0),  # another right input
        (input_prediction, _IO_TRUTH, _reply("input", "'ba', 2"), -0.5),
        (input_prediction, json.loads(_IO_TRUTH), _reply("input", "'ab', 2"), 1.0),  # a mapping works too
        (program_synthesis, _PAIRS_TRUTH, _reply("python", "def f(x):\n    return x * x"), 1.0),
        (program_synthesis, _PAIRS_TRUTH, _reply("python", "def f(x):\n    return x + x"), -0.5),
        (program_synthesis, _PAIRS_TRUTH, _reply("output", "9"), -1.0),
    ],
)
def test_compute_score_rewards_by_verdict(module, truth, reply: str, score: float) -> None:
    result = module.compute_score("some_source", reply, truth, extra_info={"index": 0})
    assert tuple(result) == RESULT_KEYS
    assert result["score"] == score
    assert result["acc"] == (1.0 if score == 1.0 else 0.0)
    assert result["format_ok"] == (0.0 if score == -1.0 else 1.0)


def test_reward_kwargs_set_the_values_and_other_kwargs_are_ignored() -> None:
    kwargs = {
        "correct_reward": 2.0,
        "wrong_reward": 0.0,
        "format_error_reward": -3.0,
        "reward_router_address": None,
    }
    wrong = output_prediction.compute_score("s", _reply("output", "'x'"), _IO_TRUTH, None, **kwargs)
    bad = output_prediction.compute_score("s", "no answer", _IO_TRUTH, None, **kwargs)
    right = output_prediction.compute_score("s", _reply("output", "'baba'"), _IO_TRUTH, None, **kwargs)
    assert (right["score"], wrong["score"], bad["score"]) == (2.0, 0.0, -3.0)


def test_inconsistent_reward_kwargs_fail_loudly_naming_the_field() -> None:
    with pytest.raises(ValueError, match=r"RewardConfig\.correct"):
        output_prediction.compute_score("s", "x", _IO_TRUTH, None, correct_reward=-1.0)


@pytest.mark.parametrize(
    ("module", "truth", "message"),
    [
        (output_prediction, "not json", "not valid JSON"),
        (output_prediction, "[1, 2]", "JSON object"),
        (output_prediction, json.dumps({"program": "def f(a): return a", "input": "1"}), "'output'"),
        (program_synthesis, json.dumps({"inputs": [], "outputs": []}), "'inputs'"),
    ],
)
def test_bad_ground_truth_is_a_loud_dataset_error(module, truth: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        module.compute_score("s", _reply("output", "1"), truth)


@pytest.mark.parametrize("module", _MODULES)
def test_async_twin_gives_the_same_result(module) -> None:
    truth = _PAIRS_TRUTH if module is program_synthesis else _IO_TRUTH
    reply = (
        _reply("python", "def f(x):\n    return x * x")
        if module is program_synthesis
        else _reply(
            "input" if module is input_prediction else "output",
            "'ab', 2" if module is input_prediction else "'baba'",
        )
    )
    expected = module.compute_score("s", reply, truth)
    assert asyncio.run(module.compute_score_async("s", reply, truth)) == expected
    assert expected["score"] == 1.0


@pytest.mark.parametrize("module", _MODULES)
def test_doctest_examples_hold(module) -> None:
    failures, tried = doctest.testmod(module, verbose=False)
    assert tried > 0 and failures == 0


@pytest.mark.parametrize("module", ["output_prediction", "input_prediction", "program_synthesis"])
@pytest.mark.parametrize("name", ["compute_score", "compute_score_async"])
def test_verl_loads_the_function_from_a_pkg_path(module: str, name: str) -> None:
    from verl.trainer.ppo.reward import get_custom_reward_fn

    config = OmegaConf.create(
        {
            "reward": {
                "custom_reward_function": {
                    "path": f"pkg://reward_fns.{module}",
                    "name": name,
                    "reward_kwargs": {"wrong_reward": -0.25},
                }
            }
        }
    )
    function = get_custom_reward_fn(config)
    truth = _PAIRS_TRUTH if module == "program_synthesis" else _IO_TRUTH
    result = function(
        data_source="d",
        solution_str=_reply("python", "def f(x):\n    return -x"),
        ground_truth=truth,
        extra_info={},
    )
    if asyncio.iscoroutine(result):
        result = asyncio.run(result)
    expected = -0.25 if module == "program_synthesis" else -1.0  # no ```output/```input block: format error
    assert result["score"] == expected


_near_miss = st.lists(
    st.sampled_from(
        [
            "<think>",
            "</think>",
            "<answer>",
            "</answer>",
            "```",
            "```output",
            "```input",
            "```python",
            "\n",
            "'baba'",
            "'ab', 2",
            "def f(x):",
            "    return x * x",
            "[",
            "(",
            "__import__('os')",
            "1e999",
        ]
    ),
    max_size=20,
).map("".join)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=200), _near_miss), st.sampled_from(range(len(_MODULES))))
def test_any_response_gets_a_score_from_the_defined_set(reply: str, which: int) -> None:
    module = _MODULES[which]
    truth = _PAIRS_TRUTH if module is program_synthesis else _IO_TRUTH
    result = module.compute_score("s", reply, truth)
    assert result["score"] in _SCORES and tuple(result) == RESULT_KEYS


@pytest.mark.parametrize(
    ("data_source", "reply", "score"),
    [
        ("cruxeval_o", _reply("output", "'baba'"), 1.0),
        ("cruxeval_i", _reply("input", "'ab', 2"), 1.0),
        ("cruxeval_o", _reply("input", "'ab', 2"), -1.0),  # an input where an output is due
    ],
)
def test_cruxeval_dispatches_on_data_source(data_source: str, reply: str, score: float) -> None:
    from reward_fns import cruxeval

    assert cruxeval.compute_score(data_source, reply, _IO_TRUTH)["score"] == score
    assert asyncio.run(cruxeval.compute_score_async(data_source, reply, _IO_TRUTH))["score"] == score


def test_cruxeval_refuses_an_unknown_data_source_by_name() -> None:
    from reward_fns import cruxeval

    with pytest.raises(ValueError, match=r"'gsm8k'"):
        cruxeval.compute_score("gsm8k", "x", _IO_TRUTH)


def test_the_readme_overrides_compose_with_verls_own_config() -> None:
    from verl.trainer.ppo.reward import get_custom_reward_fn

    from azr_verl.hydra_config import compose_verl

    overrides = [
        "reward.custom_reward_function.path=pkg://reward_fns.output_prediction",
        "reward.custom_reward_function.name=compute_score",
        "+reward.custom_reward_function.reward_kwargs.wrong_reward=0.0",
    ]
    config = compose_verl(overrides)
    function = get_custom_reward_fn(config)
    result = function(
        data_source="d", solution_str=_reply("output", "'abab'"), ground_truth=_IO_TRUTH, extra_info={}
    )
    assert (result["score"], result["verdict"]) == (0.0, "wrong")
