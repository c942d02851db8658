"""A tiny random Qwen2 chat model with a locally trained tokenizer, for tests that run veRL on a CPU.

Nothing is downloaded: the byte-level BPE tokenizer is trained in about a second on a fixed set of
Python standard-library sources (so it tokenizes Python code sensibly), the weights are random with a
fixed seed, and a ChatML chat template makes veRL's agent loops work unchanged. The result is cached
under a key made of the recipe, the training text and the library versions, so repeated test runs
reuse one directory.
"""

from __future__ import annotations

import hashlib
import sysconfig
from dataclasses import asdict, dataclass
from pathlib import Path

from azr_verl.models.cache import cached_build

__all__ = ["CHATML_TEMPLATE", "SPECIAL_TOKENS", "TinyModelSpec", "build_tiny_model", "training_sources"]

# Bumped whenever the build procedure changes in a way the recipe does not capture.
_BUILDER_VERSION = 1

SPECIAL_TOKENS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

# Present in every CPython 3.10-3.12 standard library; about 300 kB of Python in total.
_STDLIB_FILES = (
    "textwrap.py",
    "string.py",
    "functools.py",
    "heapq.py",
    "bisect.py",
    "fractions.py",
    "statistics.py",
    "difflib.py",
    "json/encoder.py",
    "json/decoder.py",
)


@dataclass(frozen=True)
class TinyModelSpec:
    """Shape of the tiny model. The defaults give about 0.1 M parameters."""

    vocab_size: int = 512
    hidden_size: int = 64
    intermediate_size: int = 128
    num_hidden_layers: int = 2
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    max_position_embeddings: int = 2048
    seed: int = 0


def training_sources() -> list[Path]:
    """The standard-library files the tokenizer is trained on (those that exist here)."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    return [stdlib / name for name in _STDLIB_FILES if (stdlib / name).is_file()]


def _sources_digest(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _train_tokenizer(spec: TinyModelSpec, sources: list[Path]):
    """Train a byte-level BPE on `sources` and wrap it as a transformers tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=spec.vocab_size,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    bpe.train([str(path) for path in sources], trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        bos_token=None,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token=None,
        chat_template=CHATML_TEMPLATE,
        model_max_length=spec.max_position_embeddings,
    )


def _build(spec: TinyModelSpec, sources: list[Path], out_dir: Path) -> None:
    import torch
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM

    tokenizer = _train_tokenizer(spec, sources)
    eos_id = tokenizer.convert_tokens_to_ids("<|im_end|>")
    pad_id = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=spec.hidden_size,
        intermediate_size=spec.intermediate_size,
        num_hidden_layers=spec.num_hidden_layers,
        num_attention_heads=spec.num_attention_heads,
        num_key_value_heads=spec.num_key_value_heads,
        max_position_embeddings=spec.max_position_embeddings,
        tie_word_embeddings=True,
        bos_token_id=eos_id,
        eos_token_id=eos_id,
        pad_token_id=pad_id,
    )
    torch.manual_seed(spec.seed)
    model = Qwen2ForCausalLM(config).to(torch.float32)
    model.generation_config = GenerationConfig(eos_token_id=eos_id, pad_token_id=pad_id, do_sample=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)


def build_tiny_model(spec: TinyModelSpec | None = None, cache_dir: Path | None = None) -> Path:
    """Build (or reuse) the tiny model and return its save_pretrained directory.

    Args:
        spec: Model shape; defaults to `TinyModelSpec()`.
        cache_dir: Cache root; defaults to $AZR_VERL_CACHE or ~/.cache/azr-verl.

    Returns:
        A directory loadable with `AutoModelForCausalLM` and `AutoTokenizer`.
    """
    import tokenizers
    import transformers

    spec = spec or TinyModelSpec()
    sources = training_sources()
    if not sources:
        raise FileNotFoundError("no standard-library sources found to train the tiny tokenizer on")
    recipe = {
        "builder": _BUILDER_VERSION,
        "spec": asdict(spec),
        "sources": _sources_digest(sources),
        "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__,
    }
    return cached_build("tiny-qwen2", recipe, lambda out: _build(spec, sources, out), root=cache_dir)
