"""Buffer speed on a 100,000-task buffer: sampling one 384-item batch and inserting 1,000 tasks.

Targets (issue 6): sampling <= 50 ms, inserting <= 100 ms (medians). Each figure is printed beside an
in-memory Python list doing the same work in the same run (the reference keeps its buffer in lists),
as a ratio.

The batch is the paper's: 64 slots per (task type, role); a proposer slot takes K=6 references of
its type (an induction proposer also one program from the deduction and abduction tasks), a solver
slot one task, fresh-first. Inserting uses fingerprints computed by the caller, as the reward
workers do (in parallel, off the buffer's process); their cost is printed separately.

Run: python benchmarks/buffer_bench.py [--tasks 100000] [--repeats 7]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from azr_verl.buffer import (
    BufferConfig,
    EvictionPolicy,
    SampleRequest,
    SyncMode,
    TaskStore,
    induction_program_request,
    reference_request,
    solver_request,
)
from azr_verl.tasks import Task, TaskKind, task_fingerprint

SEED_FILE = Path(__file__).resolve().parents[2] / "shared" / "data" / "7b_coder_seed_io.jsonl"
KINDS = (TaskKind.DEDUCTION, TaskKind.ABDUCTION, TaskKind.INDUCTION)
PER_GROUP, K = 64, 6


def _programs() -> list[str]:
    if SEED_FILE.is_file():
        return [json.loads(line)["snippet"] for line in SEED_FILE.open() if line.strip()]
    return [f"def f(a):\n    return a + {i}" for i in range(256)]


def make_tasks(start: int, n: int, programs: list[str]) -> list[Task]:
    """n distinct realistic tasks (seed programs with distinct inputs), kinds in rotation."""
    out = []
    for i in range(start, start + n):
        kind = KINDS[i % 3]
        count = 10 if kind is TaskKind.INDUCTION else 1
        inputs = tuple(f"{i}, {j}" for j in range(count))
        out.append(Task(kind, programs[i % len(programs)], inputs, inputs, "a message" if count > 1 else ""))
    return out


def fast_fingerprints(tasks: list[Task], start: int) -> list[str]:
    """Unique stand-in fingerprints for bulk loading (the real ones cost ~0.2 ms per task)."""
    return [hashlib.sha256(f"{start + i}".encode()).hexdigest()[:32] for i in range(len(tasks))]


def batch_requests() -> list[SampleRequest]:
    requests, slot = [], 0
    for kind in KINDS:
        for _ in range(PER_GROUP):
            requests.append(reference_request(kind, K, slot))
            if kind is TaskKind.INDUCTION:
                requests.append(induction_program_request(slot + 100_000))
            slot += 1
    for kind in KINDS:
        for _ in range(PER_GROUP):
            requests.append(solver_request(kind, slot))
            slot += 1
    return requests


class ListBuffer:
    """The reference's shape: a Python list per task type, plus a dict for dedup."""

    def __init__(self) -> None:
        self.lists: dict[TaskKind, list[dict]] = {k: [] for k in KINDS}
        self.seen: dict[tuple[str, str], int] = {}

    def add(self, tasks: list[Task], fps: list[str], step: int) -> list[int]:
        ids = []
        for task, fp in zip(tasks, fps, strict=True):
            key = (task.kind.value, fp)
            if key not in self.seen:
                self.seen[key] = len(self.seen)
                self.lists[task.kind].append({"task": task, "step": step, "id": self.seen[key]})
            ids.append(self.seen[key])
        return ids

    def sample(self, requests: list[SampleRequest], seed: int, step: int) -> list[list[dict]]:
        out, pools = [], {}
        for req in requests:
            rng = random.Random(hash((seed, step, req.slot)))
            if req.kinds not in pools:
                pools[req.kinds] = [t for k in req.kinds for t in self.lists[k]]
            pool = pools[req.kinds]
            out.append(rng.sample(pool, min(req.count, len(pool))))
        return out


