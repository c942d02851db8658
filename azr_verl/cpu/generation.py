"""Batched token-in/token-out sampling with a transformers causal LM, returning log-probs.

This is the engine behind the `hf` rollout. `model.generate` cannot serve it: every request in a
batch may carry its own temperature, top-k, top-p and length, and veRL wants the log-probability of
each sampled token. So the loop is explicit: left-padded prompts, one prefill, then one cached
forward per new token; a row that finishes leaves the batch and its KV cache, so the others go on at
the smaller size.

Log-probs follow vLLM's `logprobs_mode` as veRL configures it: `processed_logprobs` (veRL's default)
is the log-softmax of the temperature-scaled logits, before top-k/top-p, which is the distribution
veRL's actor scores with the same temperature; `raw_logprobs` uses the unscaled logits. Greedy
requests (temperature 0) report raw log-probs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

__all__ = ["GenerationRequest", "GenerationResult", "SamplingSpec", "generate_batch"]


@dataclass(frozen=True)
class SamplingSpec:
    """Per-request sampling parameters, in vLLM's conventions (top_k <= 0 means no limit)."""

    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = -1
    max_tokens: int = 16
    ignore_eos: bool = False


@dataclass(frozen=True)
class GenerationRequest:
    prompt_ids: tuple[int, ...]
    sampling: SamplingSpec = field(default_factory=SamplingSpec)


@dataclass(frozen=True)
class GenerationResult:
    token_ids: list[int]
    log_probs: list[float]
    stop_reason: str  # "completed": hit EOS; "length": hit max_tokens


def _filter_top_k_top_p(logits: torch.Tensor, top_k: torch.Tensor, top_p: torch.Tensor) -> torch.Tensor:
    """Mask (to -inf) the logits outside each row's top-k and nucleus; always keeps the best token."""
    sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
    ranks = torch.arange(logits.shape[-1], device=logits.device).expand_as(sorted_logits)
    k = torch.where(top_k > 0, top_k, torch.full_like(top_k, logits.shape[-1]))
    drop = ranks >= k.unsqueeze(-1)
    sorted_logits = sorted_logits.masked_fill(drop, float("-inf"))
    probs = torch.softmax(sorted_logits, dim=-1)
    mass_before = torch.cumsum(probs, dim=-1) - probs
    drop = drop | (mass_before > top_p.unsqueeze(-1))
    drop[:, 0] = False
    sorted_logits = sorted_logits.masked_fill(drop, float("-inf"))
    return torch.full_like(logits, float("-inf")).scatter(-1, order, sorted_logits)


def _next_tokens(
    logits: torch.Tensor, specs: Sequence[SamplingSpec], raw_logprobs: bool, generator: torch.Generator | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Pick one token per row and return (tokens, their log-probs)."""
    logits = logits.float()
    temps = torch.tensor([s.temperature for s in specs], dtype=logits.dtype)
    greedy = temps <= 0
    scaled = logits / torch.where(greedy, torch.ones_like(temps), temps).unsqueeze(-1)
    top_k = torch.tensor([s.top_k for s in specs], dtype=torch.long)
    top_p = torch.tensor([s.top_p for s in specs], dtype=logits.dtype)
    filtered = _filter_top_k_top_p(scaled, top_k, top_p)
    sampled = torch.multinomial(torch.softmax(filtered, dim=-1), 1, generator=generator).squeeze(-1)
    tokens = torch.where(greedy, logits.argmax(dim=-1), sampled)
    basis = logits if raw_logprobs else scaled
    log_probs = torch.log_softmax(basis, dim=-1).gather(-1, tokens.unsqueeze(-1)).squeeze(-1)
    return tokens, log_probs


def _left_pad(prompts: Sequence[Sequence[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(p) for p in prompts)
    ids = torch.full((len(prompts), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(prompts), width), dtype=torch.long)
    for row, prompt in enumerate(prompts):
        if prompt:
            ids[row, width - len(prompt) :] = torch.tensor(prompt, dtype=torch.long)
            mask[row, width - len(prompt) :] = 1
    return ids, mask


@torch.inference_mode()
def generate_batch(
    model: torch.nn.Module,
    requests: Sequence[GenerationRequest],
    eos_ids: frozenset[int],
    pad_id: int,
    raw_logprobs: bool = False,
    generator: torch.Generator | None = None,
) -> list[GenerationResult]:
    """Generate for every request together; each stops at its own EOS or `max_tokens`.

    Args:
        model: A transformers causal LM (any attention implementation that honours masks).
        requests: Prompts (non-empty) with their sampling parameters.
        eos_ids: Token ids that end a response (the EOS is included in the output, as vLLM does).
        pad_id: Token fed for padding and for rows that have finished.
        raw_logprobs: Log-probs of the unscaled logits instead of the temperature-scaled ones.
        generator: RNG for sampling (None: torch's global RNG).

    Returns:
        One result per request, in order.
    """
    if not requests:
        return []
    if any(len(r.prompt_ids) == 0 for r in requests):
        raise ValueError("every generation request needs at least one prompt token")
    specs = [r.sampling for r in requests]
    outputs: list[list[int]] = [[] for _ in requests]
    log_probs: list[list[float]] = [[] for _ in requests]
    stop = ["length"] * len(requests)
    active = [i for i, spec in enumerate(specs) if spec.max_tokens > 0]  # request index of each batch row
    if active:
        ids, mask = _left_pad([requests[i].prompt_ids for i in active], pad_id)
        step_ids, step_pos = ids, (mask.cumsum(-1) - 1).clamp(min=0)
        past = None
    while active:
        out = model(
            input_ids=step_ids,
            attention_mask=mask,
            position_ids=step_pos,
            past_key_values=past,
            use_cache=True,
        )
        past = out.past_key_values
        tokens, token_log_probs = _next_tokens(
            out.logits[:, -1, :], [specs[i] for i in active], raw_logprobs, generator
        )
        keep = []
        for row, (token, log_prob) in enumerate(zip(tokens.tolist(), token_log_probs.tolist(), strict=True)):
            index = active[row]
            outputs[index].append(token)
            log_probs[index].append(log_prob)
            if token in eos_ids and not specs[index].ignore_eos:
                stop[index] = "completed"
            elif len(outputs[index]) < specs[index].max_tokens:
                keep.append(row)
        if len(keep) < len(active):
            # Finished rows leave the batch (and the KV cache): the rest run at the smaller size.
            if not keep:
                break
            rows = torch.tensor(keep, dtype=torch.long)
            past.batch_select_indices(rows)
            tokens, mask, step_pos = tokens[rows], mask[rows], step_pos[rows]
            active = [active[row] for row in keep]
        step_ids = tokens.unsqueeze(-1)
        step_pos = step_pos[:, -1:] + 1
        mask = torch.cat([mask, torch.ones((len(active), 1), dtype=mask.dtype)], dim=-1)
    return [GenerationResult(o, lp, s) for o, lp, s in zip(outputs, log_probs, stop, strict=True)]
