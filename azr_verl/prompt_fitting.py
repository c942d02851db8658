"""Building the prompts of a dataset batch and rebuilding those over the prompt length.

A prompt longer than `data.max_prompt_length` tokens (measured with the tokenizer's chat template, as
the agent loop renders it) is rebuilt, never moved to another slot: a proposer prompt drops its
longest references (as few as needed, down to none); an induction proposer prompt or a solver prompt
takes the shortest, least reused task of its types from the batch's draw, then the zero triplet.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from azr_verl.buffer.records import StoredTask
from azr_verl.buffer.seeds import zero_tasks
from azr_verl.sample import SlotPayload
from azr_verl.tasks import (
    NO_ERROR,
    Prompt,
    PromptStyle,
    ProposalContext,
    Role,
    Task,
    TaskKind,
    TaskType,
    group_label,
)

__all__ = ["BuiltPrompt", "PromptFitter", "PromptMeter", "Slot", "task_size", "with_tokens", "zero_task"]

_MAX_SUBSTITUTE_TRIES = 4  # substitutes measured per slot before the zero triplet


def task_size(task: Task) -> int:
    return len(task.program) + len(task.message) + sum(len(t) for t in task.inputs + task.outputs)


def prompt_chars(built: BuiltPrompt) -> int:
    messages = built.messages
    return len(messages) if isinstance(messages, str) else sum(len(m["content"]) for m in messages)


def zero_task(kind: TaskKind) -> Task:
    """The zero triplet as a task of `kind` (error prediction: the identity raises nothing)."""
    by_kind = {t.kind: t for t in zero_tasks()}
    if kind in by_kind:
        return by_kind[kind]
    base = by_kind[TaskKind.DEDUCTION]
    return Task(kind, base.program, base.inputs, (NO_ERROR,))


@dataclass(frozen=True)
class Slot:
    """One (task type, role) slot of the run."""

    task_type: TaskType
    role: Role

    @property
    def group(self) -> str:
        return group_label(self.task_type.name, self.role)

    @property
    def pool_kinds(self) -> tuple[TaskKind, ...]:
        """Task types whose tasks can fill this slot's prompt (its task, or its program)."""
        kinds = self.task_type.program_source_kinds if self.role is Role.PROPOSE else ()
        kinds = kinds or (self.task_type.kind,)
        return tuple(sorted(set(kinds), key=lambda k: k.value))

    @property
    def uses_references(self) -> bool:
        return self.role is Role.PROPOSE and not self.task_type.program_source_kinds


@dataclass(frozen=True)
class BuiltPrompt:
    """A slot's prompt and payload, its token count and the buffer ids it shows."""

    messages: Prompt
    payload: SlotPayload
    tokens: int = 0
    served: tuple[int, ...] = ()


class PromptMeter:
    """Prompt lengths in tokens as the agent loop renders them (chat template, generation prompt)."""

    def __init__(
        self, tokenizer: Any, max_prompt_length: int, chat_template_kwargs: Mapping[str, Any]
    ) -> None:
        self._tokenizer = tokenizer
        self.limit = max_prompt_length
        self._kwargs = dict(chat_template_kwargs)
        self._floors: dict[str, int] = {}

    def counts(self, prompts: Sequence[Prompt]) -> list[int]:
        if not prompts:
            return []
        encoded = self._tokenizer.apply_chat_template(
            list(prompts), add_generation_prompt=True, tokenize=True, **self._kwargs
        )
        ids = encoded["input_ids"] if isinstance(encoded, Mapping) else encoded
        return [len(x) for x in ids]

    def fitted(self, built: BuiltPrompt) -> BuiltPrompt | None:
        """`built` with its token count if it fits the prompt length, else None."""
        tokens = self.counts([built.messages])[0]
        return with_tokens(built, tokens) if tokens <= self.limit else None

    def floor(self, group: str, shortest: BuiltPrompt) -> int:
        """Tokens of a slot group's shortest prompt (no references, or the zero triplet), measured once."""
        if group not in self._floors:
            self._floors[group] = self.counts([shortest.messages])[0]
        return self._floors[group]


def with_tokens(built: BuiltPrompt, tokens: int) -> BuiltPrompt:
    return BuiltPrompt(built.messages, built.payload, tokens, built.served)


