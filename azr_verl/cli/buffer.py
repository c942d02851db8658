"""`azr-verl buffer stats|show|export RUN_DIR`: inspect a run's self-play buffer (read-only).

RUN_DIR is a run directory holding buffer.sqlite, or the path of a buffer file or snapshot.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from dataclasses import asdict
from pathlib import Path

__all__ = ["add_arguments", "run"]

_KINDS = ("code_o", "code_i", "code_f", "code_e")
_SOURCES = ("zero", "seed", "proposed")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    stats = actions.add_parser(
        "stats", help="counts, growth over steps, program lengths, hardest/easiest tasks"
    )
    stats.add_argument("run_dir", metavar="RUN_DIR")
    stats.add_argument("--top", type=int, default=5, help="tasks in the hardest/easiest lists (default 5)")
    stats.add_argument(
        "--min-attempts", type=int, default=4, help="solver attempts needed to be rated (default 4)"
    )
    stats.add_argument(
        "--growth-rows", type=int, default=20, help="step ranges in the growth table (default 20)"
    )
    stats.add_argument("--json", action="store_true", help="print the summary as JSON")
    show = actions.add_parser("show", help="print tasks with their statistics")
    show.add_argument("run_dir", metavar="RUN_DIR")
    show.add_argument("--kind", action="append", choices=_KINDS, default=[], help="task type (repeatable)")
    show.add_argument("--source", action="append", choices=_SOURCES, default=[], help="source (repeatable)")
    show.add_argument("--id", action="append", type=int, default=[], dest="ids", help="task id (repeatable)")
    show.add_argument("--limit", type=int, default=10, help="at most this many tasks (default 10)")
    export = actions.add_parser("export", help="write tasks as jsonl (loadable as a seed file)")
    export.add_argument("run_dir", metavar="RUN_DIR")
    export.add_argument("-o", "--output", default="-", help="output file (default: stdout)")
    export.add_argument("--kind", action="append", choices=_KINDS, default=[], help="task type (repeatable)")
    export.add_argument("--source", action="append", choices=_SOURCES, default=[], help="source (repeatable)")


def run(args: argparse.Namespace) -> int:
    from azr_verl.buffer.schema import BufferFileError
    from azr_verl.buffer.stats import open_buffer_readonly, resolve_buffer_path

    try:
        conn = open_buffer_readonly(args.run_dir)
    except BufferFileError as exc:
        print(f"azr-verl buffer: {exc}", file=sys.stderr)
        return 2
    try:
        if args.action == "stats":
            return _stats(conn, args, resolve_buffer_path(args.run_dir))
        if args.action == "show":
            return _show(conn, args)
        return _export(conn, args)
    finally:
        conn.close()


def _stats(conn: sqlite3.Connection, args: argparse.Namespace, path: Path) -> int:
    from azr_verl.buffer.stats import summarize

    summary = summarize(
        conn, path, top=args.top, min_attempts=args.min_attempts, growth_rows=args.growth_rows
    )
    if args.json:
        data = asdict(summary)
        data["path"] = str(summary.path)
        data["counts"] = [
            {"kind": k, "source": s, "tasks": n} for (k, s), n in sorted(summary.counts.items())
        ]
        print(json.dumps(data, indent=2))
        return 0
    print(f"buffer {summary.path}: {summary.total} tasks")
    kinds = sorted({k for k, _ in summary.counts})
    print(f"\n{'type':8s}" + "".join(f"{s:>10s}" for s in _SOURCES) + f"{'total':>10s}")
    for kind in kinds:
        row = [summary.counts.get((kind, s), 0) for s in _SOURCES]
        print(f"{kind:8s}" + "".join(f"{n:10d}" for n in row) + f"{sum(row):10d}")
    print(f"\n{'steps':>13s} {'added':>8s} {'dups':>8s} {'evicted':>8s} {'total':>8s}")
    for g in summary.growth:
        steps = f"{g.first_step}" if g.first_step == g.last_step else f"{g.first_step}-{g.last_step}"
        print(f"{steps:>13s} {g.added:8d} {g.duplicates:8d} {g.evicted:8d} {g.total_after:8d}")
    print(f"\n{'program lines':13s} {'min':>6s} {'median':>6s} {'p90':>6s} {'max':>6s}")
    for kind, (low, mid, p90, high) in summary.program_lines.items():
        print(f"{kind:13s} {low:6d} {mid:6d} {p90:6d} {high:6d}")
    for title, tasks in (("hardest", summary.hardest), ("easiest", summary.easiest)):
        print(f"\n{title} (solve rate over >= {args.min_attempts} attempts):")
        for t in tasks:
            print(
                f"  #{t.id:<7d} {t.kind}  {t.solve_rate:5.2f} of {t.solve_attempts:4d}  {t.first_line[:70]}"
            )
        if not tasks:
            print("  (no task has enough solver attempts yet)")
    return 0


def _show(conn: sqlite3.Connection, args: argparse.Namespace) -> int:
    from azr_verl.buffer.stats import iter_tasks

    shown = 0
    for stored in iter_tasks(conn, kinds=args.kind, sources=args.source, ids=args.ids, limit=args.limit):
        task, stats = stored.task, stored.stats
        rate = "-" if stats.solve_rate is None else f"{stats.solve_rate:.2f}"
        print(f"#{stored.id} {task.kind.value} source={stored.source.value} step={stored.step} "
              f"served={stats.times_served} solve={rate} ({stats.solve_attempts} attempts)")  # fmt: skip
        print("  " + task.program.replace("\n", "\n  "))
        for given, result in zip(task.inputs, task.outputs, strict=True):
            print(f"  f({given}) == {result}")
        if task.message:
            print(f"  message: {task.message}")
        shown += 1
    if not shown:
        print("no task matches", file=sys.stderr)
    return 0


def _export(conn: sqlite3.Connection, args: argparse.Namespace) -> int:
    from azr_verl.buffer.stats import export_jsonl

    if args.output == "-":
        written = export_jsonl(conn, sys.stdout, kinds=args.kind, sources=args.source)
    else:
        with open(args.output, "w", encoding="utf-8") as handle:
            written = export_jsonl(conn, handle, kinds=args.kind, sources=args.source)
    print(f"exported {written} tasks", file=sys.stderr)
    return 0
