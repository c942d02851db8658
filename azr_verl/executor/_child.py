"""The forked child: lock itself down, run one job, write one result record, `os._exit`.

Stdlib only (it runs inside the fork-server). Order matters in `enter_sandbox`: descriptors are closed
and limits set while still root, then privileges are dropped for good, so nothing the snippet does can
raise a limit back, signal the server (another uid), read root-only files, or keep a server pipe.

The server compiles the texts before forking (see `_server.compile_job`), so a job carries code
objects; this module only executes. Operations (`job["op"]`), all evaluated here so that only strings
cross back to the caller:
- "run":    value = repr(f(<input>))
- "check":  f(<input>) == <expected>                  -> ok / wrong (value = repr of what f gave)
- "pairs":  f(<input k>) == <expected k> for every k  -> ok / wrong, passed/total
- "eq":     <left> == <right>                         -> ok / wrong
Equality is Python `==`, falling back to equal reprs so NaN-bearing values compare equal.

The result record is NUL-separated text (status, value, error type, message, passed, total): a
tenth of the cost of `json.dumps` in a fresh child, whose every first touch of a page is a fault.
"""

from __future__ import annotations

import os
import resource
import sys

# Module-level bindings of the builtins used below: module globals are searched before builtins, so
# a snippet that rebinds builtins.len / repr / str cannot corrupt the result this module reports.
from builtins import BaseException, Exception, MemoryError, callable, isinstance, len, repr, str, type  # noqa: UP029

__all__ = ["FIELDS", "OutputLimitExceeded", "enter_sandbox", "run_job", "value_namespace"]

FIELDS = ("s", "v", "t", "m", "p", "n")
_TRACE_TAIL_LINES = 6
_MESSAGE_CAP_CHARS = 2000


class OutputLimitExceeded(Exception):
    """Raised when the snippet prints more than the stdout cap (remembered even if swallowed)."""


class _CappedSink:
    """Stand-in for sys.stdout/sys.stderr: counts and discards text, refuses past the cap."""

    def __init__(self) -> None:
        self.cap_bytes = 0
        self.used = 0
        self.overflowed = False

    def write(self, text: object) -> int:
        size = len(text) if isinstance(text, (str, bytes)) else 0
        self.used += size
        if self.used > self.cap_bytes:
            self.overflowed = True
            raise OutputLimitExceeded(f"printed more than {self.cap_bytes} bytes")
        return size

    def flush(self) -> None:
        return None

    def isatty(self) -> bool:
        return False


_SINK = _CappedSink()


