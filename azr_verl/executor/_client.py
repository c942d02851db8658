"""Caller-side handle of one fork-server process: start, submit jobs, collect results, detect death.

One reader thread per server turns result lines into completed `concurrent.futures.Future`s, so sync
callers wait on a future and async callers await `asyncio.wrap_future` of it: nobody polls, and no
thread is created per snippet. Submitting is a single `os.write` of JSON lines into a 1 MiB pipe that
the server drains continuously (it queues jobs itself), so it never waits for an execution.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import json
import logging
import os
import select
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import Future
from pathlib import Path

from azr_verl.executor.results import ExecLimits, ExecResult, ExecStatus, IsolationReport

__all__ = ["SERVER_SCRIPT", "ServerDied", "ServerProcess"]

logger = logging.getLogger(__name__)

SERVER_SCRIPT = Path(__file__).with_name("_server.py")
_START_TIMEOUT_S = 30.0
_PIPE_BYTES = 1 << 20
_STATUS = {status.value: status for status in ExecStatus}


class ServerDied(RuntimeError):
    """The fork-server is gone; in-flight jobs were failed with SANDBOX_FAILURE."""


def _to_result(data: dict) -> ExecResult:
    status = _STATUS.get(data.get("s"), ExecStatus.SANDBOX_FAILURE)
    return ExecResult(
        status=status,
        value=data.get("v"),
        error_type=data.get("t"),
        message=str(data.get("m", "")),
        passed=data.get("p"),
        total=data.get("n"),
        wall_time_s=float(data.get("w", 0.0)),
    )


class ServerProcess:
    """One running fork-server with `slots` concurrent children.

    Args:
        limits: per-snippet limits, fixed for the server's lifetime.
        slots: children that may run at once.
        index: server number; selects the hash seed and the block of sandbox uids.
        isolate: apply namespaces and privilege drop (tests of the plumbing may turn it off).
        uid_base: first sandbox uid of this server; slot k runs as uid_base + k.
    """

    def __init__(self, limits: ExecLimits, slots: int, index: int, isolate: bool, uid_base: int) -> None:
        self.index = index
        self._ids = itertools.count()
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._futures: dict[int, Future] = {}
        self.dead = False
        self._fallback_tmp = tempfile.gettempdir()
        config = {
            "slots": slots,
            "uid_base": uid_base,
            "isolate": isolate,
            "tmpfs_mb": limits.tmpfs_mb,
            "recursion_limit": limits.recursion_limit,
            "max_text_chars": limits.max_text_chars,
            "fallback_tmp": self._fallback_tmp,
            "limits": limits.to_wire(),
        }
        text = json.dumps(config)
        args = ["--isolate", text] if isolate else [text, json.dumps({"notes": ["isolation turned off"]})]
        # -S: no site-packages (snippets see the stdlib only); -s: no user site; -B: write no .pyc.
        # Not -I: it implies -E, which would drop PYTHONHASHSEED; the environment is closed anyway.
        self.proc = subprocess.Popen(
            [sys.executable, "-S", "-s", "-B", str(SERVER_SCRIPT), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={"PYTHONHASHSEED": str(index)},
            close_fds=True,
            start_new_session=True,
        )
        self._stdin = self.proc.stdin.fileno()
        try:
            fcntl.fcntl(self._stdin, fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
        except OSError:
            logger.debug("could not enlarge the fork-server request pipe", exc_info=True)
        hello = self._read_hello()
        self.pid = int(hello["pid"])
        self.isolation = IsolationReport.from_wire(hello["hello"])
        self._reader = threading.Thread(target=self._read_loop, name=f"azr-exec-reader-{index}", daemon=True)
        self._reader.start()

    def _read_hello(self) -> dict:
        ready, _, _ = select.select([self.proc.stdout], [], [], _START_TIMEOUT_S)
        line = self.proc.stdout.readline() if ready else b""
        if not line:
            self.proc.kill()
            self.proc.wait()
            raise ServerDied(f"the fork-server did not start (exit code {self.proc.returncode})")
        return json.loads(line)

    @property
    def in_flight(self) -> int:
        return len(self._futures)

    def submit(self, jobs: list[dict]) -> list[Future]:
        """Send jobs in one write; return one future per job (resolved to an ExecResult).

        Raises:
            ServerDied: the server is gone (its in-flight jobs are failed; the caller may retry on a
                new server).
        """
        futures = [Future() for _ in jobs]
        ids = [next(self._ids) for _ in jobs]
        with self._lock:
            if self.dead:
                raise ServerDied("fork-server is not running")
            self._futures.update(zip(ids, futures, strict=True))
        lines = [json.dumps({**job, "i": job_id}) for job, job_id in zip(jobs, ids, strict=True)]
        data = memoryview(("\n".join(lines) + "\n").encode("utf-8", "surrogatepass"))
        # Written outside `_lock`: the reader thread must keep draining results (it takes `_lock`)
        # while a large batch waits for room in the pipe, or server and client would block each other.
        with self._write_lock:
            try:
                while data:
                    data = data[os.write(self._stdin, data) :]
            except OSError as exc:
                with self._lock:
                    self._mark_dead_locked(f"write to fork-server failed: {exc}")
                raise ServerDied(str(exc)) from exc
        return futures

    def _read_loop(self) -> None:
        stream = self.proc.stdout
        try:
            for line in stream:
                data = json.loads(line)
                with self._lock:
                    future = self._futures.pop(data.get("i"), None)
                if future is not None:
                    future.set_result(_to_result(data))
        except (OSError, ValueError) as exc:
            logger.error("fork-server %d sent something unreadable: %s", self.index, exc)
        with self._lock:
            self._mark_dead_locked("fork-server exited")

    def _mark_dead_locked(self, reason: str) -> None:
        if not self.dead:
            self.dead = True
            if self._futures:
                logger.warning("fork-server %d (pid %s) died: %s", self.index, self.proc.pid, reason)
        failed = ExecResult(ExecStatus.SANDBOX_FAILURE, message=f"fork-server died: {reason}")
        pending, self._futures = self._futures, {}
        for future in pending.values():
            if not future.done():
                future.set_result(failed)

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop the server (it kills its children first) and reap it; idempotent."""
        with self._lock:
            self.dead = True
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self._reader is not threading.current_thread():
            self._reader.join(timeout=timeout_s)
        with self._lock:
            self._mark_dead_locked("closed")
        self.proc.stdout.close()
