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
    args = parser.parse_args(argv)
    sys.stdout.write(f"{builders[args.model]()}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
