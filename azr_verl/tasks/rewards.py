"""Solver and proposer rewards as configuration with the paper's defaults, and pure functions.

Solver: `correct` when the answer checks, otherwise a format-aware penalty (the reference code:
-0.5 when well formatted but wrong, -1 when the format is broken). Proposer: learnability
`1 - acc` over N solver attempts on the proposed task; at acc 0 or 1 the task teaches nothing and
gets `extreme_accuracy` (paper 0.0, reference code -0.5: its issue #37); an invalid or badly
formatted proposal gets `invalid_proposal`.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["RewardConfig", "Verdict", "proposer_reward", "solver_reward"]


class Verdict(str, enum.Enum):
    """Outcome of checking one solver answer."""

    CORRECT = "correct"
    WRONG = "wrong"  # well formatted, checked, not right
    FORMAT_ERROR = "format_error"  # no answer could be read from the response
    SANDBOX_FAILURE = "sandbox_failure"  # the executor broke: not the model's fault; rewarded as wrong


@dataclass(frozen=True)
class RewardConfig:
    """Reward values. Defaults are the paper's; `extreme_accuracy=-0.5` reproduces the reference code.

    Attributes:
        correct: Solver reward for a correct answer.
        wrong: Solver reward for a well-formatted wrong answer (also used on sandbox failure).
        format_error: Solver reward when no answer can be parsed from the response.
        invalid_proposal: Proposer reward for a badly formatted or invalid proposal.
        extreme_accuracy: Proposer reward for a valid task that the solver always or never solves.
    """

    correct: float = 1.0
    wrong: float = -0.5
    format_error: float = -1.0
    invalid_proposal: float = -1.0
    extreme_accuracy: float = 0.0

    def __post_init__(self) -> None:
        for name in ("correct", "wrong", "format_error", "invalid_proposal", "extreme_accuracy"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"RewardConfig.{name} must be a finite number, got {value!r}")
            object.__setattr__(self, name, float(value))
        if not self.correct > self.wrong:
            raise ValueError(
                f"RewardConfig.correct={self.correct} must be greater than RewardConfig.wrong={self.wrong}; "
                "a correct answer has to earn more than a wrong one"
            )
        if not self.correct > self.format_error:
            raise ValueError(
                f"RewardConfig.correct={self.correct} must be greater than "
                f"RewardConfig.format_error={self.format_error}"
            )
        if not self.invalid_proposal <= min(0.0, self.extreme_accuracy):
            raise ValueError(
                f"RewardConfig.invalid_proposal={self.invalid_proposal} must not exceed 0 or "
                f"RewardConfig.extreme_accuracy={self.extreme_accuracy}: an invalid proposal may not earn "
                "more than a valid one"
            )

    @property
    def solver_values(self) -> frozenset[float]:
        """Every value `solver_reward` can return."""
        return frozenset({self.correct, self.wrong, self.format_error})


def solver_reward(verdict: Verdict | str, config: RewardConfig | None = None) -> float:
    """The solver's reward for one checked answer.

    Args:
        verdict: The check's outcome; a sandbox failure is rewarded like a wrong answer (the
            verdict is reported so a caller can count or mask it).
        config: Reward values; the paper's defaults when None.
    """
    config = config or RewardConfig()
    verdict = Verdict(verdict)
    if verdict is Verdict.CORRECT:
        return config.correct
    if verdict is Verdict.FORMAT_ERROR:
        return config.format_error
    return config.wrong


def proposer_reward(accuracies: Sequence[float] | None, config: RewardConfig | None = None) -> float:
    """Learnability of a proposed task from its solver attempts.

    Args:
        accuracies: One score in [0, 1] per solver attempt on the task (1 = solved), or None when the
            proposal was badly formatted or invalid.
        config: Reward values; the paper's defaults when None.

    Returns:
        `config.invalid_proposal` for None; `config.extreme_accuracy` when the mean accuracy is 0 or
        1; otherwise `1 - mean accuracy`, which lies strictly between 0 and 1.

    Raises:
        ValueError: No attempts, or a score outside [0, 1] (a caller bug, not a model error).
    """
    config = config or RewardConfig()
    if accuracies is None:
        return config.invalid_proposal
    scores = [float(score) for score in accuracies]
    if not scores:
        raise ValueError("proposer_reward needs at least one solver attempt; got an empty sequence")
    if any(not 0.0 <= score <= 1.0 for score in scores):
        raise ValueError(f"solver accuracies must lie in [0, 1], got {scores}")
    accuracy = math.fsum(scores) / len(scores)
    if accuracy <= 0.0 or accuracy >= 1.0:
        return config.extreme_accuracy
    return 1.0 - accuracy
