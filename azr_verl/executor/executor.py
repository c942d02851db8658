"""`Executor`: the public, thread-safe sync and asyncio API over a small pool of fork-servers.

A request is static-checked here, turned into one or more wire jobs, sent to the least loaded
fork-server, and answered by futures that the server's reader thread completes. Two servers by
default (one per core on the target machine): forking is the dominant cost and each server forks on
its own core, and they run with different hash seeds, so a determinism check (whose runs go to
different servers) also catches results that depend on string-hash order.
"""

from __future__ import annotations

import ast
import asyncio
import atexit
import logging
import os
import random
import threading
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures import wait as wait_futures

from azr_verl.executor import static_check
from azr_verl.executor._client import ServerDied, ServerProcess
from azr_verl.executor.results import (
    ExecLimits,
    ExecRequest,
    ExecResult,
    ExecStatus,
    IsolationReport,
    RequestKind,
)

__all__ = ["UID_BLOCK", "Executor", "get_default_executor", "random_uid_base"]

logger = logging.getLogger(__name__)

# Sandbox uids (as root): every worker slot of an executor has its own uid, uid_base + slot, in a
# block of UID_BLOCK uids picked at random from [100000, 2**31) unless given. Distinct executors
# (a reward worker and an agent-loop worker on one machine) thus never share a uid, so no snippet
# can signal, or share a process count with, a snippet of another executor.
UID_BLOCK = 4096
_UID_FIRST = 100_000
_UID_BLOCKS = (2**31 - _UID_FIRST) // UID_BLOCK


def random_uid_base() -> int:
    """A random first uid of a block of UID_BLOCK unused uids."""
    return _UID_FIRST + random.SystemRandom().randrange(_UID_BLOCKS) * UID_BLOCK


_RESOURCE_STATUSES = (ExecStatus.SANDBOX_FAILURE, ExecStatus.TIMEOUT, ExecStatus.MEMORY_LIMIT)

_Combine = Callable[[list[ExecResult]], ExecResult]


class _Plan:
    """What one request becomes: wire jobs plus how to fold their results (or an immediate answer)."""

    __slots__ = ("combine", "immediate", "jobs", "spread")

    def __init__(
        self,
        jobs: list[dict] | None = None,
        combine: _Combine | None = None,
        immediate: ExecResult | None = None,
        spread: bool = False,
    ) -> None:
        self.jobs = jobs or []
        self.combine = combine or (lambda results: results[0])
        self.immediate = immediate
        self.spread = spread  # put each job on a different server (determinism runs)


def _rejected(reason: str) -> _Plan:
    return _Plan(immediate=ExecResult(ExecStatus.REJECTED, message=reason))


_NOT_LITERAL = object()


def _literal(text: str) -> object:
    """The value of a plain literal text (numbers, strings, bytes, containers of them), else a marker.

    `ast.literal_eval` builds builtin values without evaluating anything: no user code runs, so two
    literal texts can be compared in the caller without a process ("not executing what needs no
    execution"). Anything else (calls, names, NaN via float('nan')) goes to the sandbox.
    """
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _NOT_LITERAL


def _compare_literals(left_text: str, right_text: str) -> ExecResult | None:
    left, right = _literal(left_text), _literal(right_text)
    if left is _NOT_LITERAL or right is _NOT_LITERAL:
        return None
    try:
        equal = left == right or repr(left) == repr(right)
    except RecursionError:
        return None
    return ExecResult(ExecStatus.OK if equal else ExecStatus.WRONG, message="compared as literals")


def _combine_runs(results: list[ExecResult]) -> ExecResult:
    for result in results:
        if result.status in _RESOURCE_STATUSES:
            return result
    first = results[0]
    key = (first.status, first.value, first.error_type)
    for index, other in enumerate(results[1:], start=2):
        if (other.status, other.value, other.error_type) != key:
            described = [f"{r.status.value}:{r.error_type or r.value!s}"[:200] for r in (first, other)]
            return ExecResult(
                ExecStatus.NONDETERMINISTIC,
                message=f"run 1 gave {described[0]}, run {index} gave {described[1]}",
                wall_time_s=max(r.wall_time_s for r in results),
            )
    return first