def median_ms(fn: Callable[[int], object], repeats: int) -> float:
    times = []
    for r in range(repeats):
        start = time.perf_counter()
        fn(r)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def fill(store: TaskStore, ref: ListBuffer, n: int, programs: list[str]) -> None:
    for start in range(0, n, 10_000):
        tasks = make_tasks(start, min(10_000, n - start), programs)
        fps = fast_fingerprints(tasks, start)
        store.add(tasks, fingerprints=fps, step=start // 1000)
        ref.add(tasks, fps, start // 1000)


def _ray_sample_ms(path: Path, requests: list[SampleRequest], step: int, repeats: int) -> float:
    """The same batch asked of the buffer actor from the driver (pickling and Ray transfer included)."""
    import ray

    from azr_verl.buffer.actor import create_buffer_actor

    ray_tmp = tempfile.mkdtemp(prefix="ray", dir="/tmp")
    ray.init(num_cpus=2, _temp_dir=ray_tmp, include_dashboard=False, log_to_driver=False)
    try:
        handle = create_buffer_actor("bench", path, seed_zero=False)
        ray.get(handle.sample.remote(requests, seed=0, step=step))
        return median_ms(lambda r: ray.get(handle.sample.remote(requests, seed=r, step=step)), repeats)
    finally:
        ray.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--ray", action="store_true", help="also time sampling through the Ray actor")
    args = parser.parse_args()
    programs = _programs()
    requests = batch_requests()
    with tempfile.TemporaryDirectory() as tmp:
        store, ref = TaskStore(Path(tmp) / "buffer.sqlite"), ListBuffer()
        start = time.perf_counter()
        fill(store, ref, args.tasks, programs)
        print(f"filled {store.count()} tasks in {time.perf_counter() - start:.1f} s; batch: {len(requests)} "
              f"requests, {sum(r.count for r in requests)} tasks")  # fmt: skip
        step = args.tasks // 1000
        sample_ms = median_ms(lambda r: store.sample(requests, seed=r, step=step), args.repeats)
        sample_ref = median_ms(lambda r: ref.sample(requests, seed=r, step=step), args.repeats)

        def insert(r: int, target: object) -> None:
            base = 10_000_000 + r * 1000
            tasks = make_tasks(base, 1000, programs)
            fps = fast_fingerprints(tasks, base)
            if isinstance(target, TaskStore):
                target.add(tasks, fingerprints=fps, step=step)
            else:
                ref.add(tasks, fps, step)

        insert_ms = median_ms(lambda r: insert(r, store), args.repeats)
        insert_ref = median_ms(lambda r: insert(r + 100, ref), args.repeats)
        sample_tasks = make_tasks(0, 1000, programs)
        fp_ms = median_ms(lambda r: [task_fingerprint(t) for t in sample_tasks], 3)
        store.close()
        evict_ms = {}
        for offset, policy in enumerate(EvictionPolicy):
            capped = BufferConfig(max_tasks_per_kind=args.tasks // 3, eviction=policy)
            with TaskStore(Path(tmp) / "buffer.sqlite", capped) as full:
                evict_ms[policy] = median_ms(
                    lambda r, o=offset, s=full: insert(r + 200 + 50 * o, s), args.repeats
                )
        ray_ms = (
            _ray_sample_ms(Path(tmp) / "buffer.sqlite", requests, step, args.repeats) if args.ray else None
        )
        normal = BufferConfig(synchronous=SyncMode.NORMAL)
        with TaskStore(Path(tmp) / "buffer.sqlite", normal) as store_normal:
            normal_ms = median_ms(lambda r: insert(r + 400, store_normal), args.repeats)
    print(f"{'measure (median ms)':44s} {'sqlite':>8s} {'list':>8s} {'ratio':>7s} {'target':>7s}")
    for name, ours, base, target in (
        ("sample one 384-slot batch", sample_ms, sample_ref, 50),
        ("insert 1,000 tasks (synchronous=FULL)", insert_ms, insert_ref, 100),
    ):
        print(
            f"{name:44s} {ours:8.1f} {base:8.2f} {ours / base:6.1f}x {target:6d}  {'ok' if ours <= target else 'MISS'}"
        )
    if ray_ms is not None:
        print(f"{'sample one 384-slot batch via the Ray actor':44s} {ray_ms:8.1f}")
    print(f"{'insert 1,000 tasks (synchronous=NORMAL)':44s} {normal_ms:8.1f}")
    for policy, ms in evict_ms.items():
        print(f"{'insert 1,000 at the cap, evicting ' + policy.value:44s} {ms:8.1f}")
    print(f"{'fingerprint 1,000 tasks (caller side)':44s} {fp_ms:8.1f}")


if __name__ == "__main__":
    main()
