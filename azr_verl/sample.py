"""The wire format of one AZR sample between the dataset, the agent loops and the reward manager.

Samples cross Ray and TransferQueue, so everything here is a plain JSON-able dict on the wire and a
frozen dataclass in code. The dataset writes a `SlotPayload` under `extra_info["azr"]`; the propose
agent loop leaves a `ProposalOutcome` under `extra_fields["azr_outcome"]`, which veRL hands to the
reward manager as `tool_extra_fields`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from azr_verl.tasks.task import Role, Task, group_label

__all__ = [
    "DATA_SOURCE",
    "OUTCOME_KEY",
    "PAYLOAD_KEY",
    "PROPOSE_AGENT",
    "SOLVE_AGENT",
    "ProposalOutcome",
    "ProposalStatus",
    "SlotPayload",
    "agent_name",
    "task_from_dict",
    "task_to_dict",
]

PROPOSE_AGENT = "azr_propose"
SOLVE_AGENT = "azr_solve"
DATA_SOURCE = "azr"
PAYLOAD_KEY = "azr"  # in a sample's extra_info
OUTCOME_KEY = "azr_outcome"  # in the propose agent loop's extra_fields


def agent_name(role: Role | str) -> str:
    """The registered agent loop that serves `role`."""
    return PROPOSE_AGENT if Role(role) is Role.PROPOSE else SOLVE_AGENT


def task_to_dict(task: Task) -> dict[str, Any]:
    return {
        "kind": task.kind.value,
        "program": task.program,
        "inputs": list(task.inputs),
        "outputs": list(task.outputs),
        "message": task.message,
    }


def task_from_dict(data: Mapping[str, Any]) -> Task:
    """Inverse of `task_to_dict`.

    Raises:
        ValueError: a missing field or a field of the wrong type (a corrupted sample, never a
            model output: samples are written by our own dataset and agent loops).
    """
    try:
        return Task(
            kind=data["kind"],
            program=str(data["program"]),
            inputs=tuple(str(i) for i in data["inputs"]),
            outputs=tuple(str(o) for o in data["outputs"]),
            message=str(data.get("message", "")),
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"malformed task record {dict(data)!r}: {exc}") from None


@dataclass(frozen=True)
class SlotPayload:
    """What one dataset item asks for: a proposal or a solution, and what the prompt showed.

    Attributes:
        task_type: registered task-type name, e.g. "code_o".
        role: propose or solve.
        step: training step the item was built for (buffer bookkeeping).
        task: solve: the buffer task to solve.
        task_id: solve: its buffer id, for solve-rate statistics.
        program: induction propose: the buffer program the proposer probes.
        reference_ids: propose: buffer ids of the reference tasks shown in the prompt.
    """

    task_type: str
    role: Role
    step: int = 0
    task: Task | None = None
    task_id: int | None = None
    program: str | None = None
    reference_ids: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "role", Role(self.role))
        object.__setattr__(self, "reference_ids", tuple(int(i) for i in self.reference_ids))
        if self.role is Role.SOLVE and self.task is None:
            raise ValueError(f"a solve slot of {self.task_type} needs a task")

    @property
    def group(self) -> str:
        """The TRR++ group label, e.g. "code_o:solve"."""
        return group_label(self.task_type, self.role)

    def to_dict(self) -> dict[str, Any]:
        return {
            "task_type": self.task_type,
            "role": self.role.value,
            "step": self.step,
            "task": None if self.task is None else task_to_dict(self.task),
            "task_id": self.task_id,
            "program": self.program,
            "reference_ids": list(self.reference_ids),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SlotPayload:
        try:
            task = data.get("task")
            return cls(
                task_type=str(data["task_type"]),
                role=Role(data["role"]),
                step=int(data.get("step", 0)),
                task=None if task is None else task_from_dict(task),
                task_id=None if data.get("task_id") is None else int(data["task_id"]),
                program=data.get("program"),
                reference_ids=tuple(data.get("reference_ids") or ()),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed AZR slot payload {dict(data)!r}: {exc}") from None


class ProposalStatus(str, enum.Enum):
    VALID = "valid"
    FORMAT_ERROR = "format_error"  # no proposal could be parsed from the response
    REJECTED = "rejected"  # parsed, but the validator refused it (reason says which rule)
    FAILED = "failed"  # infrastructure failure while validating (not the model's fault)


@dataclass(frozen=True)
class ProposalOutcome:
    """What the propose agent loop found: the validated task and the solver attempts' scores.

    Attributes:
        status: see ProposalStatus.
        reason: why it is not valid ("" when valid).
        task: the validated task with executor-computed outputs (valid only).
        attempt_scores: one score in [0, 1] per solver attempt on the task (valid only).
        exec_time_s: executor wall time spent validating and checking.
    """

    status: ProposalStatus
    reason: str = ""
    task: Task | None = None
    attempt_scores: tuple[float, ...] = ()
    exec_time_s: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", ProposalStatus(self.status))
        object.__setattr__(self, "attempt_scores", tuple(float(s) for s in self.attempt_scores))
        if (self.status is ProposalStatus.VALID) != (self.task is not None):
            raise ValueError("a proposal outcome carries a task exactly when it is valid")

    @property
    def accuracy(self) -> float | None:
        """Mean solver score, None without attempts."""
        return sum(self.attempt_scores) / len(self.attempt_scores) if self.attempt_scores else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "reason": self.reason,
            "task": None if self.task is None else task_to_dict(self.task),
            "attempt_scores": list(self.attempt_scores),
            "exec_time_s": self.exec_time_s,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProposalOutcome:
        try:
            task = data.get("task")
            scores: Sequence[float] = data.get("attempt_scores") or ()
            return cls(
                status=ProposalStatus(data["status"]),
                reason=str(data.get("reason", "")),
                task=None if task is None else task_from_dict(task),
                attempt_scores=tuple(scores),
                exec_time_s=float(data.get("exec_time_s", 0.0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed AZR proposal outcome {dict(data)!r}: {exc}") from None
