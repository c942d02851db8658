"""veRL's validation set in an AZR run: built with the AZR `data.custom_cls`, it is veRL's RLHFDataset
over `data.val_files` (CRUXEval parquet from reward_fns' converter); the training set stays AZR's;
missing files give a stand-in that fails only when read; and `python -m azr_verl.main` refuses
validation settings without usable files before anything starts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from transformers import AutoTokenizer

from azr_verl.buffer import TaskStore
from azr_verl.dataset import AZRDataset
from azr_verl.hydra_config import compose_azr
from azr_verl.main import prepare_config
from azr_verl.models.tiny import build_tiny_model
from azr_verl.sample import PAYLOAD_KEY
from azr_verl.validation_set import MissingValidationData, is_validation_build, validation_enabled


@pytest.fixture(scope="module")
def tokenizer() -> Any:
    return AutoTokenizer.from_pretrained(build_tiny_model())


@pytest.fixture(scope="module")
def model_dir() -> Path:
    return build_tiny_model()


def _compose(*overrides: str) -> Any:
    return compose_azr(overrides)


def _val_override(files: dict[str, Path]) -> str:
    return f"data.val_files=[{files['cruxeval_o']},{files['cruxeval_i']}]"


def test_verl_builds_the_validation_set_as_its_rlhf_dataset_over_the_cruxeval_files(
    cruxeval_val_files: dict[str, Path], tokenizer: Any
) -> None:
    from verl.trainer.ppo.utils import create_rl_dataset
    from verl.utils.dataset.rl_dataset import RLHFDataset, get_dataset_class

    config = _compose(_val_override(cruxeval_val_files))
    assert get_dataset_class(config.data) is AZRDataset
    dataset = create_rl_dataset(config.data.val_files, config.data, tokenizer, None, is_train=False)
    assert type(dataset) is RLHFDataset
    expected = pd.concat([pd.read_parquet(cruxeval_val_files[s]) for s in ("cruxeval_o", "cruxeval_i")])
    rows = [dataset[i] for i in range(len(dataset))]
    assert len(rows) == len(expected) == 8
    assert [r["data_source"] for r in rows] == list(expected["data_source"])
    assert [r["raw_prompt"][0]["content"] for r in rows] == [p[0]["content"] for p in expected["prompt"]]
    assert [r["reward_model"]["ground_truth"] for r in rows] == [
        g["ground_truth"] for g in expected["reward_model"]
    ]
    for row in rows:  # plain veRL rows: the default agent loop and the reward manager's non-AZR path
        assert "agent_name" not in row and "trr_group" not in row
        assert PAYLOAD_KEY not in row["extra_info"]


def test_the_training_set_of_the_same_config_is_still_the_azr_dataset(
    cruxeval_val_files: dict[str, Path], tokenizer: Any, tmp_path: Path
) -> None:
    config = _compose(_val_override(cruxeval_val_files), "data.train_batch_size=6")
    with TaskStore(tmp_path / "buffer.sqlite") as store:
        store.seed_zero()
        dataset = AZRDataset(config.data.train_files, tokenizer, None, config.data, buffer=store)
        assert isinstance(dataset, AZRDataset)
        assert dataset[0]["extra_info"][PAYLOAD_KEY]["task_type"] in ("code_o", "code_i", "code_f")


def test_a_verl_validation_dataloader_batch_holds_every_row(
    cruxeval_val_files: dict[str, Path], tokenizer: Any
) -> None:
    from torchdata.stateful_dataloader import StatefulDataLoader
    from verl.utils.dataset.rl_dataset import collate_fn

    config = _compose(_val_override(cruxeval_val_files))
    dataset = AZRDataset(config.data.val_files, tokenizer, None, config.data)
    batch_size = config.data.val_batch_size or len(dataset)  # as veRL's trainer sizes it
    batches = list(StatefulDataLoader(dataset, batch_size=batch_size, collate_fn=collate_fn))
    assert len(batches) == 1
    assert sorted(batches[0]["data_source"]) == ["cruxeval_i"] * 4 + ["cruxeval_o"] * 4


@pytest.mark.parametrize(
    ("data_files", "val_files", "train_files", "expected"),
    [
        (["v.parquet"], ["v.parquet"], "t.parquet", True),
        ("v.parquet", ["v.parquet"], "t.parquet", True),  # a str and a one-item list are the same files
        (["a.parquet", "b.parquet"], ["a.parquet", "b.parquet"], None, True),
        ("t.parquet", ["v.parquet"], "t.parquet", False),  # the training build
        (["v.parquet"], ["v.parquet"], ["v.parquet"], False),  # ambiguous: stays the training set
        (None, None, None, False),
        (["b.parquet", "a.parquet"], ["a.parquet", "b.parquet"], None, False),
    ],
)
def test_the_validation_build_is_recognised_by_its_files(
    data_files: Any, val_files: Any, train_files: Any, expected: bool
) -> None:
    config = {"val_files": val_files, "train_files": train_files}
    assert is_validation_build(data_files, config) is expected


def test_missing_validation_files_give_a_stand_in_that_fails_only_when_read(tokenizer: Any) -> None:
    """veRL builds the validation set even with validation off, from its placeholder path."""
    config = _compose()
    dataset = AZRDataset(config.data.val_files, tokenizer, None, config.data)
    assert isinstance(dataset, MissingValidationData) and len(dataset) == 1
    with pytest.raises(FileNotFoundError, match=r"gsm8k/test\.parquet.*reward_fns\.cruxeval_to_parquet"):
        dataset[0]


@pytest.mark.parametrize(
    ("trainer", "expected"),
    [
        ({"test_freq": -1, "val_before_train": False}, False),
        ({"test_freq": 0, "val_before_train": False}, False),
        ({"test_freq": 10, "val_before_train": False}, True),
        ({"test_freq": -1, "val_before_train": True}, True),
        ({"test_freq": -1, "val_before_train": False, "val_only": True}, True),
    ],
)
def test_validation_is_on_when_veRLs_trainer_would_run_it(trainer: dict, expected: bool) -> None:
    assert validation_enabled(trainer) is expected


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["trainer.test_freq=10", "data.val_files=null"], "asks for validation but data.val_files is empty"),
        (["trainer.val_before_train=true", "data.val_files=[/no/such/val.parquet]"], "do not exist"),
        (["trainer.test_freq=5"], "gsm8k/test.parquet'] do not exist"),  # veRL's placeholder default
        (
            ["trainer.test_freq=5", "data.val_files=[{o}]", "data.train_files=[{o}]"],
            "data.val_files equals data.train_files",
        ),
    ],
)
def test_validation_without_usable_files_is_a_config_error_naming_the_keys(
    cruxeval_val_files: dict[str, Path], model_dir: Path, tmp_path: Path, overrides: list[str], message: str
) -> None:
    filled = [o.format(o=cruxeval_val_files["cruxeval_o"]) for o in overrides]
    config = _compose(
        f"actor_rollout_ref.model.path={model_dir}", f"trainer.default_local_dir={tmp_path}", *filled
    )
    with pytest.raises(ValueError, match=message):
        prepare_config(config)


def test_usable_validation_files_pass_and_are_made_absolute(
    cruxeval_val_files: dict[str, Path], model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(cruxeval_val_files["cruxeval_o"].parent.parent)
    config = _compose(
        f"actor_rollout_ref.model.path={model_dir}",
        f"trainer.default_local_dir={tmp_path}",
        "trainer.logger=[console]",
        "trainer.test_freq=10",
        "data.val_files=[cruxeval_o/test.parquet,cruxeval_i/test.parquet]",
    )
    prepare_config(config)
    assert list(config.data.val_files) == [str(cruxeval_val_files[s]) for s in ("cruxeval_o", "cruxeval_i")]


def test_the_default_run_does_not_validate_and_needs_no_validation_files(
    model_dir: Path, tmp_path: Path
) -> None:
    config = _compose(
        f"actor_rollout_ref.model.path={model_dir}",
        f"trainer.default_local_dir={tmp_path}",
        "trainer.logger=[console]",
    )
    assert config.trainer.test_freq == -1 and config.trainer.val_before_train is False
    prepare_config(config)  # veRL's placeholder val_files do not exist, which is fine here


def test_the_cli_stops_before_ray_when_validation_has_no_files(model_dir: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "azr_verl.main",
            f"actor_rollout_ref.model.path={model_dir}",
            f"trainer.default_local_dir={tmp_path}",
            "trainer.test_freq=10",
            f"data.val_files=[{tmp_path / 'cruxeval_o.parquet'}]",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1
    assert "azr-verl: config error: data.val_files:" in result.stderr
    assert "trainer.test_freq=10" in result.stderr and "reward_fns.cruxeval_to_parquet" in result.stderr
    assert "ray.init" not in result.stdout + result.stderr
