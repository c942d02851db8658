"""Prompt rendering: chat messages, the R1 base template, and its Jinja twin agreeing with it."""

from __future__ import annotations

import pytest
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

from azr_verl.tasks.parsing import extract_block
from azr_verl.tasks.prompts import (
    BASE_CHAT_TEMPLATE,
    R1_PREAMBLE,
    PromptStyle,
    code_block,
    render,
    render_base,
)


def _tiny_tokenizer() -> PreTrainedTokenizerFast:
    backend = Tokenizer(models.WordLevel({"[UNK]": 0, "[PAD]": 1}, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="[UNK]", pad_token="[PAD]")


def test_chat_style_is_one_user_message() -> None:
    assert render("Solve it.", PromptStyle.CHAT) == [{"role": "user", "content": "Solve it."}]
    assert render("Solve it.", "chat") == render("Solve it.")


def test_base_style_is_the_r1_text_ending_in_an_open_think() -> None:
    text = render("Solve it.", PromptStyle.BASE)
    assert isinstance(text, str)
    assert text.startswith(R1_PREAMBLE)
    assert text.endswith("\nUser: Solve it.\nAssistant: <think>")


@pytest.mark.parametrize(
    "messages",
    [
        [{"role": "user", "content": "Solve it."}],
        [
            {"role": "user", "content": "a 'quoted' {{ text }}\nline"},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": "again"},
        ],
    ],
)
def test_jinja_template_renders_exactly_like_render_base(messages: list[dict[str, str]]) -> None:
    rendered = _tiny_tokenizer().apply_chat_template(
        messages, chat_template=BASE_CHAT_TEMPLATE, tokenize=False, add_generation_prompt=True
    )
    assert rendered == render_base(messages)


def test_code_block_round_trips_through_the_parser() -> None:
    body = "def f(x):\n    return [x,\n            x]"
    assert extract_block(f"<answer>{code_block('python', body)}</answer>", "python") == body


def test_unknown_style_is_refused() -> None:
    with pytest.raises(ValueError, match="html"):
        render("x", "html")
