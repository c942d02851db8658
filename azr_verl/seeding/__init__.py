"""Seeding with the base model (`azr-verl seed`): propose tasks without updates, validate them with
the executor exactly as training does, dedup by fingerprint, and append the valid ones to a seed
file that `azr.seed_files` loads.
"""

from azr_verl.seeding.fitting import FitStats, fit_prompts, prompt_meter
from azr_verl.seeding.pool import ProposalPrompt, SeedPool
from azr_verl.seeding.seed_file import SeedFileError, SeedWriter, seed_line
from azr_verl.seeding.session import (
    SeedingProgress,
    SeedingReport,
    SeedingSettings,
    StopReason,
    run_seeding,
)
from azr_verl.seeding.summary import format_report, stop_sentence
from azr_verl.seeding.tally import ProposalFate, TypeCounts, TypeTally

__all__ = [
    "FitStats",
    "ProposalFate",
    "ProposalPrompt",
    "SeedFileError",
    "SeedPool",
    "SeedWriter",
    "SeedingProgress",
    "SeedingReport",
    "SeedingSettings",
    "StopReason",
    "TypeCounts",
    "TypeTally",
    "fit_prompts",
    "format_report",
    "prompt_meter",
    "run_seeding",
    "seed_line",
    "stop_sentence",
]
