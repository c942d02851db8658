"""Prompt rendering shared by all task types: chat messages or an R1-style base-model text.

Instruct models get chat messages (veRL applies the tokenizer's chat template in the agent loop).
Base models get a plain R1 template ending in `Assistant: <think>`; `BASE_CHAT_TEMPLATE` is the
same text as a Jinja chat template, for `actor_rollout_ref.model.custom_chat_template`, so a
dataset that always emits chat messages renders identically for base models.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

__all__ = [
    "ANSWER_FORMAT",
    "BASE_CHAT_TEMPLATE",
    "R1_PREAMBLE",
    "Prompt",
    "PromptStyle",
    "bullet_list",
    "code_block",
    "render",
    "render_base",
]

Prompt = list[dict[str, str]] | str
"""Chat messages (`[{"role": "user", "content": ...}]`) or one text for a base model."""


class PromptStyle(str, enum.Enum):
    CHAT = "chat"  # chat messages; the tokenizer's chat template is applied by veRL
    BASE = "base"  # plain R1 text template for base models


R1_PREAMBLE = (
    "A conversation between User and Assistant. The User asks a question and the Assistant solves it. "
    "The Assistant first thinks about the reasoning process and then gives the User the answer. "
    "The reasoning and the answer are enclosed in <think> </think> and <answer> </answer> tags, "
    "i.e., <think> reasoning here </think> <answer> answer here </answer>."
)

ANSWER_FORMAT = (
    "First think step by step inside <think> </think>, then give the final answer inside <answer> </answer>."
)

BASE_CHAT_TEMPLATE = (
    "{{- '" + R1_PREAMBLE + "' -}}"
    "{%- for message in messages -%}"
    "{%- if message['role'] == 'user' -%}{{- '\\nUser: ' + message['content'] -}}"
    "{%- elif message['role'] == 'assistant' -%}{{- '\\nAssistant: ' + message['content'] -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '\\nAssistant: <think>' -}}{%- endif -%}"
)
"""Jinja equivalent of `render_base` (user and assistant turns; a generation prompt opens <think>)."""


def render_base(messages: Iterable[dict[str, str]]) -> str:
    """The R1 text for chat `messages`, ending with an open `<think>` for the model to continue."""
    parts = [R1_PREAMBLE]
    for message in messages:
        if message["role"] == "user":
            parts.append(f"\nUser: {message['content']}")
        elif message["role"] == "assistant":
            parts.append(f"\nAssistant: {message['content']}")
    parts.append("\nAssistant: <think>")
    return "".join(parts)


def render(user_text: str, style: PromptStyle | str = PromptStyle.CHAT) -> Prompt:
    """One user turn as chat messages or as base-model text."""
    messages = [{"role": "user", "content": user_text}]
    if PromptStyle(style) is PromptStyle.BASE:
        return render_base(messages)
    return messages


def code_block(tag: str, body: str) -> str:
    """A fenced block as the parsers read it."""
    return f"```{tag}\n{body}\n```"


def bullet_list(lines: Iterable[str]) -> str:
    return "\n".join(f"- {line}" for line in lines)
