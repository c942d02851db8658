#!/usr/bin/env bash
# AZR self-play with LoRA on one GPU: Qwen2.5-Coder-3B (base) with the paper's batch and settings,
# training low-rank adapters instead of all weights: no gradients or AdamW state for the 3B weights, so
# one 80 GB GPU holds the actor, the vLLM engine and a 14k-token micro-batch (an estimate: no GPU here).
#
#   recipes/azr/qwen2.5-coder-3b-lora-1gpu.sh [Hydra overrides...]   (environment: recipes/azr/common.sh)
#
# What differs from the full-weight recipes, and why:
# - actor_rollout_ref.model.lora_rank/lora_alpha/target_modules: adapters of rank 64 on every linear
#   layer (veRL's LoRA path through PEFT, FSDP2 and vLLM).
# - rollout.load_format=safetensors: vLLM loads the base weights itself, so only the adapters travel
#   to it after each update; rollout.layered_summon=true gathers them one layer at a time.
# - lr 1e-5: LoRA wants a learning rate about ten times that of full fine-tuning (veRL's LoRA guide;
#   "LoRA Without Regret", Schulman et al. 2025). Override with actor_rollout_ref.actor.optim.lr=...
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

MODEL_PATH="${MODEL_PATH:-Qwen/Qwen2.5-Coder-3B}"
GPUS_PER_NODE="${GPUS_PER_NODE:-1}"

azr_launch qwen2.5-coder-3b-lora-1gpu \
    actor_rollout_ref.rollout.tensor_model_parallel_size=1 \
    actor_rollout_ref.actor.ulysses_sequence_parallel_size=1 \
    actor_rollout_ref.model.lora_rank=64 \
    actor_rollout_ref.model.lora_alpha=32 \
    actor_rollout_ref.model.target_modules=all-linear \
    actor_rollout_ref.rollout.load_format=safetensors \
    actor_rollout_ref.rollout.layered_summon=true \
    actor_rollout_ref.actor.optim.lr=1e-5 \
    "$@"
