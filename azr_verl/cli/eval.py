"""`azr-verl eval BENCHMARK --model PATH --task TASK`: pass@1 and pass@k with executor-checked scoring.

Only `cruxeval` for now (tasks `output`, CRUXEval-O, and `input`, CRUXEval-I); more benchmarks are
entries in `azr_verl.evaluation.benchmarks.BENCHMARKS`. Every argument is checked before the model
loads, so a mistake costs seconds, not a model load.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from azr_verl.cli.generation_args import (
    add_generation_arguments,
    check_generation_args,
    load_generator_from_args,
)

if TYPE_CHECKING:
    from azr_verl.evaluation.runner import EvalSettings

__all__ = ["add_arguments", "run"]

_PREFIX = "azr-verl eval: error:"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from azr_verl.evaluation.benchmarks import BENCHMARKS

    parser.add_argument("benchmark", choices=sorted(BENCHMARKS), help="benchmark to run")
    add_generation_arguments(parser)
    parser.add_argument(
        "--task",
        required=True,
        help="; ".join(f"{b.name}: {', '.join(b.tasks)}" for b in BENCHMARKS.values())
        + " (cruxeval output = CRUXEval-O, input = CRUXEval-I)",
    )
    parser.add_argument("--n", type=int, default=1, help="samples per problem (default 1)")
    parser.add_argument(
        "--k",
        default=None,
        metavar="K1,K2",
        help="pass@k to report, each <= n (default: 1, 5, 10, ... up to n, and n)",
    )
    parser.add_argument(
        "--data",
        default=None,
        metavar="FILE.jsonl",
        help="; ".join(f"{b.name}: {b.data_help}" for b in BENCHMARKS.values()),
    )
    parser.add_argument(
        "--limit", type=int, default=None, metavar="M", help="evaluate the first M problems only"
    )
    parser.add_argument(
        "--temperature",
        type=float,
        default=None,
        help="sampling temperature (default: 0 = greedy if n == 1, else 0.8)",
    )
    parser.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    parser.add_argument(
        "--out", default=None, metavar="results.json", help="write the full report (per problem) here"
    )
    parser.add_argument(
        "--batch-size", type=int, default=16, help="hf: sequences generated together (default 16)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def _settings(args: argparse.Namespace) -> EvalSettings:
    """EvalSettings from the arguments; ValueError with the option's name on a bad value."""
    from azr_verl.evaluation.passk import parse_ks
    from azr_verl.evaluation.runner import EvalSettings, default_temperature
    from azr_verl.textgen import GenerationSettings

    if args.n < 1:
        raise ValueError(f"--n must be >= 1, got {args.n}")
    if args.limit is not None and args.limit < 1:
        raise ValueError(f"--limit must be >= 1, got {args.limit}")
    if args.batch_size < 1:
        raise ValueError(f"--batch-size must be >= 1, got {args.batch_size}")
    if args.out and Path(args.out).expanduser().is_dir():
        raise ValueError(f"--out {args.out} is a directory; give a file name such as results.json")
    temperature = default_temperature(args.n) if args.temperature is None else args.temperature
    if args.n > 1 and temperature == 0:
        logging.getLogger(__name__).warning("n=%d greedy samples are identical: pass@k equals pass@1", args.n)
    generation = GenerationSettings(temperature=temperature, top_p=args.top_p, max_tokens=args.max_tokens)
    chunk = max(1, args.batch_size // args.n) if args.backend == "hf" else 1024
    return EvalSettings(
        n=args.n, ks=parse_ks(args.k, args.n), generation=generation, problems_per_chunk=chunk
    )


def run(args: argparse.Namespace) -> int:
    from azr_verl.evaluation.benchmarks import get_benchmark
    from azr_verl.evaluation.problems import DataUnavailableError

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        benchmark = get_benchmark(args.benchmark)
        benchmark.check_task(args.task)
        settings = _settings(args)
        check_generation_args(args)
        problem_set = benchmark.load(args.task, args.data, args.limit)
    except (ValueError, FileNotFoundError, RuntimeError, DataUnavailableError) as exc:
        print(f"{_PREFIX} {exc}", file=sys.stderr)
        return 2
    print(
        f"azr-verl eval: {len(problem_set.problems)} {benchmark.name}-{args.task} problems from "
        f"{problem_set.source}; loading {args.model} ({args.backend})",
        file=sys.stderr,
    )
    generator = load_generator_from_args(args, _PREFIX, args.prompt_style, args.seed, args.batch_size)
    if generator is None:
        return 2
    from azr_verl.evaluation.report import format_table, write_report
    from azr_verl.evaluation.runner import evaluate

    report = evaluate(generator, problem_set, settings, progress=not args.no_progress)
    print(format_table(report))
    if args.out:
        meta = {
            "model": str(Path(args.model).expanduser()),
            "backend": args.backend,
            "seed": args.seed,
            "prompt_style": args.prompt_style or "auto",
        }
        try:
            print(f"  results           {write_report(report, args.out, meta)}")
        except OSError as exc:
            print(f"{_PREFIX} could not write --out {args.out}: {exc}", file=sys.stderr)
            return 1
    return 0
