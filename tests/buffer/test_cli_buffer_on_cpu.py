"""`azr-verl buffer stats|show|export RUN_DIR` on a real buffer file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from azr_verl.buffer import SolveOutcome, TaskStore, read_seed_file
from azr_verl.cli import main


@pytest.fixture
def run_dir(make_task, tmp_path: Path) -> Path:
    with TaskStore.in_run_dir(tmp_path) as store:
        store.seed_zero()
        easy, hard = (store.add([make_task("code_o", i)], step=1)[0].id for i in (1, 2))
        store.add([make_task("code_f", 3), make_task("code_i", 4)], step=2)
        store.add([make_task("code_i", 4)], step=3)  # a duplicate, counted in the growth table
        store.record_outcomes([SolveOutcome(easy, 8, 8), SolveOutcome(hard, 8, 1)])
    return tmp_path


def test_stats_json_counts_types_sources_growth_and_rates(
    run_dir: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["buffer", "stats", str(run_dir), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    counts = {(c["kind"], c["source"]): c["tasks"] for c in data["counts"]}
    assert counts == {("code_o", "zero"): 1, ("code_i", "zero"): 1, ("code_f", "zero"): 1,
                      ("code_o", "proposed"): 2, ("code_f", "proposed"): 1, ("code_i", "proposed"): 1}  # fmt: skip
    assert data["total"] == 7
    assert [(g["first_step"], g["added"], g["duplicates"], g["total_after"]) for g in data["growth"]] == [
        (0, 3, 0, 3), (1, 2, 0, 5), (2, 2, 0, 7), (3, 0, 1, 7)]  # fmt: skip
    assert data["hardest"][0]["solve_rate"] == 0.125 and data["easiest"][0]["solve_rate"] == 1.0
    assert set(data["program_lines"]) == {"code_o", "code_i", "code_f"}


def test_stats_table_prints_every_section(run_dir: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["buffer", "stats", str(run_dir)]) == 0
    out = capsys.readouterr().out
    for heading in ("7 tasks", "proposed", "evicted", "program lines", "hardest", "easiest", "def f(x):"):
        assert heading in out


def test_show_filters_by_kind_and_prints_the_task(run_dir: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["buffer", "show", str(run_dir), "--kind", "code_f", "--source", "proposed"]) == 0
    out = capsys.readouterr().out
    assert out.count("#") == 1 and "code_f" in out and "message: adds 3" in out and "f(0) == 3" in out


def test_export_round_trips_as_a_seed_file(
    run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    out = tmp_path / "export.jsonl"
    assert main(["buffer", "export", str(run_dir / "buffer.sqlite"), "-o", str(out)]) == 0
    assert "exported 7 tasks" in capsys.readouterr().err
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in records] == sorted(r["id"] for r in records)
    with TaskStore(tmp_path / "again.sqlite") as again:
        report = again.load_seeds(out)
        assert (report.added, report.malformed) == (7, 0)
    assert len(read_seed_file(out).tasks) == 7


@pytest.mark.parametrize("action", ["stats", "show", "export"])
def test_missing_or_foreign_buffer_exits_2_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture, action: str
) -> None:
    (tmp_path / "buffer.sqlite").write_text("not sqlite " * 500)
    assert main(["buffer", action, str(tmp_path)]) == 2
    assert str(tmp_path / "buffer.sqlite") in capsys.readouterr().err
    assert main(["buffer", action, str(tmp_path / "absent")]) == 2
    assert "does not exist" in capsys.readouterr().err
