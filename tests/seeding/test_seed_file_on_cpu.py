"""The seed file a seeding run appends to: exact round trips, existing content kept, one writer."""

from __future__ import annotations

import pytest

from azr_verl.buffer import read_seed_file, zero_tasks
from azr_verl.seeding import SeedFileError, SeedWriter, seed_line
from azr_verl.tasks import Task, task_fingerprint

ODD_TEXT = Task(
    "code_i",
    "def f(s):\n    return s + '\\u00e9\\ud800'  # \"quotes\"\n",
    ("'na\u00efve \\n'",),
    ("'na\u00efve \\n\u00e9\\ud800'",),
)


@pytest.mark.parametrize("task", [*zero_tasks(), ODD_TEXT], ids=lambda t: t.kind.value)
def test_a_written_line_reads_back_as_the_same_task(tmp_path, task):
    out = tmp_path / "seeds.jsonl"
    with SeedWriter(out) as writer:
        writer.append([seed_line(task, task_fingerprint(task), task.kind.value, 1)])
    assert read_seed_file(out).tasks == (task,)


def test_a_lone_surrogate_in_model_text_survives_the_round_trip(tmp_path):
    task = Task("code_o", "def f(x):\n    return '\ud83d'", ("1",), ("'\\ud83d'",))
    out = tmp_path / "seeds.jsonl"
    with SeedWriter(out) as writer:
        writer.append([seed_line(task, task_fingerprint(task), "code_o", 1)])
    assert read_seed_file(out).tasks == (task,)


def test_an_existing_seed_file_is_read_and_kept_when_appending(tmp_path, shared_data):
    out = tmp_path / "seeds.jsonl"
    reference_line = (shared_data / "7b_coder_seed_io.jsonl").read_text().splitlines()[0] + "\n"
    out.write_text(reference_line)
    task = zero_tasks()[2]
    with SeedWriter(out) as writer:
        assert len(writer.existing.tasks) == 2  # an io line is a deduction and an abduction seed
        writer.append([seed_line(task, task_fingerprint(task), "code_f", 1)])
    assert out.read_text().startswith(reference_line)
    assert read_seed_file(out).tasks[2] == task


def test_a_cut_short_last_line_is_terminated_so_new_lines_stay_readable(tmp_path):
    out = tmp_path / "seeds.jsonl"
    first, second = zero_tasks()[:2]
    out.write_text(seed_line(first, task_fingerprint(first), "code_o", 1) + '{"kind": "code_i", "prog')
    with SeedWriter(out) as writer:
        assert writer.existing.malformed == 1
        writer.append([seed_line(second, task_fingerprint(second), "code_i", 2)])
    reread = read_seed_file(out)
    assert reread.tasks == (first, second)
    assert reread.malformed == 1


def test_a_second_writer_on_the_same_file_is_refused(tmp_path):
    out = tmp_path / "seeds.jsonl"
    with SeedWriter(out), pytest.raises(SeedFileError, match="another azr-verl seed run"):
        SeedWriter(out)
    with SeedWriter(out):  # released on close
        pass


@pytest.mark.parametrize(
    ("content", "message"),
    [("this is not json\nnor this\n", "no seed task"), (None, "is a directory")],
    ids=["not-a-seed-file", "directory"],
)
def test_an_unusable_output_path_is_refused_and_left_untouched(tmp_path, content, message):
    out = tmp_path / "target"
    if content is None:
        out.mkdir()
    else:
        out.write_text(content)
    with pytest.raises(SeedFileError, match=message):
        SeedWriter(out)
    if content is not None:
        assert out.read_text() == content
