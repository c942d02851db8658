"""Our reward functions inside stock veRL's own reward path: loader + naive reward manager."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from omegaconf import OmegaConf
from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

_TRUTH = json.dumps(
    {"program": "def f(xs):\n    return sorted(xs)[::-1]", "input": "[2, 9, 4]", "output": "[9, 4, 2]"}
)


def _byte_tokenizer() -> PreTrainedTokenizerFast:
    """A byte-level tokenizer without merges: encodes any text and decodes it back exactly, offline."""
    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    backend = Tokenizer(models.BPE(vocab={symbol: index for index, symbol in enumerate(alphabet)}, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    return PreTrainedTokenizerFast(tokenizer_object=backend)


def _sample(tokenizer: PreTrainedTokenizerFast, response: str, data_source: str):
    from verl import DataProto

    prompt_ids = tokenizer.encode("Predict the output.", add_special_tokens=False)
    response_ids = tokenizer.encode(response, add_special_tokens=False)
    assert tokenizer.decode(response_ids) == response
    prompts = torch.tensor([prompt_ids])
    responses = torch.tensor([response_ids])
    return DataProto.from_dict(
        tensors={
            "prompts": prompts,
            "responses": responses,
            "input_ids": torch.cat([prompts, responses], dim=1),
            "attention_mask": torch.ones(1, len(prompt_ids) + len(response_ids), dtype=torch.long),
        },
        non_tensors={
            "data_source": np.array([data_source], dtype=object),
            "reward_model": np.array([{"style": "rule", "ground_truth": _TRUTH}], dtype=object),
            "extra_info": np.array([{"index": 0}], dtype=object),
        },
    )


@pytest.mark.parametrize("name", ["compute_score", "compute_score_async"])
@pytest.mark.parametrize(
    ("answer", "score", "verdict"),
    [("[9,4,2]", 1.0, "correct"), ("[2, 4, 9]", -0.5, "wrong")],
)
def test_the_naive_reward_manager_scores_rollouts_with_our_function(name, answer, score, verdict) -> None:
    from verl.experimental.reward_loop.reward_manager.naive import NaiveRewardManager
    from verl.trainer.ppo.reward import get_custom_reward_fn

    config = OmegaConf.create(
        {"reward": {"custom_reward_function": {"path": "pkg://reward_fns.cruxeval", "name": name}}}
    )
    tokenizer = _byte_tokenizer()
    manager = NaiveRewardManager(config, tokenizer, get_custom_reward_fn(config))
    response = f"<think>\nsorted then reversed\n</think>\n<answer>\n```output\n{answer}\n```\n</answer>"
    result = manager.loop.run_until_complete(manager.run_single(_sample(tokenizer, response, "cruxeval_o")))
    assert result["reward_score"] == score
    assert result["reward_extra_info"]["verdict"] == verdict
    assert {"acc", "format_ok", "verdict"} <= set(result["reward_extra_info"])
