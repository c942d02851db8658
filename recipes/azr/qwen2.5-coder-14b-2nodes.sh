#!/usr/bin/env bash
# AZR-Coder-14B on 2 nodes x 8 GPUs, submitted as a Ray job to a running Ray cluster (veRL's
# multi-node launch). Twice the paper's GPUs for the same run: the batch, the model settings and every
# hyperparameter are those of qwen2.5-coder-14b.sh; only the data-parallel size doubles.
#
#   recipes/azr/ray_cluster.sh head                 # on the head node
#   recipes/azr/ray_cluster.sh worker HEAD_IP       # on every other node
#   recipes/azr/qwen2.5-coder-14b-2nodes.sh [Hydra overrides...]   # on the head node
#
# Every node needs the same environment (pip install "azr-verl[gpu]"): veRL finds the plugin through
# its entry point in every process. RUN_DIR must be on storage that every node sees under the same
# path: each rank writes its checkpoint shards there. AZR_RAY_JOB_ADDRESS names the cluster's
# dashboard [http://127.0.0.1:8265]; RAY_JOB_ARGS=--no-wait returns at once (then `ray job logs -f ID`).
set -euo pipefail
export NNODES="${NNODES:-2}"
export EXPERIMENT="${EXPERIMENT:-qwen2.5-coder-14b-2nodes}"
export AZR_RAY_JOB_ADDRESS="${AZR_RAY_JOB_ADDRESS-http://127.0.0.1:8265}"  # set but empty: run here
exec "$(dirname "${BASH_SOURCE[0]}")/qwen2.5-coder-14b.sh" "$@"
