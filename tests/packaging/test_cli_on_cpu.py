"""The installed `azr-verl` console script."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from azr_verl import __version__


def _script() -> str:
    found = shutil.which("azr-verl", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail("the azr-verl console script is not installed next to this interpreter")
    return found


def test_help_lists_subcommands_without_importing_verl():
    result = subprocess.run(
        [sys.executable, "-X", "importtime", _script(), "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "usage: azr-verl" in result.stdout
    assert "doctor" in result.stdout
    assert "verl" not in {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines()}


def test_version_prints_the_package_version():
    result = subprocess.run([_script(), "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout.strip() == f"azr-verl {__version__}"


def test_unknown_subcommand_fails_with_usage():
    result = subprocess.run([_script(), "no-such-command"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "invalid choice" in result.stderr


def test_doctor_reports_every_component_ok():
    result = subprocess.run([_script(), "doctor"], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "veRL 0.9.1" in result.stdout
    assert "FAIL" not in result.stdout
    assert "answer checked correct" in result.stdout
    assert "doctor: all checks passed" in result.stdout
