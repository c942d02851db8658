"""Options shared by the commands that sample from a model (`eval`, `seed`), and loading it from them.

Not a subcommand: `azr_verl.cli.SUBCOMMANDS` does not list it.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from azr_verl.textgen import TextGenerator

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "add_generation_arguments",
    "check_generation_args",
    "load_generator_from_args",
]

DEFAULT_MAX_TOKENS = 8096
"""The training config's data.max_response_length: generation gets the budget the model trains with."""


def add_generation_arguments(parser: argparse.ArgumentParser) -> None:
    """--model, --backend, --prompt-style, --threads, --tensor-parallel-size, --top-p and --max-tokens
    (--temperature differs between the commands)."""
    parser.add_argument("--model", required=True, metavar="PATH", help="local model directory (HF format)")
    parser.add_argument(
        "--backend",
        choices=("hf", "vllm"),
        default="hf",
        help="hf: transformers on the CPU (default); vllm: GPUs, needs the gpu extra",
    )
    parser.add_argument(
        "--prompt-style",
        choices=("chat", "base"),
        default=None,
        help="default: chat template if the model has one",
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="hf: torch CPU threads (default: torch's choice)"
    )
    parser.add_argument(
        "--tensor-parallel-size", type=int, default=1, help="vllm: GPUs per model (default 1)"
    )
    parser.add_argument("--top-p", type=float, default=1.0, help="nucleus sampling (default 1.0: off)")
    parser.add_argument(
        "--max-tokens",
        type=int,
        default=DEFAULT_MAX_TOKENS,
        help=f"response length cap (default {DEFAULT_MAX_TOKENS}, as in training)",
    )


def load_generator_from_args(
    args: argparse.Namespace, error_prefix: str, prompt_style: str | None, seed: int, batch_size: int
) -> TextGenerator | None:
    """The generator the options ask for, or None after printing why it could not be loaded."""
    from azr_verl.textgen import load_generator

    if args.backend == "vllm":
        kwargs: dict[str, int] = {"tensor_parallel_size": args.tensor_parallel_size}
    else:
        kwargs = {"batch_size": batch_size}  # the hf sampling loop runs on the CPU
        if args.threads is not None:
            import torch

            torch.set_num_threads(args.threads)
    try:
        return load_generator(args.model, args.backend, prompt_style, seed, **kwargs)
    except (OSError, ValueError, RuntimeError) as exc:  # transformers reports unreadable dirs as OSError
        print(f"{error_prefix} cannot load the model {args.model}: {exc}", file=sys.stderr)
        return None


def check_generation_args(args: argparse.Namespace) -> None:
    """Refuse bad model options before anything loads.

    Raises:
        FileNotFoundError: no model directory, or no config.json in it.
        ValueError: --threads or --tensor-parallel-size below 1.
        RuntimeError: --backend vllm without vLLM installed.
    """
    if args.threads is not None and args.threads < 1:
        raise ValueError(f"--threads must be >= 1, got {args.threads}")
    if args.tensor_parallel_size < 1:
        raise ValueError(f"--tensor-parallel-size must be >= 1, got {args.tensor_parallel_size}")
    path = Path(args.model).expanduser()
    if not path.is_dir():
        raise FileNotFoundError(f"--model {path}: no such model directory")
    if not (path / "config.json").is_file():
        raise FileNotFoundError(
            f"--model {path}: no config.json there; expected a Hugging Face model directory "
            "(config, weights, tokenizer), e.g. a checkpoint's huggingface/ folder"
        )
    if args.backend == "vllm" and importlib.util.find_spec("vllm") is None:
        raise RuntimeError(
            "--backend vllm needs vLLM, which is not installed: pip install 'azr-verl[gpu]', or use --backend hf"
        )
