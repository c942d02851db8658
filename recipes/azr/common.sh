# shellcheck shell=bash
# The shared part of the AZR recipes: sourced by recipes/azr/<model>.sh, never run on its own.
#
# The paper's hyperparameters (arXiv 2505.03335, reference branch) mapped to veRL 0.9.1 keys, written
# once. A model recipe sets MODEL_PATH and GPUS_PER_NODE defaults, adds its parallel sizes as Hydra
# overrides and calls `azr_launch NAME OVERRIDES... "$@"`: the recipe's arguments come last and win.
# The values that azr_verl/config/azr_trainer.yaml already holds are set again here on purpose: a
# recipe states the run it reproduces, whatever the plugin's defaults become.
#
# Environment (default in brackets):
#   MODEL_PATH        model: a hub id or a local directory [the recipe's model]
#   RUN_DIR           checkpoints, self-play buffer and metrics.jsonl [./runs/<experiment>]
#   SEED_FILES        comma-separated seed task files for a new buffer (reference jsonl) [none]
#   VAL_FILES         comma-separated validation parquet files (CRUXEval converted by
#                     reward_fns.cruxeval_to_parquet), scored every TEST_FREQ [10] steps [none]
#   NNODES            nodes [1]; GPUS_PER_NODE: GPUs per node [the recipe's]
#   SAMPLES_PER_SLOT  samples per (task type, role) slot: the batch is 6 times this [64]
#   TOTAL_STEPS [500]  SAVE_FREQ [50]  PROJECT [azr]  EXPERIMENT [the recipe's name]
#   PROMPT_STYLE      base (R1 text template) or chat (the tokenizer's template) [base]
#   MAX_TOKENS_PER_GPU  token budget of one micro-batch per GPU (dynamic batch size) [16384]
#   LOGGER            veRL loggers [[console,file]]; file logs to RUN_DIR/metrics.jsonl
#   AZR_RAY_JOB_ADDRESS  Ray dashboard address: submit with `ray job submit` (multi-node) [run here]
#   RAY_JOB_ARGS      extra arguments for `ray job submit`, e.g. --no-wait [none]
#   AZR_DRY_RUN=1     print the command, one argument per line, and exit without running it
#   PYTHON            interpreter [python3]

# The paper: 64 samples per (task type, role) slot, 3 task types x 2 roles.
AZR_SLOTS=6

