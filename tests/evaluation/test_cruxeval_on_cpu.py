"""CRUXEval problems: the prompts and ground truths of training/validation, from a file or `datasets`."""

from __future__ import annotations

import json
import time

import pytest

from azr_verl.evaluation.cruxeval import hub_reachable, load_cruxeval, load_hub_problems
from azr_verl.evaluation.problems import DataUnavailableError
from azr_verl.tasks.task import TaskKind
from reward_fns.cruxeval_to_parquet import convert


@pytest.mark.parametrize(("task", "kind"), [("output", TaskKind.DEDUCTION), ("input", TaskKind.ABDUCTION)])
def test_prompts_and_truths_are_those_of_the_validation_parquet(task, kind, dev_file, tmp_path):
    import pandas as pd

    written = convert(dev_file, tmp_path, task, test_fraction=0.0)
    rows = pd.read_parquet(written["train"]).to_dict("records")
    problems = load_cruxeval(task, dev_file).problems
    assert len(problems) == len(rows) == 200
    for problem, row in zip(problems, rows, strict=True):
        assert [dict(m) for m in problem.messages] == [dict(m) for m in row["prompt"]]
        assert problem.ground_truth == row["reward_model"]["ground_truth"]
        assert problem.data_source == row["data_source"] and problem.kind is kind
        assert (problem.problem_id, problem.index) == (row["extra_info"]["id"], row["extra_info"]["index"])


def test_limit_keeps_the_first_problems_in_file_order(dev_file, dev_records):
    problem_set = load_cruxeval("input", dev_file, limit=5)
    assert [p.problem_id for p in problem_set.problems] == [r["id"] for r in dev_records[:5]]
    assert problem_set.source == str(dev_file) and problem_set.task == "input"


@pytest.mark.parametrize(
    ("content", "kwargs", "error", "message"),
    [
        (None, {}, FileNotFoundError, "does not exist"),
        ("", {}, ValueError, "holds no problems"),
        (
            '{"code": "def f(x): return x", "input": "1"}\n',
            {},
            ValueError,
            r"x.jsonl:1: missing string field",
        ),
        ("{}\n", {"task": "code_o"}, ValueError, "choose one of input, output"),
        ("{}\n", {"limit": 0}, ValueError, "limit must be >= 1"),
    ],
)
def test_unusable_data_is_an_error_naming_the_problem(content, kwargs, error, message, tmp_path):
    path = tmp_path / "x.jsonl"
    if content is not None:
        path.write_text(content)
    with pytest.raises(error, match=message):
        load_cruxeval(kwargs.pop("task", "output"), path, **kwargs)


def test_the_datasets_path_reads_the_same_problems_as_the_file(dev_file, dev_records, tmp_path, monkeypatch):
    """`datasets` on a local folder, as it reads the hub dataset (offline: no probe, no download)."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    folder = tmp_path / "cruxeval"
    folder.mkdir()
    (folder / "test.jsonl").write_text(dev_file.read_text())
    records = load_hub_problems(str(folder), split="test", cache_dir=tmp_path / "hf-cache")
    assert [json.dumps(r, sort_keys=True) for r in records] == [
        json.dumps(r, sort_keys=True) for r in dev_records
    ]


def test_an_unreachable_hub_is_reported_in_seconds_with_the_way_out(monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "https://hub.azr-verl-test.invalid")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    start = time.monotonic()
    assert not hub_reachable(timeout_s=2.0)
    with pytest.raises(DataUnavailableError, match=r"--data FILE\.jsonl"):
        load_cruxeval("output")
    assert time.monotonic() - start < 15
