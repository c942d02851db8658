"""Briefly teach a small causal LM fixed responses: tests and demos get a model that writes
well-formed AZR answers, so self-play on a tiny model produces varying rewards and a real gradient.

This is supervised overfitting on a handful of (prompt, response) pairs, nothing more; it never
touches the model's weights on disk unless `save_to` is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

__all__ = ["teach", "teach_chat"]


def teach(
    model: torch.nn.Module,
    examples: Sequence[tuple[Sequence[int], Sequence[int]]],
    steps: int = 100,
    lr: float = 1e-2,
) -> float:
    """Fit `model` so each prompt is followed by its response (loss on the response tokens only).

    Args:
        model: a transformers causal LM.
        examples: (prompt token ids, response token ids) pairs.
        steps: passes over the examples.
        lr: Adam learning rate (high: the point is to memorize quickly).

    Returns:
        The last step's mean loss.
    """
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_value = float("nan")
    for _ in range(steps):
        losses = []
        for prompt, response in examples:
            ids = torch.tensor([list(prompt) + list(response)])
            labels = ids.clone()
            labels[0, : len(prompt)] = -100
            loss = model(input_ids=ids, labels=labels).loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        loss_value = sum(losses) / len(losses)
    model.eval()
    return loss_value


def teach_chat(
    model_dir: str | Path,
    examples: Sequence[tuple[list[dict[str, Any]], str]],
    save_to: str | Path,
    steps: int = 100,
) -> Path:
    """Teach the model in `model_dir` to answer chat `examples` and save it (with its tokenizer).

    Prompts are rendered with the tokenizer's chat template and a generation prompt, as veRL's agent
    loops render them; each response ends with the EOS token.
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir)
    pairs = []
    for messages, response in examples:
        prompt = tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, tokenize=True, return_dict=True
        )["input_ids"]
        target = tokenizer(response, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
        pairs.append((list(prompt), target))
    teach(model, pairs, steps=steps)
    save_to = Path(save_to)
    model.save_pretrained(save_to)
    tokenizer.save_pretrained(save_to)
    return save_to
