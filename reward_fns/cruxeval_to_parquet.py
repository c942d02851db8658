"""Convert CRUXEval-format jsonl into the parquet layout of veRL's RLHFDataset.

    python -m reward_fns.cruxeval_to_parquet cruxeval.jsonl data/cruxeval_o --task output
    python -m reward_fns.cruxeval_to_parquet cruxeval.jsonl data/cruxeval_i --task input

Each input line is `{"code", "input", "output", "id"}`. Writes `train.parquet` and `test.parquet`
(a seeded split, `--test-fraction`) with veRL's columns: `data_source`, `prompt` (chat messages,
the same solver prompt AZR uses), `ability`, `reward_model` (`{"style": "rule", "ground_truth":
<JSON text for reward_fns.output_prediction / input_prediction>}`) and `extra_info` (`split`,
`index`, `id`, `task`).
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from azr_verl.tasks.prompts import PromptStyle
from azr_verl.tasks.registry import get_task_type
from azr_verl.tasks.task import Task, TaskKind

__all__ = ["CRUXEVAL_TASKS", "check_problem", "convert", "main", "read_problems", "rows_for"]

logger = logging.getLogger(__name__)

CRUXEVAL_TASKS: dict[str, tuple[TaskKind, str]] = {
    "output": (TaskKind.DEDUCTION, "cruxeval_o"),
    "input": (TaskKind.ABDUCTION, "cruxeval_i"),
}
"""CLI `--task` choice -> (task kind whose solver prompt is used, data_source)."""

_REQUIRED_KEYS = ("code", "input", "output")


def check_problem(problem: Any, where: str) -> dict[str, Any]:
    """`problem` as a dict, if it has the CRUXEval string fields; else a ValueError naming `where`."""
    if not isinstance(problem, dict):
        problem = {}
    missing = [key for key in _REQUIRED_KEYS if not isinstance(problem.get(key), str)]
    if missing:
        raise ValueError(f"{where}: missing string field(s) {missing}")
    return dict(problem)


def read_problems(path: Path) -> list[dict[str, Any]]:
    """CRUXEval problems from a jsonl file; a malformed line is an error naming its line number."""
    problems = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                problem = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{number}: not JSON: {exc}") from exc
            problems.append(check_problem(problem, f"{path}:{number}"))
    return problems


def rows_for(
    problems: Sequence[dict[str, Any]], task: str, split: str, indices: Sequence[int] | None = None
) -> list[dict]:
    """veRL rows for `problems`, prompting for the `task` ("output" or "input") prediction.

    `indices` are the rows' `extra_info.index` values (default 0, 1, ...).
    """
    kind, data_source = CRUXEVAL_TASKS[task]
    task_type = get_task_type(kind)
    rows = []
    indices = range(len(problems)) if indices is None else indices
    for index, problem in zip(indices, problems, strict=True):
        record = Task(
            kind=kind, program=problem["code"], inputs=(problem["input"],), outputs=(problem["output"],)
        )
        truth = {"program": problem["code"], "input": problem["input"], "output": problem["output"]}
        rows.append(
            {
                "data_source": data_source,
                "prompt": task_type.solver_prompt(record, PromptStyle.CHAT),
                "ability": "code",
                "reward_model": {"style": "rule", "ground_truth": json.dumps(truth)},
                "extra_info": {
                    "split": split,
                    "index": index,
                    "id": str(problem.get("id", index)),
                    "task": task,
                },
            }
        )
    return rows


def convert(
    source: Path, out_dir: Path, task: str, test_fraction: float = 0.2, seed: int = 0
) -> dict[str, Path]:
    """Write train/test parquet files for `task`; returns {split: path} of the files written."""
    import pandas as pd

    if task not in CRUXEVAL_TASKS:
        raise ValueError(f"task must be one of {sorted(CRUXEVAL_TASKS)}, got {task!r}")
    if not 0.0 <= test_fraction <= 1.0:  # 1.0: the whole file is an evaluation set
        raise ValueError(f"test_fraction must lie in [0, 1], got {test_fraction}")
    problems = read_problems(source)
    order = list(range(len(problems)))
    random.Random(seed).shuffle(order)
    test_count = round(len(problems) * test_fraction)
    splits = {"test": sorted(order[:test_count]), "train": sorted(order[test_count:])}
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for split, indices in splits.items():
        if not indices:
            continue
        rows = rows_for([problems[index] for index in indices], task, split, indices)
        path = out_dir / f"{split}.parquet"
        pd.DataFrame(rows).to_parquet(path, index=False)
        written[split] = path
        logger.info("wrote %d %s rows to %s", len(rows), split, path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m reward_fns.cruxeval_to_parquet",
        description="Convert CRUXEval jsonl to veRL RLHFDataset parquet (train.parquet, test.parquet).",
    )
    parser.add_argument("source", type=Path, help="CRUXEval-format jsonl: code, input, output, id per line")
    parser.add_argument("out_dir", type=Path, help="folder for train.parquet and test.parquet")
    parser.add_argument(
        "--task", choices=sorted(CRUXEVAL_TASKS), required=True, help="what the model predicts"
    )
    parser.add_argument(
        "--test-fraction",
        type=float,
        default=0.2,
        help="share of problems in test.parquet (1: all, for validation)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the train/test split")
    args = parser.parse_args(argv)
    try:
        written = convert(args.source, args.out_dir, args.task, args.test_fraction, args.seed)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for split, path in written.items():
        print(f"{split}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