# Prints the absolute form of a path without requiring it to exist (Ray workers do not share the
# launching shell's working directory).
azr_abspath() {
    case "$1" in
        /*) printf '%s\n' "$1" ;;
        "~"*) printf '%s\n' "${HOME}${1#\~}" ;;
        *) printf '%s\n' "${PWD}/${1#./}" ;;
    esac
}

# Prints a comma-separated list of paths with every path made absolute.
azr_abspaths() {
    local -a paths
    local path joined=""
    IFS=, read -r -a paths <<<"$1"
    for path in "${paths[@]}"; do
        joined+="${joined:+,}$(azr_abspath "${path}")"
    done
    printf '%s\n' "${joined}"
}

# The paper's hyperparameters and the plugin's components, as Hydra overrides (into AZR_OVERRIDES).
azr_reference_overrides() {
    local batch=$((AZR_SLOTS * ${SAMPLES_PER_SLOT:-64}))
    AZR_OVERRIDES=(
        # Self-play: N=8 solver attempts per valid proposal, K=6 references, 10 s executor limit.
        "azr.task_types=[code_o,code_i,code_f]"
        azr.num_solver_attempts=8
        azr.num_references=6
        azr.executor.limits.timeout_s=10
        azr.executor.limits.cpu_time_s=10
        azr.prompt_style="${PROMPT_STYLE:-base}"
        # TRR++ advantages, no critic, no KL.
        algorithm.adv_estimator=trr_pp
        algorithm.use_kl_in_reward=false
        critic.enable=false
        actor_rollout_ref.actor.use_kl_loss=false
        # One batch = every slot's samples; one PPO epoch over it as a single mini-batch (on-policy).
        data.train_batch_size="${batch}"
        actor_rollout_ref.actor.ppo_mini_batch_size="${batch}"
        actor_rollout_ref.actor.ppo_epochs=1
        data.max_prompt_length=6144
        data.max_response_length=8096
        # AdamW at a constant 1e-6, gradient norm clipped at 1.0; PPO clip 0.2, entropy bonus 0.001.
        actor_rollout_ref.actor.optim.lr=1e-6
        actor_rollout_ref.actor.optim.lr_scheduler_type=constant
        actor_rollout_ref.actor.optim.lr_warmup_steps=0
        actor_rollout_ref.actor.optim.lr_warmup_steps_ratio=0.0
        actor_rollout_ref.actor.optim.clip_grad=1.0
        actor_rollout_ref.actor.clip_ratio=0.2
        actor_rollout_ref.actor.clip_ratio_low=0.2
        actor_rollout_ref.actor.clip_ratio_high=0.2
        actor_rollout_ref.actor.entropy_coeff=0.001
        # Sampling: one response per prompt at temperature 1, no nucleus cut.
        actor_rollout_ref.rollout.n=1
        actor_rollout_ref.rollout.temperature=1.0
        actor_rollout_ref.rollout.top_p=1.0
    )
}

# Engine settings shared by the GPU recipes (into AZR_OVERRIDES, after the reference values).
azr_engine_overrides() {
    AZR_OVERRIDES+=(
        # FSDP2 actor; micro-batches packed by token count (a response can be 8096 tokens long).
        actor_rollout_ref.actor.strategy=fsdp2
        actor_rollout_ref.actor.fsdp_config.strategy=fsdp2
        actor_rollout_ref.model.use_remove_padding=true
        actor_rollout_ref.model.enable_gradient_checkpointing=true
        actor_rollout_ref.actor.use_dynamic_bsz=true
        actor_rollout_ref.actor.ppo_max_token_len_per_gpu="${MAX_TOKENS_PER_GPU:-16384}"
        # vLLM rollout colocated with the actor (veRL's hybrid engine).
        actor_rollout_ref.rollout.name=vllm
        actor_rollout_ref.rollout.mode=async
        actor_rollout_ref.rollout.gpu_memory_utilization=0.5
    )
}

# The run: model, cluster shape, length, checkpoints, logging (into AZR_OVERRIDES).
azr_run_overrides() {
    local name="${EXPERIMENT:-$1}" run_dir
    run_dir="$(azr_abspath "${RUN_DIR:-runs/${name}}")"
    local model="${MODEL_PATH:?the recipe sets MODEL_PATH}"
    # A local model directory must be absolute for the Ray workers; a hub id stays as it is.
    if [[ -d "${model}" ]]; then model="$(azr_abspath "${model}")"; fi
    AZR_OVERRIDES+=(
        actor_rollout_ref.model.path="${model}"
        trainer.nnodes="${NNODES:-1}"
        trainer.n_gpus_per_node="${GPUS_PER_NODE:?the recipe sets GPUS_PER_NODE}"
        trainer.total_training_steps="${TOTAL_STEPS:-500}"
        trainer.save_freq="${SAVE_FREQ:-50}"
        trainer.project_name="${PROJECT:-azr}"
        trainer.experiment_name="${name}"
        trainer.default_local_dir="${run_dir}"
        # `file`: azr_verl.main points veRL's file logger at RUN_DIR/metrics.jsonl (metrics.N.jsonl
        # after a restart), the files `azr-verl report RUN_DIR` reads.
        trainer.logger="${LOGGER:-[console,file]}"
    )
    if [[ -n "${SEED_FILES:-}" ]]; then
        AZR_OVERRIDES+=("azr.seed_files=[$(azr_abspaths "${SEED_FILES}")]")
    fi
    if [[ -n "${VAL_FILES:-}" ]]; then
        # In-distribution checks during training, as the paper tracks CRUXEval-I/O.
        AZR_OVERRIDES+=("data.val_files=[$(azr_abspaths "${VAL_FILES}")]" trainer.test_freq="${TEST_FREQ:-10}")
    fi
}

# Runs (or with AZR_DRY_RUN=1 prints) a command; through `ray job submit` when AZR_RAY_JOB_ADDRESS is set.
azr_exec() {
    local -a cmd=("$@")
    if [[ -n "${AZR_RAY_JOB_ADDRESS:-}" ]]; then
        local -a job_args
        read -r -a job_args <<<"${RAY_JOB_ARGS:-}"
        cmd=(ray job submit --address "${AZR_RAY_JOB_ADDRESS}" "${job_args[@]}" -- "${cmd[@]}")
    fi
    if [[ "${AZR_DRY_RUN:-0}" == "1" ]]; then
        printf '%s\n' "${cmd[@]}"
        return 0
    fi
    exec "${cmd[@]}"
}

# azr_launch NAME [HYDRA_OVERRIDES...]: AZR self-play with the paper's settings plus the overrides.
azr_launch() {
    local name="$1"
    shift
    azr_reference_overrides
    azr_engine_overrides
    azr_run_overrides "${name}"
    azr_exec "${PYTHON:-python3}" -m azr_verl.main "${AZR_OVERRIDES[@]}" "$@"
}
