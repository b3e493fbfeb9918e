"""The stages a task goes through: one :class:`Stage` shared by the pipeline, the store, the
progress events and the GraphQL ``stage`` field."""

from __future__ import annotations

import enum
from collections.abc import Callable, Coroutine
from typing import Any


class Stage(enum.StrEnum):
    """In order; ``profile``, ``apply``, ``llm`` and ``verify`` run only when the task needs them."""

    QUEUED = "queued"
    STARTING = "starting"
    PARSE = "parse"
    PROFILE = "profile"
    OPTIMIZE = "optimize"
    APPLY = "apply"
    LLM = "llm"
    VERIFY = "verify"
    VALIDATE = "validate"
    DONE = "done"
    FAILED = "failed"


#: What the pipeline reports to: the stage, the task's progress 0..1, a line for a person.
StageProgress = Callable[[Stage, float, str], Coroutine[Any, Any, None]]


def describe_stages() -> str:
    """The GraphQL description of ``stage``, from the enum so the two cannot disagree.

    >>> describe_stages().split(" (")[0]
    'queued, starting, parse, profile, optimize, apply, llm, verify, validate, done, failed'
    """
    optional = "profile, apply, llm and verify only when the task needs them"
    return ", ".join(s.value for s in Stage) + f" (in order; {optional})."
