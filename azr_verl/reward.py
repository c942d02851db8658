"""The veRL reward manager `azr` (`reward.reward_manager.name=azr`).

A thin adapter between veRL's reward loop and the pure scoring in `azr_verl.tasks`:
- solve: parse the answer, check it with the executor, reward 1 or a format-aware penalty, and add
  the attempt to the task's solve statistics in the buffer;
- propose: the propose agent loop already validated the proposal and ran N solver attempts; the
  learnability reward is computed from them, and a valid task is committed to the buffer before the
  reward is returned.

Every AZR sample returns the same `reward_extra_info` keys (veRL requires it), values are
numpy-friendly scalars, and nothing a model writes can make `run_single` raise: malformed text gets
its defined reward. Blocking work (SQLite over Ray, tokenizer decode) runs off the event loop.

Validation samples (veRL's `RLHFDataset` rows over `data.val_files`, see `azr_verl.validation_set`)
carry no AZR payload. They are scored by `data_source`, as veRL's naive manager would score them:
`cruxeval_o` / `cruxeval_i` with `reward_fns.cruxeval` (the executor-checked CRUXEval scoring, with
the `azr.rewards` values), any other source with veRL's `compute_score` (the run's
`reward.custom_reward_function`, else veRL's `default_compute_score`). The result dict's keys
(`score`, `acc`, `format_ok`, `verdict` for CRUXEval) become the extra info, so veRL reports
`val-core/<data_source>/acc/mean@N` (pass@1 averaged over N samples) and `val-aux/...` per source.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import math
import time
from typing import Any

from verl import DataProto
from verl.experimental.reward_loop.reward_manager import register
from verl.experimental.reward_loop.reward_manager.base import RewardManagerBase

from azr_verl.buffer.records import SolveOutcome
from azr_verl.runtime import azr_settings, shared_executor
from azr_verl.sample import (
    DATA_SOURCE,
    OUTCOME_KEY,
    PAYLOAD_KEY,
    ProposalOutcome,
    ProposalStatus,
    SlotPayload,
)
from azr_verl.tasks import Role, get_task_type, proposer_reward, task_fingerprint
from reward_fns import cruxeval
from reward_fns.scoring import reward_kwargs

__all__ = ["EXTRA_KEYS", "REWARD_MANAGER", "AZRRewardManager"]

logger = logging.getLogger(__name__)

REWARD_MANAGER = "azr"
# Present for every sample; NaN where a key does not apply to the sample's role.
EXTRA_KEYS = (
    "azr_task_type",
    "azr_role",
    "azr_valid",
    "azr_format_ok",
    "azr_solver_acc",
    "azr_exec_time_s",
    "azr_reward_time_s",
)


@register(REWARD_MANAGER)
class AZRRewardManager(RewardManagerBase):
    """Executor-backed rewards for AZR solve and propose samples.

    Args:
        config: the full trainer config (its `azr:` block configures rewards, limits, executor, buffer).
        tokenizer: decodes responses.
        compute_score: veRL's reward function (the custom one, else `default_compute_score`); scores
            validation samples of data sources other than CRUXEval's.
        buffer: the run's buffer (TaskStore's sync API); by default the run's Ray actor, found by name.
    """

    def __init__(
        self,
        config: Any,
        tokenizer: Any,
        compute_score: Any = None,
        reward_router_address: str | None = None,
        reward_model_tokenizer: Any = None,
        buffer: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(config, tokenizer, compute_score)
        self.settings = azr_settings(config)
        self._buffer = buffer
        # Validation scores on the run's scale: reward_fns' keywords for the azr.rewards values.
        self._cruxeval_kwargs = reward_kwargs(self.settings.rewards)

    @property
    def buffer(self) -> Any:
        if self._buffer is None:
            from azr_verl.buffer.remote import RemoteBuffer

            self._buffer = RemoteBuffer.for_run(self.settings.run_id)
        return self._buffer

    async def run_single(self, data: DataProto) -> dict[str, Any]:
        start = time.perf_counter()
        item = data[-1]  # a multi-turn trajectory is scored on its last turn
        extra_info = item.non_tensor_batch.get("extra_info") or {}
        if PAYLOAD_KEY not in extra_info:
            return await self._score_external(item, dict(extra_info))
        payload = SlotPayload.from_dict(extra_info[PAYLOAD_KEY])
        if payload.role is Role.SOLVE:
            score, extra = await self._score_solution(payload, await self._decode(item))
        else:
            tool_fields = item.non_tensor_batch.get("tool_extra_fields") or {}
            score, extra = await self._score_proposal(payload, tool_fields.get(OUTCOME_KEY))
        info = {"azr_task_type": payload.task_type, "azr_role": payload.role.value, **extra}
        info["azr_reward_time_s"] = time.perf_counter() - start  # whole scoring, executor included
        return {"reward_score": float(score), "reward_extra_info": info}

    async def _score_external(self, item: Any, extra_info: dict[str, Any]) -> dict[str, Any]:
        """A sample not built by the AZR dataset (validation): scored by its `data_source`.

        Raises:
            ValueError: an AZR sample without its payload, or a data source no scorer knows (a
                dataset or config error, never a model output).
        """
        data_source = str(item.non_tensor_batch.get("data_source", ""))
        if data_source == DATA_SOURCE:
            raise ValueError(f"an AZR sample without its '{PAYLOAD_KEY}' payload in extra_info")
        ground_truth = (item.non_tensor_batch.get("reward_model") or {}).get("ground_truth")
        response = await self._decode(item)
        if data_source in cruxeval.DATA_SOURCES:
            result = await cruxeval.compute_score_async(
                data_source, response, ground_truth, extra_info, **self._cruxeval_kwargs
            )
        else:
            result = await self._verl_score(data_source, response, ground_truth, extra_info)
        if isinstance(result, dict):
            return {"reward_score": float(result["score"]), "reward_extra_info": dict(result)}
        return {"reward_score": float(result), "reward_extra_info": {"acc": float(result)}}

    async def _verl_score(
        self, data_source: str, response: str, ground_truth: Any, extra_info: dict[str, Any]
    ) -> Any:
        """veRL's reward function on a non-CRUXEval sample (sync functions run off the loop)."""
        if self.compute_score is None:
            raise ValueError(f"no reward function for validation data_source {data_source!r}")
        call = {
            "data_source": data_source,
            "solution_str": response,
            "ground_truth": ground_truth,
            "extra_info": extra_info,
        }
        try:
            if inspect.iscoroutinefunction(self.compute_score):
                return await self.compute_score(**call)
            return await self.loop.run_in_executor(None, lambda: self.compute_score(**call))
        except NotImplementedError as exc:
            raise ValueError(
                f"validation sample of data_source {data_source!r}: the azr reward manager scores "
                f"{sorted(cruxeval.DATA_SOURCES)} itself and others with veRL's reward function, which "
                f"does not know it ({exc}); set reward.custom_reward_function for it"
            ) from exc

    async def _decode(self, item: Any) -> str:
        response_ids = item.batch["responses"]
        length = int(item.batch["attention_mask"][-response_ids.shape[-1] :].sum())
        valid = response_ids[:length]
        return await self.loop.run_in_executor(
            None, lambda: self.tokenizer.decode(valid, skip_special_tokens=True)
        )

    async def _score_solution(self, payload: SlotPayload, response: str) -> tuple[float, dict[str, float]]:
        task_type = get_task_type(payload.task_type, limits=self.settings.limits)
        start = time.perf_counter()
        scored = await task_type.ascore_response(
            payload.task, response, shared_executor(self.settings), self.settings.rewards
        )
        exec_s = time.perf_counter() - start
        if payload.task_id is not None:
            outcome = SolveOutcome(payload.task_id, attempts=1, successes=int(scored.correct))
            await asyncio.to_thread(self._record_outcome, outcome)
        return scored.reward, {
            "azr_valid": math.nan,
            "azr_format_ok": float(scored.answer is not None),
            "azr_solver_acc": float(scored.correct),
            "azr_exec_time_s": exec_s,
        }

    async def _score_proposal(self, payload: SlotPayload, raw_outcome: Any) -> tuple[float, dict[str, float]]:
        if raw_outcome is None:
            # Not produced by the azr_propose loop (e.g. a misconfigured agent loop): a defined reward.
            logger.warning(
                "propose sample of %s carries no '%s'; rewarded as invalid", payload.group, OUTCOME_KEY
            )
            outcome = ProposalOutcome(ProposalStatus.FAILED, reason=f"no {OUTCOME_KEY} from the agent loop")
        else:
            outcome = ProposalOutcome.from_dict(raw_outcome)
        valid = outcome.status is ProposalStatus.VALID
        reward = proposer_reward(outcome.attempt_scores if valid else None, self.settings.rewards)
        if valid:
            fingerprint = await asyncio.to_thread(task_fingerprint, outcome.task)
            await asyncio.to_thread(self._add_task, outcome.task, fingerprint, payload.step, reward)
        return reward, {
            "azr_valid": float(valid),
            "azr_format_ok": float(outcome.status is not ProposalStatus.FORMAT_ERROR),
            "azr_solver_acc": outcome.accuracy if outcome.accuracy is not None else math.nan,
            "azr_exec_time_s": outcome.exec_time_s,
        }

    def _add_task(self, task: Any, fingerprint: str, step: int, learnability: float) -> None:
        """Commit a valid proposal; returns only once it is durable (the reward follows it)."""
        self.buffer.add([task], step=step, fingerprints=[fingerprint], learnability=[learnability])

    def _record_outcome(self, outcome: SolveOutcome) -> None:
        try:
            self.buffer.record_outcomes([outcome])
        except Exception:  # statistics only: a lost update must not cost the sample its reward
            logger.warning("could not record a solve outcome for task %s", outcome.task_id, exc_info=True)
