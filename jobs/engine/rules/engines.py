"""Which engines a rule serves: each rule module declares it with :func:`serves`, and
:func:`jobs.engine.optimize` runs only the rules that serve the workload's dialect."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

F = TypeVar("F", bound=Callable[..., object])

#: Rules that do not say (a test's ad-hoc rule) serve every engine.
ANY_ENGINE = frozenset({"trino", "postgres"})


def serves(*dialects: str) -> Callable[[F], F]:
    """Mark a rule as serving the given sqlglot dialects (``trino``, ``postgres``).

    >>> @serves("postgres")
    ... def rule(model, plan): return plan
    >>> sorted(engines_of(rule))
    ['postgres']
    """

    def mark(rule: F) -> F:
        rule.__dict__["engines"] = frozenset(dialects)
        return rule

    return mark


def engines_of(rule: object) -> frozenset[str]:
    found = getattr(rule, "engines", None)
    return found if isinstance(found, frozenset) else ANY_ENGINE


def rules_for(rules: Iterable[F], dialect: str) -> list[F]:
    """The rules, in order, that serve ``dialect``."""
    return [rule for rule in rules if dialect in engines_of(rule)]
