"""`azr-verl train [HYDRA_OVERRIDES...]`: the same as `python -m azr_verl.main`."""

from __future__ import annotations

import argparse
import sys

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("overrides", nargs="*", help="Hydra overrides, e.g. azr.num_solver_attempts=4")


def run(args: argparse.Namespace) -> int:
    from azr_verl.main import main

    sys.argv = ["azr-verl train", *args.overrides]  # Hydra reads the command line itself
    main()
    return 0
