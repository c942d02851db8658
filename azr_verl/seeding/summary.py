"""The human-readable account of a seeding run (printed by `azr-verl seed`)."""

from __future__ import annotations

from azr_verl.seeding.session import SeedingReport, StopReason
from azr_verl.seeding.tally import TypeCounts

__all__ = ["format_report", "stop_sentence"]

_COLUMNS = ("in file", "proposed", "valid", "duplicate", "rejected", "format err", "truncated")


def stop_sentence(report: SeedingReport) -> str:
    """Why the run stopped, in one sentence."""
    if report.stop_reason is StopReason.ALREADY_COMPLETE:
        return f"nothing to do: {report.out} already holds {report.count} seeds of every task type"
    if report.stop_reason is StopReason.TARGET_REACHED:
        return f"target reached: {report.count} seeds of every task type after {report.rounds} round(s)"
    short = ", ".join(
        f"{name} {have}/{report.count}" for name, have in report.seeds_after.items() if have < report.count
    )
    return f"stopped after --max-rounds {report.rounds} short of the target ({short})"


def _row(label: str, counts: TypeCounts, in_file: str) -> str:
    values = (
        in_file,
        counts.proposed,
        counts.valid,
        counts.duplicate,
        counts.rejected_total,
        counts.format_error_total,
        counts.truncated,
    )
    return f"{label:10s}" + "".join(f"{value!s:>11s}" for value in values)


def _breakdown(title: str, counter: dict[str, int]) -> list[str]:
    if not counter:
        return []
    return [f"{title}:"] + [f"  {number:6d}  {reason}" for reason, number in counter.items()]


def format_report(report: SeedingReport) -> str:
    """A table per task type, the rejection rules and format errors with counts, and the balance."""
    lines = [stop_sentence(report), "", f"{'type':10s}" + "".join(f"{c:>11s}" for c in _COLUMNS)]
    for counts in report.counts:
        in_file = f"{report.seeds_after[counts.task_type]}/{report.count}"
        lines.append(_row(counts.task_type, counts, in_file))
    total = report.total
    lines.append(_row("all", total, str(sum(report.seeds_after.values()))))
    lines.append("")
    lines += _breakdown("rejected by rule", total.rejected)
    lines += _breakdown("format errors (no proposal could be read)", total.format_errors)
    lines.append(
        f"proposed {total.proposed} = valid {total.valid} + duplicate {total.duplicate} + rejected "
        f"{total.rejected_total} + format errors {total.format_error_total}"
    )
    fitting = report.fitting
    if fitting.references_dropped or fitting.programs_replaced or fitting.overlong:
        lines.append(
            f"prompts over --max-prompt-tokens: {fitting.references_dropped} references dropped, "
            f"{fitting.programs_replaced} induction programs replaced by the zero program, "
            f"{fitting.overlong} prompts still too long"
        )
    if report.unexamined:
        lines.append(
            f"{report.unexamined} responses of the last round were not examined: their type was full"
        )
    lines.append(
        f"wrote {report.written} new seeds to {report.out} ({sum(report.seeds_before.values())} were there "
        f"before); generation {report.generate_s:.1f} s, validation {report.validate_s:.1f} s, "
        f"total {report.elapsed_s:.1f} s"
    )
    return "\n".join(lines)
