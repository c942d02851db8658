"""A local token-in/token-out server backed by a real tiny transformers model on CPU.

Only the server is local: generation is real (the same sampling code as the `hf` rollout), and the
agent loops run unchanged, instantiated through veRL's agent-loop registry as its workers do.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer
from verl.workers.rollout.replica import TokenOutput

from azr_verl.cpu.generation import GenerationRequest, SamplingSpec, generate_batch
from azr_verl.models.teach import teach
from azr_verl.models.tiny import TinyModelSpec, build_tiny_model


class LocalServer:
    """Answers veRL's `server_manager.generate` with a transformers model in a worker thread."""

    def __init__(self, model: torch.nn.Module, tokenizer: Any, max_tokens: int) -> None:
        self.model, self.tokenizer, self.max_tokens = model, tokenizer, max_tokens
        self.eos_ids = frozenset({tokenizer.eos_token_id})
        self.calls: list[list[int]] = []
        self._lock = asyncio.Lock()

    async def generate(
        self, request_id: str, prompt_ids: list[int], sampling_params: dict, **_: Any
    ) -> TokenOutput:
        self.calls.append(list(prompt_ids))
        spec = SamplingSpec(
            temperature=float(sampling_params.get("temperature", 1.0)),
            top_p=float(sampling_params.get("top_p", 1.0)),
            top_k=int(sampling_params.get("top_k", -1)),
            max_tokens=self.max_tokens,
        )
        request = GenerationRequest(tuple(prompt_ids), spec)
        async with self._lock:  # one forward pass at a time on 2 cores
            with torch.no_grad():
                (result,) = await asyncio.to_thread(
                    generate_batch, self.model, [request], self.eos_ids, self.tokenizer.pad_token_id or 0
                )
        return TokenOutput(
            token_ids=result.token_ids, log_probs=result.log_probs, stop_reason=result.stop_reason
        )


@pytest.fixture(scope="session")
def tiny_model_dir() -> Path:
    # AZR proposer prompts run to a few thousand tokens with the tiny byte-level vocabulary.
    return build_tiny_model(TinyModelSpec(max_position_embeddings=8192))


@pytest.fixture()
def tiny_model_and_tokenizer(tiny_model_dir: Path):
    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, attn_implementation="sdpa").eval()
    return model, tokenizer


@pytest.fixture()
def make_server(tiny_model_and_tokenizer):
    """`make_server(max_tokens)` -> a LocalServer over the tiny model."""
    model, tokenizer = tiny_model_and_tokenizer
    return lambda max_tokens: LocalServer(model, tokenizer, max_tokens)


@pytest.fixture()
def teach_model(tiny_model_and_tokenizer):
    """`teach_model(examples)` overfits the tiny model on (prompt ids, response ids) pairs."""
    model, _ = tiny_model_and_tokenizer
    return lambda examples: teach(model, examples)
