"""Value types of the executor API: statuses, results, limits, requests, the isolation report.

Everything here is plain data that crosses thread and process boundaries; results are frozen so a
caller can cache and share them.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, fields

__all__ = ["ExecLimits", "ExecRequest", "ExecResult", "ExecStatus", "IsolationReport", "RequestKind"]


class ExecStatus(str, enum.Enum):
    """Outcome of one execution; callers branch on it (user-code failure vs. infrastructure failure)."""

    OK = "ok"  # ran; for checks: the values matched
    WRONG = "wrong"  # checks only: ran, values differ
    ERROR = "error"  # user code raised (error_type/message set), incl. SyntaxError of the code
    TIMEOUT = "timeout"  # wall or CPU limit
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_TOO_LARGE = "output_too_large"  # repr (or stdout) over the cap: an error, never truncated
    REJECTED = "rejected"  # static (AST) check refused it before running; message says why
    NONDETERMINISTIC = "nondeterministic"
    SANDBOX_FAILURE = "sandbox_failure"  # infrastructure broke (not the user's fault)


@dataclass(frozen=True)
class ExecResult:
    """Result of one request. Only strings: no value produced by model code ever reaches the caller."""

    status: ExecStatus
    value: str | None = None  # run ops: repr(f(<input>)); checks: what f gave when WRONG; else None
    error_type: str | None = None  # exception class name when status is ERROR (e.g. "ZeroDivisionError")
    message: str = ""  # error message / rejection reason / traceback tail
    passed: int | None = None  # check_pairs: pairs that matched
    total: int | None = None  # check_pairs: number of pairs
    wall_time_s: float = 0.0  # time in the sandbox process (fork to result); 0 when nothing ran

    @property
    def ok(self) -> bool:
        return self.status is ExecStatus.OK


@dataclass(frozen=True)
class ExecLimits:
    """Per-snippet limits. Defaults are tuned for AZR's short pure functions.

    Attributes:
        timeout_s: wall-clock limit per execution (from fork to result); the process group is killed.
        cpu_time_s: CPU-time limit (RLIMIT_CPU, rounded up to whole seconds).
        memory_mb: address space the snippet may add on top of the interpreter (RLIMIT_AS).
        max_output_bytes: cap on the repr of a result (UTF-8); over it is OUTPUT_TOO_LARGE.
        max_stdout_bytes: cap on what the snippet may print (printed text is discarded).
        file_size_mb: largest file the snippet may write in its private directory (RLIMIT_FSIZE).
        open_files: descriptors the snippet may hold (RLIMIT_NOFILE).
        processes: tasks per sandbox uid (RLIMIT_NPROC; only enforced when running as root, where
            each worker slot has its own uid). 1 means no fork and no threads at all.
        max_text_chars: longest program, input or output text accepted; longer is REJECTED.
        recursion_limit: Python recursion limit inside the sandbox (CPython's default).
        tmpfs_mb: size of each private tmpfs mounted over /tmp, /var/tmp, /dev/shm in the sandbox.
    """

    timeout_s: float = 2.0
    cpu_time_s: float = 2.0
    memory_mb: int = 512
    max_output_bytes: int = 16_384
    max_stdout_bytes: int = 65_536
    file_size_mb: int = 16
    open_files: int = 64
    processes: int = 1
    max_text_chars: int = 100_000
    recursion_limit: int = 1000
    tmpfs_mb: int = 64

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"ExecLimits.{item.name} must be a number, got {value!r}")
            if not math.isfinite(value) or value <= 0:
                raise ValueError(f"ExecLimits.{item.name} must be a positive finite number, got {value!r}")
        if self.open_files < 8:
            raise ValueError(
                f"ExecLimits.open_files must be at least 8 (stdio and pipes), got {self.open_files}"
            )

    def to_wire(self) -> dict[str, float | int]:
        """The limits as the fork-server reads them."""
        return {item.name: getattr(self, item.name) for item in fields(self)}


class RequestKind(str, enum.Enum):
    """The operations AZR needs; see the `ExecRequest` constructors."""

    RUN = "run"
    CHECK_OUTPUT = "check_output"
    CHECK_PAIRS = "check_pairs"
    RUN_DETERMINISTIC = "run_deterministic"
    VALUES_EQUAL = "values_equal"


@dataclass(frozen=True)
class ExecRequest:
    """One unit of a batch (`Executor.map`); build it with the classmethods."""

    kind: RequestKind
    program: str = ""
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    runs: int = 1

    def __post_init__(self) -> None:
        texts = (self.program, *self.inputs, *self.outputs)
        if not all(isinstance(text, str) for text in texts):
            kinds = sorted({type(text).__name__ for text in texts if not isinstance(text, str)})
            raise TypeError(f"ExecRequest texts must be str (program, inputs, outputs); got {kinds}")

    @classmethod
    def run(cls, program: str, input_text: str) -> ExecRequest:
        """value = repr(f(<input_text>))."""
        return cls(RequestKind.RUN, program, (input_text,))

    @classmethod
    def check_output(cls, program: str, input_text: str, expected_output: str) -> ExecRequest:
        """OK iff f(<input_text>) == (<expected_output>), both evaluated in the sandbox."""
        return cls(RequestKind.CHECK_OUTPUT, program, (input_text,), (expected_output,))

    @classmethod
    def check_pairs(cls, program: str, inputs: Sequence[str], outputs: Sequence[str]) -> ExecRequest:
        """OK iff f(<inputs[k]>) == (<outputs[k]>) for every k; passed/total counted."""
        if isinstance(inputs, str) or isinstance(outputs, str):
            raise TypeError("check_pairs takes sequences of texts, not a single string")
        if len(inputs) != len(outputs):
            raise ValueError(
                f"check_pairs needs as many outputs as inputs, got {len(inputs)} and {len(outputs)}"
            )
        return cls(RequestKind.CHECK_PAIRS, program, tuple(inputs), tuple(outputs))

    @classmethod
    def run_deterministic(cls, program: str, input_text: str, runs: int = 2) -> ExecRequest:
        """Like run, `runs` times in separate fresh processes; NONDETERMINISTIC if they disagree."""
        if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
            raise ValueError(f"run_deterministic needs runs >= 1, got {runs!r}")
        return cls(RequestKind.RUN_DETERMINISTIC, program, (input_text,), runs=runs)

    @classmethod
    def values_equal(cls, left_text: str, right_text: str) -> ExecRequest:
        """OK iff the two value texts evaluate (in the sandbox) to equal values."""
        return cls(RequestKind.VALUES_EQUAL, "", (left_text,), (right_text,))


@dataclass(frozen=True)
class IsolationReport:
    """Which protections the fork-server could put in place (root gets all of them on Linux)."""

    network_namespace: bool = False  # no network at all, loopback included
    ipc_namespace: bool = False
    mount_namespace: bool = False
    readonly_root: bool = False  # every mount read-only inside the sandbox
    private_tmp: bool = False  # fresh tmpfs on /tmp, /var/tmp, /dev/shm, /run/lock
    privilege_drop: bool = False  # children run as an unprivileged uid (one per worker slot)
    process_limit: bool = False  # RLIMIT_NPROC enforced (needs the per-slot uid)
    interpreter_readable: bool = False  # the stdlib is importable by the sandbox uid
    syscall_filter: bool = False  # seccomp: keyrings, namespaces, mounts, ptrace, bpf... refused
    user_namespace: bool = False  # non-root: namespaces obtained through a user namespace
    notes: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_wire(cls, data: dict) -> IsolationReport:
        known = {item.name for item in fields(cls)} - {"notes"}
        flags = {name: bool(data.get(name)) for name in known}
        return cls(**flags, notes=tuple(str(note) for note in data.get("notes") or ()))

    @property
    def complete(self) -> bool:
        """True when every protection is active."""
        return all(
            getattr(self, item.name) for item in fields(self) if item.name not in ("notes", "user_namespace")
        )

    def missing(self) -> list[str]:
        """Names of the protections that are not active."""
        skip = ("notes", "user_namespace")
        return [item.name for item in fields(self) if item.name not in skip and not getattr(self, item.name)]
