"""The AST check refuses every attack class with a reason, and accepts ordinary AZR programs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from azr_verl.executor import static_check
from azr_verl.executor.static_check import check_input_text, check_program, check_value_text

REJECTED_PROGRAMS = {
    # processes, fork bombs, subprocesses, killing the parent, signals
    "import_os": "import os\ndef f(x):\n    return os.getpid()",
    "dotted_os_path": "import os.path\ndef f(x):\n    return 1",
    "from_os_import": "from os import path\ndef f(x):\n    return 1",
    "alias_subprocess": "import subprocess as sp\ndef f(x):\n    return sp.run(['ls'])",
    "multiprocessing": "from multiprocessing import Process\ndef f(x):\n    return 1",
    "signal": "import signal\ndef f(x):\n    signal.signal(signal.SIGXCPU, signal.SIG_IGN)",
    "sys_exit": "import sys\ndef f(x):\n    sys.exit(0)",
    "concurrent_futures": "from concurrent.futures import ThreadPoolExecutor\ndef f(x):\n    return 1",
    # file system
    "open_builtin": "def f(x):\n    return open('/etc/passwd').read()",
    "open_alias": "def f(x):\n    g = open\n    return g('/etc/passwd')",
    "pathlib": "from pathlib import Path\ndef f(x):\n    return Path('/x').write_text('y')",
    "shutil": "import shutil\ndef f(x):\n    shutil.rmtree('/tmp')",
    "io_module": "import io\ndef f(x):\n    return io.open('/etc/passwd')",
    "codecs_open": "import codecs\ndef f(x):\n    return codecs.open('/etc/passwd')",
    # network
    "socket": "import socket\ndef f(x):\n    return socket.create_connection(('127.0.0.1', 80))",
    "urllib_request": "from urllib.request import urlopen\ndef f(x):\n    return 1",
    "http_client": "import http.client\ndef f(x):\n    return 1",
    "asyncio": "import asyncio\ndef f(x):\n    return 1",
    # threads
    "threading": "import threading\ndef f(x):\n    threading.Thread(target=print).start()",
    "thread_lowlevel": "import _thread\ndef f(x):\n    return 1",
    # time and randomness
    "time": "import time\ndef f(x):\n    return time.time()",
    "datetime": "from datetime import datetime\ndef f(x):\n    return datetime.now()",
    "random": "import random\ndef f(x):\n    return random.random()",
    "secrets": "import secrets\ndef f(x):\n    return secrets.token_hex()",
    # FFI, serialization, introspection
    "ctypes": "import ctypes\ndef f(x):\n    return ctypes.string_at(0)",
    "pickle": "import pickle\ndef f(x):\n    return pickle.loads(x)",
    "marshal": "import marshal\ndef f(x):\n    return 1",
    "importlib": "import importlib\ndef f(x):\n    return importlib.import_module('os')",
    "builtins_module": "import builtins\ndef f(x):\n    return builtins.open",
    "gc": "import gc\ndef f(x):\n    return gc.get_objects()",
    "inspect": "import inspect\ndef f(x):\n    return inspect.stack()",
    "types_module": "import types\ndef f(x):\n    return types.FunctionType",
    # builtins and escape hatches
    "dunder_import": "def f(x):\n    return __import__('os').system('id')",
    "eval": "def f(x):\n    return eval('1+1')",
    "exec": "def f(x):\n    exec('import os')",
    "compile": "def f(x):\n    return compile('1', 's', 'eval')",
    "globals": "def f(x):\n    return globals()",
    "vars": "def f(x):\n    return vars(x)",
    "getattr": "def f(x):\n    return getattr(x, 'a')",
    "setattr": "def f(x):\n    setattr(x, 'a', 1)",
    "breakpoint": "def f(x):\n    breakpoint()",
    "subclasses_chain": "def f(x):\n    return ().__class__.__base__.__subclasses__()",
    "function_globals": "def f(x):\n    return f.__globals__",
    "dunder_builtins_name": "def f(x):\n    return __builtins__",
    "dunder_dict": "import collections\ndef f(x):\n    return collections.__dict__",
    "dunder_string_key": "def f(x):\n    return f.__class__.__dict__['__globals__']",
    "dunder_string_alone": "import operator\ndef f(x):\n    return operator.attrgetter('__globals__')(f)",
    "format_string_traversal": "def f(x):\n    return '{0.__globals__}'.format(f)",
    "frame_walk": "def g():\n    yield 1\ndef f(x):\n    return g().gi_frame.f_globals",
    "module_attribute_escape": "import queue\ndef f(x):\n    return queue.threading",
    "relative_import": "from . import thing\ndef f(x):\n    return 1",
    "from_collections_import_dunder": "from collections import __builtins__\ndef f(x):\n    return 1",
}

ACCEPTED_PROGRAMS = {
    "identity": "def f(a):\n    return a",
    "common_imports": (
        "import re\nimport math\nfrom collections import defaultdict, deque, Counter\nimport itertools\n"
        "import heapq\nfrom fractions import Fraction\nfrom typing import List\n"
        "def f(xs: List[int]):\n    return sorted(xs)"
    ),
    "class_with_dunders": (
        "class Box:\n    def __init__(self, v):\n        self.v = v\n    def __eq__(self, o):\n"
        "        return self.v == o.v\n    def __repr__(self):\n        return f'Box({self.v})'\n"
        "def f(x):\n    return repr(Box(x)) + type(x).__name__"
    ),
    "input_as_parameter": "def f(input):\n    return input[::-1]",
    "dir_as_variable": "def f(grid):\n    for dir in [(0, 1), (1, 0)]:\n        pass\n    return dir",
    "main_guard": "def f(x):\n    return x\nif __name__ == '__main__':\n    f(1)",
    "super_init": "class A(list):\n    def __init__(self):\n        super().__init__([1])\ndef f(x):\n    return A()",
    "underscores_in_strings": "def f(x):\n    return '______ BCD ______' + x",
    "hasattr": "def f(x):\n    return hasattr(x, 'append')",
}


@pytest.mark.parametrize("name", sorted(REJECTED_PROGRAMS))
def test_attack_program_is_rejected_with_a_reason(name: str) -> None:
    verdict = check_program(REJECTED_PROGRAMS[name])
    assert not verdict.accepted
    assert "line" in verdict.reason


@pytest.mark.parametrize("name", sorted(ACCEPTED_PROGRAMS))
def test_ordinary_program_is_accepted(name: str) -> None:
    verdict = check_program(ACCEPTED_PROGRAMS[name])
    assert verdict.accepted, verdict.reason


def test_imports_of_an_accepted_program_are_listed_once_in_order() -> None:
    program = "import re\nimport heapq\nfrom collections import deque\nimport re\ndef f(x):\n    return x"
    assert check_program(program).imports == ("re", "heapq", "collections")


@pytest.mark.parametrize(
    "module", ["os", "sys", "subprocess", "socket", "ctypes", "random", "time", "threading"]
)
@pytest.mark.parametrize(
    "template", ["import {m}", "import {m}.x", "import a.{m}", "from {m} import x", "from a.{m} import x"]
)
def test_every_component_of_a_dotted_import_is_checked(module: str, template: str) -> None:
    verdict = check_program(template.format(m=module) + "\ndef f(x):\n    return x")
    assert not verdict.accepted


@pytest.mark.parametrize(
    ("input_text", "refused"),
    [
        ("'abc', 3", False),
        ("dict(a=1), [1, 2]", False),
        ("[1, 2]  # trailing comment", False),
        ("__import__('os')", True),
        ("open('/etc/passwd')", True),
        ("().__class__.__base__", True),
        ("1) + (2", True),  # not a single call of f
        ("1), g(2", True),
    ],
)
def test_input_text_is_checked_as_an_argument_list(input_text: str, refused: bool) -> None:
    assert (check_input_text(input_text) is not None) is refused


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("[1, 2, {'a': (3, 4.5)}]", False),
        ("Counter({'a': 2})", False),
        ("float('nan')", False),
        ("eval('1')", True),
        ("type('X', (), {'__eq__': lambda s, o: True})()", True),
        ("[].__class__.__mro__", True),
    ],
)
def test_expected_output_text_is_checked(text: str, refused: bool) -> None:
    assert (check_value_text(text) is not None) is refused


def test_text_that_does_not_parse_passes_to_the_sandbox_for_a_syntax_error() -> None:
    assert check_program("def f(:\n    return").accepted
    assert check_input_text("1, (") is None


def test_forbidden_lists_cover_every_class_named_in_the_issue() -> None:
    for module in [
        "os",
        "subprocess",
        "shutil",
        "socket",
        "inspect",
        "threading",
        "time",
        "random",
        "ctypes",
    ]:
        assert module in static_check.FORBIDDEN_MODULES
    for name in ["__import__", "eval", "exec", "compile", "open", "globals"]:
        assert name in static_check.FORBIDDEN_BUILTINS
    assert not {"__subclasses__", "__globals__", "__builtins__", "__dict__"} & static_check.SAFE_DUNDERS


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_the_checker_never_raises_on_arbitrary_text(text: str) -> None:
    assert isinstance(check_program(text).accepted, bool)
    check_input_text(text)
    check_value_text(text)


@given(
    st.sampled_from(sorted(static_check.FORBIDDEN_MODULES)),
    st.sampled_from(["import {m}", "from {m} import x"]),
)
def test_every_forbidden_module_is_rejected_by_both_import_forms(module: str, template: str) -> None:
    assert not check_program(template.format(m=module) + "\ndef f(x):\n    return x").accepted
