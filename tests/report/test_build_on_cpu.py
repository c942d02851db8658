"""The report's files: one valid PNG per figure, one self-contained HTML page embedding all of them with
their numbers and notes, and the `azr-verl report` command around it."""

from __future__ import annotations

import base64
import re
import struct

import pytest

from azr_verl.cli import main as cli_main
from azr_verl.report import HTML_NAME, build_report

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk that follows the signature."""
    return struct.unpack(">II", data[16:24])


def test_every_figure_is_a_valid_png_embedded_in_one_self_contained_page(run_dir, tmp_path):
    report = build_report(run_dir, tmp_path / "out")
    assert sorted(report.figures) == sorted(
        ["reward_per_group", "valid_rate", "learnability_histogram", "propose_attempt_acc", "solver_acc",
         "buffer_size", "step_time", "azr_time", "tasks_added", "program_lines", "constructs", "ast_nodes",
         "solve_rate"]
    )  # fmt: skip
    assert [p.name for p in report.png_paths] == [f"{slug}.png" for slug in report.figures]
    page = report.html_path.read_text(encoding="utf-8")
    for path in report.png_paths:
        data = path.read_bytes()
        assert data.startswith(PNG_SIGNATURE) and len(data) > 5_000
        assert _png_size(data) == (800, 420)
        assert f"data:image/png;base64,{base64.b64encode(data).decode('ascii')}" in page
    assert re.findall(r'src="(?!data:image/png;base64,)', page) == []
    assert "http://" not in page and "https://" not in page and "<script" not in page and "<link" not in page
    assert report.notes == ()


def test_the_page_tables_hold_the_plotted_numbers(run_dir, tmp_path):
    report = build_report(run_dir, tmp_path)
    page = report.html_path.read_text(encoding="utf-8")
    section = page[page.index('<section id="step_time">') :]
    section = section[: section.index("</section>")]
    # Step 1 of the step-time table: gen 10, old_log_prob 2, adv 0.5, update_actor 20, other 7.5.
    assert "<tr><td>1</td><td>10</td><td>2</td><td>0.5</td><td>20</td><td></td><td>7.5</td></tr>" in section


def test_a_run_without_a_buffer_still_gets_its_curves_and_a_note_on_the_page(run_dir, tmp_path):
    for path in run_dir.glob("buffer.sqlite*"):
        path.unlink()
    report = build_report(run_dir, tmp_path)
    assert "reward_per_group" in report.figures and "tasks_added" not in report.figures
    note = f"no buffer file {run_dir / 'buffer.sqlite'}: the buffer&#x27;s contents are not plotted"
    assert note in report.html_path.read_text(encoding="utf-8")


def test_the_default_output_directory_is_inside_the_run(run_dir):
    report = build_report(run_dir)
    assert report.out_dir == run_dir / "report" and (run_dir / "report" / HTML_NAME).is_file()


def test_the_report_command_prints_where_the_page_is(run_dir, tmp_path, capsys):
    extra = tmp_path / "extra.jsonl"
    extra.write_text('{"step": 4, "data": {"timing_s/step": 1.0}}\n')
    assert cli_main(["report", str(run_dir), "--out", str(tmp_path / "out"), "--metrics", str(extra)]) == 0
    out = capsys.readouterr().out
    assert "read 4 steps from 3 metrics files and 6 buffer tasks" in out
    assert f"report: {tmp_path / 'out' / HTML_NAME}" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [(["/nonexistent/run"], "does not exist"), (["EMPTY"], "nothing to report"),
     (["RUN", "--metrics", "/nonexistent.jsonl"], "/nonexistent.jsonl does not exist")],
)  # fmt: skip
def test_the_report_command_fails_with_a_message_and_status_2(run_dir, tmp_path, capsys, args, message):
    (tmp_path / "empty").mkdir()
    args = [{"EMPTY": str(tmp_path / "empty"), "RUN": str(run_dir)}.get(a, a) for a in args]
    assert cli_main(["report", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("azr-verl report: ") and message in err
