"""`azr-verl report` on the run directory of the end-to-end run (conftest.py): the files exist, and every
plotted number equals the one the trainer logged (read here straight from the jsonl files) or the one
stored in the buffer (read here straight from SQLite)."""

from __future__ import annotations

import base64
import math
import re
import sqlite3
import struct
from collections import Counter
from fractions import Fraction
from pathlib import Path

import pytest

from azr_verl.cli import main as cli_main
from azr_verl.report import build_report
from azr_verl.report.contents import length_bin

RUN_TIMEOUT_S = 3 * 420  # the shared run may train inside this module's first test
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
OUTSIDE_STEP = {"step", "testing", "dump_rollout_generations"}


@pytest.fixture(scope="module")
def logged(selfplay_run, read_metrics_jsonl) -> dict[int, dict[str, float]]:
    """step -> metrics over both starts, read from each file (the resume's file wins a repeated step)."""
    run_dir = selfplay_run.run_dir
    return {
        **read_metrics_jsonl(run_dir / "metrics.jsonl"),
        **read_metrics_jsonl(run_dir / "metrics.2.jsonl"),
    }


@pytest.fixture(scope="module")
def report(selfplay_run, tmp_path_factory):
    return build_report(selfplay_run.run_dir, tmp_path_factory.mktemp("report"))


def _logged_points(logged: dict[int, dict[str, float]], key: str) -> dict[int, float]:
    return {
        step: float(data[key])
        for step, data in sorted(logged.items())
        if isinstance(data.get(key), (int, float)) and math.isfinite(data[key])
    }


def _series_by_key(report, logged, slug: str, pattern: str) -> None:
    """Every key matching `pattern` (its `name` group labels the series) is plotted exactly as logged."""
    keys = {
        m["name"]: m.string for data in logged.values() for m in map(re.compile(pattern).match, data) if m
    }
    assert keys, f"the run logged no key matching {pattern}"
    figure = report.figures[slug]
    assert sorted(figure.labels()) == sorted(keys)
    for name, key in keys.items():
        assert figure.get(name).points() == _logged_points(logged, key), (slug, name)


