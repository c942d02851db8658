"""The `vllm` backend for GPU machines (install azr-verl with the `gpu` extra).

vLLM cannot run on this project's CPU test machines, so this module is exercised only where a GPU
exists; its import error says what to install.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from azr_verl.tasks.prompts import PromptStyle
from azr_verl.textgen.base import Completion, GenerationSettings, Messages, prompt_token_ids

__all__ = ["VLLMGenerator"]


class VLLMGenerator:
    """Generates with `vllm.LLM`; `engine_kwargs` go to it unchanged (e.g. tensor_parallel_size)."""

    def __init__(
        self,
        model_path: str | Path,
        prompt_style: PromptStyle | None = None,
        seed: int = 0,
        **engine_kwargs: Any,
    ):
        try:
            import vllm
        except ImportError as exc:
            raise RuntimeError(
                "the vllm backend needs vLLM: pip install 'azr-verl[gpu]' (or use --backend hf)"
            ) from exc
        self._vllm = vllm
        self.llm = vllm.LLM(model=str(model_path), seed=seed, **engine_kwargs)
        self.tokenizer = self.llm.get_tokenizer()
        self.prompt_style = prompt_style

    def generate(
        self, prompts: Sequence[Messages], n: int, settings: GenerationSettings
    ) -> list[list[Completion]]:
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        params = self._vllm.SamplingParams(
            n=n,
            temperature=settings.temperature,
            top_p=settings.top_p,
            top_k=settings.top_k,
            max_tokens=settings.max_tokens,
        )
        # Token ids, not text: vLLM would add a second BOS to templates that start with one (Llama 3).
        token_ids = [prompt_token_ids(self.tokenizer, p, self.prompt_style) for p in prompts]
        outputs = self.llm.generate([{"prompt_token_ids": ids} for ids in token_ids], params)
        return [
            [
                Completion(o.text, len(o.token_ids), "length" if o.finish_reason == "length" else "stop")
                for o in out.outputs
            ]
            for out in outputs
        ]
