"""`azr-verl doctor`: check an installation end to end, without a GPU or a model.

veRL loads the plugin exactly as its own processes do; every registration is listed; the executor
starts its sandbox, reports which protections are active, validates a small proposal and checks an
answer to it. Exit code 0 only when all of it works.
"""

from __future__ import annotations

import argparse
import time

__all__ = ["add_arguments", "run"]

PROPOSAL = (
    "<answer>\n```python\ndef f(xs):\n    return sorted(xs)[::-1]\n```\n```input\n[3, 1, 2]\n```\n</answer>"
)
ANSWER = "<answer>\n```output\n[3,2,1]\n```\n</answer>"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser  # no options


def _registrations() -> bool:
    import verl

    from azr_verl.plugin import COMPONENT_MODULES, registration_errors

    errors = registration_errors()
    print(f"veRL {verl.__version__}: plugin components")
    for module in COMPONENT_MODULES:
        status = f"FAIL {errors[module]}" if module in errors else "ok"
        print(f"  {module:<24} {status}")
    return not errors


def _sandbox() -> bool:
    from azr_verl.executor import Executor
    from azr_verl.tasks import Task, get_task_type

    deduction = get_task_type("code_o")
    with Executor() as executor:
        report = executor.isolation
        missing = report.missing()
        print(f"sandbox protections: {'all active' if not missing else 'missing ' + ', '.join(missing)}")
        for note in report.notes:
            print(f"  note: {note}")
        start = time.perf_counter()
        task = deduction.validate_response(PROPOSAL, executor)
        scored = deduction.score_response(task, ANSWER, executor) if isinstance(task, Task) else None
        elapsed_ms = (time.perf_counter() - start) * 1000
    if not isinstance(task, Task) or scored is None or not scored.correct:
        print(f"executor: FAIL (validation gave {task!r}, check gave {scored!r})")
        return False
    print(
        f"executor: proposal validated (gold output {task.output}), answer checked correct, {elapsed_ms:.0f} ms"
    )
    return True


def run(args: argparse.Namespace) -> int:
    del args
    ok = _registrations()
    ok = _sandbox() and ok
    print("doctor: all checks passed" if ok else "doctor: FAILED")
    return 0 if ok else 1
