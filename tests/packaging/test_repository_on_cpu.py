"""Repository invariants: CI runs the README's test command, pytest collects this project's tests
(not the `tests` package veRL's wheel installs), and the tree is lint-clean."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def _fenced_bash_commands(readme: str) -> list[str]:
    return [block.strip() for block in re.findall(r"```bash\n(.*?)```", readme, flags=re.S)]


def test_ci_runs_the_readme_test_command_verbatim(repo_root: Path):
    commands = _fenced_bash_commands((repo_root / "README.md").read_text())
    test_commands = [c for c in commands if "pytest" in c and "venv" in c]
    assert len(test_commands) == 1, test_commands
    ci_lines = (repo_root / ".ci" / "run").read_text().splitlines()
    assert test_commands[0] in ci_lines


def test_readme_has_exactly_two_self_contained_setup_commands(repo_root: Path):
    setup = [c for c in _fenced_bash_commands((repo_root / "README.md").read_text()) if "-m venv" in c]
    assert len(setup) == 2
    assert all("\n" not in c and "pip install" in c for c in setup)


def _run_pytest(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_pytest_collects_this_projects_tests_not_verls(repo_root: Path):
    result = _run_pytest(repo_root, "--collect-only", "-q", "tests/packaging")
    assert result.returncode == 0, result.stdout + result.stderr
    collected = [line for line in result.stdout.splitlines() if "::" in line]
    assert any(line.startswith("tests/packaging/test_repository_on_cpu.py::") for line in collected)
    assert all(line.startswith("tests/") for line in collected)
    assert all((repo_root / line.split("::")[0]).is_file() for line in collected)  # our files, not veRL's


def test_a_deliberately_failing_test_fails_the_run(repo_root: Path, tmp_path: Path):
    """Same configuration and layout as the real suite; a test file named like one of veRL's."""
    shutil.copy(repo_root / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "tests" / "sanity").mkdir(parents=True)
    shutil.copy(repo_root / "tests" / "conftest.py", tmp_path / "tests" / "conftest.py")
    (tmp_path / "tests" / "sanity" / "test_import.py").write_text("def test_fails():\n    assert 1 == 2\n")
    result = _run_pytest(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed" in result.stdout


def test_no_tests_collected_is_a_failure_exit_code(tmp_path: Path, repo_root: Path):
    shutil.copy(repo_root / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "tests").mkdir()
    result = _run_pytest(tmp_path)
    assert result.returncode == 5  # .ci/run runs under `set -e`: this fails CI


@pytest.mark.parametrize("command", [["check", "."], ["format", "--check", "."]])
def test_tree_is_ruff_clean(repo_root: Path, command: list[str]):
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        pytest.fail("ruff is not installed (it is in the test extra)")
    result = subprocess.run([ruff, *command], cwd=repo_root, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
