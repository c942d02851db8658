"""The `azr-verl` command. Each subcommand lives in its own module and exposes `add_parser`.

Subcommand modules are imported lazily (only the chosen one), so `azr-verl --help` stays fast and
never imports torch or veRL.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from azr_verl import __version__

__all__ = ["SUBCOMMANDS", "build_parser", "main"]

# name -> (module under azr_verl.cli, one-line help)
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "doctor": ("doctor", "check the installation: veRL version, plugin registrations, sandbox"),
    "buffer": ("buffer", "inspect a run's self-play buffer: stats, show, export"),
    "train": ("train", "run AZR self-play (Hydra overrides as for python -m azr_verl.main)"),
    "quickstart": ("quickstart", "AZR self-play on CPU with SmolLM2-135M for a few steps, with a summary"),
    "eval": ("eval", "evaluate a model on CRUXEval-I/O: pass@1 and pass@k, executor-checked"),
    "report": ("report", "plots and one HTML page of a run's training curves and buffer contents"),
    "seed": ("seed", "let a base model propose seed tasks, validated by the executor, into a seed file"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="azr-verl",
        description="Absolute Zero self-play reasoning (AZR) on veRL.",
    )
    parser.add_argument("--version", action="version", version=f"azr-verl {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_module, help_text) in SUBCOMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv or argv[0] not in SUBCOMMANDS:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
        return 0 if args.command is None else 2
    module = importlib.import_module(f"azr_verl.cli.{SUBCOMMANDS[argv[0]][0]}")
    sub_parser = argparse.ArgumentParser(prog=f"azr-verl {argv[0]}", description=SUBCOMMANDS[argv[0]][1])
    module.add_arguments(sub_parser)
    return int(module.run(sub_parser.parse_args(argv[1:])) or 0)


if __name__ == "__main__":
    sys.exit(main())
