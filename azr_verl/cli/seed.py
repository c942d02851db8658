"""`azr-verl seed --model PATH --out FILE`: the base model proposes seed tasks without any update.

Every argument is checked before the model loads. Trailing `azr.*` overrides (as for training,
e.g. `azr.executor.limits.timeout_s=1 azr.limits.max_program_chars=2000`) set the validation
limits, so seeds pass exactly the checks the training run applies. Exit status: 0 when every task
type has --count seeds in the file, 3 when --max-rounds ran out first (the file is still valid),
2 on a usage or setup error.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from azr_verl.cli.generation_args import (
    add_generation_arguments,
    check_generation_args,
    load_generator_from_args,
)

if TYPE_CHECKING:
    from azr_verl.azr_config import AZRConfig
    from azr_verl.seeding import SeedingProgress, SeedingSettings

__all__ = ["EXIT_SHORT", "add_arguments", "run"]

EXIT_SHORT = 3
"""Exit status when --max-rounds stopped the run short of the target."""

_PREFIX = "azr-verl seed: error:"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_generation_arguments(parser)
    parser.add_argument(
        "--out", required=True, metavar="FILE", help="seed file (jsonl); a rerun continues it"
    )
    parser.add_argument("--count", type=int, default=256, help="seeds wanted per task type (default 256)")
    parser.add_argument(
        "--task-types",
        default=None,
        metavar="T1,T2",
        help="task types (default: azr.task_types, code_o,code_i,code_f)",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=64,
        help="proposer prompts per task type per round; hf also generates this many at once (default 64)",
    )
    parser.add_argument("--max-rounds", type=int, default=32, help="stop after this many rounds (default 32)")
    parser.add_argument(
        "--temperature", type=float, default=1.0, help="sampling temperature (default 1.0, as in training)"
    )
    parser.add_argument(
        "--references",
        type=int,
        default=None,
        metavar="K",
        help="reference tasks per prompt (default azr.num_references, 6)",
    )
    parser.add_argument(
        "--max-prompt-tokens",
        type=int,
        default=6144,
        help="drop references (longest first) from longer prompts, as training does (default 6144; 0: off)",
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="sampling and reference seed (default azr.seed, 0)"
    )
    parser.add_argument(
        "--from",
        dest="from_files",
        action="append",
        default=[],
        metavar="FILE",
        help="seed file whose tasks join the references and the dedup set (repeatable; not copied to --out)",
    )
    parser.add_argument("--json", action="store_true", help="print the final report as JSON")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    parser.add_argument(
        "overrides", nargs="*", metavar="azr.KEY=VALUE", help="azr.* settings, as for training"
    )


def _azr_config(overrides: list[str]) -> tuple[AZRConfig, dict[str, Any]]:
    """The `azr:` block from dotted overrides, and the keys given explicitly."""
    import yaml
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    from azr_verl.azr_config import AZRConfig

    for item in overrides:
        if not item.startswith("azr.") or "=" not in item:
            raise ValueError(f"override {item!r}: only azr.KEY=VALUE settings are accepted here")
    try:
        block = OmegaConf.to_container(OmegaConf.from_dotlist(overrides)).get("azr", {}) if overrides else {}
    except (OmegaConfBaseException, yaml.YAMLError) as exc:
        first = str(exc).splitlines()[0]
        raise ValueError(f"cannot read the overrides {overrides}: {first}") from None
    return AZRConfig.from_mapping(block), block


def _settings(args: argparse.Namespace, azr: AZRConfig) -> SeedingSettings:
    """SeedingSettings from the arguments; ValueError naming the option on a bad value."""
    from azr_verl.seeding import SeedingSettings
    from azr_verl.textgen import GenerationSettings

    names = (
        tuple(n.strip() for n in args.task_types.split(",") if n.strip())
        if args.task_types
        else azr.task_types
    )
    for option in ("count", "batch_size", "max_rounds", "max_tokens"):
        if getattr(args, option) < 1:
            raise ValueError(f"--{option.replace('_', '-')} must be >= 1, got {getattr(args, option)}")
    if args.max_prompt_tokens < 0:
        raise ValueError(f"--max-prompt-tokens must be >= 0 (0: no limit), got {args.max_prompt_tokens}")
    if args.references is not None and args.references < 0:
        raise ValueError(f"--references must be >= 0, got {args.references}")
    if Path(args.out).expanduser().is_dir():
        raise ValueError(f"--out {args.out} is a directory; give a file path")
    for path in args.from_files:
        if not Path(path).is_file():
            raise FileNotFoundError(f"--from {path}: no such file")
    generation = GenerationSettings(
        temperature=args.temperature, top_p=args.top_p, max_tokens=args.max_tokens
    )
    return SeedingSettings(
        out=Path(args.out).expanduser(),
        count=args.count,
        task_types=names,
        batch_size=args.batch_size,
        max_rounds=args.max_rounds,
        references=azr.num_references if args.references is None else args.references,
        seed=azr.seed if args.seed is None else args.seed,
        from_files=tuple(Path(p) for p in args.from_files),
        generation=generation,
        limits=azr.limits,
        max_prompt_tokens=args.max_prompt_tokens or None,
    )


class _Bar:
    """A tqdm bar on stderr: seeds in the file out of the target, with the round and the counts."""

    def __init__(self, enabled: bool, target: int) -> None:
        from tqdm import tqdm

        self._bar = tqdm(
            total=target, unit="seed", desc="seeds", file=sys.stderr, disable=not enabled, dynamic_ncols=True
        )

    def __call__(self, progress: SeedingProgress) -> None:
        proposed = sum(c.proposed for c in progress.counts)
        self._bar.total = progress.target
        self._bar.n = progress.seeds
        self._bar.set_postfix_str(
            f"round {progress.round_index}/{progress.max_rounds}, proposed {proposed}, "
            f"valid {sum(c.valid for c in progress.counts)}, dup {sum(c.duplicate for c in progress.counts)}, "
            f"rejected {sum(c.rejected_total for c in progress.counts)}, "
            f"format {sum(c.format_error_total for c in progress.counts)}"
        )

    def close(self) -> None:
        self._bar.close()


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        azr, given = _azr_config(args.overrides)
        settings = _settings(args, azr)
        check_generation_args(args)
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        print(f"{_PREFIX} {exc}", file=sys.stderr)
        return 2
    style = args.prompt_style or (azr.prompt_style.value if "prompt_style" in given else None)
    print(f"azr-verl seed: loading {args.model} ({args.backend})", file=sys.stderr)
    generator = load_generator_from_args(args, _PREFIX, style, settings.seed, args.batch_size)
    if generator is None:
        return 2
    from azr_verl.executor import Executor
    from azr_verl.seeding import SeedFileError, StopReason, format_report, run_seeding

    bar = _Bar(not args.no_progress, settings.count * len(settings.task_types))
    try:
        with Executor(azr.executor.limits, max_workers=azr.executor.max_workers) as executor:
            report = run_seeding(generator, settings, executor, progress=bar)
    except SeedFileError as exc:
        print(f"{_PREFIX} {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        bar.close()
        print(f"azr-verl seed: interrupted; the seeds already in {settings.out} are kept, and the same "
              "command continues from them", file=sys.stderr)  # fmt: skip
        return 130
    finally:
        bar.close()
    print(json.dumps(report.to_dict(), indent=2) if args.json else format_report(report))
    return EXIT_SHORT if report.stop_reason is StopReason.MAX_ROUNDS else 0
