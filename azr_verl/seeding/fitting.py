"""Keeping proposer prompts within the prompt length, as the training dataset does.

Training rebuilds a proposer prompt over `data.max_prompt_length` tokens with fewer references
(longest dropped first), and an induction prompt whose program is too long with the zero program;
seeding does the same, so the model is asked what training would ask it and a long reference can
never make a backend refuse the whole batch. Prompts are measured with the generator's tokenizer
and the template it renders with (`PromptMeter`, shared with the dataset).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from azr_verl.buffer.seeds import ZERO_PROGRAM
from azr_verl.prompt_fitting import PromptMeter, task_size
from azr_verl.seeding.pool import ProposalPrompt
from azr_verl.tasks import PromptStyle, ProposalContext
from azr_verl.textgen import chat_template_for

__all__ = ["FitStats", "fit_prompts", "prompt_meter"]


@dataclass(frozen=True)
class FitStats:
    """What fitting changed: references left out, induction programs replaced, prompts still over."""

    references_dropped: int = 0
    programs_replaced: int = 0
    overlong: int = 0

    def plus(self, other: FitStats) -> FitStats:
        return FitStats(
            self.references_dropped + other.references_dropped,
            self.programs_replaced + other.programs_replaced,
            self.overlong + other.overlong,
        )


def prompt_meter(generator: Any, max_prompt_tokens: int | None) -> PromptMeter | None:
    """A meter for the generator's tokenizer and template; None when there is no limit or tokenizer."""
    tokenizer = getattr(generator, "tokenizer", None)
    if tokenizer is None or max_prompt_tokens is None:
        return None
    template = chat_template_for(tokenizer, getattr(generator, "prompt_style", None))
    return PromptMeter(tokenizer, max_prompt_tokens, {"chat_template": template} if template else {})


def _rebuilt(prompt: ProposalPrompt, context: ProposalContext) -> ProposalPrompt:
    messages = prompt.task_type.proposer_prompt(context, PromptStyle.CHAT)
    return replace(prompt, context=context, messages=messages)


def _fit_one(prompt: ProposalPrompt, meter: PromptMeter) -> tuple[ProposalPrompt, int, int, bool]:
    """The prompt rebuilt to fit: (prompt, references dropped, program replaced, fits)."""
    context = prompt.context
    if context.program is not None:
        if context.program == ZERO_PROGRAM:
            return prompt, 0, 0, False
        zero = _rebuilt(prompt, ProposalContext(program=ZERO_PROGRAM))
        return zero, 0, 1, meter.counts([zero.messages])[0] <= meter.limit
    kept = sorted(context.references, key=task_size)
    while kept:
        kept.pop()  # the longest goes first
        candidate = _rebuilt(prompt, ProposalContext(references=tuple(kept)))
        tokens = meter.counts([candidate.messages])[0]
        if tokens <= meter.limit or not kept:
            return candidate, len(context.references) - len(kept), 0, tokens <= meter.limit
    return prompt, 0, 0, False  # no references to drop


def fit_prompts(
    prompts: Sequence[ProposalPrompt], meter: PromptMeter | None
) -> tuple[list[ProposalPrompt], FitStats]:
    """Every prompt within `meter.limit` tokens where dropping references or the program can do it."""
    if meter is None or not prompts:
        return list(prompts), FitStats()
    fitted: list[ProposalPrompt] = []
    dropped = replaced = overlong = 0
    for prompt, tokens in zip(prompts, meter.counts([p.messages for p in prompts]), strict=True):
        if tokens <= meter.limit:
            fitted.append(prompt)
            continue
        prompt, lost, swapped, fits = _fit_one(prompt, meter)
        fitted.append(prompt)
        dropped, replaced, overlong = dropped + lost, replaced + swapped, overlong + (not fits)
    return fitted, FitStats(dropped, replaced, overlong)
