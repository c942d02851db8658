"""A real executor shared by the task tests of this folder (the sandbox is the thing under test)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from azr_verl.executor import Executor


@pytest.fixture(scope="session")
def executor() -> Iterator[Executor]:
    with Executor() as shared:
        yield shared
