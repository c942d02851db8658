"""Offline generation for eval and seed: prompts rendered as in training, n samples per prompt, seeded."""

from __future__ import annotations

import importlib.util

import pytest

from azr_verl.models.tiny import build_tiny_model
from azr_verl.tasks.prompts import R1_PREAMBLE, PromptStyle
from azr_verl.textgen import GenerationSettings, load_generator, render_prompt

MESSAGES = [{"role": "user", "content": "def f(x):\n    return x + 1\nWhat is f(1)?"}]


@pytest.fixture(scope="module")
def tiny_dir():
    return build_tiny_model()


@pytest.fixture(scope="module")
def generator(tiny_dir):
    return load_generator(tiny_dir, "hf", seed=3, batch_size=4)


def test_prompt_uses_the_chat_template_or_the_r1_base_template(generator):
    chat = render_prompt(generator.tokenizer, MESSAGES)
    base = render_prompt(generator.tokenizer, MESSAGES, PromptStyle.BASE)
    assert "<|im_start|>user" in chat and chat.rstrip().endswith("assistant")
    assert base.startswith(R1_PREAMBLE) and base.endswith("Assistant: <think>")
    assert MESSAGES[0]["content"] in chat and MESSAGES[0]["content"] in base


def test_n_completions_per_prompt_in_order_with_lengths_bounded(generator):
    prompts = [MESSAGES, [{"role": "user", "content": "hello"}], [{"role": "user", "content": "x = [1, 2]"}]]
    out = generator.generate(prompts, 3, GenerationSettings(max_tokens=7))
    assert [len(row) for row in out] == [3, 3, 3]
    for row in out:
        for completion in row:
            assert 1 <= completion.num_tokens <= 7
            assert completion.finish_reason in {"stop", "length"}
            assert completion.finish_reason == "stop" or completion.num_tokens == 7


def test_same_seed_gives_the_same_samples_and_greedy_repeats_itself(tiny_dir):
    settings = GenerationSettings(temperature=1.0, max_tokens=12)
    first = load_generator(tiny_dir, seed=11).generate([MESSAGES], 4, settings)
    second = load_generator(tiny_dir, seed=11).generate([MESSAGES], 4, settings)
    assert [c.text for c in first[0]] == [c.text for c in second[0]]
    assert len({c.text for c in first[0]}) > 1  # sampling at temperature 1 differs between samples
    greedy = load_generator(tiny_dir, seed=5).generate(
        [MESSAGES], 3, GenerationSettings(temperature=0, max_tokens=12)
    )
    assert len({c.text for c in greedy[0]}) == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"temperature": -1.0}, "temperature"),
        ({"top_p": 0.0}, "top_p"),
        ({"max_tokens": 0}, "max_tokens"),
    ],
)
def test_bad_sampling_settings_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        GenerationSettings(**kwargs)


def test_missing_model_unknown_backend_and_zero_samples_are_clear_errors(tmp_path, generator):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_generator(tmp_path / "absent")
    with pytest.raises(ValueError, match="tpu"):
        load_generator(tmp_path, "tpu")
    with pytest.raises(ValueError, match="n must be"):
        generator.generate([MESSAGES], 0, GenerationSettings())


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vLLM is installed here")
def test_vllm_backend_without_vllm_says_what_to_install(tiny_dir):
    with pytest.raises(RuntimeError, match=r"azr-verl\[gpu\]"):
        load_generator(tiny_dir, "vllm")
