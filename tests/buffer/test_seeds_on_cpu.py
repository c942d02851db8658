"""Seeding: the zero triplet and seed files, malformed lines skipped and counted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from azr_verl.buffer import SampleRequest, TaskStore, read_seed_file, zero_tasks
from azr_verl.tasks import Source, TaskKind


def test_zero_triplet_is_the_identity_on_hello_world_for_every_task_type(store: TaskStore) -> None:
    results = store.seed_zero()
    again = store.seed_zero()
    assert all(r.inserted for r in results) and not any(r.inserted for r in again)
    stored = store.get([r.id for r in results])
    assert {s.kind for s in stored} == {TaskKind.DEDUCTION, TaskKind.ABDUCTION, TaskKind.INDUCTION}
    assert all(s.source is Source.ZERO and "return a" in s.task.program for s in stored)
    deduction = next(s for s in stored if s.kind is TaskKind.DEDUCTION)
    assert deduction.task.inputs == deduction.task.outputs == ('"Hello world"',)
    induction = next(s for s in stored if s.kind is TaskKind.INDUCTION)
    assert len(induction.task.inputs) >= 4 and induction.task.message


def test_shared_seed_files_load_into_their_task_types(store: TaskStore, shared_data: Path) -> None:
    io_report = store.load_seeds(shared_data / "7b_coder_seed_io.jsonl")
    f_report = store.load_seeds(shared_data / "7b_coder_code_f_seed_io.jsonl")
    good_io_lines = io_report.lines - io_report.malformed
    assert io_report.added + io_report.duplicates == 2 * good_io_lines  # one deduction + one abduction each
    assert f_report.added + f_report.duplicates == f_report.lines - f_report.malformed
    counts = store.counts()
    assert counts[TaskKind.DEDUCTION] == counts[TaskKind.ABDUCTION] == io_report.added // 2
    assert counts[TaskKind.INDUCTION] == f_report.added


def test_seed_imports_are_part_of_the_program(store: TaskStore, tmp_path: Path) -> None:
    line = {
        "snippet": "def f(s):\n    return re.sub('a', 'b', s)",
        "input": "'a'",
        "output": "'b'",
        "imports": ["import re"],
    }
    path = tmp_path / "seeds.jsonl"
    path.write_text(json.dumps(line) + "\n")
    store.load_seeds(path)
    programs = {s.task.program for s in store.sample([_all()], seed=0, step=0)[0]}
    assert programs == {"import re\ndef f(s):\n    return re.sub('a', 'b', s)"}


def _all() -> SampleRequest:
    return SampleRequest((TaskKind.DEDUCTION, TaskKind.ABDUCTION), 10)


GOOD_IO = {"snippet": "def f(a):\n    return a + 1", "input": "1", "output": "2", "imports": []}
GOOD_F = {
    "snippet": "def f(a):\n    return -a",
    "inputs": ["1", "2"],
    "outputs": ["-1", "-2"],
    "message": "negate",
}


@pytest.mark.parametrize(
    "bad_line",
    [
        "{not json",
        "[1, 2]",
        json.dumps({**GOOD_IO, "output": ""}),
        json.dumps({**GOOD_IO, "snippet": None}),
        json.dumps({k: v for k, v in GOOD_IO.items() if k != "input"}),
        json.dumps({**GOOD_IO, "imports": "import os"}),
        json.dumps({**GOOD_F, "outputs": ["-1"]}),
        json.dumps({**GOOD_F, "inputs": []}),
        json.dumps({**GOOD_F, "message": 3}),
        json.dumps({"kind": "code_z", "program": "def f(): pass", "inputs": ["1"], "outputs": ["1"]}),
    ],
)
def test_malformed_seed_line_is_skipped_counted_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, bad_line: str
) -> None:
    path = tmp_path / "seeds.jsonl"
    path.write_text("\n".join([json.dumps(GOOD_IO), bad_line, "", json.dumps(GOOD_F)]) + "\n")
    seeds = read_seed_file(path)
    assert (seeds.lines, seeds.malformed) == (3, 1)
    assert sorted(t.kind.value for t in seeds.tasks) == ["code_f", "code_i", "code_o"]
    assert f"{path} line 2 skipped" in caplog.text


def test_exported_lines_load_as_their_task_type(tmp_path: Path) -> None:
    path = tmp_path / "export.jsonl"
    task = zero_tasks()[2]
    record = {"kind": "code_f", "program": task.program, "inputs": list(task.inputs), "outputs": list(task.outputs),
              "message": task.message}  # fmt: skip
    path.write_text(json.dumps(record) + "\n")
    assert read_seed_file(path).tasks == (task,)


def test_missing_seed_file_raises(store: TaskStore, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        store.load_seeds(tmp_path / "nope.jsonl")
