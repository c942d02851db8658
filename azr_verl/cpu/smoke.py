"""A CPU smoke run of stock veRL: GRPO on the tiny model through `verl.trainer.main_ppo`, in minutes.

Used by the end-to-end test and by `recipes/cpu/smoke_ppo.sh`. It writes a small parquet dataset of
arithmetic prompts, builds the veRL command line (the CPU overrides of `overrides.py` plus a small
model/batch setup) and runs it the safe way: in its own session (`setsid`), with its own short Ray
temp dir, under a wall-clock timeout, and with every process left behind killed by PID.

The reward is `digit_share_reward`: the share of digit characters in the response. It varies across
the samples of a random model, so GRPO advantages are non-zero and the update really moves the
weights (a constant reward would give zero advantages and prove nothing).
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from azr_verl.cpu.overrides import cpu_env, cpu_overrides

__all__ = [
    "SmokeResult",
    "digit_share_reward",
    "kill_leftovers",
    "run_smoke",
    "short_ray_tmp",
    "smoke_command",
    "write_arithmetic_dataset",
]

logger = logging.getLogger(__name__)


def digit_share_reward(
    data_source: str, solution_str: str, ground_truth: str, extra_info=None, **kwargs
) -> float:
    """veRL `compute_score`: the fraction of characters of the response that are digits."""
    if not solution_str:
        return 0.0
    return sum(ch.isdigit() for ch in solution_str) / len(solution_str)


def write_arithmetic_dataset(path: Path, num_rows: int = 16) -> Path:
    """A parquet file in veRL's RLHFDataset layout with `num_rows` addition prompts."""
    import pandas as pd

    rows = []
    for index in range(num_rows):
        a, b = index % 7 + 1, index % 5 + 2
        rows.append(
            {
                "data_source": "azr_cpu_smoke",
                "prompt": [{"role": "user", "content": f"What is {a}+{b}? Answer with a number."}],
                "ability": "math",
                "reward_model": {"style": "rule", "ground_truth": str(a + b)},
                "extra_info": {"index": index},
            }
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_parquet(path)
    return path


def smoke_command(
    model_dir: Path, data_file: Path, out_dir: Path, ray_tmp: Path, steps: int = 2, extra: Sequence[str] = ()
) -> list[str]:
    """The `python -m verl.trainer.main_ppo ...` argv of a GRPO smoke run on CPU."""
    ckpt_dir = out_dir / "checkpoints"
    return [
        sys.executable,
        "-m",
        "verl.trainer.main_ppo",
        *cpu_overrides(),
        f"+ray_kwargs.ray_init._temp_dir={ray_tmp}",
        f"data.train_files={data_file}",
        f"data.val_files={data_file}",
        "data.train_batch_size=4",
        "data.max_prompt_length=48",
        "data.max_response_length=24",
        f"actor_rollout_ref.model.path={model_dir}",
        "actor_rollout_ref.model.use_remove_padding=false",
        "actor_rollout_ref.actor.optim.lr=1e-3",
        "actor_rollout_ref.actor.ppo_mini_batch_size=4",
        "actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu=8",
        # A KL loss needs the reference model, which exercises FSDP2's CPU offload path (patches #2).
        "actor_rollout_ref.actor.use_kl_loss=true",
        "actor_rollout_ref.actor.kl_loss_coef=0.001",
        "actor_rollout_ref.rollout.n=4",
        "actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu=8",
        "actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu=8",
        "actor_rollout_ref.actor.checkpoint.save_contents=[model,hf_model]",
        f"+actor_rollout_ref.rollout.engine_kwargs.hf.trace_path={out_dir / 'hf_rollout_trace.jsonl'}",
        "algorithm.adv_estimator=grpo",
        "reward.custom_reward_function.path=pkg://azr_verl.cpu.smoke",
        "reward.custom_reward_function.name=digit_share_reward",
        "trainer.val_before_train=false",
        "trainer.test_freq=-1",
        f"trainer.total_training_steps={steps}",
        f"trainer.save_freq={steps}",
        "trainer.logger=[console]",
        "trainer.project_name=azr_cpu_smoke",
        "trainer.experiment_name=grpo_tiny",
        f"trainer.default_local_dir={ckpt_dir}",
        *extra,
    ]


@dataclass(frozen=True)
class SmokeResult:
    returncode: int | None  # None: killed at the timeout
    elapsed_s: float
    log_path: Path
    killed_pids: tuple[int, ...]


def _session_and_cmdline(pid: int) -> tuple[int, str]:
    with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as handle:
        stat = handle.read()
    # Field 6 (session id) comes after the parenthesised command name, which may contain spaces.
    session = int(stat[stat.rindex(")") + 2 :].split()[3])
    with open(f"/proc/{pid}/cmdline", "rb") as handle:
        cmdline = handle.read().replace(b"\0", b" ").decode(errors="replace")
    return session, cmdline


def kill_leftovers(session_id: int, marker: str, grace_s: float = 5.0) -> tuple[int, ...]:
    """Kill (by PID) every process of `session_id` or whose command line contains `marker`.

    Ray's own processes (raylet, GCS, workers) carry the run's temp dir in their arguments, which is
    how they are found even when they have left the driver's session.
    """
    me = os.getpid()
    targets = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            session, cmdline = _session_and_cmdline(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue
        if session == session_id or marker in cmdline:
            targets.append(int(entry.name))
    for sig in (signal.SIGTERM, signal.SIGKILL):
        alive = []
        for pid in targets:
            try:
                os.kill(pid, sig)
                alive.append(pid)
            except ProcessLookupError:
                continue
        deadline = time.monotonic() + grace_s
        while alive and time.monotonic() < deadline:
            alive = [pid for pid in alive if Path(f"/proc/{pid}").exists() and not _is_zombie(pid)]
            time.sleep(0.1)
        targets = alive
    return tuple(targets)


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8", errors="replace") as handle:
            stat = handle.read()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2] == "Z"


def run_smoke(argv: Sequence[str], log_path: Path, ray_tmp: Path, timeout_s: float) -> SmokeResult:
    """Run `argv` in a new session with the CPU environment; kill whatever is left afterwards (by PID)."""
    env = {**cpu_env(), "PYTHONUNBUFFERED": "1", "RAY_DEDUP_LOGS": "0"}
    started = time.monotonic()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            list(argv), env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            returncode: int | None = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            returncode = None
        finally:
            killed = kill_leftovers(proc.pid, str(ray_tmp))
            proc.wait()
    return SmokeResult(returncode, time.monotonic() - started, log_path, killed)


def short_ray_tmp() -> Path:
    """A short, private Ray temp dir (Ray's unix socket paths must stay under ~107 bytes)."""
    return Path(tempfile.mkdtemp(prefix="ray", dir="/tmp"))


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: `python -m azr_verl.cpu.smoke --out DIR` runs the smoke training and reports where it went."""
    from azr_verl.models.tiny import build_tiny_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/cpu_smoke"), help="run directory")
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--timeout-s", type=float, default=900.0)
    parser.add_argument("overrides", nargs="*", help="extra Hydra overrides for veRL")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    data = write_arithmetic_dataset(out / "train.parquet")
    ray_tmp = short_ray_tmp()
    try:
        argv_run = smoke_command(
            build_tiny_model(), data, out, ray_tmp, steps=args.steps, extra=args.overrides
        )
        result = run_smoke(argv_run, out / "run.log", ray_tmp, args.timeout_s)
    finally:
        shutil.rmtree(ray_tmp, ignore_errors=True)
    status = "timed out" if result.returncode is None else f"exit code {result.returncode}"
    sys.stdout.write(
        f"{status} after {result.elapsed_s:.0f} s; log {result.log_path}; checkpoints {out / 'checkpoints'}\n"
    )
    return 0 if result.returncode == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
