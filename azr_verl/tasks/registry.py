"""The task-type registry, in the shape of veRL's `register_trainer`.

`@register_task_type("name")` binds a `TaskType` subclass to a name and refuses to rebind a taken
name to another class; `get_task_type("name")` builds an instance and lists the registered names
on a miss. Code outside this registry dispatches through it and never compares task-type strings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from azr_verl.tasks.base import TaskType
from azr_verl.tasks.limits import TaskLimits
from azr_verl.tasks.task import TaskKind

__all__ = [
    "default_task_type_names",
    "get_task_type",
    "get_task_type_cls",
    "register_task_type",
    "task_type_names",
]

_REGISTRY: dict[str, type[TaskType]] = {}

TaskTypeT = TypeVar("TaskTypeT", bound=type[TaskType])


def _qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def register_task_type(name: str) -> Callable[[TaskTypeT], TaskTypeT]:
    """Class decorator: register a `TaskType` subclass under `name`.

    Raises:
        TypeError: The decorated object is not a `TaskType` subclass, or `name` is not a string.
        ValueError: `name` is taken by another class, or the class is registered under another name.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"a task type name must be a non-empty string, got {name!r}")

    def decorator(cls: TaskTypeT) -> TaskTypeT:
        if not (isinstance(cls, type) and issubclass(cls, TaskType)):
            raise TypeError(f"@register_task_type({name!r}) needs a TaskType subclass, got {cls!r}")
        if not isinstance(getattr(cls, "kind", None), TaskKind):
            raise TypeError(f"{_qualname(cls)}.kind must be a TaskKind, got {getattr(cls, 'kind', None)!r}")
        taken = _REGISTRY.get(name)
        if taken is not None and taken is not cls:
            raise ValueError(
                f"task type {name!r} is already registered to {_qualname(taken)}; cannot bind it to "
                f"{_qualname(cls)}. Pick another name (refer to plugin code as pkg://, never by file path)."
            )
        owned = cls.__dict__.get("name")
        if owned and owned != name and _REGISTRY.get(owned) is cls:
            raise ValueError(f"{_qualname(cls)} is already registered as {owned!r}; cannot also be {name!r}")
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return decorator


def task_type_names() -> list[str]:
    """Every registered task-type name, sorted."""
    return sorted(_REGISTRY)


def default_task_type_names() -> list[str]:
    """Names of the registered types a default run trains on (error prediction is off by default)."""
    return [name for name in task_type_names() if _REGISTRY[name].enabled_by_default]


def get_task_type_cls(name: str | TaskKind) -> type[TaskType]:
    """The class registered under `name` (a `TaskKind` means its value, e.g. "code_o").

    Raises:
        ValueError: Nothing is registered under `name`; the message lists what is.
    """
    key = name.value if isinstance(name, TaskKind) else name
    try:
        return _REGISTRY[key]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown task type {name!r}; registered task types: {', '.join(task_type_names()) or '(none)'}"
        ) from None


def get_task_type(name: str | TaskKind, limits: TaskLimits | None = None) -> TaskType:
    """An instance of the task type registered under `name`, configured with `limits`."""
    return get_task_type_cls(name)(limits)
