"""Suite-wide fixtures. There is no tests/__init__.py on purpose: veRL's wheel ships a top-level
`tests` package, and pytest runs in importlib mode (pyproject.toml) so ours never collide with it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def _shared_data_dir() -> Path:
    override = os.environ.get("AZR_SHARED_DATA")
    return Path(override) if override else REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data beside the checkout (CI clones main with shared/ beside it)."""
    path = _shared_data_dir()
    if not path.is_dir():
        pytest.fail(f"test data folder {path} is missing; set AZR_SHARED_DATA to its location")
    return path
