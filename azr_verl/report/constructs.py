"""Which Python constructs the buffer's programs use, read from each program's syntax tree.

Programs are parsed with `ast` (never run). A construct counts once per program that uses it, so the
figure reads "how many programs of this task type use loops", not how many loops there are; the
AST node-kind counts beside it count every node.
"""

from __future__ import annotations

import ast
import enum
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["Construct", "ProgramSyntax", "analyze_program", "node_kinds", "program_constructs"]


class Construct(str, enum.Enum):
    """A construct a program may use; the value is its label in the report."""

    CONDITIONAL = "if / conditional expr"
    FOR_LOOP = "for loop"
    WHILE_LOOP = "while loop"
    COMPREHENSION = "comprehension"
    LAMBDA = "lambda"
    HELPER_FUNCTION = "helper function"
    RECURSION = "recursion"
    CLASS = "class"
    TRY = "try / except"
    RAISE = "raise"
    GENERATOR = "yield"
    WITH = "with"
    IMPORT = "import"
    SLICING = "slicing"
    FSTRING = "f-string"


_BY_NODE: dict[type[ast.AST], Construct] = {
    ast.If: Construct.CONDITIONAL,
    ast.IfExp: Construct.CONDITIONAL,
    ast.For: Construct.FOR_LOOP,
    ast.AsyncFor: Construct.FOR_LOOP,
    ast.While: Construct.WHILE_LOOP,
    ast.ListComp: Construct.COMPREHENSION,
    ast.SetComp: Construct.COMPREHENSION,
    ast.DictComp: Construct.COMPREHENSION,
    ast.GeneratorExp: Construct.COMPREHENSION,
    ast.Lambda: Construct.LAMBDA,
    ast.ClassDef: Construct.CLASS,
    ast.Try: Construct.TRY,
    ast.Raise: Construct.RAISE,
    ast.Yield: Construct.GENERATOR,
    ast.YieldFrom: Construct.GENERATOR,
    ast.With: Construct.WITH,
    ast.AsyncWith: Construct.WITH,
    ast.Import: Construct.IMPORT,
    ast.ImportFrom: Construct.IMPORT,
    ast.Slice: Construct.SLICING,
    ast.JoinedStr: Construct.FSTRING,
}
if hasattr(ast, "TryStar"):  # Python 3.11+: except*
    _BY_NODE[ast.TryStar] = Construct.TRY


def _calls_itself(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A call to the function's own name anywhere in its body (direct recursion)."""
    return any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == function.name
        for statement in function.body
        for node in ast.walk(statement)
    )


@dataclass(frozen=True)
class ProgramSyntax:
    """What one program's syntax tree shows: its constructs and how often each node class occurs.

    Attributes:
        parsed: False when the program does not parse (then both are empty).
        constructs: see `Construct`.
        nodes: node class name -> occurrences (the module node and load/store contexts left out:
            they carry no information).
    """

    parsed: bool
    constructs: frozenset[Construct] = frozenset()
    nodes: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))


def _constructs(tree: ast.Module) -> frozenset[Construct]:
    found: set[Construct] = set()
    methods: set[int] = set()
    for node in ast.walk(tree):  # breadth first: a class is seen before its methods
        if isinstance(node, ast.ClassDef):
            methods.update(id(item) for item in node.body)
        construct = _BY_NODE.get(type(node))
        if construct is not None:
            found.add(construct)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if _calls_itself(node):
                found.add(Construct.RECURSION)
            is_entry = node.name == "f" and node in tree.body
            if not is_entry and id(node) not in methods:
                found.add(Construct.HELPER_FUNCTION)
    return frozenset(found)


def analyze_program(program: str) -> ProgramSyntax:
    """Parse `program` once (never run it) and read its constructs and node counts.

    A helper function is any function besides the top-level `f` (nested or module level, methods
    excluded); recursion is a function calling its own name.
    """
    try:
        tree = ast.parse(program)
    except (SyntaxError, ValueError):
        return ProgramSyntax(parsed=False)
    nodes = Counter(
        type(node).__name__ for node in ast.walk(tree) if not isinstance(node, (ast.Module, ast.expr_context))
    )
    return ProgramSyntax(True, _constructs(tree), MappingProxyType(dict(nodes)))


def program_constructs(program: str) -> frozenset[Construct] | None:
    """The constructs `program` uses; None when it does not parse."""
    syntax = analyze_program(program)
    return syntax.constructs if syntax.parsed else None


def node_kinds(programs: Iterable[str]) -> Counter[str]:
    """How often each AST node class occurs over `programs` (unparsable ones are skipped)."""
    counts: Counter[str] = Counter()
    for program in programs:
        counts.update(analyze_program(program).nodes)
    return counts
