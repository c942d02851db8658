"""An oracle generator for the evaluation tests: answers every CRUXEval prompt from the problem's gold.

It is no fake of a model: it implements the `TextGenerator` interface and writes its answers as
text in the `<answer>` format, so they go through the same prompt -> parse -> executor path as a
model's. It knows problems only by the exact prompt text the training converter builds, so a runner
that sent any other prompt fails with a KeyError.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from azr_verl.textgen.base import Completion, GenerationSettings
from reward_fns.cruxeval_to_parquet import read_problems, rows_for

GOLD, WRONG, GARBLED = "gold", "wrong", "garbled"

Plan = Callable[[int, int], Sequence[str]]
"""(problem index, n) -> the kind of each of the n answers (GOLD, WRONG or GARBLED)."""


def _all_gold(index: int, n: int) -> list[str]:
    return [GOLD] * n


class OracleGenerator:
    """Answers from the gold data: right (GOLD), well formatted but wrong (WRONG), or unreadable (GARBLED)."""

    def __init__(self, records: Sequence[dict], task: str, plan: Plan = _all_gold):
        rows = rows_for(records, task, split="oracle")
        self.task = task
        self.plan = plan
        self.by_prompt = {
            row["prompt"][-1]["content"]: (row["extra_info"]["index"], record)
            for row, record in zip(rows, records, strict=True)
        }
        self.calls: list[int] = []  # prompts per generate() call

    def _response(self, record: dict, kind: str) -> str:
        if kind == GARBLED:
            return "Let me think. The answer is probably 42, but I am not sure."
        tag = "output" if self.task == "output" else "input"
        if kind == GOLD:
            body = record[tag]
        # Never right: a string no CRUXEval function returns, or an argument list that raises.
        elif self.task == "output":
            body = "'azr oracle: deliberately wrong'"
        else:
            body = "1 // 0"
        return f"<think>I trace the code.</think>\n<answer>\n```{tag}\n{body}\n```\n</answer>"

    def generate(self, prompts, n: int, settings: GenerationSettings) -> list[list[Completion]]:
        self.calls.append(len(prompts))
        out = []
        for messages in prompts:
            index, record = self.by_prompt[messages[-1]["content"]]
            kinds = list(self.plan(index, n))
            out.append([Completion(self._response(record, kind), 12, "stop") for kind in kinds])
        return out


@pytest.fixture(scope="session")
def dev_file(shared_data) -> Path:
    return shared_data / "cruxeval_dev200.jsonl"


@pytest.fixture(scope="session")
def dev_records(dev_file) -> list[dict]:
    return read_problems(dev_file)


@pytest.fixture(scope="session")
def oracle():
    """`oracle(records, task, plan=None)` -> an OracleGenerator."""

    def make(records: Sequence[dict], task: str, plan: Plan | None = None) -> OracleGenerator:
        return OracleGenerator(records, task, plan or _all_gold)

    return make
