"""`azr-verl report RUN_DIR [--out DIR] [--metrics FILE ...]`: figures and one HTML page of a run.

Reads every metrics*.jsonl the trainer wrote into RUN_DIR (one per start of the trainer) and the
buffer file; read-only, so it also works while the run is going.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", metavar="RUN_DIR", help="the run directory (azr.run_dir)")
    parser.add_argument(
        "--out", metavar="DIR", default=None, help="output directory (default: RUN_DIR/report)"
    )
    parser.add_argument(
        "--metrics",
        metavar="FILE",
        nargs="+",
        action="extend",
        default=[],
        help="more veRL metrics jsonl files, merged after RUN_DIR's own (a later file wins for a step)",
    )


def run(args: argparse.Namespace) -> int:
    from azr_verl.report import ReportError, build_report

    try:
        report = build_report(args.run_dir, args.out, args.metrics)
    except ReportError as exc:
        print(f"azr-verl report: {exc}", file=sys.stderr)
        return 2
    run_data = report.run
    print(
        f"read {len(run_data.steps)} steps from {len(run_data.metrics_files)} metrics files and "
        f"{len(run_data.tasks)} buffer tasks"
    )
    for note in report.notes:
        print(f"  note: {note}")
    print(f"{len(report.png_paths)} figures in {report.out_dir}")
    print(f"report: {report.html_path}")
    return 0
