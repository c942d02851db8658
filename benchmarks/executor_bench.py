"""Executor throughput, hang handling and memory, against baselines measured in the same run.

Workload: every CRUXEval dev triplet and every AZR seed (io and induction pairs) as output checks,
`f(<input>) == <output>`. Figures:

1. executions per second of
   - in-process `exec` (no isolation at all: the upper bound),
   - a pebble ProcessPool in the reference implementation's style (exec in a reused worker, per-task
     timeout, no limits), with 1 and with 2 workers,
   - a bare fork floor (fork + exit + wait of a small Python process: no work at all),
   - this executor (fresh forked process per snippet, full isolation);
2. wall time of a batch of 64 calls with one infinite loop (target: within timeout + 0.5 s), for
   this executor and for pebble with the same timeout;
3. an AZR-step-like batch: 4,400 mixed executions with a few hangs and memory bombs (target < 5 s);
4. RSS of the caller and of the fork-servers over 10,000 mixed calls.

Run: .venv/bin/python benchmarks/executor_bench.py [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import statistics
import time
from pathlib import Path

from azr_verl.executor import ExecRequest, ExecStatus, Executor

REPO = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("AZR_SHARED_DATA", REPO.parent / "shared" / "data"))
HANG = "def f(x):\n    while True:\n        pass"
MEMORY_BOMB = "def f(x):\n    return [0] * (10 ** 10)"


def load_checks() -> list[tuple[str, str, str]]:
    """(program, input, expected output) for every CRUXEval triplet and seed pair."""
    checks = []
    for line in (DATA / "cruxeval_dev200.jsonl").read_text().splitlines():
        row = json.loads(line)
        checks.append((row["code"], row["input"], row["output"]))
    for name in ("7b_coder_seed_io.jsonl", "7b_coder_code_f_seed_io.jsonl"):
        for line in (DATA / name).read_text().splitlines():
            row = json.loads(line)
            program = "\n".join([*row["imports"], row["snippet"]])
            pairs = (
                zip(row["inputs"], row["outputs"], strict=True)
                if "inputs" in row
                else [(row["input"], row["output"])]
            )
            checks.extend((program, i, o) for i, o in pairs)
    return checks


def exec_check(program: str, input_text: str, output_text: str) -> bool:
    """The reference's way: exec and eval in the current process (no isolation)."""
    namespace: dict = {}
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(program, namespace)
            return eval(f"f({input_text})", namespace) == eval(output_text, namespace)
    except Exception:
        return False


def rate_in_process(checks: list[tuple[str, str, str]]) -> float:
    started = time.perf_counter()
    for check in checks:
        exec_check(*check)
    return len(checks) / (time.perf_counter() - started)


def rate_pebble(checks: list[tuple[str, str, str]], workers: int, timeout_s: float) -> float:
    from pebble import ProcessPool

    with ProcessPool(max_workers=workers) as pool:
        list(
            pool.map(exec_check, *zip(*checks[:8], strict=True), timeout=timeout_s).result()
        )  # warm the workers
        started = time.perf_counter()
        futures = [pool.schedule(exec_check, args=check, timeout=timeout_s) for check in checks]
        for future in futures:
            with contextlib.suppress(Exception):
                future.result()
        return len(checks) / (time.perf_counter() - started)


def fork_floor(count: int) -> tuple[float, float]:
    """fork + _exit + waitpid of a small Python process on every core: (forks/s, CPU ms per fork).

    A bound no fresh-process-per-snippet design can beat on this machine.
    """
    import subprocess
    import sys

    code = (
        "import os, time\nn = int(os.environ['N'])\nt = time.perf_counter()\nc = os.times()\n"
        "for _ in range(n):\n    pid = os.fork()\n    if pid == 0:\n        os._exit(0)\n"
        "    os.waitpid(pid, 0)\nd = os.times()\n"
        "cpu = d.user + d.system + d.children_user + d.children_system - c.user - c.system "
        "- c.children_user - c.children_system\nprint(n / (time.perf_counter() - t), cpu / n * 1e3)"
    )
    procs = [
        subprocess.Popen([sys.executable, "-S", "-c", code], env={"N": str(count)}, stdout=subprocess.PIPE)
        for _ in range(os.cpu_count() or 1)
    ]
    figures = [tuple(map(float, proc.communicate()[0].split())) for proc in procs]
    return sum(rate for rate, _ in figures), statistics.mean(cpu for _, cpu in figures)


