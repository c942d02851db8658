#!/usr/bin/env bash
# Starts one node of a Ray cluster for the multi-node recipes (veRL's manual multi-node setup).
#
#   recipes/azr/ray_cluster.sh head                # head node: GCS on RAY_PORT, dashboard on 8265
#   recipes/azr/ray_cluster.sh worker HEAD_IP      # every other node joins the head
#   recipes/azr/ray_cluster.sh status              # nodes and GPUs the cluster sees
#   recipes/azr/ray_cluster.sh stop                # stops Ray on this node
#
# Environment: RAY_PORT [6379], DASHBOARD_PORT [8265], RAY_START_ARGS (extra `ray start` arguments,
# e.g. --num-gpus=8), AZR_DRY_RUN=1 prints the command instead of running it.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
    echo "usage: ${BASH_SOURCE[0]} head | worker HEAD_IP | status | stop" >&2
    exit 2
}

read -r -a extra <<<"${RAY_START_ARGS:-}"
port="${RAY_PORT:-6379}"
export AZR_RAY_JOB_ADDRESS=""  # cluster management is never a Ray job
case "${1:-}" in
    head)
        azr_exec ray start --head --port="${port}" --dashboard-host=0.0.0.0 \
            --dashboard-port="${DASHBOARD_PORT:-8265}" "${extra[@]}"
        ;;
    worker)
        [[ -n "${2:-}" ]] || usage
        azr_exec ray start --address="${2}:${port}" "${extra[@]}"
        ;;
    status) azr_exec ray status ;;
    stop) azr_exec ray stop ;;
    *) usage ;;
esac
