"""Counting what happened to every proposal of a seeding run, per task type.

Each examined proposal lands in exactly one bucket: valid (new, written to the seed file),
duplicate (valid, but its fingerprint is already known), rejected (with the `RejectionRule` the
validator named) or format error (no proposal could be read). So `proposed` always equals
`valid + duplicate + rejected + format_errors`, and `TypeCounts.balanced` checks it.
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field

from azr_verl.tasks import RejectionRule

__all__ = ["ProposalFate", "TypeCounts", "TypeTally"]


class ProposalFate(str, enum.Enum):
    """The bucket an examined proposal is counted in."""

    VALID = "valid"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    FORMAT_ERROR = "format_error"


@dataclass(frozen=True)
class TypeCounts:
    """What one task type's proposals came to.

    Attributes:
        task_type: the registered task-type name.
        proposed: proposals examined (parsed, validated and deduplicated).
        valid: new valid tasks, written to the seed file.
        duplicate: valid tasks already known (in the file, the zero triplet, a --from file, or
            earlier in the same run).
        rejected: per `RejectionRule` value, the proposals the validator refused.
        format_errors: per reason, the responses no proposal could be read from.
        truncated: examined responses that hit the token limit (informational, in any bucket).
    """

    task_type: str
    proposed: int = 0
    valid: int = 0
    duplicate: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    format_errors: dict[str, int] = field(default_factory=dict)
    truncated: int = 0

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    @property
    def format_error_total(self) -> int:
        return sum(self.format_errors.values())

    @property
    def balanced(self) -> bool:
        """Whether every proposal is in exactly one bucket (always true; checked by the tests)."""
        return self.proposed == self.valid + self.duplicate + self.rejected_total + self.format_error_total


class TypeTally:
    """The running counts of one task type; `freeze()` gives the `TypeCounts`."""

    def __init__(self, task_type: str) -> None:
        self.task_type = task_type
        self.fates: Counter[ProposalFate] = Counter()
        self.rules: Counter[str] = Counter()
        self.format_reasons: Counter[str] = Counter()
        self.truncated = 0

    def count(self, fate: ProposalFate, detail: str = "", truncated: bool = False) -> None:
        """Count one examined proposal; `detail` is the rule (rejected) or the reason (format error)."""
        self.fates[fate] += 1
        if fate is ProposalFate.REJECTED:
            self.rules[RejectionRule(detail).value] += 1
        elif fate is ProposalFate.FORMAT_ERROR:
            self.format_reasons[detail or "unreadable"] += 1
        self.truncated += int(truncated)

    @property
    def proposed(self) -> int:
        return sum(self.fates.values())

    def freeze(self) -> TypeCounts:
        return TypeCounts(
            task_type=self.task_type,
            proposed=self.proposed,
            valid=self.fates[ProposalFate.VALID],
            duplicate=self.fates[ProposalFate.DUPLICATE],
            rejected=dict(sorted(self.rules.items(), key=lambda item: (-item[1], item[0]))),
            format_errors=dict(sorted(self.format_reasons.items(), key=lambda item: (-item[1], item[0]))),
            truncated=self.truncated,
        )
