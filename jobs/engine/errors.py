"""The one error the engine raises: input it cannot plan at all."""

from __future__ import annotations


class PlanningError(ValueError):
    """A DDL statement the engine cannot plan from; the message names the statement (``ddl[3]``)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.reason = message
        super().__init__(f"{field}: {message}")

    def __reduce__(self) -> tuple[type[PlanningError], tuple[str, str]]:
        # Raised in a pool process, it crosses back by pickle.
        return type(self), (self.field, self.reason)
