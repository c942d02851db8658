"""An evaluation report as JSON (the `--out` file) and as a short text table (the CLI's output)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from azr_verl.evaluation.runner import EvalReport

__all__ = ["SCHEMA_VERSION", "format_table", "report_to_dict", "write_report"]

SCHEMA_VERSION = 1

_TITLES = {("cruxeval", "output"): "CRUXEval-O", ("cruxeval", "input"): "CRUXEval-I"}


def _title(report: EvalReport) -> str:
    return _TITLES.get((report.benchmark, report.task), f"{report.benchmark}-{report.task}")


def report_to_dict(report: EvalReport, meta: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The JSON form: summary first, then one record per problem with every sample.

    Args:
        report: The evaluation's result.
        meta: Run facts the report does not know (model path, backend, seed), stored under `run`.
    """
    settings = report.settings
    return {
        "schema_version": SCHEMA_VERSION,
        "benchmark": report.benchmark,
        "task": report.task,
        "title": _title(report),
        "data": report.source,
        "run": dict(meta or {}),
        "n": settings.n,
        "ks": list(settings.ks),
        "generation": asdict(settings.generation),
        "num_problems": len(report.problems),
        "num_samples": report.num_samples,
        "pass_at_k": {str(k): value for k, value in report.pass_at_k.items()},
        "format_errors": report.format_errors,
        "sandbox_failures": report.sandbox_failures,
        "truncated": report.truncated,
        "timing_s": {
            "generation": round(report.generation_s, 3),
            "scoring": round(report.scoring_s, 3),
            "wall": round(report.wall_s, 3),
        },
        "problems": [
            {
                "id": record.problem_id,
                "index": record.index,
                "num_samples": len(record.samples),
                "num_correct": record.num_correct,
                "pass_at_k": {str(k): value for k, value in record.pass_at_k.items()},
                "samples": [asdict(sample) for sample in record.samples],
            }
            for record in report.problems
        ],
    }


def write_report(report: EvalReport, path: str | Path, meta: Mapping[str, Any] | None = None) -> Path:
    """Write the JSON report to `path` (parent folders created); returns the path."""
    out = Path(path).expanduser()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report_to_dict(report, meta), indent=1) + "\n", encoding="utf-8")
    return out


def _share(count: int, total: int) -> str:
    return f"{count} / {total} ({100.0 * count / total:.1f}%)" if total else "0 / 0"


def format_table(report: EvalReport) -> str:
    """A few lines for the terminal: pass@k per k, format errors, truncations, failures, timings."""
    settings = report.settings
    problems, samples = len(report.problems), report.num_samples
    solved = sum(record.num_correct > 0 for record in report.problems)
    lines = [
        f"{_title(report)}: {problems} problems x {settings.n} samples, temperature "
        f"{settings.generation.temperature:g}, max {settings.generation.max_tokens} tokens ({report.source})",
        f"  {'metric':<18} value",
    ]
    for k, value in report.pass_at_k.items():
        lines.append(f"  {f'pass@{k}':<18} {value:.4f}")
    lines += [
        f"  {'solved (any)':<18} {_share(solved, problems)}",
        f"  {'format errors':<18} {_share(report.format_errors, samples)} samples",
        f"  {'hit max tokens':<18} {_share(report.truncated, samples)} samples",
    ]
    if report.sandbox_failures:
        lines.append(f"  {'sandbox failures':<18} {_share(report.sandbox_failures, samples)} samples")
    lines.append(
        f"  {'time':<18} {report.wall_s:.1f} s (generation {report.generation_s:.1f} s, "
        f"scoring {report.scoring_s:.1f} s)"
    )
    return "\n".join(lines)