def _cpu_s(pids: list[int]) -> float:
    """CPU seconds of this process plus the given servers and their reaped children."""
    own = os.times()
    total = own.user + own.system
    ticks = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += sum(int(value) for value in fields[11:15]) / ticks
    return total


def rate_executor(executor: Executor, checks: list[tuple[str, str, str]]) -> tuple[float, float, dict]:
    """(executions/s, CPU ms per execution over caller + servers + snippets, status counts)."""
    requests = [ExecRequest.check_output(*check) for check in checks]
    executor.map(requests[:64])  # start the servers
    pids = executor.server_pids()
    cpu_before = _cpu_s(pids)
    started = time.perf_counter()
    results = executor.map(requests)
    rate = len(requests) / (time.perf_counter() - started)
    cpu_ms = (_cpu_s(pids) - cpu_before) / len(requests) * 1e3
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status.value] = counts.get(result.status.value, 0) + 1
    return rate, cpu_ms, counts


def hang_batch_executor(executor: Executor) -> float:
    requests = [ExecRequest.run("def f(x):\n    return x * 2", str(k)) for k in range(63)]
    requests.insert(17, ExecRequest.run(HANG, "1"))
    started = time.perf_counter()
    results = executor.map(requests)
    elapsed = time.perf_counter() - started
    if results[17].status is not ExecStatus.TIMEOUT or sum(r.ok for r in results) != 63:
        raise RuntimeError("hang batch gave unexpected results")
    return elapsed


def hang_batch_pebble(workers: int, timeout_s: float) -> float:
    from pebble import ProcessPool

    checks = [("def f(x):\n    return x * 2", str(k), str(2 * k)) for k in range(63)]
    checks.insert(17, (HANG, "1", "1"))
    with ProcessPool(max_workers=workers) as pool:
        list(pool.map(exec_check, *zip(*checks[:4], strict=True), timeout=timeout_s).result())
        started = time.perf_counter()
        futures = [pool.schedule(exec_check, args=check, timeout=timeout_s) for check in checks]
        for future in futures:
            with contextlib.suppress(Exception):
                future.result()
        return time.perf_counter() - started


def step_like_batch(executor: Executor, checks: list[tuple[str, str, str]]) -> tuple[float, int]:
    """~4,400 executions as in one AZR step at batch 64: checks, determinism runs, a few hangs/bombs."""
    requests = [ExecRequest.check_output(*checks[k % len(checks)]) for k in range(4000)]
    requests += [ExecRequest.run_deterministic(*checks[k][:2]) for k in range(190)]
    requests += [ExecRequest.run(HANG, "1")] * 4 + [ExecRequest.run(MEMORY_BOMB, "1")] * 4
    executions = 4000 + 2 * 190 + 8
    started = time.perf_counter()
    executor.map(requests)
    return time.perf_counter() - started, executions


