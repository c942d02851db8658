"""The generator interface shared by the hf and vllm backends, and prompt rendering."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from azr_verl.tasks.prompts import BASE_CHAT_TEMPLATE, PromptStyle

__all__ = [
    "Backend",
    "Completion",
    "GenerationSettings",
    "TextGenerator",
    "chat_template_for",
    "prompt_token_ids",
    "render_prompt",
]

Messages = Sequence[Mapping[str, str]]


class Backend(str, enum.Enum):
    HF = "hf"
    VLLM = "vllm"


@dataclass(frozen=True)
class GenerationSettings:
    """Sampling for one call, in vLLM's conventions (top_k <= 0: no limit; temperature 0: greedy)."""

    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = -1
    max_tokens: int = 1024

    def __post_init__(self) -> None:
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {self.max_tokens}")


@dataclass(frozen=True)
class Completion:
    """One sampled response: its text (special tokens removed) and why it stopped."""

    text: str
    num_tokens: int
    finish_reason: str  # "stop": end of sequence; "length": hit max_tokens


class TextGenerator(Protocol):
    """Samples `n` completions for each chat prompt; the result is one list of `n` per prompt, in order."""

    def generate(
        self, prompts: Sequence[Messages], n: int, settings: GenerationSettings
    ) -> list[list[Completion]]: ...


def chat_template_for(tokenizer: Any, style: PromptStyle | None) -> str | None:
    """The template override for `style`: the R1 base template for `PromptStyle.BASE`, and for
    `style=None` when the tokenizer has no chat template of its own; else None (the tokenizer's)."""
    if style is PromptStyle.BASE or (style is None and not getattr(tokenizer, "chat_template", None)):
        return BASE_CHAT_TEMPLATE
    return None


def render_prompt(tokenizer: Any, messages: Messages, style: PromptStyle | None = None) -> str:
    """The prompt text the model sees, as veRL's agent loop renders it in training.

    `style=None` picks the tokenizer's chat template when it has one and the R1 base template
    otherwise; `PromptStyle.BASE` always uses the R1 template (as `azr.prompt_style=base` does).
    """
    return tokenizer.apply_chat_template(
        [dict(m) for m in messages],
        chat_template=chat_template_for(tokenizer, style),
        add_generation_prompt=True,
        tokenize=False,
    )


def prompt_token_ids(tokenizer: Any, messages: Messages, style: PromptStyle | None = None) -> list[int]:
    """The rendered prompt's token ids; the template supplies any BOS, so none is added again."""
    return tokenizer(render_prompt(tokenizer, messages, style), add_special_tokens=False)["input_ids"]
