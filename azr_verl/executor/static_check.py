"""Static (AST) check of model-written code and value texts, run in the caller before anything executes.

This is the first of two layers. It rejects, with a reason, code that reaches for the process, the
file system, the network, the interpreter's internals, threads, clocks, randomness or foreign
functions. It cannot be complete (Python is too dynamic: `operator.attrgetter` with a string built
at run time, a preloaded module's private attributes, ...), so the sandbox's runtime limits are the
real boundary and are tested with this check turned off. What it buys: clear, early, cheap reasons
for the common cases, and determinism (no clocks or random numbers in tasks).

Every component of a dotted import is checked (`import os.path`, `from os import path`,
`from xml.etree import ElementTree` all look at each name), and so are the imported names.

Forbidden modules, by reason:
- processes and the OS: os, posix, nt, sys, subprocess, _posixsubprocess, multiprocessing,
  concurrent, signal, pty, tty, termios, fcntl, resource, pwd, grp, spwd, crypt, getpass, platform,
  sysconfig, atexit, faulthandler, syslog, posixpath, ntpath, pipes, sched
- file system and persistence: io, _io, pathlib, shutil, tempfile, glob, fileinput, filecmp,
  linecache, tokenize, codecs, zipfile, zipimport, tarfile, gzip, bz2, lzma, dbm, sqlite3, shelve,
  mmap, logging, configparser, netrc, mailbox, mimetypes, plistlib, gettext, locale
- network: socket, _socket, ssl, select, selectors, asyncio, http, urllib, ftplib, smtplib, poplib,
  imaplib, nntplib, telnetlib, socketserver, xmlrpc, webbrowser, wsgiref, uuid
- introspection and code execution: builtins, __builtin__, importlib, imp, pkgutil, runpy, site,
  inspect, gc, types, code, codeop, dis, traceback, trace, tracemalloc, pdb, bdb, profile, cProfile,
  pstats, timeit, doctest, pydoc, unittest, copyreg, weakref, ctypes, _ctypes, cffi, marshal, pickle,
  _pickle, cPickle, dill, cloudpickle, ensurepip, venv, distutils, setuptools, pip, idlelib,
  lib2to3, antigravity, this, tkinter, turtle, curses, readline, rlcompleter
- threads: threading, _thread, _threading_local (and multiprocessing, concurrent, asyncio above)
- time and randomness (tasks must be deterministic): time, datetime, zoneinfo, random, _random,
  secrets, uuid (above); calendar stays allowed (pure arithmetic)

Forbidden builtins (any use of the name, not only calls, so `e = eval` is caught too):
__import__, eval, exec, compile, open, breakpoint, help, globals, locals, vars, getattr, setattr,
delattr (attribute access by a string bypasses the dunder rule), memoryview; and the names
__builtins__, __loader__, __spec__, __file__, __cached__, __package__, __build_class__.
Deliberately allowed although they are builtins: `input` (a common parameter name; stdin is closed
in the sandbox, so calling it only raises), `exit`/`quit` (raise SystemExit: an ERROR), `dir`
(often a variable; lists names, reaches nothing without getattr).

Attributes: any dunder attribute (`x.__y__`) except a short list of harmless ones (SAFE_DUNDERS);
frame and code attributes (gi_frame, f_globals, f_back, tb_frame, co_code, ...); and attributes
named like the escape modules (`queue.threading`, `x.os`, `x.sys`). String constants that contain
any dunder name other than "__main__" are refused too: `d["__builtins__"]`,
`attrgetter("__globals__")`, `"{0.__globals__}".format(f)`, and even a harmless one such as
`type("X", (), {"__eq__": ...})`, which would build an always-equal value in an output text.

Inputs (`f(<input>)` must be a single call of `f`) and expected outputs are checked with the same
rules, since they are evaluated too. A text that does not parse passes: it cannot run, and the
sandbox reports its SyntaxError as an ERROR.
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass

__all__ = [
    "FORBIDDEN_BUILTINS",
    "FORBIDDEN_MODULES",
    "SAFE_DUNDERS",
    "StaticVerdict",
    "check_input_text",
    "check_program",
    "check_value_text",
]

_PROCESS = (
    "os posix nt sys subprocess _posixsubprocess multiprocessing concurrent signal pty tty termios "
    "fcntl resource pwd grp spwd crypt getpass platform sysconfig atexit faulthandler syslog "
    "posixpath ntpath pipes sched"
)
_FILES = (
    "io _io pathlib shutil tempfile glob fileinput filecmp linecache tokenize codecs zipfile "
    "zipimport tarfile gzip bz2 lzma dbm sqlite3 shelve mmap logging configparser netrc mailbox "
    "mimetypes plistlib gettext locale"
)
_NETWORK = (
    "socket _socket ssl select selectors asyncio http urllib ftplib smtplib poplib imaplib nntplib "
    "telnetlib socketserver xmlrpc webbrowser wsgiref uuid"
)
_INTROSPECTION = (
    "builtins __builtin__ importlib imp pkgutil runpy site inspect gc types code codeop dis traceback "
    "trace tracemalloc pdb bdb profile cProfile pstats timeit doctest pydoc unittest copyreg weakref "
    "ctypes _ctypes cffi marshal pickle _pickle cPickle dill cloudpickle ensurepip venv distutils "
    "setuptools pip idlelib lib2to3 antigravity this tkinter turtle curses readline rlcompleter"
)
_THREADS = "threading _thread _threading_local"
_TIME_RANDOM = "time datetime zoneinfo random _random secrets"

FORBIDDEN_MODULES: frozenset[str] = frozenset(
    " ".join((_PROCESS, _FILES, _NETWORK, _INTROSPECTION, _THREADS, _TIME_RANDOM)).split()
)

FORBIDDEN_BUILTINS: frozenset[str] = frozenset(
    [
        "__import__",
        "eval",
        "exec",
        "compile",
        "open",
        "breakpoint",
        "help",
        "globals",
        "locals",
        "vars",
        "getattr",
        "setattr",
        "delattr",
        "memoryview",
        "__builtins__",
        "__loader__",
        "__spec__",
        "__file__",
        "__cached__",
        "__package__",
        "__build_class__",
    ]
)

# Dunder attributes that reach nothing new: names, the class of a value, and the data-model methods
# a program may call explicitly (super().__init__(...), a.__lt__(b)).
SAFE_DUNDERS: frozenset[str] = frozenset(
    [
        "__init__",
        "__name__",
        "__qualname__",
        "__class__",
        "__doc__",
        "__len__",
        "__iter__",
        "__next__",
        "__contains__",
        "__getitem__",
        "__setitem__",
        "__delitem__",
        "__eq__",
        "__ne__",
        "__lt__",
        "__le__",
        "__gt__",
        "__ge__",
        "__hash__",
        "__repr__",
        "__str__",
        "__bool__",
        "__add__",
        "__sub__",
        "__mul__",
        "__call__",
        "__enter__",
        "__exit__",
        "__post_init__",
    ]
)

# Non-dunder attributes that lead from an object to frames, globals or bytecode.
_FRAME_ATTRIBUTES: frozenset[str] = frozenset(
    [
        "gi_frame",
        "gi_code",
        "cr_frame",
        "cr_code",
        "ag_frame",
        "ag_code",
        "f_globals",
        "f_locals",
        "f_builtins",
        "f_back",
        "f_code",
        "tb_frame",
        "tb_next",
        "co_code",
        "func_globals",
        "func_code",
    ]
)

# Attribute names that are escape modules: `queue.threading`, `statistics.random`, `x.sys`.
_MODULE_ATTRIBUTES: frozenset[str] = frozenset(
    [
        "os",
        "sys",
        "subprocess",
        "builtins",
        "importlib",
        "ctypes",
        "threading",
        "_thread",
        "socket",
        "shutil",
        "posix",
        "signal",
        "gc",
        "inspect",
        "marshal",
        "pickle",
        "multiprocessing",
        "random",
        "_random",
        "time",
        "io",
        "_io",
    ]
)

_SAFE_STRINGS = frozenset({"__main__"})
_DUNDER = re.compile(r"__[A-Za-z][A-Za-z0-9_]*__")
_DUNDER_IN_TEXT = re.compile(r"__[A-Za-z](?:[A-Za-z0-9]|_(?!_))*__")
_CACHE_ENTRIES = 4096
_CACHE_MAX_CHARS = 8192


@dataclass(frozen=True)
class StaticVerdict:
    """Outcome of checking a program: `reason` is None when accepted; `imports` lists its modules."""

    reason: str | None = None
    imports: tuple[str, ...] = ()

    @property
    def accepted(self) -> bool:
        return self.reason is None


def _is_dunder(name: str) -> bool:
    return _DUNDER.fullmatch(name) is not None


def _check_module(dotted: str, line: int) -> str | None:
    for part in dotted.split("."):
        if part in FORBIDDEN_MODULES:
            return f"line {line}: module {dotted!r} is forbidden ({part!r})"
    return None


def _check_import(node: ast.Import | ast.ImportFrom, imports: list[str]) -> str | None:
    if isinstance(node, ast.Import):
        for alias in node.names:
            reason = _check_module(alias.name, node.lineno)
            if reason:
                return reason
            imports.append(alias.name)
        return None
    if node.level:
        return f"line {node.lineno}: relative imports are not allowed"
    module = node.module or ""
    reason = _check_module(module, node.lineno)
    if reason:
        return reason
    for alias in node.names:
        if alias.name in FORBIDDEN_MODULES or _is_dunder(alias.name):
            return f"line {node.lineno}: importing {alias.name!r} from {module!r} is forbidden"
    imports.append(module)
    return None


def _check_attribute(node: ast.Attribute) -> str | None:
    name = node.attr
    if _is_dunder(name) and name not in SAFE_DUNDERS:
        return f"line {node.lineno}: attribute {name!r} is forbidden"
    if name in _FRAME_ATTRIBUTES or name in _MODULE_ATTRIBUTES:
        return f"line {node.lineno}: attribute {name!r} is forbidden"
    return None


def _check_node(node: ast.AST, imports: list[str]) -> str | None:
    if isinstance(node, ast.Name):
        if node.id in FORBIDDEN_BUILTINS:
            return f"line {node.lineno}: name {node.id!r} is forbidden"
    elif isinstance(node, ast.Attribute):
        return _check_attribute(node)
    elif isinstance(node, (ast.Import, ast.ImportFrom)):
        return _check_import(node, imports)
    elif isinstance(node, ast.Constant) and isinstance(node.value, str):
        for name in _DUNDER_IN_TEXT.findall(node.value):
            if name not in _SAFE_STRINGS:
                return f"line {node.lineno}: the string {node.value[:60]!r} names the dunder {name!r}"
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        if node.name in FORBIDDEN_BUILTINS:
            return f"line {node.lineno}: defining {node.name!r} is forbidden"
    elif isinstance(node, (ast.Global, ast.Nonlocal)):
        bad = [name for name in node.names if name in FORBIDDEN_BUILTINS]
        if bad:
            return f"line {node.lineno}: name {bad[0]!r} is forbidden"
    return None


def _walk(tree: ast.AST) -> tuple[str | None, list[str]]:
    imports: list[str] = []
    for node in ast.walk(tree):
        reason = _check_node(node, imports)
        if reason:
            return reason, imports
    return None, imports


def _parse(text: str, mode: str) -> ast.AST | None:
    try:
        return ast.parse(text, mode=mode)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None


def _check_program_uncached(program: str) -> StaticVerdict:
    tree = _parse(program, "exec")
    if tree is None:
        return StaticVerdict()
    reason, imports = _walk(tree)
    return StaticVerdict(reason, tuple(dict.fromkeys(imports)))


def _check_input_uncached(input_text: str) -> str | None:
    tree = _parse(f"f({input_text}\n)", "eval")
    if tree is None:
        return None
    call = tree.body
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "f"):
        return "the input must be an argument list (the call is f(<input>))"
    return _walk(tree)[0]


def _check_value_uncached(text: str) -> str | None:
    tree = _parse(text, "eval")
    return None if tree is None else _walk(tree)[0]


_program_cached = functools.lru_cache(maxsize=_CACHE_ENTRIES)(_check_program_uncached)
_input_cached = functools.lru_cache(maxsize=_CACHE_ENTRIES)(_check_input_uncached)
_value_cached = functools.lru_cache(maxsize=_CACHE_ENTRIES)(_check_value_uncached)


def check_program(program: str) -> StaticVerdict:
    """Check a program (Python source defining `f`); cached for texts up to 8 KiB."""
    if len(program) > _CACHE_MAX_CHARS:
        return _check_program_uncached(program)
    return _program_cached(program)


def check_input_text(input_text: str) -> str | None:
    """Check an argument-list text; return the reason it is refused, or None."""
    if len(input_text) > _CACHE_MAX_CHARS:
        return _check_input_uncached(input_text)
    return _input_cached(input_text)


def check_value_text(text: str) -> str | None:
    """Check a value text (an expected output); return the reason it is refused, or None."""
    if len(text) > _CACHE_MAX_CHARS:
        return _check_value_uncached(text)
    return _value_cached(text)
