"""`teach_chat`: a saved tiny model that answers its taught chat prompts with the taught text."""

from __future__ import annotations

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from azr_verl.models.teach import teach_chat
from azr_verl.models.tiny import build_tiny_model


def test_a_taught_model_reproduces_its_answer_after_reloading(tmp_path):
    messages = [{"role": "user", "content": "What does f(21) return?"}]
    answer = "<answer>\n```output\n42\n```\n</answer>"
    out = teach_chat(build_tiny_model(), [(messages, answer)], tmp_path / "taught", steps=60)
    tokenizer = AutoTokenizer.from_pretrained(out)
    model = AutoModelForCausalLM.from_pretrained(out).eval()
    prompt = tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
    )
    with torch.no_grad():
        generated = model.generate(**prompt, max_new_tokens=40, do_sample=False)
    text = tokenizer.decode(generated[0, prompt["input_ids"].shape[1] :], skip_special_tokens=True)
    assert text.strip() == answer
    untaught = AutoModelForCausalLM.from_pretrained(build_tiny_model()).eval()
    with torch.no_grad():
        before = untaught.generate(**prompt, max_new_tokens=40, do_sample=False)
    assert (
        tokenizer.decode(before[0, prompt["input_ids"].shape[1] :], skip_special_tokens=True).strip()
        != answer
    )
