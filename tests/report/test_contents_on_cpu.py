"""The buffer's contents: additions per step from the buffer's own counts, program lengths, the
constructs read from each program's syntax tree, and solve rates binned without rounding."""

from __future__ import annotations

import pytest

from azr_verl.buffer.store import TaskStore
from azr_verl.report import load_run
from azr_verl.report.constructs import Construct, node_kinds, program_constructs
from azr_verl.report.contents import SOLVE_RATE_BINS, buffer_contents, length_bin, solve_rate_bin


def _figures(run_dir):
    return {f.slug: f for f in buffer_contents(load_run(run_dir)).figures}


def _nonzero(figure):
    return {s.label: {x: y for x, y in s.points().items() if y} for s in figure.series}


def test_tasks_added_per_step_are_the_new_tasks_of_each_type(run_dir):
    # Step 0: the zero triplet; step 1: the loop; step 2: the recursion and the comprehension (the
    # re-proposed loop is a duplicate and adds nothing).
    added = _figures(run_dir)["tasks_added"]
    assert {s.label: s.points() for s in added.series} == {
        "code_o": {0: 1, 1: 1, 2: 1},
        "code_i": {0: 1, 2: 1},
        "code_f": {0: 1},
    }


def test_program_lengths_count_each_task_once_by_its_lines_on_a_linear_axis(run_dir):
    # The zero programs have 2 lines, the loop 5, the recursion 4, the comprehension 2; no task has 3.
    figure = _figures(run_dir)["program_lines"]
    assert figure.categories() == [2, 3, 4, 5]
    assert _nonzero(figure) == {
        "code_o": {2: 2, 5: 1},
        "code_i": {2: 1, 4: 1},
        "code_f": {2: 1},
    }


def test_constructs_count_the_programs_that_use_them(run_dir):
    assert _nonzero(_figures(run_dir)["constructs"]) == {
        "code_o": {"for loop": 1, "comprehension": 1},
        "code_i": {"recursion": 1, "if / conditional expr": 1},
        "code_f": {},
    }


def test_solve_rates_bin_the_attempted_tasks_and_the_rest_is_noted(run_dir):
    # The loop 2 of 3, the comprehension 2 of 2, the recursion 0 of 4; the zero triplet never.
    section = buffer_contents(load_run(run_dir))
    solve = {f.slug: f for f in section.figures}["solve_rate"]
    assert _nonzero(solve) == {"code_o": {"(0.5, 0.75]": 1, "1": 1}, "code_i": {"0": 1}}
    assert solve.categories() == list(SOLVE_RATE_BINS)
    assert "3 of 6 stored tasks have none" in solve.note


def test_a_buffer_without_solver_attempts_has_no_solve_rate_figure_and_says_why(tmp_path):
    with TaskStore.in_run_dir(tmp_path) as store:
        store.seed_zero()
    section = buffer_contents(load_run(tmp_path))
    assert "solve_rate" not in {f.slug for f in section.figures}
    assert any(note.startswith("no stored task has a solver attempt") for note in section.notes)


@pytest.mark.parametrize(
    ("successes", "attempts", "label"),
    [(0, 3, "0"), (1, 4, "(0, 0.25]"), (2, 8, "(0, 0.25]"), (1, 3, "(0.25, 0.5]"), (5, 10, "(0.25, 0.5]"),
     (3, 4, "(0.5, 0.75]"), (4, 5, "(0.75, 1)"), (99, 100, "(0.75, 1)"), (7, 7, "1")],
)  # fmt: skip
def test_solve_rate_bins_put_edges_in_the_lower_bin_and_keep_0_and_1_apart(successes, attempts, label):
    assert solve_rate_bin(successes, attempts) == label


@pytest.mark.parametrize(
    ("lines", "shortest", "longest", "category"),
    [(5, 2, 11, 5), (41, 2, 41, 41), (1, 1, 200, "1-5"), (5, 1, 200, "1-5"), (6, 1, 200, "6-10"),
     (200, 1, 200, "196-200"), (42, 2, 42, "42-43")],
)  # fmt: skip
def test_program_lengths_are_binned_only_when_the_range_is_wider_than_the_bars(
    lines, shortest, longest, category
):
    assert length_bin(lines, shortest, longest) == category


@pytest.mark.parametrize(("successes", "attempts"), [(0, 0), (3, 2), (-1, 2)])
def test_impossible_solve_counts_are_refused(successes, attempts):
    with pytest.raises(ValueError, match="successes"):
        solve_rate_bin(successes, attempts)


@pytest.mark.parametrize(
    ("program", "construct"),
    [
        ("def f(x):\n    while x:\n        x -= 1\n    return x", Construct.WHILE_LOOP),
        ("def f(x):\n    return {k: 1 for k in x}", Construct.COMPREHENSION),
        ("def f(x):\n    return sum(i for i in x)", Construct.COMPREHENSION),
        ("def f(x):\n    return sorted(x, key=lambda v: -v)", Construct.LAMBDA),
        ("def g(x):\n    return x\n\ndef f(x):\n    return g(x)", Construct.HELPER_FUNCTION),
        ("def f(x):\n    def inner(y):\n        return y\n    return inner(x)", Construct.HELPER_FUNCTION),
        (
            "def f(n):\n    def go(k):\n        return 0 if k == 0 else go(k - 1)\n    return go(n)",
            Construct.RECURSION,
        ),
        (
            "class A:\n    def get(self):\n        return 1\n\ndef f(x):\n    return A().get()",
            Construct.CLASS,
        ),
        (
            "def f(x):\n    try:\n        return 1 / x\n    except ZeroDivisionError:\n        return 0",
            Construct.TRY,
        ),
        ("def f(x):\n    if x < 0:\n        raise ValueError(x)\n    return x", Construct.RAISE),
        ("def f(x):\n    return list(g(x))\n\ndef g(x):\n    yield x", Construct.GENERATOR),
        ("import math\n\ndef f(x):\n    return math.sqrt(x)", Construct.IMPORT),
        ("def f(x):\n    return x[::-1]", Construct.SLICING),
        ("def f(x):\n    return f'{x}!'", Construct.FSTRING),
        ("def f(x):\n    return 1 if x else 0", Construct.CONDITIONAL),
    ],
)
def test_a_construct_is_found_in_a_program_that_uses_it(program, construct):
    assert construct in program_constructs(program)


def test_a_plain_program_uses_no_construct_and_methods_are_no_helpers():
    assert program_constructs("def f(a):\n    return a + 1") == frozenset()
    with_class = "class A:\n    def get(self):\n        return 1\n\ndef f(x):\n    return A().get()"
    assert program_constructs(with_class) == {Construct.CLASS}


def test_an_unparsable_program_has_no_constructs_and_no_nodes():
    assert program_constructs("def f(:\n") is None
    counts = node_kinds(["def f(:\n", "def f(a):\n    return a + 1"])
    assert counts == {
        "FunctionDef": 1,
        "arguments": 1,
        "arg": 1,
        "Return": 1,
        "BinOp": 1,
        "Name": 1,
        "Add": 1,
        "Constant": 1,
    }
