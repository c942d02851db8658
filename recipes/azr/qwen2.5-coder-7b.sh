#!/usr/bin/env bash
# AZR-Coder-7B: AZR self-play on Qwen2.5-Coder-7B (base) with 4 GPUs (80 GB each), as in the paper.
#
#   recipes/azr/qwen2.5-coder-7b.sh [Hydra overrides...]     (environment: recipes/azr/common.sh)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

MODEL_PATH="${MODEL_PATH:-Qwen/Qwen2.5-Coder-7B}"
GPUS_PER_NODE="${GPUS_PER_NODE:-4}"

# One vLLM replica per GPU; Ulysses sequence parallelism over 2 GPUs (28 attention heads, 4 KV heads)
# halves the activations of a 14k-token sequence; AdamW state waits in host memory during rollout.
azr_launch qwen2.5-coder-7b \
    actor_rollout_ref.rollout.tensor_model_parallel_size=1 \
    actor_rollout_ref.actor.ulysses_sequence_parallel_size=2 \
    actor_rollout_ref.actor.fsdp_config.optimizer_offload=true \
    "$@"
