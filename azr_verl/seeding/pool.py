"""The tasks a seeding run knows: a private self-play buffer that picks references and dedups.

It is a real `TaskStore` (in a temporary directory), so references are drawn exactly as the
training dataset draws them (`reference_request`: K distinct tasks of the type, uniformly;
`induction_program_request`: one deduction or abduction program for an induction proposer), and a
task is a duplicate exactly when the training buffer would call it one (same type and fingerprint).
It starts with the zero triplet, the tasks of any `--from` files and those already in the output.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from azr_verl.buffer import BufferConfig, TaskStore, induction_program_request, reference_request
from azr_verl.buffer.records import SampleRequest
from azr_verl.buffer.seeds import ZERO_PROGRAM
from azr_verl.tasks import Prompt, PromptStyle, ProposalContext, Source, Task, TaskType

__all__ = ["ProposalPrompt", "SeedPool"]


@dataclass(frozen=True)
class ProposalPrompt:
    """One proposer prompt of a round: its task type, what it shows, and the chat messages."""

    task_type: TaskType
    context: ProposalContext
    messages: Prompt


class SeedPool:
    """Known tasks of a seeding run, in a throw-away buffer file. Use as a context manager."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="azr-seed-pool-")
        config = BufferConfig(max_tasks_per_kind=0, synchronous="normal", check_on_open=False)
        self._store = TaskStore(Path(self._dir.name) / "pool.sqlite", config)
        self._store.seed_zero()

    def close(self) -> None:
        self._store.close()
        self._dir.cleanup()

    def __enter__(self) -> SeedPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add_known(self, tasks: Sequence[Task], fingerprints: Sequence[str] | None = None) -> int:
        """Add tasks that are not proposals of this run (files); returns how many were new.

        `fingerprints`: their `task_fingerprint`s when the caller has them (computed here otherwise).
        """
        results = self._store.add(tasks, source=Source.SEED, fingerprints=fingerprints)
        return sum(result.inserted for result in results)

    def add_proposed(
        self, tasks: Sequence[Task], fingerprints: Sequence[str], round_index: int
    ) -> list[bool]:
        """Add validated proposals in order; per task, whether it was new (False: a duplicate)."""
        results = self._store.add(tasks, source=Source.PROPOSED, step=round_index, fingerprints=fingerprints)
        return [result.inserted for result in results]

    def prompts(
        self, task_types: Sequence[TaskType], per_type: int, references: int, seed: int, round_index: int
    ) -> list[ProposalPrompt]:
        """`per_type` proposer prompts for each task type, drawn deterministically for the round."""
        requests: list[SampleRequest] = []
        for type_index, task_type in enumerate(task_types):
            for item in range(per_type):
                slot = type_index * per_type + item
                if task_type.program_source_kinds:
                    requests.append(induction_program_request(slot, task_type.program_source_kinds))
                else:
                    requests.append(reference_request(task_type.kind, references, slot))
        drawn = self._store.sample(requests, seed=seed, step=round_index) if requests else []
        prompts = []
        for index, tasks in enumerate(drawn):
            task_type = task_types[index // per_type]
            if task_type.program_source_kinds:
                program = tasks[0].task.program if tasks else ZERO_PROGRAM
                context = ProposalContext(program=program)
            else:
                context = ProposalContext(references=tuple(stored.task for stored in tasks))
            prompts.append(
                ProposalPrompt(task_type, context, task_type.proposer_prompt(context, PromptStyle.CHAT))
            )
        return prompts
