"""The veRL custom dataset of AZR self-play (`data.custom_cls.path=pkg://azr_verl.dataset`).

AZR has no data files: every prompt is built online from the run's self-play buffer. veRL wants a
map-style dataset, so this one has a virtual length and ignores the index it is asked for.

Design:
- Batches, not items: when the first item of a batch is requested, the whole batch of
  `data.train_batch_size` items is planned at once: the slots' shares (`azr.slot_weights`), one
  buffer `sample` call (fresh tasks are shared out in request order), the prompts, one
  `record_served`. Items are then handed out in order, whatever index veRL's sampler asks for, so a
  shuffling sampler cannot break the per-batch proportions.
- An internal batch counter drives everything: buffer sampling uses `step = batch + 1` (veRL's
  global step of a synchronous run) and `azr.seed`, so the same seed, counter and buffer give the
  same batch. The counter and the position inside the batch are the dataset's `state_dict`, which
  veRL's StatefulDataLoader stores in every checkpoint (`global_step_N/data.pt`); a resumed run
  continues the sequence.
- Shares: every slot gets the floor or ceiling of its exact share of each batch, and the run's
  proportions stay exact (`SlotApportioner`). Slots are interleaved inside a batch (smooth weighted
  round-robin), so the expensive propose slots spread evenly over veRL's agent-loop workers.
- A batch never comes up short. A prompt longer than `data.max_prompt_length` tokens (measured
  with the tokenizer's chat template, as the agent loop renders it) is rebuilt, never moved to
  another slot: a proposer prompt drops its longest references (as few as needed, down to none);
  an induction proposer prompt or a solver prompt takes the shortest, least reused task of its
  types from the batch's draw (which includes a few spare tasks per type), then the zero triplet. A
  prompt that still cannot fit goes out as it is (veRL left-truncates it) and is counted. All of it
  shows in `metrics()` under `azr/dataset/...`.
- Payloads (`azr_verl.sample.SlotPayload`): solve items carry the task and its buffer id; proposer
  items carry the ids of the tasks shown (references, or the task whose program an induction
  proposer probes) and, for induction, the program. Those ids and the solve ids are counted as
  served (`record_served`) once per batch.
- Sharing: `data.dataloader_num_workers` must be 0 (worker processes would each hold a copy of the
  counter and repeat batches). The buffer is the run's Ray actor, created here in the TaskRunner;
  tests pass a local `TaskStore` as `buffer=`.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Protocol

from torch.utils.data import Dataset

from azr_verl.azr_config import AZRConfig
from azr_verl.buffer.records import (
    SampleRequest,
    StoredTask,
    induction_program_request,
    reference_request,
    solver_request,
)
from azr_verl.buffer.seeds import zero_tasks
from azr_verl.sample import DATA_SOURCE, PAYLOAD_KEY, SlotPayload, agent_name
from azr_verl.tasks import (
    NO_ERROR,
    Prompt,
    PromptStyle,
    ProposalContext,
    Role,
    Task,
    TaskKind,
    TaskType,
    get_task_type,
    group_label,
)

__all__ = ["VIRTUAL_STEPS", "AZRDataset", "BufferLike", "DatasetSettings", "SlotApportioner", "slot_order"]

logger = logging.getLogger(__name__)

VIRTUAL_STEPS = 10_000
"""Batches per veRL "epoch": the virtual length is `train_batch_size * VIRTUAL_STEPS` (bounded by
`max_samples`). Kept modest because a shuffling sampler draws a permutation of the whole length; set
`trainer.total_training_steps` to choose the run length."""

_SPARE_PER_POOL = 16  # extra tasks drawn per task-type pool, as shorter substitutes
_MAX_SUBSTITUTE_TRIES = 4  # substitutes measured per slot before the zero triplet
_STATE_VERSION = 1
_TEMPLATE_OWN_KEYS = ("tokenize", "add_generation_prompt", "return_dict")


class BufferLike(Protocol):
    """What the dataset needs of the buffer (`TaskStore`, `RemoteBuffer`)."""

    def sample(
        self, requests: Sequence[SampleRequest], *, seed: int, step: int
    ) -> list[tuple[StoredTask, ...]]: ...

    def record_served(self, task_ids: Sequence[int]) -> int: ...


@dataclass(frozen=True)
class DatasetSettings:
    """The `data.*` keys the dataset reads besides `data.azr`."""

    batch_size: int
    max_prompt_length: int
    chat_template_kwargs: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_data_config(cls, config: Mapping[str, Any]) -> DatasetSettings:
        """Read and check `data.train_batch_size`, `data.max_prompt_length`,
        `data.apply_chat_template_kwargs` and `data.dataloader_num_workers`.

        Raises:
            ValueError: a value is missing or out of range; the message names the key.
        """
        for key in ("train_batch_size", "max_prompt_length"):
            value = config.get(key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"data.{key} must be an integer >= 1 for the AZR dataset, got {value!r}")
        workers = config.get("dataloader_num_workers", 0) or 0
        if workers != 0:
            raise ValueError(
                f"data.dataloader_num_workers={workers}: the AZR dataset plans whole batches from one "
                "counter, which worker processes would each copy (repeating batches); set it to 0"
            )
        kwargs = dict(config.get("apply_chat_template_kwargs") or {})
        kwargs = {str(k): v for k, v in kwargs.items() if k not in _TEMPLATE_OWN_KEYS}
        return cls(int(config["train_batch_size"]), int(config["max_prompt_length"]), kwargs)


class SlotApportioner:
    """Items per slot in each batch, a pure function of the batch number.

    Every slot gets the floor or the ceiling of its exact share in every batch; the leftover items
    go to the slots furthest behind their exact cumulative share (ties: slot order), so the run's
    proportions stay exact (cumulative error below two items). Replayed from batch 0, memoized.
    """

    def __init__(self, weights: Sequence[float], batch_size: int) -> None:
        total = sum(Fraction(w) for w in weights)
        self._shares = [Fraction(w) * batch_size / total for w in weights]
        self._batch_size = batch_size
        self._next, self._given = 0, [0] * len(weights)
        self._last: list[int] = []

    def counts(self, batch: int) -> list[int]:
        if batch < self._next - 1 or not self._last:
            self._next, self._given = 0, [0] * len(self._shares)
        while self._next <= batch:
            self._last = self._step(self._next)
            self._given = [g + c for g, c in zip(self._given, self._last, strict=True)]
            self._next += 1
        return list(self._last)

    def _step(self, batch: int) -> list[int]:
        counts = [int(s) for s in self._shares]
        behind = [s * (batch + 1) - g - c for s, g, c in zip(self._shares, self._given, counts, strict=True)]
        order = sorted(
            (i for i, s in enumerate(self._shares) if s > counts[i]), key=lambda i: (-behind[i], i)
        )
        for i in order[: self._batch_size - sum(counts)]:
            counts[i] += 1
        return counts


def slot_order(counts: Sequence[int]) -> list[int]:
    """Slot positions interleaved by smooth weighted round-robin (each slot exactly counts[i] times)."""
    total = sum(counts)
    current = [0] * len(counts)
    order: list[int] = []
    for _ in range(total):
        for i, count in enumerate(counts):
            current[i] += count
        best = max(range(len(counts)), key=lambda i: (current[i], -i))
        current[best] -= total
        order.append(best)
    return order


def _size(task: Task) -> int:
    return len(task.program) + len(task.message) + sum(len(t) for t in task.inputs + task.outputs)


def _chars(built: _Built) -> int:
    messages = built.messages
    return len(messages) if isinstance(messages, str) else sum(len(m["content"]) for m in messages)


def _zero_task(kind: TaskKind) -> Task:
    """The zero triplet as a task of `kind` (error prediction: the identity raises nothing)."""
    by_kind = {t.kind: t for t in zero_tasks()}
    if kind in by_kind:
        return by_kind[kind]
    base = by_kind[TaskKind.DEDUCTION]
    return Task(kind, base.program, base.inputs, (NO_ERROR,))


@dataclass(frozen=True)
class _Slot:
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
class _Built:
    """A slot's prompt and payload, its token count and the buffer ids it shows."""

    messages: Prompt
    payload: SlotPayload
    tokens: int = 0
    served: tuple[int, ...] = ()


