"""Choosing and building a backend from CLI arguments."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from azr_verl.tasks.prompts import PromptStyle
from azr_verl.textgen.base import Backend, TextGenerator

__all__ = ["load_generator"]


def load_generator(
    model_path: str | Path,
    backend: Backend | str = Backend.HF,
    prompt_style: PromptStyle | str | None = None,
    seed: int = 0,
    **backend_kwargs: Any,
) -> TextGenerator:
    """A generator for `model_path` (a local directory; the hub is not reached from here).

    Raises:
        FileNotFoundError: `model_path` does not exist.
        ValueError: an unknown backend or prompt style.
    """
    path = Path(model_path).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"model directory {path} does not exist")
    style = PromptStyle(prompt_style) if prompt_style is not None else None
    if Backend(backend) is Backend.VLLM:
        from azr_verl.textgen.vllm import VLLMGenerator

        return VLLMGenerator(path, style, seed, **backend_kwargs)
    from azr_verl.textgen.hf import HFGenerator

    return HFGenerator(path, style, seed=seed, **backend_kwargs)
