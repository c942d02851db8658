#!/usr/bin/env bash
# AZR-Base-14B: AZR self-play on Qwen2.5-14B (base) with 8 GPUs (80 GB each), as in the paper.
#
#   recipes/azr/qwen2.5-14b.sh [Hydra overrides...]     (environment: recipes/azr/common.sh)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

MODEL_PATH="${MODEL_PATH:-Qwen/Qwen2.5-14B}"
GPUS_PER_NODE="${GPUS_PER_NODE:-8}"

# The architecture of Qwen2.5-Coder-14B (40 attention heads, 8 KV heads): the same layout.
azr_launch qwen2.5-14b \
    actor_rollout_ref.rollout.tensor_model_parallel_size=2 \
    actor_rollout_ref.actor.ulysses_sequence_parallel_size=2 \
    actor_rollout_ref.actor.fsdp_config.optimizer_offload=true \
    "$@"
