"""The task record shared by the buffer, the dataset, the reward manager and the agent loops."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

__all__ = ["Role", "Source", "Task", "TaskKind", "group_label", "paper_order"]


class TaskKind(str, enum.Enum):
    """AZR task types; the values are the reference implementation's ids, used in configs and logs."""

    DEDUCTION = "code_o"  # program + input -> predict the output
    ABDUCTION = "code_i"  # program + output -> find an input
    INDUCTION = "code_f"  # message + input/output pairs -> write the program
    ERROR = "code_e"  # program + input -> predict the exception type (off by default)


def paper_order(name: str) -> tuple[int, str]:
    """Sort key for task-type names in tables and plots: deduction, abduction, induction, errors (the
    paper's order), then other registered types; "code_o:solve" sorts by its task type, then role."""
    known = [kind.value for kind in TaskKind]
    task_type = name.split(":", 1)[0]
    return (known.index(task_type) if task_type in known else len(known), name)


class Role(str, enum.Enum):
    PROPOSE = "propose"
    SOLVE = "solve"


class Source(str, enum.Enum):
    """Where a buffer task came from."""

    ZERO = "zero"  # the zero triplet that lets self-play start from nothing
    SEED = "seed"  # a seed file
    PROPOSED = "proposed"  # accepted from the model during training


def group_label(task_type: TaskKind | str, role: Role | str) -> str:
    """The TRR++ group of a sample: one group per (task type, role).

    `task_type` is a registered task-type name (a user's type may have a name of its own) or a kind.
    """
    name = task_type.value if isinstance(task_type, TaskKind) else str(task_type)
    return f"{name}:{Role(role).value}"


@dataclass(frozen=True)
class Task:
    """A validated task: a program with inputs and the outputs the executor computed for them.

    Inputs are argument-list text (`f(<input>)` is the call), outputs are `repr` text of the result
    (for `code_e`, the exception type name). Deduction, abduction and error tasks have exactly one
    input and one output; induction tasks have several and a message describing the function.
    Import lines of seed files are part of `program`.
    """

    kind: TaskKind
    program: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    message: str = ""
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", TaskKind(self.kind))
        object.__setattr__(self, "inputs", tuple(self.inputs))
        object.__setattr__(self, "outputs", tuple(self.outputs))
        if len(self.inputs) != len(self.outputs):
            raise ValueError(f"task has {len(self.inputs)} inputs but {len(self.outputs)} outputs")
        if not self.inputs:
            raise ValueError("task needs at least one input/output pair")
        if self.kind is not TaskKind.INDUCTION and len(self.inputs) != 1:
            raise ValueError(f"{self.kind.value} task needs exactly one input, got {len(self.inputs)}")

    @property
    def input(self) -> str:
        """The single input of a deduction, abduction or error task."""
        return self.inputs[0]

    @property
    def output(self) -> str:
        """The single output of a deduction, abduction or error task."""
        return self.outputs[0]
