"""CRUXEval-O (output prediction) and CRUXEval-I (input prediction) problems.

Prompts and ground truths come from `reward_fns.cruxeval_to_parquet.rows_for`, and answers are
scored by `reward_fns.cruxeval.compute_score_async`: the command-line evaluation sees exactly the
prompts and the executor-checked scoring of CRUXEval validation during training.

Data: a local CRUXEval-format jsonl (`{"code", "input", "output", "id"}` per line), or the Hugging
Face dataset `cruxeval-org/cruxeval` (split `test`, 800 problems) through `datasets`.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from azr_verl.evaluation.problems import DataUnavailableError, EvalProblem, ProblemSet
from reward_fns.cruxeval import compute_score_async
from reward_fns.cruxeval_to_parquet import CRUXEVAL_TASKS, check_problem, read_problems, rows_for

__all__ = [
    "HF_DATASET",
    "HF_SPLIT",
    "TASKS",
    "hub_reachable",
    "load_cruxeval",
    "load_hub_problems",
    "problems_from_records",
]

logger = logging.getLogger(__name__)

HF_DATASET = "cruxeval-org/cruxeval"
HF_SPLIT = "test"
TASKS = tuple(sorted(CRUXEVAL_TASKS))
"""`--task` choices: `input` (CRUXEval-I, abduction) and `output` (CRUXEval-O, deduction)."""

_TRUTHY = {"1", "true", "yes", "on"}


def hub_reachable(timeout_s: float = 3.0) -> bool:
    """Whether the Hugging Face endpoint (`HF_ENDPOINT`, default huggingface.co) accepts a TCP connection.

    Checked first because `datasets` retries an unreachable hub for about 25 s before failing.
    """
    url = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    host = url.hostname or "huggingface.co"
    port = url.port or (80 if url.scheme == "http" else 443)
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def _hub_offline() -> bool:
    return any(
        os.environ.get(name, "").lower() in _TRUTHY for name in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")
    )


def load_hub_problems(
    name: str = HF_DATASET, split: str = HF_SPLIT, cache_dir: str | Path | None = None
) -> list[dict[str, Any]]:
    """The problems of the hub dataset `name` (from the local `datasets` cache when HF_HUB_OFFLINE=1).

    `cache_dir` overrides the `datasets` cache folder (default: its own, ~/.cache/huggingface).

    Raises:
        DataUnavailableError: `datasets` is missing, the hub is unreachable, or loading failed; the
            message names `--data` as the way out.
    """
    hint = "pass a local CRUXEval jsonl with --data FILE.jsonl ({'code', 'input', 'output', 'id'} per line)"
    if not _hub_offline() and not hub_reachable():
        raise DataUnavailableError(
            f"no --data file given and the Hugging Face hub is unreachable, so {name} cannot be "
            f"downloaded; {hint} (or set HF_HUB_OFFLINE=1 to use a copy in the datasets cache)"
        )
    try:
        import datasets
    except ImportError as exc:
        raise DataUnavailableError(f"loading {name} needs the `datasets` package; {hint}") from exc
    try:
        rows = datasets.load_dataset(name, split=split, cache_dir=str(cache_dir) if cache_dir else None)
    except (OSError, ValueError) as exc:  # ConnectionError and DatasetNotFoundError are OSErrors
        raise DataUnavailableError(f"could not load {name} (split {split}): {exc}; {hint}") from exc
    try:
        return [check_problem(dict(row), f"{name} row {number}") for number, row in enumerate(rows)]
    except ValueError as exc:
        raise DataUnavailableError(str(exc)) from None


def _problem(row: Mapping[str, Any]) -> EvalProblem:
    kind, _ = CRUXEVAL_TASKS[row["extra_info"]["task"]]
    return EvalProblem(
        problem_id=row["extra_info"]["id"],
        index=row["extra_info"]["index"],
        kind=kind,
        messages=tuple(dict(message) for message in row["prompt"]),
        data_source=row["data_source"],
        ground_truth=row["reward_model"]["ground_truth"],
    )


def problems_from_records(records: Sequence[Mapping[str, Any]], task: str) -> tuple[EvalProblem, ...]:
    """Evaluation problems for CRUXEval `records` (dicts with code, input, output, id), in order."""
    rows = rows_for([dict(record) for record in records], task, split="eval")
    return tuple(_problem(row) for row in rows)


def load_cruxeval(task: str, data: str | Path | None = None, limit: int | None = None) -> ProblemSet:
    """The CRUXEval problems for `task` ("input" or "output").

    Args:
        task: What the model predicts.
        data: A CRUXEval-format jsonl; None loads the Hugging Face dataset.
        limit: Keep the first `limit` problems only.

    Raises:
        ValueError: An unknown task, a bad limit, a malformed line (named by number), or no problems.
        FileNotFoundError: `data` does not exist.
        DataUnavailableError: No `data` and the hub dataset cannot be loaded.
    """
    if task not in CRUXEVAL_TASKS:
        raise ValueError(f"cruxeval has no task {task!r}; choose one of {', '.join(TASKS)}")
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit}")
    if data is None:
        records, source = load_hub_problems(), f"hf:{HF_DATASET}/{HF_SPLIT}"
    else:
        path = Path(data).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"data file {path} does not exist (expected a CRUXEval-format jsonl)")
        records, source = read_problems(path), str(path)
    if limit is not None:
        records = records[:limit]
    if not records:
        raise ValueError(f"{source} holds no problems")
    logger.info("cruxeval-%s: %d problems from %s", task, len(records), source)
    return ProblemSet("cruxeval", task, source, problems_from_records(records, task), compute_score_async)
