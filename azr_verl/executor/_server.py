"""The fork-server: a small stdlib-only process that forks one fresh, locked-down child per snippet.

Started by `_client.ServerProcess` as `python -S -s -B _server.py --isolate <config json>` with a
closed environment. Stage one isolates the process (namespaces, mounts: `_isolation.py`) and execs a
fresh interpreter for stage two, so the ctypes machinery is not in the heap that every fork copies.
Stage two preloads the modules snippets commonly import, builds and probes the seccomp filter
(`_seccomp.py`), freezes the GC generations so children share those pages, and serves JSON lines:

    stdin   one job per line: {"i": id, "op": ..., "p": program, "a": [texts], "e": [texts]}
    stdout  one result per line: {"i": id, "s": status, "v": ..., "t": ..., "m": ..., "w": wall_s}
            (the first line is {"hello": <isolation report>})

A single poll loop watches stdin and every child's result pipe, so many children run at once
without any thread; the loop kills a child (and its process group) at the wall deadline.
Stdin EOF, or the parent going away, ends the server after killing every child.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
import select
import signal
import sys
import time
from collections import deque

import _child
import _jobs
import _seccomp

__all__ = ["main"]

# Imported once here so a snippet's `import` is a dict lookup in the child. Kept small on purpose:
# fork and exit cost grow with the server's heap (measured: +16 MB of modules such as hashlib,
# statistics, dataclasses doubled the cost per snippet); a snippet imports anything else itself,
# as the sandbox uid. `random` is absent deliberately: a preloaded generator would hand every child
# the same state.
PRELOAD_MODULES: tuple[str, ...] = (
    "bisect",
    "cmath",
    "collections",
    "collections.abc",
    "copy",
    "decimal",
    "fractions",
    "functools",
    "heapq",
    "itertools",
    "math",
    "numbers",
    "operator",
    "re",
    "string",
    "typing",
)

_READ_CHUNK = 1 << 20
_PR_SET_PDEATHSIG = 1
_PRCTL = ctypes.CDLL(None, use_errno=True).prctl
# The child writes its record after the snippet ran; a snippet may have rebound os.write or
# os._exit, so the child uses these references taken at import time.
_WRITE, _EXIT, _MEMORYVIEW = os.write, os._exit, memoryview
_FILTER: list = [None]  # the seccomp program, set by _setup once a probe child proved it installs
_PARENT_CHECK_S = 1.0


def _preload() -> None:
    for name in PRELOAD_MODULES:
        try:
            __import__(name)
        except ImportError:
            continue


def _address_space_bytes() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


class _Child:
    __slots__ = ("buf", "deadline", "job_id", "killed", "pid", "rfd", "slot", "started")

    def __init__(self, job_id: object, pid: int, rfd: int, slot: int, timeout_s: float) -> None:
        self.job_id, self.pid, self.rfd, self.slot = job_id, pid, rfd, slot
        self.started = time.monotonic()
        self.deadline = self.started + timeout_s
        self.buf = bytearray()
        self.killed = ""


class Server:
    """State of the poll loop: pending jobs, free slots, running children."""

    def __init__(self, cfg: dict) -> None:
        self.cfg = cfg
        self.limits = cfg["limits"]
        self.cap = self.limits["max_output_bytes"]
        # A repr of `cap` bytes plus the message and the framing; anything longer is not ours.
        self.result_cap = 2 * self.cap + 65536
        self.cache = _jobs.CodeCache()
        self.pending: deque[dict] = deque()
        self.free_slots = list(range(cfg["slots"]))[::-1]
        self.by_fd: dict[int, _Child] = {}
        self.poller = select.poll()
        self.poller.register(0, select.POLLIN)
        self.inbuf = b""
        self.outbuf: list[bytes] = []
        self.devnull = os.open("/dev/null", os.O_RDWR)
        self.parent = os.getppid()
        self.pid = os.getpid()
        self.stdin_open = True

    # -- input ---------------------------------------------------------------------------------
    def _read_stdin(self) -> None:
        data = os.read(0, _READ_CHUNK)
        if not data:
            self.stdin_open = False
            return
        lines = (self.inbuf + data).split(b"\n")
        self.inbuf = lines.pop()
        for line in lines:
            if line:
                self.pending.append(json.loads(line))

    def _reply(self, job_id: object, result: dict, wall_s: float) -> None:
        result["i"] = job_id
        result["w"] = round(wall_s, 6)
        self.outbuf.append(json.dumps(result).encode() + b"\n")

    # -- children ------------------------------------------------------------------------------
    def _start(self, job: dict) -> None:
        started = time.monotonic()
        compiled = _jobs.compile_job(job, self.cache, self.cfg["max_text_chars"])
        if "s" in compiled:  # answered without a process: syntax error, oversize text
            self._reply(job.get("i"), compiled, time.monotonic() - started)
            return
        slot = self.free_slots.pop()
        try:
            rfd, wfd = os.pipe()
        except OSError as exc:
            self.free_slots.append(slot)
            self._reply(job.get("i"), {"s": "sandbox_failure", "m": f"pipe: {exc}"}, 0.0)
            return
        try:
            pid = os.fork()
        except OSError as exc:  # EAGAIN / ENOMEM: the machine is out of processes or memory
            os.close(rfd)
            os.close(wfd)
            self.free_slots.append(slot)
            self._reply(job.get("i"), {"s": "sandbox_failure", "m": f"fork: {exc}"}, 0.0)
            return
        if pid == 0:  # pragma: no cover - runs in the child
            self._child_main(compiled, slot, rfd, wfd)
        os.close(wfd)
        os.set_blocking(rfd, False)
        child = _Child(job.get("i"), pid, rfd, slot, self.limits["timeout_s"])
        child.started = started
        self.by_fd[rfd] = child
        self.poller.register(rfd, select.POLLIN)

    def _child_main(self, job: dict, slot: int, rfd: int, wfd: int) -> None:
        try:
            os.close(rfd)
            _child.enter_sandbox(self.cfg, slot, wfd, self.devnull)
            # Die with the server even if it is SIGKILLed (it is the only thread that forks). Set
            # after the uid change, which clears it; the getppid check closes the race with its death.
            _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL)
            if os.getppid() != self.pid:
                os._exit(0)
            if _FILTER[0] is not None and not _seccomp.install(_PRCTL, _FILTER[0]):
                raise OSError("could not install the seccomp filter")
            data = _jobs.frame_record(_child.run_job(job, self.cap))
        except BaseException as exc:  # the child must leave by _exit only
            message = f"child setup: {exc!r}"[:500].replace("\0", "")
            data = _jobs.frame_record(f"sandbox_failure\0\0\0{message}\0\0".encode())
        try:
            view = _MEMORYVIEW(data)
            while view:
                view = view[_WRITE(wfd, view) :]
        finally:
            _EXIT(0)

    def _on_readable(self, child: _Child) -> None:
        """Collect the child's record; finish on a complete record or end of file."""
        try:
            while True:
                data = os.read(child.rfd, _READ_CHUNK)
                if not data:
                    self._finish(child)
                    return
                child.buf += data
                if len(child.buf) > self.result_cap:
                    self._kill(child, "output")
                    self._finish(child)
                    return
                if _jobs.decode_record(child.buf) is not None:
                    self._finish(child)
                    return
        except BlockingIOError:
            return

    def _kill(self, child: _Child, reason: str) -> None:
        if not child.killed:
            child.killed = reason
        for kill in (os.kill, os.killpg):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                kill(child.pid, signal.SIGKILL)

    def _finish(self, child: _Child) -> None:
        # Kill the group while the leader (alive or zombie) still pins its pid, then reap.
        for kill in (os.killpg, os.kill):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                kill(child.pid, signal.SIGKILL)
        _, status, usage = os.wait4(child.pid, 0)
        self.by_fd.pop(child.rfd, None)
        self.poller.unregister(child.rfd)
        os.close(child.rfd)
        result = self._classify(child, status, usage.ru_utime + usage.ru_stime)
        self._reply(child.job_id, result, time.monotonic() - child.started)
        self._clean_workdir(child.slot)
        self.free_slots.append(child.slot)

    def _classify(self, child: _Child, status: int, cpu_s: float) -> dict:
        if child.killed == "timeout":
            return {"s": "timeout", "m": f"wall-clock limit of {self.limits['timeout_s']} s"}
        if child.killed == "output":
            return {"s": "output_too_large", "m": "result message over the cap"}
        record = _jobs.decode_record(child.buf)
        if record is not None:
            return record
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            if sig == signal.SIGXCPU or (sig == signal.SIGKILL and cpu_s >= self.limits["cpu_time_s"]):
                return {"s": "timeout", "m": f"cpu time limit of {self.limits['cpu_time_s']} s"}
            name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
            return {"s": "error", "t": name, "m": f"process killed by signal {name}"}
        code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
        return {"s": "error", "t": "ProcessExit", "m": f"process exited (code {code}) without a result"}

    def _clean_workdir(self, slot: int) -> None:
        path = self.cfg["workdirs"][slot]
        try:
            if not os.listdir(path):
                return
        except OSError:
            pass
        import shutil  # rarely needed: kept out of the heap every fork copies

        shutil.rmtree(path, ignore_errors=True)
        _make_workdir(path, self.cfg, slot)

    # -- loop ----------------------------------------------------------------------------------
    def _poll_timeout_ms(self) -> int:
        if not self.by_fd:
            return int(_PARENT_CHECK_S * 1000)
        nearest = min(child.deadline for child in self.by_fd.values())
        return max(0, min(int((nearest - time.monotonic()) * 1000) + 1, int(_PARENT_CHECK_S * 1000)))

    def _expire(self) -> None:
        now = time.monotonic()
        for child in list(self.by_fd.values()):
            if not child.killed and now >= child.deadline:
                self._kill(child, "timeout")

    def _flush(self) -> None:
        if not self.outbuf:
            return
        view = memoryview(b"".join(self.outbuf))
        self.outbuf.clear()
        while view:
            view = view[os.write(1, view) :]

    def serve(self) -> None:
        """Run until stdin closes or the parent dies; then kill every child and return."""
        while self.stdin_open and os.getppid() == self.parent:
            while self.pending and self.free_slots:
                self._start(self.pending.popleft())
            for fd, _ in self.poller.poll(self._poll_timeout_ms()):
                if fd == 0:
                    self._read_stdin()
                    continue
                child = self.by_fd.get(fd)
                if child is not None:
                    self._on_readable(child)
            self._expire()
            self._flush()
        self.shutdown()

    def shutdown(self) -> None:
        for child in list(self.by_fd.values()):
            self._kill(child, "shutdown")
            with contextlib.suppress(ChildProcessError):
                os.waitpid(child.pid, 0)
        self.by_fd.clear()


