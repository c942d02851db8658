#!/usr/bin/env bash
# AZR-Base-14B: AZR self-play on Qwen2.5-14B (base) with 8 GPUs (80 GB each), as in the paper.
#
#   recipes/azr/qwen2.5-14b.sh [Hydra overrides...]     (environment: recipes/azr/common.sh)
#
# Qwen2.5-14B has the architecture of Qwen2.5-Coder-14B (40 attention heads, 8 KV heads), so the run
# is qwen2.5-coder-14b.sh with this model: the same GPUs, parallel sizes and hyperparameters.
set -euo pipefail
export MODEL_PATH="${MODEL_PATH:-Qwen/Qwen2.5-14B}"
export EXPERIMENT="${EXPERIMENT:-qwen2.5-14b}"
exec "$(dirname "${BASH_SOURCE[0]}")/qwen2.5-coder-14b.sh" "$@"
