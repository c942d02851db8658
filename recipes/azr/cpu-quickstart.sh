#!/usr/bin/env bash
# AZR self-play on CPU, no GPU: `azr-verl quickstart` (SmolLM2-135M-Instruct, 3 steps of 12 prompts
# through veRL's own trainer, with progress lines and a run summary). It shows the pipeline working,
# not learning: see README.md, "Quickstart".
#
#   recipes/azr/cpu-quickstart.sh [quickstart options] [Hydra overrides...]
#
# Environment: MODEL_PATH (smollm2, tiny or a checkpoint directory) [smollm2], RUN_DIR
# [runs/quickstart], TOTAL_STEPS [3], AZR_VERL (the azr-verl command) [azr-verl], AZR_DRY_RUN=1 prints
# the command. The Hydra command the quickstart runs is azr_verl.cpu.selfplay.selfplay_command.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

export AZR_RAY_JOB_ADDRESS=""  # a laptop run, never a Ray job
azr_exec "${AZR_VERL:-azr-verl}" quickstart --model "${MODEL_PATH:-smollm2}" \
    --run-dir "$(azr_abspath "${RUN_DIR:-runs/quickstart}")" --steps "${TOTAL_STEPS:-3}" "$@"
