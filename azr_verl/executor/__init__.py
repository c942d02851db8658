"""Sandboxed, fast execution of model-written Python for AZR (the security boundary and the hot path).

Use `Executor` (or the shared `get_default_executor()`): sync and asyncio twins of run, check_output,
check_pairs, run_deterministic, values_equal and batch map. Each snippet runs in a fresh process
forked from a small warm fork-server (never from the caller), under rlimits, in a private directory,
without network, as an unprivileged uid when the caller is root; values are compared inside the
sandbox and only strings come back. `static_check` rejects banned modules and escape hatches first.
"""

from azr_verl.executor.executor import Executor, get_default_executor
from azr_verl.executor.results import (
    ExecLimits,
    ExecRequest,
    ExecResult,
    ExecStatus,
    IsolationReport,
    RequestKind,
)

__all__ = [
    "ExecLimits",
    "ExecRequest",
    "ExecResult",
    "ExecStatus",
    "Executor",
    "IsolationReport",
    "RequestKind",
    "get_default_executor",
]
