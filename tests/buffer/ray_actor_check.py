"""Child process of test_actor_on_cpu.py: one Ray session exercising the buffer actor; prints JSON.

Usage: python ray_actor_check.py WORK_DIR RAY_TEMP_DIR
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import ray

from azr_verl.buffer import BufferFileError, SolveOutcome, reference_request, solver_request
from azr_verl.buffer.actor import create_buffer_actor, get_buffer_actor
from azr_verl.buffer.remote import RemoteBuffer
from azr_verl.tasks import Task, TaskKind


def task(i: int) -> Task:
    return Task(TaskKind.DEDUCTION, f"def f(x):\n    return x - {i}", ("5",), (str(5 - i),))


@ray.remote(num_cpus=0)
def add_from_worker(run_id: str, start: int) -> list[int]:
    """A reward worker's view: find the actor by name, add, get ids back."""
    buffer = RemoteBuffer.for_run(run_id)
    return [r.id for r in buffer.add([task(start + i) for i in range(3)], step=1)]


async def add_async(buffer: RemoteBuffer, start: int) -> list[int]:
    results = await buffer.add_async([task(start)], step=2, learnability=[0.5])
    return [r.id for r in results]


def main() -> None:
    work, ray_tmp = Path(sys.argv[1]), sys.argv[2]
    ray.init(num_cpus=4, _temp_dir=ray_tmp, include_dashboard=False, log_to_driver=False)
    out: dict = {}
    try:
        handle = create_buffer_actor("t1", work / "run" / "buffer.sqlite")
        out["initial_counts"] = {k.value: n for k, n in ray.get(handle.counts.remote()).items()}
        out["worker_ids"] = ray.get(add_from_worker.remote("t1", 0))
        out["async_ids"] = asyncio.run(add_async(RemoteBuffer(handle), 100))
        out["metrics"] = RemoteBuffer(handle).metrics(1)
        again = create_buffer_actor("t1", work / "run" / "buffer.sqlite")
        out["same_actor"] = ray.get(again.count.remote()) == ray.get(handle.count.remote())
        try:
            create_buffer_actor("t1", work / "other.sqlite")
            out["other_path_error"] = ""
        except ValueError as exc:
            out["other_path_error"] = str(exc)
        try:
            get_buffer_actor("nope")
            out["missing_error"] = ""
        except LookupError as exc:
            out["missing_error"] = str(exc)
        requests = [reference_request("code_o", 3, 0), solver_request("code_o", 1)]
        first = ray.get(handle.sample.remote(requests, seed=5, step=3))
        out["sample_ids"] = [[t.id for t in slot] for slot in first]
        out["sample_repeat_same"] = [
            [t.id for t in s] for s in ray.get(handle.sample.remote(requests, 5, 3))
        ] == out["sample_ids"]
        ray.get(handle.record_outcomes.remote([SolveOutcome(out["worker_ids"][0], 4, 1)]))
        out["stats"] = ray.get(handle.get.remote([out["worker_ids"][0]]))[0].stats.solve_rate
        snap = ray.get(handle.snapshot.remote(str(work / "ckpt" / "buffer.sqlite")))
        ray.get(handle.add.remote([task(500)], step=4))
        out["restored"] = ray.get(handle.restore.remote(str(snap.path)))
        out["count_after_restore"] = ray.get(handle.count.remote())
        ray.kill(handle)  # the same run resumes: a new actor reopens the file, nothing is lost
        resumed = create_buffer_actor("t1r", work / "run" / "buffer.sqlite", must_exist=True)
        out["resumed_count"] = ray.get(resumed.count.remote())
        try:
            create_buffer_actor("t2", work / "missing.sqlite", must_exist=True)
            out["must_exist_error"] = ""
        except BufferFileError as exc:
            out["must_exist_error"] = str(exc)
        (work / "foreign.sqlite").write_bytes(b"x" * 5000)
        try:
            create_buffer_actor("t3", work / "foreign.sqlite")
            out["foreign_error"] = ""
        except BufferFileError as exc:
            out["foreign_error"] = str(exc)
    finally:
        ray.shutdown()
    print("RESULT " + json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
