"""AZR task types: the task record, prompts, response parsing, validation, checking and rewards.

Importing this package registers the built-in task types (code_o, code_i, code_f, code_e).
"""

from azr_verl.tasks.abduction import AbductionTaskType
from azr_verl.tasks.base import (
    AnswerCheck,
    Plan,
    Proposal,
    ProposalContext,
    ScoredAnswer,
    TaskType,
    arun_plan,
    run_plan,
)

# Built-in task types register themselves on import (after the registry exists).
from azr_verl.tasks.deduction import DeductionTaskType
from azr_verl.tasks.error_prediction import ErrorPredictionTaskType
from azr_verl.tasks.fingerprint import normalized_source, task_fingerprint
from azr_verl.tasks.induction import InductionTaskType, split_pairs
from azr_verl.tasks.limits import ENTRY_FUNCTION, INPUT_CALLABLES, NO_ERROR, TaskLimits
from azr_verl.tasks.parsing import FormatError
from azr_verl.tasks.prompts import BASE_CHAT_TEMPLATE, Prompt, PromptStyle
from azr_verl.tasks.registry import (
    default_task_type_names,
    get_task_type,
    get_task_type_cls,
    register_task_type,
    task_type_names,
)
from azr_verl.tasks.rewards import RewardConfig, Verdict, proposer_reward, solver_reward
from azr_verl.tasks.task import Role, Source, Task, TaskKind, group_label
from azr_verl.tasks.validation import Rejection, RejectionRule

__all__ = [
    "BASE_CHAT_TEMPLATE",
    "ENTRY_FUNCTION",
    "INPUT_CALLABLES",
    "NO_ERROR",
    "AbductionTaskType",
    "AnswerCheck",
    "DeductionTaskType",
    "ErrorPredictionTaskType",
    "FormatError",
    "InductionTaskType",
    "Plan",
    "Prompt",
    "PromptStyle",
    "Proposal",
    "ProposalContext",
    "Rejection",
    "RejectionRule",
    "RewardConfig",
    "Role",
    "ScoredAnswer",
    "Source",
    "Task",
    "TaskKind",
    "TaskLimits",
    "TaskType",
    "Verdict",
    "arun_plan",
    "default_task_type_names",
    "get_task_type",
    "get_task_type_cls",
    "group_label",
    "normalized_source",
    "proposer_reward",
    "register_task_type",
    "run_plan",
    "solver_reward",
    "split_pairs",
    "task_fingerprint",
    "task_type_names",
]
