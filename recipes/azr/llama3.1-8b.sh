#!/usr/bin/env bash
# AZR self-play on Llama-3.1-8B (base) with 4 GPUs (80 GB each), as in the paper.
#
#   recipes/azr/llama3.1-8b.sh [Hydra overrides...]     (environment: recipes/azr/common.sh)
#
# The base model, with the base prompt style (common.sh's default): the paper applies AZR, a zero-data
# method, to base models only, and its Llama row compares against the same base model. For the
# instruct model: MODEL_PATH=meta-llama/Llama-3.1-8B-Instruct PROMPT_STYLE=chat. Meta's repositories
# are gated: accept the license and log in to the Hugging Face hub first, or pass a local directory.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

MODEL_PATH="${MODEL_PATH:-meta-llama/Llama-3.1-8B}"
GPUS_PER_NODE="${GPUS_PER_NODE:-4}"

# 32 attention heads and 8 KV heads: Ulysses over 2 GPUs; one vLLM replica per GPU (16 GB of bf16
# weights); AdamW state waits in host memory during rollout.
azr_launch llama3.1-8b \
    actor_rollout_ref.rollout.tensor_model_parallel_size=1 \
    actor_rollout_ref.actor.ulysses_sequence_parallel_size=2 \
    actor_rollout_ref.actor.fsdp_config.optimizer_offload=true \
    "$@"