def enter_sandbox(cfg: dict, slot: int, result_fd: int, devnull_fd: int) -> None:
    """Lock down the freshly forked child before any snippet code runs.

    Args:
        cfg: the server configuration (limits, uid base, working directories, address-space base).
        slot: the worker slot; picks the uid and the working directory.
        result_fd: the only descriptor kept open besides 0-2 (the result pipe to the server).
        devnull_fd: /dev/null, put on 0, 1 and 2 so C-level writes go nowhere.
    """
    # A process group, not a session: setsid() also creates a scheduler autogroup (~0.2 ms).
    os.setpgid(0, 0)
    for target in (0, 1, 2):
        os.dup2(devnull_fd, target)
    os.closerange(3, result_fd)
    os.closerange(result_fd + 1, 1 << 16)
    os.chdir(cfg["workdirs"][slot])
    limits = cfg["limits"]
    cpu_s = max(1, int(-(-limits["cpu_time_s"] // 1)))
    memory_bytes = cfg["as_base_bytes"] + limits["memory_mb"] * 1024 * 1024
    for kind, soft, hard in (
        (resource.RLIMIT_CPU, cpu_s, cpu_s + 1),
        (resource.RLIMIT_AS, memory_bytes, memory_bytes),
        (resource.RLIMIT_FSIZE, limits["file_size_mb"] * 1024 * 1024, limits["file_size_mb"] * 1024 * 1024),
        (resource.RLIMIT_NOFILE, limits["open_files"], limits["open_files"]),
        (resource.RLIMIT_CORE, 0, 0),
        (resource.RLIMIT_NPROC, limits["processes"], limits["processes"]),
    ):
        resource.setrlimit(kind, (soft, hard))
    if cfg["drop_privileges"]:
        uid = cfg["uid_base"] + slot
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    _SINK.cap_bytes = limits["max_stdout_bytes"]
    sys.stdout = sys.stderr = _SINK  # type: ignore[assignment]
    sys.stdin = None  # type: ignore[assignment]
    sys.setrecursionlimit(cfg["recursion_limit"])


def value_namespace() -> dict:
    """Names a bare value text may use (values_equal has no program to supply them)."""
    import collections
    import decimal
    import fractions

    return {
        "__name__": "__main__",
        "Counter": collections.Counter,
        "OrderedDict": collections.OrderedDict,
        "deque": collections.deque,
        "defaultdict": collections.defaultdict,
        "Fraction": fractions.Fraction,
        "Decimal": decimal.Decimal,
    }


def _values_match(left: object, right: object) -> bool:
    if left == right:
        return True
    return repr(left) == repr(right)


def _message(exc: BaseException) -> str:
    try:
        text = str(exc)
    except Exception:  # a hostile __str__ must not hide the error
        text = "<unprintable message>"
    lines = []
    trace = exc.__traceback__
    while trace is not None:  # the traceback module is not preloaded: walk the frames by hand
        code = trace.tb_frame.f_code
        if code.co_filename.startswith("<"):
            lines.append(f'  File "{code.co_filename}", line {trace.tb_lineno}, in {code.co_name}')
        trace = trace.tb_next
    tail = "\n".join(lines[-_TRACE_TAIL_LINES:])
    return f"{text}\n{tail}"[:_MESSAGE_CAP_CHARS]


def _error(exc: BaseException) -> dict:
    if isinstance(exc, MemoryError):
        return {"s": "memory_limit", "m": "MemoryError: address-space limit reached"}
    if isinstance(exc, OutputLimitExceeded) or _SINK.overflowed:
        return {"s": "output_too_large", "m": f"stdout over {_SINK.cap_bytes} bytes"}
    return {"s": "error", "t": type(exc).__name__, "m": _message(exc)}


def _load_program(code: object) -> dict:
    namespace: dict = {"__name__": "__main__"}
    exec(code, namespace)
    if not callable(namespace.get("f")):
        raise NameError("the program does not define a function f")
    return namespace


def _repr_capped(value: object, cap: int) -> str | None:
    text = repr(value)
    if not isinstance(text, str) or len(text) > cap or len(text.encode("utf-8", "surrogatepass")) > cap:
        return None
    return text


def _op_run(job: dict, cap: int) -> dict:
    namespace = _load_program(job["code"])
    text = _repr_capped(eval(job["calls"][0], namespace), cap)
    if text is None:
        return {"s": "output_too_large", "m": f"repr of the result is over {cap} bytes"}
    return {"s": "ok", "v": text}


def _expect_namespace(program_namespace: dict) -> dict:
    # Expected outputs are reprs: `Counter({...})`, `deque([...])` must evaluate even when the
    # program imported only `collections`; the program's own names take precedence.
    namespace = value_namespace()
    namespace.update(program_namespace)
    return namespace


def _op_check(job: dict, cap: int) -> dict:
    namespace = _load_program(job["code"])
    expected = eval(job["expects"][0], _expect_namespace(namespace))
    got = eval(job["calls"][0], namespace)
    if _values_match(got, expected):
        return {"s": "ok"}
    text = _repr_capped(got, cap)
    if text is None:
        return {"s": "wrong", "m": f"values differ (repr of the result is over {cap} bytes)"}
    return {"s": "wrong", "v": text}


def _op_pairs(job: dict) -> dict:
    namespace = _load_program(job["code"])
    expect_namespace = _expect_namespace(namespace)
    calls, expects, problems = job["calls"], job["expects"], job.get("problems") or {}
    passed, first_failure = 0, ""
    for index, (call, expect) in enumerate(zip(calls, expects, strict=True)):
        if call is None or expect is None:
            first_failure = first_failure or f"pair {index}: {problems.get(index, 'does not compile')}"
            continue
        try:
            matched = _values_match(eval(call, namespace), eval(expect, expect_namespace))
        except (MemoryError, OutputLimitExceeded):
            raise
        except Exception as exc:  # a failing pair is a wrong answer, not a crash
            first_failure = first_failure or f"pair {index}: {type(exc).__name__}: {exc}"
            continue
        if matched:
            passed += 1
        elif not first_failure:
            first_failure = f"pair {index}: values differ"
    status = "ok" if passed == len(calls) else "wrong"
    return {"s": status, "p": passed, "n": len(calls), "m": first_failure[:_MESSAGE_CAP_CHARS]}


def _op_eq(job: dict) -> dict:
    namespace = value_namespace()
    left = eval(job["calls"][0], namespace)
    right = eval(job["expects"][0], namespace)
    return {"s": "ok" if _values_match(left, right) else "wrong"}


def _dispatch(job: dict, cap: int) -> dict:
    op = job["op"]
    if op == "run":
        return _op_run(job, cap)
    if op == "check":
        return _op_check(job, cap)
    if op == "pairs":
        return _op_pairs(job)
    if op == "eq":
        return _op_eq(job)
    return {"s": "sandbox_failure", "m": f"unknown op {op!r}"}


def run_job(job: dict, cap: int) -> bytes:
    """Run one compiled job; return its result record (see `FIELDS`), ready to write."""
    try:
        result = _dispatch(job, cap)
    except BaseException as exc:  # SystemExit, KeyboardInterrupt etc. are user errors here
        result = _error(exc)
    if _SINK.overflowed:
        result = {"s": "output_too_large", "m": f"stdout over {_SINK.cap_bytes} bytes"}
    value = result.get("v")
    if value is not None and "\0" in value:
        result = {"s": "error", "t": "ValueError", "m": "the repr contains a NUL character"}
    fields = [str(result.get(key, "")).replace("\0", "\\0") for key in FIELDS]
    fields[1] = "" if value is None else "=" + value  # "=" tells an empty repr from no value
    return "\0".join(fields).encode("utf-8", "surrogatepass")
