#!/usr/bin/env bash
# AZR-Base-7B: AZR self-play on Qwen2.5-7B (base) with 4 GPUs (80 GB each), as in the paper.
#
#   recipes/azr/qwen2.5-7b.sh [Hydra overrides...]     (environment: recipes/azr/common.sh)
#
# Qwen2.5-7B has the architecture of Qwen2.5-Coder-7B (28 attention heads, 4 KV heads), so the run is
# qwen2.5-coder-7b.sh with this model: the same GPUs, parallel sizes and hyperparameters.
set -euo pipefail
export MODEL_PATH="${MODEL_PATH:-Qwen/Qwen2.5-7B}"
export EXPERIMENT="${EXPERIMENT:-qwen2.5-7b}"
exec "$(dirname "${BASH_SOURCE[0]}")/qwen2.5-coder-7b.sh" "$@"
