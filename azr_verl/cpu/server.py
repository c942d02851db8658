"""The `hf` rollout server: a Ray actor holding a transformers copy of the policy.

veRL's agent loops call `generate(prompt_ids, sampling_params, request_id, ...)` on a server handle
and expect token ids plus log-probs (`TokenOutput`). This actor answers them with
`generation.generate_batch`: concurrent requests are collected into one batch (they arrive together
when veRL fans out a GRPO group), generated in a worker thread, and resolved together.

Weights arrive from the FSDP actor after every update (`load_weights`, in buckets; the last bucket
has `final=True`). Loading and generating exclude each other, and each finished load bumps
`weights_version` and records a fingerprint of the weights, so a test can prove that generation
after an update used the updated weights: every `TokenOutput.extra_fields` carries the version, and
an optional JSON-lines trace (`engine_kwargs.hf.trace_path`) records each sync and each generated
batch.

Options under `actor_rollout_ref.rollout.engine_kwargs.hf`: `dtype` (default: `rollout.dtype`), `num_threads`
(torch threads; default all cores), `batch_wait_ms` (a batch closes once no request arrived for this
long; default 20), `max_batch_wait_ms` (or after this long; default 250), `trace_path`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import torch

from azr_verl.cpu.generation import GenerationRequest, SamplingSpec, generate_batch

__all__ = ["HFRolloutServer", "HFServerOptions", "resolve_dtype", "weights_fingerprint"]

logger = logging.getLogger(__name__)


def weights_fingerprint(named_tensors: Iterable[tuple[str, torch.Tensor]]) -> float:
    """A cheap order-independent number that changes when any weight changes (float64 sums)."""
    total = 0.0
    for index, (_name, tensor) in enumerate(sorted(named_tensors, key=lambda item: item[0])):
        values = tensor.detach().to(torch.float64)
        total += float(values.sum()) * (1 + index % 7) + float(values.abs().sum())
    return total


@dataclass(frozen=True)
class HFServerOptions:
    dtype: str | None = None
    num_threads: int = 0
    batch_wait_ms: float = 20.0
    max_batch_wait_ms: float = 250.0
    trace_path: str | None = None

    @classmethod
    def from_engine_kwargs(cls, engine_kwargs: Mapping[str, Any] | None) -> HFServerOptions:
        raw = dict((engine_kwargs or {}).get("hf") or {})
        unknown = set(raw) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(
                f"actor_rollout_ref.rollout.engine_kwargs.hf has unknown keys {sorted(unknown)}; "
                f"known: {sorted(cls.__dataclass_fields__)}"
            )
        return cls(**raw)


_DTYPES = {
    "bfloat16": torch.bfloat16,
    "bf16": torch.bfloat16,
    "float16": torch.float16,
    "fp16": torch.float16,
    "float32": torch.float32,
    "fp32": torch.float32,
}


def resolve_dtype(name: str) -> torch.dtype:
    """torch dtype of a veRL dtype name (`bfloat16`, `bf16`, `float32`, ...)."""
    try:
        return _DTYPES[str(name).lower()]
    except KeyError:
        raise ValueError(f"hf rollout dtype {name!r} is not one of {sorted(_DTYPES)}") from None


def _token_ids(value: Any) -> set[int]:
    if value is None:
        return set()
    if isinstance(value, int):
        return {value}
    return {int(v) for v in value}


class HFRolloutServer:
    """Ray actor body (wrapped with `ray.remote` by the replica). All public methods are Ray calls."""

    def __init__(
        self, config: Any, model_path: str, replica_rank: int, trust_remote_code: bool = False
    ) -> None:
        from transformers import AutoModelForCausalLM

        self.config = config
        self.replica_rank = replica_rank
        self.options = HFServerOptions.from_engine_kwargs(getattr(config, "engine_kwargs", None))
        torch.set_num_threads(self.options.num_threads or os.cpu_count() or 1)
        # Denormal floats make x86 matmuls several times slower (measured 3.6x on SmolLM2 in fp32).
        torch.set_flush_denormal(True)
        self.dtype = resolve_dtype(self.options.dtype or getattr(config, "dtype", None) or "bfloat16")
        self.model = AutoModelForCausalLM.from_pretrained(
            model_path,
            dtype=self.dtype,
            attn_implementation="sdpa",
            trust_remote_code=trust_remote_code,
        ).eval()
        generation_config = getattr(self.model, "generation_config", None)
        self.eos_ids = frozenset(
            _token_ids(getattr(generation_config, "eos_token_id", None))
            | _token_ids(self.model.config.eos_token_id)
        )
        pad = getattr(generation_config, "pad_token_id", None)
        pad = pad if pad is not None else self.model.config.pad_token_id
        self.pad_id = int(pad) if pad is not None else min(self.eos_ids, default=0)
        self.raw_logprobs = getattr(config, "logprobs_mode", "processed_logprobs") == "raw_logprobs"
        self.generator = torch.Generator().manual_seed(int(getattr(config, "seed", 0)) + replica_rank)
        self.weights_version = 0
        self.fingerprint = weights_fingerprint(self.model.state_dict().items())
        self.global_steps: int | None = None
        self.awake = True
        self._pending_names: set[str] = set()
        self._queue: list[tuple[GenerationRequest, asyncio.Future]] = []
        self._wakeup: asyncio.Event | None = None
        self._model_lock: asyncio.Lock | None = None
        self._batcher: asyncio.Task | None = None
        logger.info("hf rollout server %d: %s loaded (%s)", replica_rank, model_path, self.dtype)

    # -- generation ------------------------------------------------------------------------------

    def _sampling_spec(self, prompt_len: int, params: dict[str, Any]) -> SamplingSpec:
        cfg = self.config
        if float(params.get("repetition_penalty", 1.0)) != 1.0:
            raise ValueError("the hf rollout does not implement repetition_penalty; set it to 1.0")
        max_model_len = getattr(cfg, "max_model_len", None) or cfg.prompt_length + cfg.response_length
        room = max_model_len - prompt_len
        if room < 1:
            raise ValueError(
                f"prompt of {prompt_len} tokens leaves no room within max_model_len={max_model_len}"
            )
        wanted = params.get("max_tokens", params.get("max_new_tokens"))
        if wanted is None:
            wanted = min(cfg.response_length, cfg.prompt_length + cfg.response_length - prompt_len)
        return SamplingSpec(
            temperature=float(params.get("temperature", cfg.temperature)),
            top_p=float(params.get("top_p", cfg.top_p)),
            top_k=int(params.get("top_k", cfg.top_k)),
            max_tokens=max(1, min(int(wanted), room)),
            ignore_eos=bool(params.get("ignore_eos", getattr(cfg, "ignore_eos", False))),
        )

    def _ensure_batcher(self) -> None:
        if self._batcher is None:
            self._wakeup = asyncio.Event()
            self._model_lock = asyncio.Lock()
            self._batcher = asyncio.get_running_loop().create_task(self._batch_loop())

    async def generate(
        self,
        prompt_ids: list[int],
        sampling_params: dict[str, Any],
        request_id: str,
        image_data: Any = None,
        video_data: Any = None,
        **kwargs: Any,
    ):
        """veRL's token-in/token-out call; returns `TokenOutput` (ids, log-probs if asked, stop reason)."""
        from verl.workers.rollout.replica import TokenOutput

        if image_data is not None or video_data is not None or kwargs.get("audio_data") is not None:
            raise ValueError("the hf rollout is text-only")
        prompt = tuple(int(t) for t in prompt_ids)
        request = GenerationRequest(prompt, self._sampling_spec(len(prompt), dict(sampling_params)))
        self._ensure_batcher()
        future = asyncio.get_running_loop().create_future()
        self._queue.append((request, future))
        self._wakeup.set()
        result, version = await future
        return TokenOutput(
            token_ids=result.token_ids,
            log_probs=result.log_probs if sampling_params.get("logprobs") else None,
            stop_reason="aborted" if result.stop_reason == "aborted" else "completed",
            num_preempted=0,
            extra_fields={"global_steps": self.global_steps, "hf_weights_version": version},
        )

    async def _let_batch_fill(self, max_batch: int) -> None:
        """Wait while requests keep arriving: an agent-loop worker sends a group's requests one by one."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.options.max_batch_wait_ms / 1000
        seen = -1
        while seen != len(self._queue) and len(self._queue) < max_batch and loop.time() < deadline:
            seen = len(self._queue)
            await asyncio.sleep(self.options.batch_wait_ms / 1000)

    async def _batch_loop(self) -> None:
        max_batch = max(1, int(getattr(self.config, "max_num_seqs", 256)))
        while True:
            await self._wakeup.wait()
            await self._let_batch_fill(max_batch)
            self._wakeup.clear()
            batch, self._queue = self._queue[:max_batch], self._queue[max_batch:]
            if self._queue:
                self._wakeup.set()
            if not batch:
                continue
            async with self._model_lock:
                version = self.weights_version
                try:
                    results = await asyncio.to_thread(
                        generate_batch,
                        self.model,
                        [request for request, _ in batch],
                        self.eos_ids,
                        self.pad_id,
                        self.raw_logprobs,
                        self.generator,
                    )
                except Exception as exc:  # handed to every waiting caller, never lost
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
            logger.debug("hf rollout %d: generated a batch of %d", self.replica_rank, len(batch))
            self._trace_generation(version, len(batch))
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result((result, version))

    # -- weights -----------------------------------------------------------------------------------

    async def load_weights(
        self,
        named_tensors: list[tuple[str, torch.Tensor]],
        first: bool = True,
        final: bool = True,
        global_steps: int | None = None,
    ) -> dict[str, Any]:
        """Copy one bucket of full (unsharded) tensors into the model; `first`/`final` open/close an update.

        Raises:
            KeyError: a tensor name the model does not have (the sync would silently be partial).
            RuntimeError: the final bucket arrives while some parameters were never sent.
        """
        self._ensure_batcher()
        async with self._model_lock:
            params = self.model.state_dict(keep_vars=True)
            if first:
                self._pending_names = {name for name, _ in self.model.named_parameters()}
            for name, tensor in named_tensors:
                if name not in params:
                    self._pending_names = set()
                    raise KeyError(
                        f"hf rollout: the actor sent {name!r}, which the rollout model does not have"
                    )
                with torch.no_grad():
                    params[name].data.copy_(tensor.to(params[name].dtype))
                self._pending_names.discard(name)
            if not final:
                return {}
            missing, self._pending_names = self._pending_names, set()
            if missing:
                raise RuntimeError(f"hf rollout: weight sync ended without {sorted(missing)[:5]} ...")
            self.weights_version += 1
            self.global_steps = global_steps
            self.fingerprint = weights_fingerprint(self.model.state_dict().items())
        self._trace({"event": "sync", "version": self.weights_version, "fingerprint": self.fingerprint})
        logger.info(
            "hf rollout %d: weights version %d (global_steps=%s, fingerprint=%.6f)",
            self.replica_rank,
            self.weights_version,
            global_steps,
            self.fingerprint,
        )
        return self.state()

    def state(self) -> dict[str, Any]:
        """Weights version, fingerprint and step, for tests and diagnostics."""
        return {
            "weights_version": self.weights_version,
            "fingerprint": self.fingerprint,
            "global_steps": self.global_steps,
            "awake": self.awake,
            "dtype": str(self.dtype).removeprefix("torch."),
        }

    # -- tracing -----------------------------------------------------------------------------------

    def _trace(self, record: dict[str, Any]) -> None:
        if not self.options.trace_path:
            return
        record = {
            "time": time.time(),
            "replica": self.replica_rank,
            "global_steps": self.global_steps,
            **record,
        }
        with open(self.options.trace_path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")

    def _trace_generation(self, version: int, batch_size: int) -> None:
        self._trace(
            {"event": "generate", "version": version, "fingerprint": self.fingerprint, "batch": batch_size}
        )

    # -- lifecycle calls veRL makes on every rollout server ---------------------------------------

    async def wake_up(self, tags: list[str] | None = None) -> None:
        self.awake = True

    async def sleep(self) -> None:
        # Weights stay resident: host memory is not the scarce resource a GPU's is.
        self.awake = False

    async def set_global_steps(self, global_steps: int) -> None:
        self.global_steps = global_steps

    async def abort_all_requests(self, reset_prefix_cache: bool = True, reject_request: bool = False) -> dict:
        """Resolve queued (not yet running) requests as aborted; a running batch finishes."""
        from azr_verl.cpu.generation import GenerationResult

        queued, self._queue = self._queue, []
        for _, future in queued:
            if not future.done():
                future.set_result((GenerationResult([], [], "aborted"), self.weights_version))
        return {"aborted_count": len(queued), "request_ids": []}

    async def abort_request(self, request_id: str, reset_prefix_cache: bool = True) -> dict:
        return {"aborted": False, "request_id": request_id}

    async def _noop(self, *args: Any, **kwargs: Any) -> None:
        return None

    resume_generation = clear_kv_cache = release_kv_cache = resume_kv_cache = _noop
    start_profile = stop_profile = wait_for_requests_to_drain = _noop
