"""Reading veRL's metrics jsonl while it grows: complete lines only, in order, restart on truncation."""

from __future__ import annotations

import json

import pytest

from azr_verl.metrics_log import MetricsTail, read_metrics


def _line(step: int) -> bytes:
    return (json.dumps({"step": step, "data": {"timing_s/step": float(step)}}) + "\n").encode()


def test_a_partly_written_line_waits_for_its_newline(tmp_path):
    path = tmp_path / "metrics.jsonl"
    tail = MetricsTail(path)
    assert tail.poll() == []  # the logger has not created the file yet
    first, second = _line(1), _line(2)
    path.write_bytes(first + second[:10])
    assert [row.step for row in tail.poll()] == [1]
    assert tail.poll() == []
    with open(path, "ab") as handle:
        handle.write(second[10:])
    rows = tail.poll()
    assert [row.step for row in rows] == [2]
    assert rows[0].get("timing_s/step") == 2.0


def test_a_truncated_file_is_read_again_from_the_start(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_bytes(_line(1) + _line(2))
    tail = MetricsTail(path)
    assert len(tail.poll()) == 2
    path.write_bytes(_line(3))  # a new logger truncates its file
    assert [row.step for row in tail.poll()] == [3]


@pytest.mark.parametrize("bad", ["not json", '{"step": "one", "data": {}}', '{"step": 1}', "[1, 2]"])
def test_unreadable_lines_are_skipped_and_the_rest_is_kept(tmp_path, bad):
    path = tmp_path / "metrics.jsonl"
    path.write_bytes(_line(1) + bad.encode() + b"\n" + _line(2))
    assert [row.step for row in read_metrics(path)] == [1, 2]


def test_non_numeric_metrics_read_as_the_default(tmp_path):
    path = tmp_path / "metrics.jsonl"
    path.write_text(json.dumps({"step": 1, "data": {"note": "text", "x": 1}}) + "\n")
    [row] = read_metrics(path)
    assert row.get("note") is None and row.get("missing", 0.0) == 0.0 and row.get("x") == 1.0
