#!/usr/bin/env bash
# Stock veRL's trainer on a machine without a GPU, through azr-verl's CPU backend.
#
#   recipes/cpu/main_ppo_cpu.sh actor_rollout_ref.model.path=... data.train_files=... [more overrides]
#
# The CPU overrides come from azr_verl/cpu/overrides.py (one list for this script, the tests and the
# quickstart); later overrides on the command line win. Run it under a timeout: with too few logical
# CPUs declared to Ray, veRL waits forever without an error.
set -euo pipefail
PYTHON="${PYTHON:-python}"
export VERL_PLATFORM=cpu
export VERL_USE_EXTERNAL_MODULES="azr_verl.cpu.registration${VERL_USE_EXTERNAL_MODULES:+,$VERL_USE_EXTERNAL_MODULES}"
mapfile -t CPU_OVERRIDES < <("$PYTHON" -m azr_verl.cpu.overrides)
exec "$PYTHON" -m verl.trainer.main_ppo "${CPU_OVERRIDES[@]}" "$@"