def rss_mb(pid: int | str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def memory_over_calls(executor: Executor, checks: list[tuple[str, str, str]], calls: int) -> list[tuple]:
    mixed = []
    for k, (program, input_text, output_text) in enumerate(checks[:500]):
        kind = k % 5
        if kind == 0:
            mixed.append(ExecRequest.run(program, input_text))
        elif kind == 1:
            mixed.append(ExecRequest.check_output(program, input_text, output_text))
        elif kind == 2:
            mixed.append(ExecRequest.values_equal(output_text, output_text))
        elif kind == 3:
            mixed.append(ExecRequest.check_pairs(program, [input_text], [output_text]))
        else:
            mixed.append(ExecRequest.run("def f(x):\n    return 1 / 0", "1"))
    samples = []
    done = 0
    while done < calls:
        executor.map(mixed)
        done += len(mixed)
        if done % 2000 == 0 or done >= calls:
            samples.append((done, rss_mb("self"), [round(rss_mb(pid), 1) for pid in executor.server_pids()]))
    return samples


def report_rates(executor: Executor, checks: list[tuple[str, str, str]], repeats: int) -> None:
    """Executions per second against the baselines, and CPU per execution against the fork floor."""
    timeout_s = executor.limits.timeout_s
    in_process = statistics.median(rate_in_process(checks) for _ in range(repeats))
    pebble_1 = statistics.median(rate_pebble(checks, 1, timeout_s) for _ in range(repeats))
    pebble_2 = statistics.median(rate_pebble(checks, 2, timeout_s) for _ in range(repeats))
    floors = [fork_floor(2000) for _ in range(repeats)]
    floor, floor_cpu_ms = statistics.median(f[0] for f in floors), statistics.median(f[1] for f in floors)
    ours_runs = [rate_executor(executor, checks) for _ in range(repeats)]
    ours = statistics.median(run[0] for run in ours_runs)
    cpu_ms = statistics.median(run[1] for run in ours_runs)
    cores = os.cpu_count() or 1
    print(f"\nexecutor: {executor.max_workers} workers; isolation complete: {executor.isolation.complete}")
    print(f"executor statuses: {ours_runs[-1][2]}")
    print(f"\nexecutions per second (median of {repeats})")
    rows = [
        ("in-process exec (no isolation)", in_process),
        ("pebble, 1 worker (reference style)", pebble_1),
        ("pebble, 2 workers", pebble_2),
        ("bare fork floor (no work)", floor),
    ]
    for label, rate in rows:
        print(f"  {label:36s} {rate:9.0f}   ours/this = {ours / rate:5.2f}")
    verdict = "met" if ours >= 1000 else "NOT met"
    print(f"  {'this executor (full isolation)':36s} {ours:9.0f}   target >= 1000: {verdict}")
    print("\nCPU per execution (caller + servers + snippets; less sensitive to other load)")
    for label, ms in (("bare fork floor", floor_cpu_ms), ("this executor", cpu_ms)):
        print(f"  {label:18s} {ms:6.3f} ms  -> {cores / ms * 1e3:6.0f}/s on {cores} idle cores")


def report_hangs_step_memory(
    executor: Executor, checks: list[tuple[str, str, str]], repeats: int, calls: int
) -> None:
    """The 64-call batch with a hang, the step-like batch, and RSS over many mixed calls."""
    timeout_s = executor.limits.timeout_s
    hang_ours = min(hang_batch_executor(executor) for _ in range(repeats))
    hang_pebble = hang_batch_pebble(2, timeout_s)
    print(f"\n64-call batch with one infinite loop (timeout {timeout_s} s)")
    print(f"  this executor   {hang_ours:6.2f} s   (target <= {timeout_s + 0.5:.1f} s)")
    print(f"  pebble, 2 wkrs  {hang_pebble:6.2f} s   ours/pebble = {hang_ours / hang_pebble:4.2f}")
    step_s, executions = step_like_batch(executor, checks)
    print(f"\nAZR-step-like batch: {executions} executions incl. 4 hangs + 4 memory bombs: {step_s:.2f} s")
    print(f"\nmemory over {calls} mixed calls (RSS MB: caller, servers)")
    samples = memory_over_calls(executor, checks, calls)
    for done, caller, servers in samples:
        print(f"  after {done:6d} calls   caller {caller:7.1f}   servers {servers}")
    print(f"  caller growth over the run: {samples[-1][1] - samples[0][1]:+.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and calls")
    parser.add_argument("--calls", type=int, default=10_000, help="calls for the memory measurement")
    parser.add_argument("--workers", type=int, default=None, help="executor max_workers (default: cores)")
    args = parser.parse_args()
    repeats = 1 if args.quick else 3
    checks = load_checks()
    print(f"workload: {len(checks)} output checks (CRUXEval dev200 + AZR seeds); cores: {os.cpu_count()}")
    print(f"load average at start: {os.getloadavg()[0]:.2f} (other processes compete for the cores)")
    with Executor(max_workers=args.workers) as executor:
        report_rates(executor, checks, repeats)
        report_hangs_step_memory(executor, checks, repeats, 2_000 if args.quick else args.calls)


if __name__ == "__main__":
    main()