def _make_workdir(path: str, cfg: dict, slot: int) -> None:
    os.makedirs(path, mode=0o700, exist_ok=True)
    if cfg["drop_privileges"]:
        uid = cfg["uid_base"] + slot
        os.chown(path, uid, uid)


def _probe_filter(prog: object) -> bool:
    """Install the filter in a throwaway child: some kernels or containers refuse seccomp."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        try:
            ok = _seccomp.install(_PRCTL, prog)
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def _setup(cfg: dict, report: dict) -> None:
    root = os.geteuid() == 0
    cfg["drop_privileges"] = bool(cfg["isolate"] and root and not report.get("user_namespace"))
    report["privilege_drop"] = cfg["drop_privileges"]
    report["process_limit"] = cfg["drop_privileges"]
    base = "/tmp" if report.get("private_tmp") else cfg["fallback_tmp"]
    cfg["workdirs"] = [os.path.join(base, f"azr-exec-{os.getpid()}-slot{k}") for k in range(cfg["slots"])]
    for slot, path in enumerate(cfg["workdirs"]):
        _make_workdir(path, cfg, slot)
    prog = _seccomp.build_filter() if cfg["isolate"] else None
    report["syscall_filter"] = prog is not None and _probe_filter(prog)
    _FILTER[0] = prog if report["syscall_filter"] else None
    _preload()
    cfg["as_base_bytes"] = _address_space_bytes()


def _isolate_and_exec(cfg_text: str) -> None:
    """Stage one: isolate this process, then exec a fresh interpreter for stage two.

    Namespaces survive exec; the ctypes machinery that created them does not, so the server whose
    heap every fork copies stays small.
    """
    import _isolation

    # The executable's own directory too: with -S, sys.prefix is the base install, not a venv whose
    # bin/python (a symlink) may sit under /tmp or a private home.
    here = os.path.dirname(os.path.abspath(__file__))
    expose = [sys.base_prefix, sys.prefix, os.path.dirname(os.path.abspath(sys.executable)), here]
    report = _isolation.apply_process_isolation(json.loads(cfg_text)["tmpfs_mb"], expose)
    argv = [sys.executable, "-S", "-s", "-B", os.path.abspath(__file__), cfg_text, json.dumps(report)]
    os.execv(sys.executable, argv)


def main() -> None:
    """Entry point: `--isolate <cfg>` (stage one) or `<cfg> <isolation report>` (serve)."""
    if sys.argv[1] == "--isolate":
        _isolate_and_exec(sys.argv[2])
    del sys.path[0]  # snippets must not import the server's own modules
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.clear()  # children inherit an empty environment without paying for clear()
    cfg = json.loads(sys.argv[1])
    report = json.loads(sys.argv[2])
    _setup(cfg, report)
    gc.collect()
    gc.freeze()
    hello = {"hello": report, "pid": os.getpid(), "python": sys.version.split()[0]}
    os.write(1, json.dumps(hello).encode() + b"\n")
    server = Server(cfg)
    try:
        server.serve()
    finally:
        server.shutdown()
        import shutil

        for path in cfg["workdirs"]:
            shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    main()
