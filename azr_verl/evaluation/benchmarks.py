"""The benchmarks `azr-verl eval` knows, by name. Adding one is one entry here and one loader module."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from azr_verl.evaluation import cruxeval
from azr_verl.evaluation.problems import ProblemSet

__all__ = ["BENCHMARKS", "Benchmark", "get_benchmark"]

Loader = Callable[[str, "str | Path | None", "int | None"], ProblemSet]
"""`load(task, data, limit)`: see `azr_verl.evaluation.cruxeval.load_cruxeval`."""


@dataclass(frozen=True)
class Benchmark:
    """A benchmark: its tasks, its loader and a one-line description of where its data comes from."""

    name: str
    tasks: tuple[str, ...]
    load: Loader
    data_help: str

    def check_task(self, task: str) -> None:
        """Raises ValueError naming the choices when `task` is not one of this benchmark's tasks."""
        if task not in self.tasks:
            raise ValueError(f"{self.name} has no task {task!r}; choose one of {', '.join(self.tasks)}")


BENCHMARKS: dict[str, Benchmark] = {
    "cruxeval": Benchmark(
        name="cruxeval",
        tasks=cruxeval.TASKS,
        load=cruxeval.load_cruxeval,
        data_help=(
            f"a CRUXEval-format jsonl ({{code, input, output, id}} per line); default: the Hugging Face "
            f"dataset {cruxeval.HF_DATASET} (split {cruxeval.HF_SPLIT})"
        ),
    ),
}


def get_benchmark(name: str) -> Benchmark:
    """The benchmark called `name`.

    Raises:
        ValueError: No such benchmark; the message lists the known ones.
    """
    try:
        return BENCHMARKS[name]
    except KeyError:
        raise ValueError(f"unknown benchmark {name!r}; known: {', '.join(sorted(BENCHMARKS))}") from None
