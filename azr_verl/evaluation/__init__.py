"""Benchmark evaluation of a model, scored by the same executor-checked code as training.

`azr-verl eval cruxeval --model PATH --task output` is the command line; from Python::

    from azr_verl.evaluation import EvalSettings, evaluate, load_cruxeval
    from azr_verl.textgen import GenerationSettings, load_generator

    problems = load_cruxeval("output", "cruxeval.jsonl")
    report = evaluate(load_generator(model_dir), problems, EvalSettings(n=1, ks=(1,)))
    report.pass_at_k[1]
"""

from azr_verl.evaluation.benchmarks import BENCHMARKS, Benchmark, get_benchmark
from azr_verl.evaluation.cruxeval import load_cruxeval
from azr_verl.evaluation.passk import default_ks, mean_pass_at_k, parse_ks, pass_at_k
from azr_verl.evaluation.problems import DataUnavailableError, EvalProblem, ProblemSet
from azr_verl.evaluation.report import format_table, report_to_dict, write_report
from azr_verl.evaluation.runner import (
    EvalReport,
    EvalSettings,
    ProblemRecord,
    SampleRecord,
    default_temperature,
    evaluate,
)

__all__ = [
    "BENCHMARKS",
    "Benchmark",
    "DataUnavailableError",
    "EvalProblem",
    "EvalReport",
    "EvalSettings",
    "ProblemRecord",
    "ProblemSet",
    "SampleRecord",
    "default_ks",
    "default_temperature",
    "evaluate",
    "format_table",
    "get_benchmark",
    "load_cruxeval",
    "mean_pass_at_k",
    "parse_ks",
    "pass_at_k",
    "report_to_dict",
    "write_report",
]
