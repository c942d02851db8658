"""The buffer's contents: tasks added per step, program lengths, constructs used, solve rates.

Drawn from the buffer file itself (the `tasks` and `step_counts` tables), so it shows what the run
kept, including tasks from before a resume. Counts are per task type, one bar colour per type.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence

from azr_verl.buffer.records import StoredTask
from azr_verl.buffer.stats import program_lines
from azr_verl.report.constructs import Construct, ProgramSyntax, analyze_program
from azr_verl.report.figure import FigureData, FigureKind, Section, Series
from azr_verl.report.run_data import RunData, StepCount
from azr_verl.tasks.task import paper_order

__all__ = [
    "MAX_LENGTH_BARS",
    "SOLVE_RATE_BINS",
    "TOP_NODE_KINDS",
    "buffer_contents",
    "length_bin",
    "solve_rate_bin",
]

SOLVE_RATE_BINS = ("0", "(0, 0.25]", "(0.25, 0.5]", "(0.5, 0.75]", "(0.75, 1)", "1")
TOP_NODE_KINDS = 20
MAX_LENGTH_BARS = 40


def solve_rate_bin(successes: int, attempts: int) -> str:
    """The SOLVE_RATE_BINS label of a task's solve rate (integer arithmetic: no rounding at edges).

    Raises:
        ValueError: no attempts, or successes outside 0..attempts.
    """
    if attempts <= 0 or not 0 <= successes <= attempts:
        raise ValueError(f"need 0 <= successes <= attempts and attempts > 0, got {successes}/{attempts}")
    if successes == 0:
        return SOLVE_RATE_BINS[0]
    if successes == attempts:
        return SOLVE_RATE_BINS[-1]
    quarter = -(-4 * successes // attempts)  # ceil(4 * rate) in 1..4
    return SOLVE_RATE_BINS[quarter]


def _kinds(tasks: Sequence[StoredTask]) -> list[str]:
    return sorted({t.kind.value for t in tasks}, key=paper_order)


def _counted(
    tasks: Sequence[StoredTask],
    categories: Sequence[Hashable],
    values_of: Callable[[StoredTask], Iterable[Hashable] | Mapping[Hashable, int]],
) -> tuple[Series, ...]:
    """One series per task type: how many of `values_of(task)` (items, or item -> count) fall on each
    category, summed over the tasks of that type."""
    out = []
    for kind in _kinds(tasks):
        counts: Counter = Counter()
        for task in tasks:
            if task.kind.value == kind:
                counts.update(values_of(task))
        out.append(Series(kind, tuple(categories), tuple(float(counts[c]) for c in categories)))
    return tuple(out)


def _tasks_added(counts: Sequence[StepCount]) -> FigureData | None:
    kinds = sorted({c.kind for c in counts}, key=paper_order)
    series = tuple(
        Series(
            kind,
            tuple(c.step for c in counts if c.kind == kind),
            tuple(float(c.added) for c in counts if c.kind == kind),
        )
        for kind in kinds
    )
    if not series:
        return None
    return FigureData(
        "tasks_added",
        "Tasks added to the buffer per step",
        "training step",
        "new tasks",
        FigureKind.STACKED_BAR,
        series,
        "New tasks per step and type from the buffer's own bookkeeping (step 0: the zero triplet and "
        "seeds); tasks evicted later still count here. Re-proposals of stored tasks are not new.",
    )


def length_bin(lines: int, shortest: int, longest: int) -> int | str:
    """The x category of a program length: the line count itself while the range spans at most
    MAX_LENGTH_BARS values, else a range label "lo-hi" of one of MAX_LENGTH_BARS equal-width bins."""
    span = longest - shortest + 1
    if span <= MAX_LENGTH_BARS:
        return lines
    width = -(-span // MAX_LENGTH_BARS)
    low = shortest + (lines - shortest) // width * width
    return f"{low}-{low + width - 1}"


def _program_lengths(tasks: Sequence[StoredTask]) -> FigureData:
    lengths = [program_lines(t.task.program) for t in tasks]
    shortest, longest = min(lengths), max(lengths)
    # Every length in the range is a category (zeros included), so the x axis stays linear.
    categories = list(dict.fromkeys(length_bin(n, shortest, longest) for n in range(shortest, longest + 1)))
    return FigureData(
        "program_lines",
        "Program length",
        "lines of the program",
        "tasks",
        FigureKind.GROUPED_BAR,
        _counted(tasks, categories, lambda t: [length_bin(program_lines(t.task.program), shortest, longest)]),
        "Every stored task, counted by the lines of its program (including helpers and imports).",
    )


def _constructs(tasks: Sequence[StoredTask], syntax: Mapping[int, ProgramSyntax]) -> FigureData:
    return FigureData(
        "constructs",
        "Python constructs used",
        "construct",
        "programs using it",
        FigureKind.GROUPED_BAR,
        _counted(tasks, [c.value for c in Construct], lambda t: [c.value for c in syntax[t.id].constructs]),
        "Programs per task type that use each construct at least once (read from the syntax tree; "
        "a helper is any function besides f, recursion a function calling its own name).",
    )


def _node_kinds(tasks: Sequence[StoredTask], syntax: Mapping[int, ProgramSyntax]) -> FigureData:
    total: Counter[str] = Counter()
    for facts in syntax.values():
        total.update(facts.nodes)
    top = [name for name, _ in total.most_common(TOP_NODE_KINDS)]
    return FigureData(
        "ast_nodes",
        f"Most frequent syntax-tree node kinds (top {TOP_NODE_KINDS})",
        "ast node class",
        "nodes",
        FigureKind.GROUPED_BAR,
        _counted(tasks, top, lambda t: syntax[t.id].nodes),
        "Every node of every program's ast, by class (module and load/store contexts left out).",
    )


def _solve_rates(tasks: Sequence[StoredTask]) -> tuple[FigureData | None, str]:
    """The solve-rate histogram of the tasks with solver attempts; the note says what is left out."""
    attempted = [t for t in tasks if t.stats.solve_attempts > 0]
    where = (
        "The buffer counts attempts and successes of solve-role samples per task; the proposer's N "
        "learnability attempts are kept as the task's learnability, not here."
    )
    if not attempted:
        return (
            None,
            f"no stored task has a solver attempt recorded, so there is no solve-rate histogram. {where}",
        )
    never = len(tasks) - len(attempted)
    figure = FigureData(
        "solve_rate",
        "Solve rate of the buffer's tasks",
        "solve rate (successes / attempts)",
        "tasks",
        FigureKind.GROUPED_BAR,
        _counted(
            attempted,
            SOLVE_RATE_BINS,
            lambda t: [solve_rate_bin(t.stats.solve_successes, t.stats.solve_attempts)],
        ),
        f"Tasks with at least one solver attempt; {never} of {len(tasks)} stored tasks have none. {where}",
    )
    return figure, ""


def buffer_contents(run: RunData) -> Section:
    """The buffer figures of a run; a run without a readable buffer gets a section with notes only."""
    title = "Buffer contents"
    if run.buffer_path is None:
        return Section(title, (), (f"{run.buffer_problem}: the buffer's contents are not plotted",))
    notes = []
    added = _tasks_added(run.step_counts)
    if added is None:
        notes.append("the buffer has no per-step counts: tasks added per step is not plotted")
    if not run.tasks:
        notes.append("the buffer holds no tasks: program lengths, constructs and solve rates are not plotted")
        return Section.of(title, [added], notes)
    syntax = {t.id: analyze_program(t.task.program) for t in run.tasks}
    unparsable = sum(1 for facts in syntax.values() if not facts.parsed)
    if unparsable:
        notes.append(f"{unparsable} programs did not parse and count for no construct")
    solve, solve_note = _solve_rates(run.tasks)
    if solve_note:
        notes.append(solve_note)
    figures = [
        added,
        _program_lengths(run.tasks),
        _constructs(run.tasks, syntax),
        _node_kinds(run.tasks, syntax),
        solve,
    ]
    return Section.of(title, figures, notes)