class Executor:
    """Sandboxed execution of model-written Python (see the package docstring for the contract).

    Args:
        limits: per-snippet limits (defaults: ExecLimits()).
        max_workers: snippets running at once across all servers (default: os.cpu_count()).
        servers: fork-server processes (default: 2, or 1 when max_workers is 1).
        static_check: run the AST check before executing (turn off only to test the runtime limits).
        isolate: namespaces and privilege drop in the servers (turn off only to test the plumbing).
        uid_base: first sandbox uid when running as root (default: a random block, see UID_BLOCK).
    """

    def __init__(
        self,
        limits: ExecLimits | None = None,
        max_workers: int | None = None,
        *,
        servers: int | None = None,
        static_check: bool = True,
        isolate: bool = True,
        uid_base: int | None = None,
    ) -> None:
        self.limits = limits or ExecLimits()
        workers = max_workers if max_workers is not None else (os.cpu_count() or 1)
        if not 1 <= workers <= UID_BLOCK:
            raise ValueError(f"Executor max_workers must be in 1..{UID_BLOCK}, got {max_workers}")
        count = servers if servers is not None else min(2, workers)
        if not 1 <= count <= workers:
            raise ValueError(f"Executor servers must be in 1..max_workers ({workers}), got {servers}")
        self.max_workers = workers
        self._slots = [workers // count + (1 if index < workers % count else 0) for index in range(count)]
        self._static_check = static_check
        self._isolate = isolate
        self._uid_base = random_uid_base() if uid_base is None else uid_base
        self._servers: list[ServerProcess | None] = [None] * count
        self._lock = threading.Lock()
        self._closed = False
        self._warned = False
        self._spread_next = 0
        _LIVE_EXECUTORS.add(self)

    def _forget_servers_after_fork(self) -> None:
        """In a forked child of the caller: the servers and their pipes belong to the parent."""
        self._lock = threading.Lock()
        self._servers = [None] * len(self._servers)

    # -- lifecycle ---------------------------------------------------------------------------------
    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop every fork-server; each kills its running children first. Idempotent."""
        with self._lock:
            self._closed = True
            servers, self._servers = self._servers, [None] * len(self._servers)
        for server in servers:
            if server is not None:
                server.close()

    @property
    def isolation(self) -> IsolationReport:
        """Protections active in the sandbox (starts a server if none is running)."""
        return self._server(0).isolation

    def server_pids(self) -> list[int]:
        """PIDs of the running fork-servers (diagnostics and tests)."""
        with self._lock:
            return [server.pid for server in self._servers if server is not None and not server.dead]

    def _server(self, index: int) -> ServerProcess:
        with self._lock:
            if self._closed:
                raise RuntimeError("the executor is closed")
            server = self._servers[index]
            if server is None or server.dead:
                if server is not None:
                    logger.warning("restarting fork-server %d (pid %d)", index, server.pid)
                    server.close(timeout_s=1.0)
                first_uid = self._uid_base + sum(self._slots[:index])
                server = ServerProcess(self.limits, self._slots[index], index, self._isolate, first_uid)
                self._servers[index] = server
                self._warn_once(server.isolation)
            return server

    def _warn_once(self, report: IsolationReport) -> None:
        if self._warned or (report.complete or not self._isolate):
            return
        self._warned = True
        logger.warning(
            "executor sandbox is weaker than designed: missing %s (%s)",
            ", ".join(report.missing()),
            "; ".join(report.notes) or "not running as root",
        )

    # -- planning --------------------------------------------------------------------------------
    def _texts_too_long(self, request: ExecRequest) -> bool:
        limit = self.limits.max_text_chars
        return any(len(text) > limit for text in (request.program, *request.inputs, *request.outputs))

    def _check(self, request: ExecRequest) -> str | None:
        if not self._static_check:
            return None
        verdict = static_check.check_program(request.program) if request.program else None
        if verdict is not None and verdict.reason:
            return f"program: {verdict.reason}"
        value_inputs = request.kind is RequestKind.VALUES_EQUAL
        for text in request.inputs:
            reason = (
                static_check.check_value_text(text) if value_inputs else static_check.check_input_text(text)
            )
            if reason:
                return f"input: {reason}"
        for text in request.outputs:
            reason = static_check.check_value_text(text)
            if reason:
                return f"output: {reason}"
        return None

    def _plan(self, request: ExecRequest) -> _Plan:
        if not isinstance(request, ExecRequest):
            raise TypeError(f"expected an ExecRequest, got {type(request).__name__}")
        if self._texts_too_long(request):
            return _rejected(f"a text is longer than max_text_chars={self.limits.max_text_chars}")
        reason = self._check(request)
        if reason:
            return _rejected(reason)
        base = {"p": request.program, "a": list(request.inputs), "e": list(request.outputs)}
        kind = request.kind
        if kind is RequestKind.RUN:
            return _Plan([{**base, "op": "run"}])
        if kind is RequestKind.CHECK_OUTPUT:
            return _Plan([{**base, "op": "check"}])
        if kind is RequestKind.VALUES_EQUAL:
            literal = _compare_literals(request.inputs[0], request.outputs[0])
            if literal is not None:
                return _Plan(immediate=literal)
            return _Plan([{**base, "op": "eq"}])
        if kind is RequestKind.CHECK_PAIRS:
            if not request.inputs:
                return _Plan(
                    immediate=ExecResult(ExecStatus.WRONG, message="no pairs to check", passed=0, total=0)
                )
            return _Plan([{**base, "op": "pairs"}])
        jobs = [{**base, "op": "run"} for _ in range(request.runs)]
        return _Plan(jobs, _combine_runs, spread=True)

    # -- dispatch ----------------------------------------------------------------------------------
    def _targets(self, plans: list[_Plan]) -> list[list[int]]:
        """Server index for every job: spread runs over servers, otherwise least loaded first."""
        count = len(self._servers)
        with self._lock:
            loads = [server.in_flight if server is not None else 0 for server in self._servers]
            start = self._spread_next
            self._spread_next += 1
        targets = []
        for offset, plan in enumerate(plans):
            if plan.spread:
                targets.append([(start + offset + k) % count for k in range(len(plan.jobs))])
                continue
            chosen = []
            for _ in plan.jobs:
                index = min(range(count), key=loads.__getitem__)
                loads[index] += 1
                chosen.append(index)
            targets.append(chosen)
        return targets

    def _submit_group(self, index: int, jobs: list[dict]) -> list[Future]:
        for attempt in range(2):
            try:
                return self._server(index).submit(jobs)
            except ServerDied as exc:
                if attempt:
                    logger.error("fork-server %d is unavailable: %s", index, exc)
            except OSError as exc:  # could not even start a process
                logger.error("fork-server %d could not start: %s", index, exc)
                break
        failed = ExecResult(ExecStatus.SANDBOX_FAILURE, message="the fork-server could not be (re)started")
        futures = [Future() for _ in jobs]
        for future in futures:
            future.set_result(failed)
        return futures

    def _dispatch(self, requests: Sequence[ExecRequest]) -> tuple[list[_Plan], list[list[Future]]]:
        plans = [self._plan(request) for request in requests]
        targets = self._targets(plans)
        groups: dict[int, list[tuple[int, int, dict]]] = {}
        for plan_index, (plan, indices) in enumerate(zip(plans, targets, strict=True)):
            for job_index, (job, server_index) in enumerate(zip(plan.jobs, indices, strict=True)):
                groups.setdefault(server_index, []).append((plan_index, job_index, job))
        futures: list[list[Future]] = [[None] * len(plan.jobs) for plan in plans]  # type: ignore[list-item]
        for server_index, members in groups.items():
            submitted = self._submit_group(server_index, [job for _, _, job in members])
            for (plan_index, job_index, _), future in zip(members, submitted, strict=True):
                futures[plan_index][job_index] = future
        return plans, futures

    @staticmethod
    def _fold(plan: _Plan, results: list[ExecResult]) -> ExecResult:
        return plan.immediate if plan.immediate is not None else plan.combine(results)

    # -- sync API ------------------------------------------------------------------------------------
    def map(self, requests: Sequence[ExecRequest]) -> list[ExecResult]:
        """Run a batch in parallel; results in request order."""
        plans, futures = self._dispatch(list(requests))
        wait_futures([future for group in futures for future in group])
        return [
            self._fold(plan, [f.result() for f in group]) for plan, group in zip(plans, futures, strict=True)
        ]

    def run(self, program: str, input_text: str) -> ExecResult:
        """value = repr(f(<input_text>)); ERROR carries error_type."""
        return self.map([ExecRequest.run(program, input_text)])[0]

    def check_output(self, program: str, input_text: str, expected_output: str) -> ExecResult:
        """OK iff f(<input_text>) == (<expected_output>); else WRONG with value = the repr f gave."""
        return self.map([ExecRequest.check_output(program, input_text, expected_output)])[0]

    def check_pairs(self, program: str, inputs: Sequence[str], outputs: Sequence[str]) -> ExecResult:
        """OK iff every pair matches; passed/total set."""
        return self.map([ExecRequest.check_pairs(program, inputs, outputs)])[0]

    def run_deterministic(self, program: str, input_text: str, runs: int = 2) -> ExecResult:
        """Like run(), in `runs` fresh processes (different servers); NONDETERMINISTIC if they differ."""
        return self.map([ExecRequest.run_deterministic(program, input_text, runs)])[0]

    def values_equal(self, left: str, right: str) -> ExecResult:
        """OK iff the two value texts evaluate to equal values; WRONG otherwise.

        Two plain literals (numbers, strings, bytes, containers of them) are compared here with
        `ast.literal_eval`, which runs no code; anything else is evaluated in the sandbox.
        """
        return self.map([ExecRequest.values_equal(left, right)])[0]

    # -- async API ---------------------------------------------------------------------------------
    async def amap(self, requests: Sequence[ExecRequest]) -> list[ExecResult]:
        """Async twin of map(): awaits the futures completed by the reader threads (no polling)."""
        plans, futures = self._dispatch(list(requests))
        flat = [asyncio.wrap_future(future) for group in futures for future in group]
        results = iter(await asyncio.gather(*flat))
        return [
            self._fold(plan, [next(results) for _ in group])
            for plan, group in zip(plans, futures, strict=True)
        ]

    async def arun(self, program: str, input_text: str) -> ExecResult:
        return (await self.amap([ExecRequest.run(program, input_text)]))[0]

    async def acheck_output(self, program: str, input_text: str, expected_output: str) -> ExecResult:
        return (await self.amap([ExecRequest.check_output(program, input_text, expected_output)]))[0]

    async def acheck_pairs(self, program: str, inputs: Sequence[str], outputs: Sequence[str]) -> ExecResult:
        return (await self.amap([ExecRequest.check_pairs(program, inputs, outputs)]))[0]

    async def arun_deterministic(self, program: str, input_text: str, runs: int = 2) -> ExecResult:
        return (await self.amap([ExecRequest.run_deterministic(program, input_text, runs)]))[0]

    async def avalues_equal(self, left: str, right: str) -> ExecResult:
        return (await self.amap([ExecRequest.values_equal(left, right)]))[0]


_default: Executor | None = None
_default_lock = threading.Lock()
_LIVE_EXECUTORS: weakref.WeakSet[Executor] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    # A caller that forks (e.g. a data-loader worker) must not share the parent's server pipes:
    # replies would go to whichever process reads first. Its executors start their own servers.
    global _default_lock
    _default_lock = threading.Lock()
    for executor in list(_LIVE_EXECUTORS):
        executor._forget_servers_after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)


def get_default_executor(limits: ExecLimits | None = None) -> Executor:
    """The process-wide shared executor, created on first use and closed at exit.

    Raises:
        ValueError: `limits` differ from those the shared executor was created with.
    """
    global _default
    with _default_lock:
        if _default is None:
            _default = Executor(limits)
            atexit.register(_default.close)
        elif limits is not None and limits != _default.limits:
            raise ValueError(
                f"get_default_executor: the shared executor already uses {_default.limits}; "
                f"create your own Executor({limits}) for different limits"
            )
        return _default
