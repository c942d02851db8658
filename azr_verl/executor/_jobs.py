"""Job preparation and result decoding inside the fork-server (stdlib only).

Texts are compiled in the server, before the fork, with a small cache: a compile in a fresh child
costs several times more (every page it touches is a copy-on-write fault), the same program arrives
many times (determinism runs, learnability attempts, induction pairs), and a syntax error is answered
without forking at all. Compiling runs no user code; the caller's static check has already parsed the
same texts, and `max_text_chars` bounds the work.
"""

from __future__ import annotations

# Bound here, not looked up in builtins at call time: the child frames its record with these after
# running a snippet that may have rebound builtins.
from builtins import int, len  # noqa: UP029

__all__ = ["CodeCache", "compile_job", "decode_record", "frame_record"]

_CACHE_ENTRIES = 256  # small: the server's heap is copied (page tables) on every fork
_LENGTH_DIGITS = 8
_MALFORMED = {"s": "error", "t": "ProcessExit", "m": "the process wrote a malformed result"}


class CodeCache:
    """FIFO cache of compiled code objects keyed by (mode, text)."""

    def __init__(self, entries: int = _CACHE_ENTRIES) -> None:
        self.entries = entries
        self.codes: dict[tuple[str, str], object] = {}

    def compile(self, text: str, mode: str, filename: str) -> object:
        key = (mode, text)
        code = self.codes.get(key)
        if code is None:
            code = compile(text, filename, mode, dont_inherit=True)
            if len(self.codes) >= self.entries:
                self.codes.pop(next(iter(self.codes)))
            self.codes[key] = code
        return code


def _call_text(input_text: str) -> str:
    # The newline keeps a trailing comment in the input from swallowing the closing parenthesis.
    return f"f({input_text}\n)"


def _failure(exc: Exception, where: str) -> dict:
    return {"s": "error", "t": type(exc).__name__, "m": f"{where}: {exc}"[:2000]}


def _too_long(job: dict, max_chars: int) -> bool:
    texts = [job.get("p") or "", *(job.get("a") or ()), *(job.get("e") or ())]
    return any(len(text) > max_chars for text in texts) or len(texts) > 1024


def _compile_pairs(job: dict, cache: CodeCache, compiled: dict) -> None:
    calls, expects, problems = [], [], {}
    for index, (input_text, output_text) in enumerate(zip(job["a"], job["e"], strict=False)):
        try:
            call = cache.compile(_call_text(input_text), "eval", "<input>")
            expect = cache.compile(output_text, "eval", "<output>")
        except Exception as exc:  # SyntaxError, ValueError (NUL), RecursionError...
            call = expect = None
            problems[index] = f"{type(exc).__name__}: {exc}"
        calls.append(call)
        expects.append(expect)
    compiled.update(calls=calls, expects=expects, problems=problems)


def compile_job(job: dict, cache: CodeCache, max_chars: int) -> dict:
    """Turn a wire job into a compiled job, or into an immediate result (status key "s").

    Args:
        job: {"i", "op", "p", "a", "e"} as sent by the client.
        cache: the server's code cache.
        max_chars: longest text accepted (program, any input or output text).

    Returns:
        {"op", "code", "calls", "expects", ...} to run in a child, or a result dict to send as is.
    """
    op = job.get("op")
    if op not in ("run", "check", "pairs", "eq"):
        return {"s": "sandbox_failure", "m": f"unknown op {op!r}"}
    if op == "pairs" and len(job.get("a") or ()) != len(job.get("e") or ()):
        return {"s": "sandbox_failure", "m": "pairs job with unequal inputs and outputs"}
    if _too_long(job, max_chars):
        return {"s": "rejected", "m": f"a text is longer than {max_chars} characters"}
    compiled: dict = {"op": op}
    where = "program"
    try:
        if op == "eq":
            where = "left value"
            left = cache.compile(job["a"][0], "eval", "<left>")
            where = "right value"
            compiled.update(calls=[left], expects=[cache.compile(job["e"][0], "eval", "<right>")])
            return compiled
        compiled["code"] = cache.compile(job["p"], "exec", "<snippet>")
        if op == "pairs":
            _compile_pairs(job, cache, compiled)
            return compiled
        where = "input"
        compiled["calls"] = [cache.compile(_call_text(job["a"][0]), "eval", "<input>")]
        if op == "check":
            where = "expected output"
            compiled["expects"] = [cache.compile(job["e"][0], "eval", "<output>")]
    except Exception as exc:  # any compile failure is the text's fault
        return _failure(exc, where)
    return compiled


def frame_record(record: bytes) -> bytes:
    """Length-prefix a child's record so the server knows it is complete without waiting for EOF."""
    return b"%08x" % len(record) + record


def decode_record(buf: bytes | bytearray) -> dict | None:
    """Decode a framed child record: None while incomplete, an error result when malformed."""
    if len(buf) < _LENGTH_DIGITS:
        return None
    try:
        size = int(bytes(buf[:_LENGTH_DIGITS]), 16)
    except ValueError:
        return dict(_MALFORMED)
    if len(buf) < _LENGTH_DIGITS + size:
        return None
    fields = bytes(buf[_LENGTH_DIGITS : _LENGTH_DIGITS + size]).decode("utf-8", "surrogatepass").split("\0")
    if len(fields) != 6 or not fields[0]:
        return dict(_MALFORMED)
    status, value, error_type, message, passed, total = fields
    result: dict = {"s": status}
    if value:
        result["v"] = value[1:]
    if error_type:
        result["t"] = error_type
    if message:
        result["m"] = message
    if passed.isdigit() and total.isdigit():
        result["p"], result["n"] = int(passed), int(total)
    return result
