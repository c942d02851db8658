"""veRL agent loops `azr_propose` and `azr_solve`.

`azr_solve` is a single generation. `azr_propose` generates a proposal, validates it with the
executor and, when it is valid, lets the current policy attempt it N times concurrently; those
attempts only measure learnability and are not trained on. The outcome travels to the reward manager
in `extra_fields["azr_outcome"]`, so the reward manager never re-runs what the loop already ran.

Prompts arrive as chat messages (`raw_prompt`); the tokenizer's chat template renders them (for base
models the config sets veRL's `custom_chat_template` to the R1 text template), so the solver prompts
built here are rendered exactly as the dataset's are.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from verl.experimental.agent_loop.agent_loop import AgentLoopBase, AgentLoopOutput, register

from azr_verl.runtime import azr_settings, shared_executor
from azr_verl.sample import (
    OUTCOME_KEY,
    PAYLOAD_KEY,
    PROPOSE_AGENT,
    SOLVE_AGENT,
    ProposalOutcome,
    ProposalStatus,
    SlotPayload,
)
from azr_verl.tasks import FormatError, PromptStyle, ProposalContext, Rejection, get_task_type

__all__ = ["AZRProposeAgentLoop", "AZRSolveAgentLoop", "Generation"]


@dataclass(frozen=True)
class Generation:
    """One generated turn: what is trained on (ids, mask, log-probs) and its decoded text."""

    prompt_ids: list[int]
    response_ids: list[int]
    response_mask: list[int]
    response_logprobs: list[float] | None
    text: str
    extra_fields: dict[str, Any]
    generate_s: float


class _AZRAgentLoop(AgentLoopBase):
    """Shared plumbing: tokenize chat messages, generate, decode, package an AgentLoopOutput."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.response_length = self.rollout_config.response_length
        self.settings = azr_settings(self.config)

    async def _generate(self, messages: list[dict[str, Any]], sampling_params: dict[str, Any]) -> Generation:
        prompt_ids = self._cap_text_prompt_length(await self.ct_build_initial_tokens(messages))
        start = time.perf_counter()
        output = await self.server_manager.generate(
            request_id=uuid4().hex, prompt_ids=prompt_ids, sampling_params=sampling_params
        )
        generate_s = time.perf_counter() - start
        response_ids = list(output.token_ids)[: self.response_length]
        logprobs = list(output.log_probs)[: self.response_length] if output.log_probs else None
        text = await self.loop.run_in_executor(
            None, lambda: self.tokenizer.decode(response_ids, skip_special_tokens=True)
        )
        return Generation(
            prompt_ids=list(prompt_ids),
            response_ids=response_ids,
            response_mask=[1] * len(response_ids),
            response_logprobs=logprobs,
            text=text,
            extra_fields=dict(output.extra_fields or {}),
            generate_s=generate_s,
        )

    @staticmethod
    def _output(generation: Generation, extra_fields: dict[str, Any]) -> AgentLoopOutput:
        return AgentLoopOutput(
            prompt_ids=generation.prompt_ids,
            response_ids=generation.response_ids,
            response_mask=generation.response_mask,
            response_logprobs=generation.response_logprobs,
            num_turns=2,
            metrics={"generate_sequences": generation.generate_s},
            extra_fields={**generation.extra_fields, **extra_fields},
        )


@register(SOLVE_AGENT)
class AZRSolveAgentLoop(_AZRAgentLoop):
    """One answer to a buffer task; the reward manager checks it."""

    async def run(self, sampling_params: dict[str, Any], **kwargs: Any) -> AgentLoopOutput:
        generation = await self._generate(list(kwargs["raw_prompt"]), sampling_params)
        return self._output(generation, {})


@register(PROPOSE_AGENT)
class AZRProposeAgentLoop(_AZRAgentLoop):
    """A proposal, validated, and (when valid) N solver attempts measuring its learnability."""

    async def run(self, sampling_params: dict[str, Any], **kwargs: Any) -> AgentLoopOutput:
        payload = SlotPayload.from_dict(kwargs["extra_info"][PAYLOAD_KEY])
        # 1. generate the proposal
        generation = await self._generate(list(kwargs["raw_prompt"]), sampling_params)
        # 2. validate it and, if valid, measure how often the current policy solves it
        outcome = await self.evaluate(payload, generation.text, sampling_params)
        return self._output(generation, {OUTCOME_KEY: outcome.to_dict()})

    async def evaluate(
        self, payload: SlotPayload, response: str, sampling_params: dict[str, Any]
    ) -> ProposalOutcome:
        """Validate a proposer response and score N solver attempts on the task it defines."""
        task_type = get_task_type(payload.task_type, limits=self.settings.limits)
        executor = shared_executor(self.settings)
        start = time.perf_counter()
        result = await task_type.avalidate_response(
            response, executor, ProposalContext(program=payload.program)
        )
        exec_s = time.perf_counter() - start
        if isinstance(result, FormatError):
            return ProposalOutcome(ProposalStatus.FORMAT_ERROR, reason=result.reason, exec_time_s=exec_s)
        if isinstance(result, Rejection):
            status = ProposalStatus.REJECTED if result.rule.model_fault else ProposalStatus.FAILED
            return ProposalOutcome(status, reason=f"{result.rule.value}: {result.detail}", exec_time_s=exec_s)
        messages = task_type.solver_prompt(result, PromptStyle.CHAT)
        attempts = await asyncio.gather(
            *(
                self._generate(list(messages), sampling_params)
                for _ in range(self.settings.num_solver_attempts)
            )
        )
        start = time.perf_counter()
        scored = await asyncio.gather(
            *(task_type.ascore_response(result, a.text, executor, self.settings.rewards) for a in attempts)
        )
        exec_s += time.perf_counter() - start
        return ProposalOutcome(
            ProposalStatus.VALID,
            task=result,
            attempt_scores=tuple(1.0 if s.correct else 0.0 for s in scored),
            exec_time_s=exec_s,
        )
