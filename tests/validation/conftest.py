"""CRUXEval validation files as a user makes them: the first problems of the shared dev set, converted
by `reward_fns.cruxeval_to_parquet` for both tasks."""

from __future__ import annotations

from pathlib import Path

import pytest

from reward_fns.cruxeval_to_parquet import convert

PROBLEMS = 8  # the first problems of cruxeval_dev200.jsonl; half of them land in test.parquet


@pytest.fixture(scope="session")
def cruxeval_val_files(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> dict[str, Path]:
    """{data_source: test.parquet} for cruxeval_o and cruxeval_i, from the first PROBLEMS problems."""
    root = tmp_path_factory.mktemp("cruxeval")
    lines = (shared_data / "cruxeval_dev200.jsonl").read_text(encoding="utf-8").splitlines()[:PROBLEMS]
    source = root / "cruxeval_head.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {
        "cruxeval_o": convert(source, root / "cruxeval_o", "output", test_fraction=0.5)["test"],
        "cruxeval_i": convert(source, root / "cruxeval_i", "input", test_fraction=0.5)["test"],
    }