class PromptFitter:
    """Builds the prompts of one batch and rebuilds those over the prompt length (module doc)."""

    def __init__(self, meter: PromptMeter, step: int, drawn: Sequence[tuple[StoredTask, ...]]) -> None:
        self._meter, self._step = meter, step
        self.stats: Counter[str] = Counter()
        self._uses: Counter[int] = Counter()
        self._by_id = {s.id: s for tasks in drawn for s in tasks}
        self._pool = sorted(self._by_id.values(), key=lambda s: (task_size(s.task), s.id))

    def first(self, slot: Slot, tasks: tuple[StoredTask, ...]) -> BuiltPrompt:
        """The prompt as drawn; an empty draw (no task of the type yet) takes the zero triplet."""
        if slot.uses_references:
            return self._propose(slot, tasks)
        if not tasks:
            self.stats.update(("substituted", "zero_filled"))
            return self._task_prompt(slot, None)
        return self._task_prompt(slot, tasks[0])

    def refit(self, slot: Slot, built: BuiltPrompt) -> BuiltPrompt:
        """A prompt for `slot` that fits the prompt length if one can be found, else `built`."""
        if slot.uses_references:
            return self._drop_references(slot, built)
        candidates = [s for s in self._pool if s.task.kind in slot.pool_kinds and s.id not in built.served]
        candidates.sort(key=lambda s: self._uses[s.id])  # stable: least used, then shortest
        for stored in candidates[:_MAX_SUBSTITUTE_TRIES]:
            fitted = self._meter.fitted(self._task_prompt(slot, stored))
            if fitted is not None:
                self._uses[stored.id] += 1
                self.stats["substituted"] += 1
                return fitted
        if built.served:  # not already the zero triplet
            zero = self._task_prompt(slot, None)
            tokens = self._meter.floor(slot.group, zero)
            if tokens <= self._meter.limit:
                self.stats.update(("substituted", "zero_filled"))
                return with_tokens(zero, tokens)
        return built

    def _drop_references(self, slot: Slot, built: BuiltPrompt) -> BuiltPrompt:
        """Drop the longest references, down to none. The char/token rate of the prompt guesses how
        many to keep; measuring from one above the guess downwards confirms it (about 2 calls)."""
        refs = sorted((self._by_id[i] for i in built.served), key=lambda s: (task_size(s.task), s.id))
        limit = self._meter.limit
        variants = [self._propose(slot, refs[:keep]) for keep in range(len(refs))]
        bare = variants[0] if variants else self._propose(slot, ())
        floor = self._meter.floor(slot.group, bare)
        if floor <= limit and refs:
            base = prompt_chars(bare)
            rate = (built.tokens - floor) / max(prompt_chars(built) - base, 1)
            guess = max(
                k for k in range(len(refs)) if floor + rate * (prompt_chars(variants[k]) - base) <= limit
            )
            for keep in range(min(guess + 1, len(refs) - 1), 0, -1):
                fitted = self._meter.fitted(variants[keep])
                if fitted is not None:
                    self.stats["references_dropped"] += len(refs) - keep
                    return fitted
        self.stats["references_dropped"] += len(refs)
        return with_tokens(bare, floor)

    def _propose(self, slot: Slot, refs: Sequence[StoredTask]) -> BuiltPrompt:
        context = ProposalContext(references=tuple(s.task for s in refs))
        messages = slot.task_type.proposer_prompt(context, PromptStyle.CHAT)
        ids = tuple(s.id for s in refs)
        payload = SlotPayload(slot.task_type.name, Role.PROPOSE, self._step, reference_ids=ids)
        return BuiltPrompt(messages, payload, served=ids)

    def _task_prompt(self, slot: Slot, stored: StoredTask | None) -> BuiltPrompt:
        """A solver prompt, or an induction proposer prompt probing the task's program."""
        task = stored.task if stored is not None else zero_task(slot.pool_kinds[0])
        ids = (stored.id,) if stored is not None else ()
        name = slot.task_type.name
        if slot.role is Role.SOLVE:
            messages = slot.task_type.solver_prompt(task, PromptStyle.CHAT)
            payload = SlotPayload(name, Role.SOLVE, self._step, task=task, task_id=ids[0] if ids else None)
        else:
            messages = slot.task_type.proposer_prompt(ProposalContext(program=task.program), PromptStyle.CHAT)
            payload = SlotPayload(name, Role.PROPOSE, self._step, program=task.program, reference_ids=ids)
        return BuiltPrompt(messages, payload, served=ids)