def _sqlite(run_dir: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(f"file:{run_dir / 'buffer.sqlite'}?mode=ro", uri=True) as conn:
        return conn.execute(sql).fetchall()


@pytest.mark.slow
@pytest.mark.timeout(RUN_TIMEOUT_S)
@pytest.mark.parametrize(
    ("slug", "pattern"),
    [
        pytest.param(slug, pattern, id=slug)
        for slug, pattern in [
            ("reward_per_group", r"^azr/reward/(?P<name>[^/]+:[^/]+)/mean$"),
            ("valid_rate", r"^azr/valid_rate/(?P<name>[^/]+)$"),
            ("solver_acc", r"^azr/solver_acc/(?P<name>[^/]+)$"),
            ("buffer_size", r"^azr/buffer/(?P<name>[^/]+)/size$"),
            ("azr_time", r"^azr/time/(?P<name>[^/]+_s)$"),
        ]
    ],
)
def test_training_curves_plot_the_logged_values_of_all_three_steps(report, logged, slug, pattern):
    assert sorted(logged) == [1, 2, 3]
    _series_by_key(report, logged, slug, pattern)


@pytest.mark.slow
@pytest.mark.timeout(RUN_TIMEOUT_S)
def test_learnability_histogram_is_plotted_when_and_as_logged(report, logged):
    bins = sorted({k for data in logged.values() for k in data if k.startswith("azr/learnability/bin_")})
    if not bins:  # no valid proposal in the whole run: a note instead of a figure
        assert "learnability_histogram" not in report.figures
        assert any("azr/learnability/bin_*" in note for note in report.notes)
        return
    figure = report.figures["learnability_histogram"]
    for key in bins:
        label = key.removeprefix("azr/learnability/bin_").replace("_", "-")
        assert figure.get(label).points() == _logged_points(logged, key)


@pytest.mark.slow
@pytest.mark.timeout(RUN_TIMEOUT_S)
def test_step_time_split_stacks_the_logged_phases_and_the_rest_of_the_step(report, logged):
    figure = report.figures["step_time"]
    phases = {
        k.removeprefix("timing_s/") for data in logged.values() for k in data if k.startswith("timing_s/")
    }
    assert {"gen", "update_actor"} <= phases
    for phase in phases - {"step"}:
        assert figure.get(phase).points() == _logged_points(logged, f"timing_s/{phase}")
    other = figure.get("other").points()
    for step, data in logged.items():
        inside = sum(v for k, v in data.items() if k.startswith("timing_s/") and k[9:] not in OUTSIDE_STEP)
        assert other[step] == pytest.approx(max(data["timing_s/step"] - inside, 0.0), abs=1e-9)


@pytest.mark.slow
@pytest.mark.timeout(RUN_TIMEOUT_S)
def test_tasks_added_per_step_match_the_buffer_and_the_logged_counts(report, logged, selfplay_run):
    figure = report.figures["tasks_added"]
    stored = _sqlite(selfplay_run.run_dir, "SELECT kind, step, added FROM step_counts")
    expected: dict[str, dict[int, float]] = {}
    for kind, step, added in stored:
        expected.setdefault(kind, {})[step] = float(added)
    assert {s.label: s.points() for s in figure.series} == expected
    assert expected["code_o"][0] == 1  # the zero triplet, at step 0
    for step, data in logged.items():  # what the trainer logged per step is what the buffer counted
        for key, value in data.items():
            match = re.match(r"^azr/buffer/([^/]+)/added$", key)
            if match:
                assert expected[match[1]][step] == value, key
    sizes = dict(_sqlite(selfplay_run.run_dir, "SELECT kind, COUNT(*) FROM tasks GROUP BY kind"))
    size_figure = report.figures["buffer_size"]
    assert {k: size_figure.get(k).points()[3] for k in sizes} == sizes  # nothing was added after step 3


@pytest.mark.slow
@pytest.mark.timeout(RUN_TIMEOUT_S)
def test_program_lengths_and_solve_rates_match_the_stored_tasks(report, selfplay_run):
    rows = _sqlite(selfplay_run.run_dir, "SELECT kind, program, solve_attempts, solve_successes FROM tasks")
    lengths = [program.count("\n") + 1 for _, program, _, _ in rows]
    lines: dict[str, Counter] = {}
    rates: dict[str, Counter] = {}
    for (kind, _, attempts, successes), length in zip(rows, lengths, strict=True):
        lines.setdefault(kind, Counter())[length_bin(length, min(lengths), max(lengths))] += 1
        if attempts:
            rate = Fraction(successes, attempts)
            label = (
                "0" if rate == 0 else "1" if rate == 1
                else "(0, 0.25]" if rate <= Fraction(1, 4) else "(0.25, 0.5]" if rate <= Fraction(1, 2)
                else "(0.5, 0.75]" if rate <= Fraction(3, 4) else "(0.75, 1)"
            )  # fmt: skip
            rates.setdefault(kind, Counter())[label] += 1
    plotted_lines = {
        s.label: {x: y for x, y in s.points().items() if y} for s in report.figures["program_lines"].series
    }
    assert plotted_lines == {k: dict(c) for k, c in lines.items()}
    assert rates, "the solver attempted no stored task"
    plotted_rates = {
        s.label: {x: y for x, y in s.points().items() if y} for s in report.figures["solve_rate"].series
    }
    assert plotted_rates == {k: dict(c) for k, c in rates.items()}
    nodes = report.figures["ast_nodes"]
    for kind, counter in lines.items():  # every program defines f
        assert nodes.get(kind).points()["FunctionDef"] >= sum(counter.values())
        assert all(0 <= y <= sum(counter.values()) for y in report.figures["constructs"].get(kind).y)


@pytest.mark.slow
@pytest.mark.timeout(RUN_TIMEOUT_S)
def test_every_figure_is_a_png_embedded_in_one_self_contained_page(report):
    assert len(report.png_paths) == len(report.figures) >= 10
    page = report.html_path.read_text(encoding="utf-8")
    for path in report.png_paths:
        data = path.read_bytes()
        assert data.startswith(PNG_SIGNATURE) and len(data) > 5_000, path
        width, height = struct.unpack(">II", data[16:24])
        assert width >= 400 and height >= 200, path
        assert base64.b64encode(data).decode("ascii") in page, path
    assert re.findall(r'src="(?!data:image/png;base64,)', page) == []
    assert "http://" not in page and "https://" not in page and "<script" not in page and "<link" not in page


@pytest.mark.slow
@pytest.mark.timeout(RUN_TIMEOUT_S)
def test_report_command_writes_the_same_figures_and_page(report, selfplay_run, tmp_path, capsys):
    assert cli_main(["report", str(selfplay_run.run_dir), "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.glob("*.png")) == sorted(p.name for p in report.png_paths)
    assert (tmp_path / "report.html").is_file()
    assert str(tmp_path / "report.html") in capsys.readouterr().out
