"""Offline text generation for the CLI tools (`azr-verl eval`, `azr-verl seed`): no trainer, no Ray.

One interface, two backends: `hf` (transformers on CPU or one GPU, the same sampling loop as the CPU
rollout) and `vllm` (GPU clusters; needs the `gpu` extra). Both take chat messages, render them with
the model's chat template (or the R1 base template), and return decoded completions.
"""

from azr_verl.textgen.base import (
    Backend,
    Completion,
    GenerationSettings,
    TextGenerator,
    chat_template_for,
    prompt_token_ids,
    render_prompt,
)
from azr_verl.textgen.loading import load_generator

__all__ = [
    "Backend",
    "Completion",
    "GenerationSettings",
    "TextGenerator",
    "chat_template_for",
    "load_generator",
    "prompt_token_ids",
    "render_prompt",
]