class _PromptMeter:
    """Prompt lengths in tokens as the agent loop renders them (chat template, generation prompt)."""

    def __init__(self, tokenizer: Any, settings: DatasetSettings) -> None:
        self._tokenizer = tokenizer
        self.limit = settings.max_prompt_length
        self._kwargs = dict(settings.chat_template_kwargs)
        self._floors: dict[str, int] = {}

    def counts(self, prompts: Sequence[Prompt]) -> list[int]:
        if not prompts:
            return []
        encoded = self._tokenizer.apply_chat_template(
            list(prompts), add_generation_prompt=True, tokenize=True, **self._kwargs
        )
        ids = encoded["input_ids"] if isinstance(encoded, Mapping) else encoded
        return [len(x) for x in ids]

    def fitted(self, built: _Built) -> _Built | None:
        """`built` with its token count if it fits the prompt length, else None."""
        tokens = self.counts([built.messages])[0]
        return _with_tokens(built, tokens) if tokens <= self.limit else None

    def floor(self, group: str, shortest: _Built) -> int:
        """Tokens of a slot group's shortest prompt (no references, or the zero triplet), measured once."""
        if group not in self._floors:
            self._floors[group] = self.counts([shortest.messages])[0]
        return self._floors[group]


class AZRDataset(Dataset):
    """Self-play prompts from the run's buffer, one (task type, role) slot per item.

    Args:
        data_files: ignored (AZR generates its data online).
        tokenizer: the policy's tokenizer; measures prompts with its chat template.
        processor: ignored (text only).
        config: veRL's `data` config; reads `data.azr` (the `azr:` block) and the keys of
            `DatasetSettings`.
        max_samples: bounds the virtual length when > 0 (veRL's `data.train_max_samples`).
        buffer: a buffer with TaskStore's sync API; None creates (or joins) the run's buffer actor,
            which needs Ray (veRL's TaskRunner).

    Raises:
        ValueError: a `data.*` or `azr.*` setting is invalid, or `data.azr` is missing.
    """

    def __init__(
        self,
        data_files: Any = None,
        tokenizer: Any = None,
        processor: Any = None,
        config: Mapping[str, Any] | None = None,
        max_samples: int = -1,
        *,
        buffer: BufferLike | None = None,
    ) -> None:
        config = config if config is not None else {}
        if config.get("azr") is None:
            raise ValueError(
                "data.azr is missing: the AZR dataset reads the azr block there (set data.azr: ${azr})"
            )
        if tokenizer is None:
            raise ValueError("the AZR dataset needs the tokenizer to measure prompts")
        self.azr = AZRConfig.from_mapping(config.get("azr"))
        self.settings = DatasetSettings.from_data_config(config)
        self._meter = _PromptMeter(tokenizer, self.settings)
        if data_files:
            logger.info("AZR generates its data online; data files %s are not read", data_files)
        self._length = self.settings.batch_size * VIRTUAL_STEPS
        if max_samples and max_samples > 0:
            self._length = min(self._length, int(max_samples))
            if self._length < self.settings.batch_size:
                logger.warning(
                    "max_samples=%d is below one batch of %d", max_samples, self.settings.batch_size
                )
        self._buffer = buffer if buffer is not None else self._create_buffer()
        self._slots = [_Slot(get_task_type(n, self.azr.limits), r) for n in self.azr.task_types for r in Role]
        weights = [self.azr.slot_weight(s.group) for s in self._slots]
        self._apportioner = SlotApportioner(weights, self.settings.batch_size)
        # Recency-weighted references once AZRConfig has `reference_sampling: uniform|recent`.
        self._recent = getattr(self.azr, "reference_sampling", "uniform") == "recent"
        self._batch, self._position = 0, 0
        self._plan: list[dict[str, Any]] | None = None
        self._last: Counter[str] = Counter()
        self._totals: Counter[str] = Counter()

    def _create_buffer(self) -> BufferLike:
        from azr_verl.buffer.actor import create_buffer_actor
        from azr_verl.buffer.remote import RemoteBuffer

        azr = self.azr
        handle = create_buffer_actor(azr.run_id, azr.buffer_path, azr.buffer, seed_files=azr.seed_files)
        return RemoteBuffer(handle)

    # --- veRL's Dataset API -------------------------------------------------------------------
    def __len__(self) -> int:
        return self._length

    def __getitem__(self, idx: int) -> dict[str, Any]:
        """The next item of the current batch (`idx` is ignored, see the module doc)."""
        if self._position >= self.settings.batch_size:
            self._batch, self._position, self._plan = self._batch + 1, 0, None
        if self._plan is None:
            self._plan = self._plan_batch(self._batch, self._position)
        item = self._plan[self._position]
        self._position += 1
        return item

    def state_dict(self) -> dict[str, Any]:
        """The batch counter and position (veRL checkpoints it in data.pt), and the metric totals."""
        batch, position = self._batch, self._position
        if position >= self.settings.batch_size:
            batch, position = batch + 1, 0
        return {
            "version": _STATE_VERSION,
            "batch": batch,
            "position": position,
            "batch_size": self.settings.batch_size,
            "seed": self.azr.seed,
            "totals": dict(self._totals),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Continue from a `state_dict`; a changed batch size restarts at the next whole batch."""
        if state.get("version") != _STATE_VERSION:
            raise ValueError(
                f"AZR dataset state of version {state.get('version')!r}; expected {_STATE_VERSION}"
            )
        batch, position = int(state["batch"]), int(state["position"])
        if int(state["batch_size"]) != self.settings.batch_size and position:
            batch, position = batch + 1, 0
        if int(state["seed"]) != self.azr.seed:
            logger.warning("resuming with azr.seed=%d; the checkpoint used %d", self.azr.seed, state["seed"])
        self._batch, self._position, self._plan = batch, position, None
        self._totals = Counter({k: float(v) for k, v in state.get("totals", {}).items()})

    def metrics(self) -> dict[str, float]:
        """The last planned batch's figures as `azr/dataset/<name>`, run totals of the counters as
        `azr/dataset/total/<name>`.

        Counters: items, references_dropped (references left out to fit), substituted (slots
        filled with another task, including the zero triplet), zero_filled (the zero triplet
        because nothing else fit or the type has no task yet), overlong (prompts still over
        `data.max_prompt_length`). Figures: slots/<group> (items per slot), prompt_tokens/mean and
        /max, references/mean (per reference-based proposer prompt), plan_s, batch.
        """
        out = {f"azr/dataset/{k}": float(v) for k, v in self._last.items()}
        out.update({f"azr/dataset/total/{k}": float(v) for k, v in self._totals.items()})
        return out

    # --- planning ------------------------------------------------------------------------------
    def _plan_batch(self, batch: int, start: int) -> list[dict[str, Any]]:
        """All items of `batch`; the served counts of items from `start` on are recorded."""
        began = time.perf_counter()
        step = batch + 1
        counts = self._apportioner.counts(batch)
        slots = [self._slots[i] for i in slot_order(counts)]
        requests = [self._request(slot, pos) for pos, slot in enumerate(slots)]
        pool_keys = sorted({s.pool_kinds for s in slots if not s.uses_references}, key=str)
        requests += [
            SampleRequest(kinds, _SPARE_PER_POOL, slot=len(slots) + j) for j, kinds in enumerate(pool_keys)
        ]
        drawn = self._buffer.sample(requests, seed=self.azr.seed, step=step)
        fitter = _Fitter(self._meter, step, drawn)
        built = [fitter.first(slot, tasks) for slot, tasks in zip(slots, drawn, strict=False)]
        tokens = self._meter.counts([b.messages for b in built])
        built = [
            fitter.refit(slot, _with_tokens(b, n))
            if n > self.settings.max_prompt_length
            else _with_tokens(b, n)
            for slot, b, n in zip(slots, built, tokens, strict=True)
        ]
        self._buffer.record_served([t for b in built[start:] for t in b.served])
        self._record_stats(slots, built, fitter.stats, time.perf_counter() - began)
        first_index = batch * self.settings.batch_size
        return [_item(b, first_index + pos) for pos, b in enumerate(built)]

    def _request(self, slot: _Slot, pos: int) -> SampleRequest:
        if slot.role is Role.SOLVE:
            return solver_request(slot.task_type.kind, pos)
        if slot.uses_references:
            return reference_request(slot.task_type.kind, self.azr.num_references, pos, recent=self._recent)
        return induction_program_request(pos, slot.pool_kinds)

    def _record_stats(
        self, slots: list[_Slot], built: list[_Built], stats: Counter[str], plan_s: float
    ) -> None:
        tokens = [b.tokens for b in built]
        overlong = sum(n > self.settings.max_prompt_length for n in tokens)
        refs = [len(b.payload.reference_ids) for s, b in zip(slots, built, strict=True) if s.uses_references]
        last: Counter[str] = Counter({"references_dropped": 0, "substituted": 0, "zero_filled": 0})
        last.update(stats)
        last.update({"overlong": overlong, "items": len(built)})
        self._totals.update(last)
        last.update(Counter(f"slots/{s.group}" for s in slots))
        last["batch"] = self._batch
        last["plan_s"] = plan_s
        last["prompt_tokens/mean"] = sum(tokens) / len(tokens)
        last["prompt_tokens/max"] = max(tokens)
        last["references/mean"] = sum(refs) / len(refs) if refs else 0.0
        self._last = last
        if overlong:
            logger.warning(
                "batch %d: %d prompts exceed data.max_prompt_length=%d even after rebuilding (veRL "
                "left-truncates them); raise data.max_prompt_length", self._batch, overlong,
                self.settings.max_prompt_length,
            )  # fmt: skip


def _with_tokens(built: _Built, tokens: int) -> _Built:
    return _Built(built.messages, built.payload, tokens, built.served)


def _item(built: _Built, index: int) -> dict[str, Any]:
    """One veRL sample; `dummy_tensor` is the tensor field veRL's legacy trainer needs."""
    import torch

    payload = built.payload
    return {
        "raw_prompt": built.messages,
        "index": index,
        "data_source": DATA_SOURCE,
        "reward_model": {"style": "azr", "ground_truth": ""},
        "extra_info": {
            PAYLOAD_KEY: payload.to_dict(),
            "task_type": payload.task_type,
            "role": payload.role.value,
            "index": index,
        },
        "agent_name": agent_name(payload.role),
        "trr_group": payload.group,
        "dummy_tensor": torch.tensor([0], dtype=torch.uint8),
    }


class _Fitter:
    """Builds the prompts of one batch and rebuilds those over the prompt length (module doc)."""

    def __init__(self, meter: _PromptMeter, step: int, drawn: Sequence[tuple[StoredTask, ...]]) -> None:
        self._meter, self._step = meter, step
        self.stats: Counter[str] = Counter()
        self._uses: Counter[int] = Counter()
        self._by_id = {s.id: s for tasks in drawn for s in tasks}
        self._pool = sorted(self._by_id.values(), key=lambda s: (_size(s.task), s.id))

    def first(self, slot: _Slot, tasks: tuple[StoredTask, ...]) -> _Built:
        """The prompt as drawn; an empty draw (no task of the type yet) takes the zero triplet."""
        if slot.uses_references:
            return self._propose(slot, tasks)
        if not tasks:
            self.stats.update(("substituted", "zero_filled"))
            return self._task_prompt(slot, None)
        return self._task_prompt(slot, tasks[0])

    def refit(self, slot: _Slot, built: _Built) -> _Built:
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
                return _with_tokens(zero, tokens)
        return built

    def _drop_references(self, slot: _Slot, built: _Built) -> _Built:
        """Drop the longest references, down to none. The char/token rate of the prompt guesses how
        many to keep; measuring from one above the guess downwards confirms it (about 2 calls)."""
        refs = sorted((self._by_id[i] for i in built.served), key=lambda s: (_size(s.task), s.id))
        limit = self._meter.limit
        variants = [self._propose(slot, refs[:keep]) for keep in range(len(refs))]
        bare = variants[0] if variants else self._propose(slot, ())
        floor = self._meter.floor(slot.group, bare)
        if floor <= limit and refs:
            base = _chars(bare)
            rate = (built.tokens - floor) / max(_chars(built) - base, 1)
            guess = max(k for k in range(len(refs)) if floor + rate * (_chars(variants[k]) - base) <= limit)
            for keep in range(min(guess + 1, len(refs) - 1), 0, -1):
                fitted = self._meter.fitted(variants[keep])
                if fitted is not None:
                    self.stats["references_dropped"] += len(refs) - keep
                    return fitted
        self.stats["references_dropped"] += len(refs)
        return _with_tokens(bare, floor)

    def _propose(self, slot: _Slot, refs: Sequence[StoredTask]) -> _Built:
        context = ProposalContext(references=tuple(s.task for s in refs))
        messages = slot.task_type.proposer_prompt(context, PromptStyle.CHAT)
        ids = tuple(s.id for s in refs)
        payload = SlotPayload(slot.task_type.name, Role.PROPOSE, self._step, reference_ids=ids)
        return _Built(messages, payload, served=ids)

    def _task_prompt(self, slot: _Slot, stored: StoredTask | None) -> _Built:
        """A solver prompt, or an induction proposer prompt probing the task's program."""
        task = stored.task if stored is not None else _zero_task(slot.pool_kinds[0])
        ids = (stored.id,) if stored is not None else ()
        name = slot.task_type.name
        if slot.role is Role.SOLVE:
            messages = slot.task_type.solver_prompt(task, PromptStyle.CHAT)
            payload = SlotPayload(name, Role.SOLVE, self._step, task=task, task_id=ids[0] if ids else None)
        else:
            messages = slot.task_type.proposer_prompt(ProposalContext(program=task.program), PromptStyle.CHAT)
            payload = SlotPayload(name, Role.PROPOSE, self._step, program=task.program, reference_ids=ids)
        return _Built(messages, payload, served=ids)
