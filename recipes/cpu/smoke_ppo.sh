#!/usr/bin/env bash
# Two GRPO steps of stock veRL on CPU with the tiny offline model (about a minute on 2 cores).
#
#   recipes/cpu/smoke_ppo.sh [RUN_DIR] [extra Hydra overrides]
#
# Runs in its own session with its own Ray temp dir; leftovers are killed by PID (azr_verl.cpu.smoke).
set -euo pipefail
PYTHON="${PYTHON:-python}"
OUT="${1:-runs/cpu_smoke}"
shift || true
exec "$PYTHON" -m azr_verl.cpu.smoke --out "$OUT" "$@"
