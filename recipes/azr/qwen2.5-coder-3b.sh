#!/usr/bin/env bash
# AZR-Coder-3B: AZR self-play on Qwen2.5-Coder-3B (base) with 2 GPUs (80 GB each), as in the paper.
#
#   recipes/azr/qwen2.5-coder-3b.sh [Hydra overrides...]     (environment: recipes/azr/common.sh)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

MODEL_PATH="${MODEL_PATH:-Qwen/Qwen2.5-Coder-3B}"
GPUS_PER_NODE="${GPUS_PER_NODE:-2}"

# One vLLM replica per GPU (3B fits one GPU with room for the KV cache); the actor state (about 24 GB
# per GPU for FSDP2 with fp32 master weights and AdamW) fits beside vLLM without offloading.
azr_launch qwen2.5-coder-3b \
    actor_rollout_ref.rollout.tensor_model_parallel_size=1 \
    actor_rollout_ref.actor.ulysses_sequence_parallel_size=1 \
    "$@"
