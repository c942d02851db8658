"""The `hf` backend: a transformers causal LM sampled with the CPU rollout's batched loop.

It reuses `azr_verl.cpu.generation.generate_batch`, so evaluation and seeding sample exactly as the
CPU trainer's rollout does (per-request temperature/top-p/top-k, finished rows leave the batch).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import torch

from azr_verl.cpu.generation import GenerationRequest, SamplingSpec, generate_batch
from azr_verl.tasks.prompts import PromptStyle
from azr_verl.textgen.base import Completion, GenerationSettings, Messages, prompt_token_ids

__all__ = ["HFGenerator"]

logger = logging.getLogger(__name__)


class HFGenerator:
    """Generates with a local transformers model.

    Args:
        model_path: a local model directory (config, weights and tokenizer).
        prompt_style: None (chat template if the tokenizer has one), or force chat/base rendering.
        batch_size: sequences sampled together; bounds memory.
        seed: sampling RNG seed, so a run is reproducible.

    The sampling loop runs on the CPU (GPU machines use the vllm backend).
    """

    def __init__(
        self,
        model_path: str | Path,
        prompt_style: PromptStyle | None = None,
        batch_size: int = 16,
        seed: int = 0,
    ):
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.tokenizer = AutoTokenizer.from_pretrained(str(model_path))
        self.model = AutoModelForCausalLM.from_pretrained(str(model_path), dtype=torch.float32)
        self.model.eval()
        self.prompt_style = prompt_style
        self.batch_size = batch_size
        self._generator = torch.Generator().manual_seed(seed)
        eos = self.model.generation_config.eos_token_id
        eos_ids = {eos} if isinstance(eos, int) else set(eos or ())
        if self.tokenizer.eos_token_id is not None:
            eos_ids.add(self.tokenizer.eos_token_id)
        self._eos_ids = frozenset(eos_ids)
        pad = self.tokenizer.pad_token_id
        self._pad_id = pad if pad is not None else min(self._eos_ids, default=0)

    def prompt_ids(self, messages: Messages) -> tuple[int, ...]:
        return tuple(prompt_token_ids(self.tokenizer, messages, self.prompt_style))

    def generate(
        self, prompts: Sequence[Messages], n: int, settings: GenerationSettings
    ) -> list[list[Completion]]:
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        spec = SamplingSpec(settings.temperature, settings.top_p, settings.top_k, settings.max_tokens)
        prompt_ids = [self.prompt_ids(p) for p in prompts]
        requests = [GenerationRequest(ids, spec) for ids in prompt_ids for _ in range(n)]
        flat: list[Completion] = []
        for start in range(0, len(requests), self.batch_size):
            chunk = requests[start : start + self.batch_size]
            for result in generate_batch(
                self.model, chunk, self._eos_ids, self._pad_id, generator=self._generator
            ):
                text = self.tokenizer.decode(
                    result.token_ids, skip_special_tokens=True, clean_up_tokenization_spaces=False
                )
                reason = "stop" if result.stop_reason == "completed" else "length"
                flat.append(Completion(text, len(result.token_ids), reason))
        return [flat[i * n : (i + 1) * n] for i in range(len(prompts))]
