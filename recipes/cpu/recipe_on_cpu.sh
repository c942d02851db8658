#!/usr/bin/env bash
# One training step of a GPU recipe on CPU, through veRL's real trainer: its settings meet veRL at run
# time before any GPU is booked (about a minute with the tiny model on 2 cores).
#
#   timeout 900 recipes/cpu/recipe_on_cpu.sh recipes/azr/qwen2.5-coder-3b.sh [Hydra overrides...]
#
# What changes so that it fits a laptop, appended after the recipe's own settings: the tiny offline
# model (or MODEL_PATH), 2 samples per slot, one step on one device, short prompts and responses, no
# sequence parallelism, and azr-verl's CPU backend in place of vLLM (azr_verl/cpu/overrides.py; LoRA
# adapters are merged into the weights, as the CPU rollout cannot load adapters). Everything else is
# the recipe's: optimizer, clipping, entropy, dynamic batching, the azr block, checkpointing.
# Run it under a timeout: with too few logical CPUs declared to Ray, veRL waits without an error.
set -euo pipefail
PYTHON="${PYTHON:-python}"
recipe="${1:?usage: recipes/cpu/recipe_on_cpu.sh RECIPE [Hydra overrides...]}"
shift
export VERL_PLATFORM=cpu
export VERL_USE_EXTERNAL_MODULES="azr_verl.cpu.registration${VERL_USE_EXTERNAL_MODULES:+,$VERL_USE_EXTERNAL_MODULES}"
export MODEL_PATH="${MODEL_PATH:-$("$PYTHON" -m azr_verl.models tiny)}"
export PYTHON SAMPLES_PER_SLOT=2 TOTAL_STEPS=1 SAVE_FREQ=1 GPUS_PER_NODE=1 NNODES=1
export RUN_DIR="${RUN_DIR:-runs/recipe_on_cpu}" AZR_RAY_JOB_ADDRESS=""
mapfile -t CPU_OVERRIDES < <("$PYTHON" -m azr_verl.cpu.overrides)
exec bash "$recipe" "${CPU_OVERRIDES[@]}" \
    data.max_prompt_length=1536 \
    data.max_response_length=64 \
    azr.num_solver_attempts=2 \
    azr.num_references=2 \
    actor_rollout_ref.model.use_remove_padding=false \
    actor_rollout_ref.actor.ulysses_sequence_parallel_size=1 \
    actor_rollout_ref.model.lora.merge=true \
    "$@"
