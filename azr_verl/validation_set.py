"""veRL validation in an AZR run: which dataset veRL gets when it builds its validation set.

veRL 0.9.1 builds both its training and its validation set with `data.custom_cls`
(`create_rl_dataset(data.train_files, ...)`, then `create_rl_dataset(data.val_files, ...)`); its
`is_train` flag never reaches the class. The files are the only sign of which set is being built, so
`AZRDataset` asks `is_validation_build` and, for validation, returns `validation_dataset(...)`:
veRL's own `RLHFDataset` over `data.val_files` (for example CRUXEval-O/-I converted by
`reward_fns.cruxeval_to_parquet`). Those rows have no AZR payload and no `agent_name`, so they run
through the default agent loop (`azr_solve`: one generation) and the `azr` reward manager scores them
by `data_source` (`reward_fns.cruxeval` for `cruxeval_o`/`cruxeval_i`).

veRL builds the validation set even when validation is off, and its default `data.val_files` is a
placeholder path; files that do not exist therefore give `MissingValidationData`, which only fails
if validation reads it. `azr_verl.main` refuses validation settings without usable files at start.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from typing import Any

from torch.utils.data import Dataset

__all__ = [
    "MissingValidationData",
    "file_list",
    "is_validation_build",
    "missing_local_files",
    "validation_dataset",
    "validation_enabled",
]

logger = logging.getLogger(__name__)


def file_list(files: Any) -> list[str]:
    """A `data.*_files` value (None, a path, a list or a ListConfig) as a list of path strings."""
    if files is None:
        return []
    if isinstance(files, (str, os.PathLike)):
        return [os.fspath(files)]
    return [os.fspath(f) for f in files]


def missing_local_files(files: Any) -> list[str]:
    """The local paths in `files` that do not exist (URIs such as hdfs://... are left to veRL)."""
    return [f for f in file_list(files) if "://" not in f and not os.path.exists(os.path.expanduser(f))]


def validation_enabled(trainer: Mapping[str, Any]) -> bool:
    """Whether veRL's trainer will validate: periodically (`test_freq > 0`), before training or only."""
    test_freq = trainer.get("test_freq")
    periodic = test_freq is not None and int(test_freq) > 0
    return periodic or bool(trainer.get("val_before_train")) or bool(trainer.get("val_only"))


def is_validation_build(data_files: Any, config: Mapping[str, Any]) -> bool:
    """Whether veRL is building its validation set: it passes `data.val_files` then.

    Equal train and validation files are ambiguous and count as training (AZR reads no training
    files, so the run still trains); `azr_verl.main` refuses them when validation is on.
    """
    files = file_list(data_files)
    if not files or files != file_list(config.get("val_files")):
        return False
    if files == file_list(config.get("train_files")):
        logger.warning(
            "data.val_files equals data.train_files (%s): building the AZR training set; give "
            "data.val_files other files to validate on them",
            files,
        )
        return False
    return True


def validation_dataset(
    data_files: Any, tokenizer: Any, processor: Any, config: Mapping[str, Any], max_samples: int = -1
) -> Dataset:
    """veRL's RLHFDataset over the validation files, or `MissingValidationData` if a file is missing."""
    missing = missing_local_files(data_files)
    if missing:
        logger.info("validation files %s do not exist; this run cannot validate", missing)
        return MissingValidationData(missing)
    from verl.utils.dataset.rl_dataset import RLHFDataset

    logger.info("validation set: veRL's RLHFDataset over %s", file_list(data_files))
    return RLHFDataset(
        data_files=data_files,
        tokenizer=tokenizer,
        config=config,
        processor=processor,
        max_samples=max_samples,
    )


class MissingValidationData(Dataset):
    """Stands in for a validation set whose files do not exist.

    One row long, because veRL sizes its validation batch by the length when it builds the
    dataloader; reading the row raises an error naming the files.
    """

    def __init__(self, missing: Sequence[str]) -> None:
        self.missing = tuple(missing)

    def __len__(self) -> int:
        return 1

    def __getitem__(self, idx: int) -> dict[str, Any]:
        raise FileNotFoundError(
            f"validation needs data.val_files, but {list(self.missing)} do not exist: convert CRUXEval "
            "with python -m reward_fns.cruxeval_to_parquet, or keep validation off "
            "(trainer.test_freq=-1 trainer.val_before_train=false)"
        )
