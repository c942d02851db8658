"""CRUXEval jsonl -> veRL parquet: the CLI, the row layout, and veRL's own RLHFDataset reading it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from omegaconf import OmegaConf
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

from azr_verl.tasks.prompts import BASE_CHAT_TEMPLATE
from reward_fns import input_prediction, output_prediction
from reward_fns.cruxeval_to_parquet import convert, main

_SCORERS = {"output": output_prediction.compute_score, "input": input_prediction.compute_score}


def _tiny_tokenizer() -> PreTrainedTokenizerFast:
    backend = Tokenizer(models.WordLevel({"[UNK]": 0, "[PAD]": 1}, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="[UNK]", pad_token="[PAD]")
    tokenizer.chat_template = BASE_CHAT_TEMPLATE
    return tokenizer


@pytest.fixture(scope="module")
def problems(shared_data: Path) -> Path:
    return shared_data / "cruxeval_dev200.jsonl"


def test_cli_writes_a_seeded_train_test_split(problems: Path, tmp_path: Path, repo_root: Path) -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "reward_fns.cruxeval_to_parquet",
            str(problems),
            str(tmp_path),
            "--task",
            "output",
            "--test-fraction",
            "0.25",
            "--seed",
            "3",
        ],
        capture_output=True,
        text=True,
        cwd=repo_root,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    train, test = pd.read_parquet(tmp_path / "train.parquet"), pd.read_parquet(tmp_path / "test.parquet")
    assert (len(train), len(test)) == (150, 50)
    indices = sorted(
        [row["index"] for row in train["extra_info"]] + [row["index"] for row in test["extra_info"]]
    )
    assert indices == list(range(200))
    again = convert(problems, tmp_path / "again", "output", test_fraction=0.25, seed=3)
    assert pd.read_parquet(again["test"])["extra_info"].tolist() == test["extra_info"].tolist()


@pytest.mark.parametrize("task", ["output", "input"])
def test_rows_have_veRLs_layout_and_score_one_with_the_gold_answer(
    problems: Path, tmp_path: Path, task: str
) -> None:
    written = convert(problems, tmp_path, task, test_fraction=0.1)
    frame = pd.read_parquet(written["test"])
    assert set(frame.columns) == {"data_source", "prompt", "ability", "reward_model", "extra_info"}
    lines = [json.loads(line) for line in problems.read_text().splitlines()]
    for row in frame.head(5).itertuples():
        assert row.data_source == {"output": "cruxeval_o", "input": "cruxeval_i"}[task]
        assert [message["role"] for message in row.prompt] == ["user"]
        assert row.reward_model["style"] == "rule" and row.extra_info["split"] == "test"
        problem = lines[row.extra_info["index"]]
        assert row.extra_info["id"] == problem["id"] and problem["code"] in row.prompt[0]["content"]
        gold = problem[task]
        reply = f"<think>.</think><answer>\n```{task}\n{gold}\n```\n</answer>"
        assert (
            _SCORERS[task](row.data_source, reply, row.reward_model["ground_truth"], row.extra_info)["score"]
            == 1.0
        )


def test_verls_rlhf_dataset_loads_the_parquet(problems: Path, tmp_path: Path) -> None:
    from verl.utils.dataset.rl_dataset import RLHFDataset

    written = convert(problems, tmp_path, "input", test_fraction=0.1)
    config = OmegaConf.create(
        {
            "prompt_key": "prompt",
            "max_prompt_length": 4096,
            "filter_overlong_prompts": True,
            "filter_overlong_prompts_workers": 1,
            "cache_dir": str(tmp_path / "cache"),
            "truncation": "error",
        }
    )
    dataset = RLHFDataset(data_files=str(written["train"]), tokenizer=_tiny_tokenizer(), config=config)
    assert len(dataset) == 180
    item = dataset[0]
    assert item["raw_prompt"][0]["role"] == "user"
    assert item["index"] == item["extra_info"]["index"]
    assert json.loads(item["reward_model"]["ground_truth"])["program"].startswith("def f")


@pytest.mark.parametrize(
    ("content", "message"),
    [('{"code": "def f(a): return a", "input": "1"}\n', "missing"), ("not json\n", "not JSON")],
)
def test_malformed_input_lines_are_reported_with_their_line(
    tmp_path: Path, content: str, message: str, capsys
) -> None:
    source = tmp_path / "bad.jsonl"
    source.write_text(content)
    assert main([str(source), str(tmp_path / "out"), "--task", "input"]) == 1
    err = capsys.readouterr().err
    assert message in err and "bad.jsonl:1" in err


def test_whole_file_as_test_set_writes_only_test_parquet(problems: Path, tmp_path: Path) -> None:
    written = convert(problems, tmp_path, "input", test_fraction=1.0)
    assert set(written) == {"test"} and not (tmp_path / "train.parquet").exists()
    assert len(pd.read_parquet(written["test"])) == 200


@pytest.mark.parametrize("fraction", [-0.1, 1.5])
def test_test_fraction_outside_zero_to_one_is_rejected(
    problems: Path, tmp_path: Path, fraction: float
) -> None:
    with pytest.raises(ValueError, match=r"test_fraction must lie in \[0, 1\]"):
        convert(problems, tmp_path, "output", test_fraction=fraction)
