"""The tiny offline model: small, loadable, chat-capable, deterministic and cached by content."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from azr_verl.models.cache import cached_build, content_key
from azr_verl.models.tiny import TinyModelSpec, build_tiny_model


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(cache_dir=tmp_path_factory.mktemp("cache"))


def test_tiny_model_has_well_under_a_million_parameters(tiny_dir: Path) -> None:
    model = AutoModelForCausalLM.from_pretrained(tiny_dir)
    assert model.config.model_type == "qwen2"
    assert sum(p.numel() for p in model.parameters()) < 1_000_000


def test_tiny_tokenizer_round_trips_python_and_renders_chat(tiny_dir: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_dir)
    code = "def f(x):\n    return sorted(x)[::-1]  # ünïcode\n"
    ids = tokenizer.encode(code, add_special_tokens=False)
    assert tokenizer.decode(ids) == code
    # Trained on Python sources, so code compresses well below one token per character.
    assert len(ids) < 0.75 * len(code)
    chat = tokenizer.apply_chat_template(
        [{"role": "user", "content": "hi"}], add_generation_prompt=True, tokenize=False
    )
    assert chat == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
    assert tokenizer.eos_token == "<|im_end|>"
    assert tokenizer.pad_token_id != tokenizer.eos_token_id


def test_tiny_model_generates_from_a_chat_prompt(tiny_dir: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(tiny_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_dir)
    inputs = tokenizer.apply_chat_template(
        [{"role": "user", "content": "2+2?"}],
        add_generation_prompt=True,
        return_tensors="pt",
        return_dict=True,
    )
    out = model.generate(**inputs, max_new_tokens=8, do_sample=False)
    assert out.shape[1] > inputs["input_ids"].shape[1]


def test_rebuilding_with_the_same_recipe_reuses_the_cached_directory(tiny_dir: Path) -> None:
    again = build_tiny_model(cache_dir=tiny_dir.parent.parent)
    assert again == tiny_dir


def test_a_different_spec_gets_a_different_directory_and_weights(tiny_dir: Path, tmp_path: Path) -> None:
    other = build_tiny_model(TinyModelSpec(seed=1), cache_dir=tmp_path)
    assert other.name != tiny_dir.name
    a = AutoModelForCausalLM.from_pretrained(tiny_dir).state_dict()
    b = AutoModelForCausalLM.from_pretrained(other).state_dict()
    assert not torch.equal(a["model.embed_tokens.weight"], b["model.embed_tokens.weight"])


def test_a_failed_build_leaves_nothing_behind(tmp_path: Path) -> None:
    def broken(out: Path) -> None:
        (out / "half.bin").write_bytes(b"x")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        cached_build("broken", {"a": 1}, broken, root=tmp_path)
    assert list((tmp_path / "models").iterdir()) == []


def test_content_key_depends_on_every_recipe_field() -> None:
    base = {"a": 1, "b": "x"}
    assert content_key(base) == content_key(dict(reversed(base.items())))
    assert content_key(base) != content_key({**base, "b": "y"})


def test_the_cli_prints_the_model_directory(tiny_dir: Path, monkeypatch) -> None:
    import subprocess
    import sys

    monkeypatch.setenv("AZR_VERL_CACHE", str(tiny_dir.parent.parent))
    out = subprocess.run(
        [sys.executable, "-m", "azr_verl.models", "tiny"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert Path(out.stdout.strip()) == tiny_dir
