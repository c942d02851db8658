"""Where the time of one AZR self-play step goes, on CPU with the tiny model (issue 8).

Runs `python -m azr_verl.main` with the CPU backend for a few steps (the end-to-end test's shape at
temperature 0.3: 12 prompts, N=2, K=2, 64 response tokens), reads veRL's per-step metrics, skips step 1 (warm-up:
executor servers, first allocations) and prints the mean split of a step:

- generation: veRL's `timing_s/gen` (wall; the agent loops, and the AZR work running inside them);
- executor: `azr/time/executor_busy_s` (proposal validation, learnability and answer checks);
- reward manager overhead: `azr/time/reward_busy_s` minus the executor busy time (floored at 0:
  proposal validation runs in the agent loop, outside the reward manager, so this under-counts; the
  conservative bound below uses the whole reward busy time instead);
- advantage: `timing_s/adv` (TRR++ and its per-group metrics);
- update: `old_log_prob + update_actor + update_weights`;
- AZR bookkeeping: dataset planning (`azr/dataset/plan_s`), AZR metrics (`azr/time/metrics_s`) and
  the buffer snapshot a checkpoint takes (timed here on the run's final buffer file, counted as if
  every step saved a checkpoint).

The step is `timing_s/step` without veRL's own checkpoint save. Executor and reward times are busy
seconds summed over samples that run concurrently inside generation: a load figure, not wall time.
So the AZR plugin's share (everything but generation and update) is printed twice: with the busy
sums as they are, and as a conservative wall-time upper bound in which the in-generation AZR work
(executor + whole reward scoring + planning, solver checks counted twice) covers at most the whole
generation wall time. Target: below 10% of the step.

By default the tiny model is first taught (300 quick passes, ~20-40 s) to re-propose the zero task when
asked for a deduction task, and to answer it when asked to solve it, so deduction proposals are valid (validation, N
solver attempts and their checks run in the executor every step); `--raw` profiles the untaught random model.

Run: python benchmarks/step_profile.py [--steps 3] [--out runs/step_profile] [--raw]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from azr_verl.buffer.store import TaskStore
from azr_verl.cpu.selfplay import SelfPlayShape, selfplay_command
from azr_verl.cpu.smoke import run_smoke, short_ray_tmp
from azr_verl.metrics_log import StepMetrics, read_metrics

# 80 passes (the end-to-end test's figure) did not make this model repeat its lesson reliably.
TEACH_STEPS = 300
# Temperature 0.3: close enough to greedy that the taught proposals come out valid in most steps
# (at 0.8 they rarely did after step 1, and the executor then had almost nothing to do).
SHAPE = SelfPlayShape(
    per_slot=2, solver_attempts=2, references=2, max_response_tokens=64, temperature=0.3, lr=1e-4
)
# The taught proposal re-proposes the zero task (identity on "Hello world"): it is validated in the
# executor and attempted N times like any proposal, but deduplicated in the buffer, so the proposer
# prompt (and with it the taught answer) stays the same in every step. Both fit in 64 tokens.
_PROPOSAL = '<answer>\n```python\ndef f(a):\n    return a\n```\n```input\n"Hello world"\n```\n</answer>'
_ANSWER = "<answer>\n```output\n'Hello world'\n```\n</answer>"


@dataclass(frozen=True)
class StepSplit:
    """Seconds of one step by component (see the module docstring)."""

    step: float
    gen: float
    executor: float
    reward_busy: float
    plan: float
    adv: float
    update: float
    metrics: float

    @property
    def reward_overhead(self) -> float:
        return max(self.reward_busy - self.executor, 0.0)


def _split(row: StepMetrics) -> StepSplit:
    def get(key: str) -> float:
        return row.get(key, 0.0) or 0.0

    return StepSplit(
        step=get("timing_s/step") - get("timing_s/save_checkpoint"),
        gen=get("timing_s/gen"),
        executor=get("azr/time/executor_busy_s"),
        reward_busy=get("azr/time/reward_busy_s"),
        plan=get("azr/dataset/plan_s"),
        adv=get("timing_s/adv"),
        update=get("timing_s/old_log_prob") + get("timing_s/update_actor") + get("timing_s/update_weights"),
        metrics=get("azr/time/metrics_s"),
    )


def _mean_split(rows: list[StepMetrics]) -> StepSplit:
    splits = [_split(r) for r in rows]
    fields = StepSplit.__dataclass_fields__
    return StepSplit(**{name: statistics.fmean(getattr(s, name) for s in splits) for name in fields})


def _taught_tiny(root: Path) -> Path:
    from azr_verl.buffer.seeds import zero_tasks
    from azr_verl.models.teach import teach_chat
    from azr_verl.models.tiny import TinyModelSpec, build_tiny_model
    from azr_verl.tasks import ProposalContext, get_task_type

    deduction = get_task_type("code_o")
    zero = zero_tasks()[0]
    examples = [
        (deduction.proposer_prompt(ProposalContext(references=(zero,))), _PROPOSAL),
        (deduction.solver_prompt(zero), _ANSWER),
    ]
    base = build_tiny_model(TinyModelSpec(max_position_embeddings=8192))
    return teach_chat(base, examples, root / "taught", steps=TEACH_STEPS)


def _snapshot_s(buffer_file: Path, repeats: int = 3) -> float:
    """Median time of the checkpoint's buffer snapshot (SQLite backup) of the run's final buffer."""
    times = []
    with tempfile.TemporaryDirectory() as tmp, TaskStore(buffer_file, create=False) as store:
        for index in range(repeats):
            began = time.perf_counter()
            store.snapshot(Path(tmp) / f"snap{index}.sqlite")
            times.append(time.perf_counter() - began)
    return statistics.median(times)


def _run(model: Path, out: Path, steps: int, timeout_s: float) -> list[StepMetrics]:
    metrics_file = out / "metrics.jsonl"
    os.environ["VERL_FILE_LOGGER_PATH"] = str(metrics_file)  # run_smoke passes os.environ on
    ray_tmp = short_ray_tmp()
    try:
        argv = selfplay_command(model, out / "run", ray_tmp, steps, SHAPE)
        result = run_smoke(argv, out / "verl.log", ray_tmp, timeout_s)
    finally:
        shutil.rmtree(ray_tmp, ignore_errors=True)
    if result.returncode != 0:
        tail = "\n".join(result.log_path.read_text(errors="replace").splitlines()[-40:])
        raise SystemExit(f"training run failed ({result.returncode}) after {result.elapsed_s:.0f} s:\n{tail}")
    return read_metrics(metrics_file)


def _report(split: StepSplit, snapshot_s: float, measured_steps: list[int]) -> str:
    step = split.step
    bookkeeping = split.plan + split.metrics + snapshot_s
    other = step - split.gen - split.adv - split.update - split.metrics
    rows = [
        ("generation (veRL gen, wall)", split.gen),
        ("  executor busy (sum over samples)", split.executor),
        ("  reward manager overhead (reward busy - executor)", split.reward_overhead),
        ("  dataset planning (plan_s, inside gen)", split.plan),
        ("advantage (TRR++)", split.adv),
        ("update (old_log_prob + update_actor + update_weights)", split.update),
        ("AZR bookkeeping (plan + metrics + buffer snapshot)", bookkeeping),
        ("  buffer snapshot (measured on the final buffer)", snapshot_s),
        ("other veRL (rest of the step)", other),
    ]
    lines = [f"mean over steps {measured_steps} (step 1 skipped); step without checkpoint save: {step:.3f} s"]
    lines += [f"  {name:<56} {sec:8.3f} s  {100 * sec / step:6.1f}%" for name, sec in rows]
    busy = split.executor + split.reward_overhead + split.adv + bookkeeping
    in_gen_bound = min(split.executor + split.reward_busy + split.plan, split.gen)
    bound = in_gen_bound + split.adv + split.metrics + snapshot_s
    lines.append(f"AZR plugin share, busy sums as measured:        {100 * busy / step:5.1f}% of the step")
    lines.append(f"AZR plugin share, conservative wall-time bound: {100 * bound / step:5.1f}% of the step")
    verdict = "met" if bound / step < 0.10 else "NOT met"
    lines.append(f"target < 10% (by the conservative bound): {verdict}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3, help="training steps; step 1 is warm-up (default 3)")
    parser.add_argument("--out", type=Path, default=Path("runs/step_profile"), help="output directory")
    parser.add_argument("--raw", action="store_true", help="profile the untaught random tiny model")
    parser.add_argument("--timeout-s", type=float, default=900.0)
    args = parser.parse_args(argv)
    if args.steps < 2:
        parser.error("--steps must be at least 2 (step 1 is warm-up)")
    out = args.out.resolve()
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    if args.raw:
        from azr_verl.models.tiny import TinyModelSpec, build_tiny_model

        model = build_tiny_model(TinyModelSpec(max_position_embeddings=8192))
    else:
        model = _taught_tiny(out)
    rows = [r for r in _run(model, out, args.steps, args.timeout_s) if r.step > 1]
    if not rows:
        raise SystemExit("no step after the warm-up step was logged")
    snapshot_s = _snapshot_s(out / "run" / "buffer.sqlite")
    model_name = "random tiny model" if args.raw else "tiny model, briefly taught the answer format"
    sys.stdout.write(f"AZR step profile on CPU ({model_name}; {os.cpu_count()} logical CPUs)\n")
    sys.stdout.write(_report(_mean_split(rows), snapshot_s, [r.step for r in rows]) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
