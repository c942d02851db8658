#!/usr/bin/env bash
# AZR-Base-7B: AZR self-play on Qwen2.5-7B (base) with 4 GPUs (80 GB each), as in the paper.
#
#   recipes/azr/qwen2.5-7b.sh [Hydra overrides...]     (environment: recipes/azr/common.sh)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

MODEL_PATH="${MODEL_PATH:-Qwen/Qwen2.5-7B}"
GPUS_PER_NODE="${GPUS_PER_NODE:-4}"

# The architecture of Qwen2.5-Coder-7B (28 attention heads, 4 KV heads): the same layout.
azr_launch qwen2.5-7b \
    actor_rollout_ref.rollout.tensor_model_parallel_size=1 \
    actor_rollout_ref.actor.ulysses_sequence_parallel_size=2 \
    actor_rollout_ref.actor.fsdp_config.optimizer_offload=true \
    "$@"
