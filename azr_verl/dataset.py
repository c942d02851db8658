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
- Validation: veRL builds its validation set with the same `data.custom_cls` and passes no flag
  saying which set it builds, only the files. Constructed with `data.val_files` (and those differ
  from `data.train_files`), `AZRDataset(...)` therefore returns veRL's own `RLHFDataset` over them
  (e.g. CRUXEval converted by `reward_fns.cruxeval_to_parquet`), which the `azr` reward manager
  scores with `reward_fns`. If those files do not exist (veRL's placeholder default while validation
  is off), it returns a one-row stand-in that raises a clear error if validation ever reads it.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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
from azr_verl.prompt_fitting import BuiltPrompt, PromptFitter, PromptMeter, Slot, with_tokens
from azr_verl.sample import DATA_SOURCE, PAYLOAD_KEY, agent_name
from azr_verl.slot_shares import SlotApportioner, slot_order
from azr_verl.tasks import (
    Role,
    get_task_type,
)
from azr_verl.validation_set import is_validation_build, validation_dataset

__all__ = ["VIRTUAL_STEPS", "AZRDataset", "BufferLike", "DatasetSettings", "SlotApportioner", "slot_order"]

logger = logging.getLogger(__name__)

VIRTUAL_STEPS = 10_000
"""Batches per veRL "epoch": the virtual length is `train_batch_size * VIRTUAL_STEPS` (bounded by
`max_samples`). Kept modest because a shuffling sampler draws a permutation of the whole length; set
`trainer.total_training_steps` to choose the run length."""

_SPARE_PER_POOL = 16  # extra tasks drawn per task-type pool, as shorter substitutes
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

    Constructed for validation (`is_validation_build`), it returns veRL's `RLHFDataset` over
    `data_files` instead (or `MissingValidationData`), see the module doc.
    """

    def __new__(
        cls,
        data_files: Any = None,
        tokenizer: Any = None,
        processor: Any = None,
        config: Mapping[str, Any] | None = None,
        max_samples: int = -1,
        **kwargs: Any,
    ) -> Any:
        if config is not None and is_validation_build(data_files, config):
            # Not an AZRDataset, so Python skips __init__: the validation set is veRL's own.
            return validation_dataset(data_files, tokenizer, processor, config, max_samples)
        return super().__new__(cls)

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
        self._meter = PromptMeter(
            tokenizer, self.settings.max_prompt_length, self.settings.chat_template_kwargs
        )
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
        self._slots = [Slot(get_task_type(n, self.azr.limits), r) for n in self.azr.task_types for r in Role]
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
        fitter = PromptFitter(self._meter, step, drawn)
        built = [fitter.first(slot, tasks) for slot, tasks in zip(slots, drawn, strict=False)]
        tokens = self._meter.counts([b.messages for b in built])
        built = [
            fitter.refit(slot, with_tokens(b, n))
            if n > self.settings.max_prompt_length
            else with_tokens(b, n)
            for slot, b, n in zip(slots, built, tokens, strict=True)
        ]
        self._buffer.record_served([t for b in built[start:] for t in b.served])
        self._record_stats(slots, built, fitter.stats, time.perf_counter() - began)
        first_index = batch * self.settings.batch_size
        return [_item(b, first_index + pos) for pos, b in enumerate(built)]

    def _request(self, slot: Slot, pos: int) -> SampleRequest:
        if slot.role is Role.SOLVE:
            return solver_request(slot.task_type.kind, pos)
        if slot.uses_references:
            return reference_request(slot.task_type.kind, self.azr.num_references, pos, recent=self._recent)
        return induction_program_request(pos, slot.pool_kinds)

    def _record_stats(
        self, slots: list[Slot], built: list[BuiltPrompt], stats: Counter[str], plan_s: float
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


def _item(built: BuiltPrompt, index: int) -> dict[str, Any]:
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
