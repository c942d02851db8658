"""The hf rollout's sampling loop: its tokens and log-probs agree with a plain transformers forward pass."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModelForCausalLM

from azr_verl.cpu.generation import GenerationRequest, SamplingSpec, generate_batch
from azr_verl.models.tiny import build_tiny_model

EOS = frozenset({2})
PAD = 0


@pytest.fixture(scope="module")
def model() -> torch.nn.Module:
    return AutoModelForCausalLM.from_pretrained(build_tiny_model(), attn_implementation="sdpa").eval()


def _reference_log_probs(model, prompt, tokens, temperature: float) -> torch.Tensor:
    ids = torch.tensor([list(prompt) + list(tokens)])
    with torch.no_grad():
        logits = model(ids).logits[0, len(prompt) - 1 : -1].float()
    return torch.log_softmax(logits / temperature, dim=-1).gather(-1, torch.tensor(tokens)[:, None])[:, 0]


@pytest.mark.parametrize(
    ("spec", "raw"),
    [
        (SamplingSpec(temperature=0.0, max_tokens=10), False),
        (SamplingSpec(temperature=0.7, top_k=20, top_p=0.9, max_tokens=12), False),
        (SamplingSpec(temperature=1.3, max_tokens=12), False),
        (SamplingSpec(temperature=0.5, max_tokens=12), True),
    ],
    ids=["greedy", "top-k-top-p", "hot", "raw-logprobs"],
)
def test_log_probs_match_a_direct_forward_pass(model, spec: SamplingSpec, raw: bool) -> None:
    prompts = [(1, 5, 6, 7, 8, 9), (1, 30), (1, 40, 41, 42, 43)]  # different lengths: left padding
    requests = [GenerationRequest(p, spec) for p in prompts]
    results = generate_batch(
        model, requests, EOS, PAD, raw_logprobs=raw, generator=torch.Generator().manual_seed(1)
    )
    for prompt, result in zip(prompts, results, strict=True):
        assert len(result.token_ids) == len(result.log_probs) > 0
        temperature = 1.0 if raw or spec.temperature == 0 else spec.temperature
        expected = _reference_log_probs(model, prompt, result.token_ids, temperature)
        torch.testing.assert_close(torch.tensor(result.log_probs), expected, atol=1e-4, rtol=1e-4)


def test_batched_greedy_equals_one_request_at_a_time(model) -> None:
    spec = SamplingSpec(temperature=0.0, max_tokens=8)
    prompts = [(1, 5, 6, 7, 8, 9, 10, 11), (1, 30), (1, 40, 41)]
    batched = generate_batch(model, [GenerationRequest(p, spec) for p in prompts], EOS, PAD)
    alone = [generate_batch(model, [GenerationRequest(p, spec)], EOS, PAD)[0] for p in prompts]
    assert [r.token_ids for r in batched] == [r.token_ids for r in alone]


def test_greedy_tokens_are_the_argmax_of_the_model(model) -> None:
    prompt = (1, 7, 8, 9)
    result = generate_batch(
        model, [GenerationRequest(prompt, SamplingSpec(temperature=0.0, max_tokens=6))], EOS, PAD
    )[0]
    ids = torch.tensor([list(prompt) + result.token_ids])
    with torch.no_grad():
        argmax = model(ids).logits[0, len(prompt) - 1 : -1].argmax(-1).tolist()
    assert result.token_ids == argmax


def test_top_k_one_samples_the_greedy_token(model) -> None:
    prompt = (1, 12, 13)
    greedy = generate_batch(
        model, [GenerationRequest(prompt, SamplingSpec(temperature=0.0, max_tokens=6))], EOS, PAD
    )
    top1 = generate_batch(
        model, [GenerationRequest(prompt, SamplingSpec(temperature=1.0, top_k=1, max_tokens=6))], EOS, PAD
    )
    assert top1[0].token_ids == greedy[0].token_ids


@pytest.mark.parametrize(
    ("ignore_eos", "expected_len", "reason"), [(False, 1, "completed"), (True, 5, "length")]
)
def test_eos_ends_a_response_unless_ignored(model, ignore_eos: bool, expected_len: int, reason: str) -> None:
    every_token = frozenset(range(model.config.vocab_size))  # whatever is sampled first counts as EOS
    spec = SamplingSpec(temperature=1.0, max_tokens=5, ignore_eos=ignore_eos)
    result = generate_batch(model, [GenerationRequest((1, 3), spec)], every_token, PAD)[0]
    assert len(result.token_ids) == expected_len
    assert result.stop_reason == reason


def test_each_request_keeps_its_own_length_limit(model) -> None:
    requests = [GenerationRequest((1, 3), SamplingSpec(max_tokens=n, ignore_eos=True)) for n in (1, 4, 9)]
    assert [len(r.token_ids) for r in generate_batch(model, requests, EOS, PAD)] == [1, 4, 9]


def test_an_empty_prompt_is_rejected(model) -> None:
    with pytest.raises(ValueError, match="at least one prompt token"):
        generate_batch(model, [GenerationRequest((), SamplingSpec())], EOS, PAD)


def test_rows_that_finish_early_leave_the_batch_without_changing_the_others(model) -> None:
    prompts = [(1, 5, 6, 7), (1, 30), (1, 40, 41, 42, 43, 44)]
    requests = [
        GenerationRequest(p, SamplingSpec(temperature=0.0, max_tokens=n))
        for p, n in zip(prompts, (2, 9, 6), strict=True)
    ]
    probe = generate_batch(model, [requests[1]], EOS, PAD)[0]
    eos = frozenset({probe.token_ids[3]})  # request 1 now stops by EOS, request 0 by length, mid-batch
    batched = generate_batch(model, requests, eos, PAD)
    alone = [generate_batch(model, [request], eos, PAD)[0] for request in requests]
    assert [(r.token_ids, r.stop_reason) for r in batched] == [(r.token_ids, r.stop_reason) for r in alone]
    assert batched[1].stop_reason == "completed"
    for got, expected in zip(batched, alone, strict=True):
        torch.testing.assert_close(
            torch.tensor(got.log_probs), torch.tensor(expected.log_probs), atol=1e-4, rtol=1e-4
        )
