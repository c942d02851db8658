#!/usr/bin/env bash
# AZR self-play on Llama-3.1-8B (base) with 4 GPUs (80 GB each), as in the paper.
#
#   recipes/azr/llama3.1-8b.sh [Hydra overrides...]     (environment: recipes/azr/common.sh)
#
# The base model, with the base prompt style (common.sh's default): AZR is a zero-data method meant for
# base models, as the paper's other five models are, and a base model has no chat template of its own
# to rely on. For the instruct model: MODEL_PATH=meta-llama/Llama-3.1-8B-Instruct PROMPT_STYLE=chat. Meta's repositories
# are gated: accept the license and log in to the Hugging Face hub first, or pass a local directory.
#
# The layout of qwen2.5-coder-7b.sh fits: 32 attention heads and 8 KV heads split over Ulysses groups
# of 2, one vLLM replica per GPU (16 GB of bf16 weights), AdamW state in host memory during rollout.
set -euo pipefail
export MODEL_PATH="${MODEL_PATH:-meta-llama/Llama-3.1-8B}"
export EXPERIMENT="${EXPERIMENT:-llama3.1-8b}"
exec "$(dirname "${BASH_SOURCE[0]}")/qwen2.5-coder-7b.sh" "$@"
