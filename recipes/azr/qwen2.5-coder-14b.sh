#!/usr/bin/env bash
# AZR-Coder-14B: AZR self-play on Qwen2.5-Coder-14B (base) with 8 GPUs (80 GB each), as in the paper.
#
#   recipes/azr/qwen2.5-coder-14b.sh [Hydra overrides...]     (environment: recipes/azr/common.sh)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

MODEL_PATH="${MODEL_PATH:-Qwen/Qwen2.5-Coder-14B}"
GPUS_PER_NODE="${GPUS_PER_NODE:-8}"

# vLLM replicas over 2 GPUs each (28 GB of bf16 weights would leave one GPU little KV cache); Ulysses
# over 2 GPUs (40 attention heads, 8 KV heads); AdamW state waits in host memory during rollout.
azr_launch qwen2.5-coder-14b \
    actor_rollout_ref.rollout.tensor_model_parallel_size=2 \
    actor_rollout_ref.actor.ulysses_sequence_parallel_size=2 \
    actor_rollout_ref.actor.fsdp_config.optimizer_offload=true \
    "$@"
