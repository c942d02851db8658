"""`azr-verl doctor`: report whether veRL sees every azr-verl registration."""

from __future__ import annotations

import argparse

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser  # no options


def run(args: argparse.Namespace) -> int:
    del args
    import verl

    from azr_verl.plugin import COMPONENT_MODULES, registration_errors

    errors = registration_errors()
    print(f"veRL {verl.__version__}")
    for module in COMPONENT_MODULES:
        print(
            f"  {'FAIL' if module in errors else 'ok  '} {module}"
            + (f": {errors[module]}" if module in errors else "")
        )
    return 1 if errors else 0
