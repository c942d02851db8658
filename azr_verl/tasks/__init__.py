"""AZR task types: the task record, prompts, response parsing, validation, checking and rewards."""

from azr_verl.tasks.fingerprint import normalized_source, task_fingerprint
from azr_verl.tasks.task import Role, Source, Task, TaskKind, group_label

__all__ = ["Role", "Source", "Task", "TaskKind", "group_label", "normalized_source", "task_fingerprint"]
