"""Parameter checks: one declarative style for estimators and public functions.

scikit-learn's ``_param_validation`` is private, so we keep a small table of our own,
``name -> constraint``, checked by :func:`check_params` at the start of ``fit`` (an
estimator's ``_constraints``) or of a public function. A constraint is an
:class:`Interval`, a :class:`OneOf`, or a :class:`Rule` (any predicate with its wording;
a plain ``(predicate, wording)`` pair is read as one). Every failure is one
:class:`~shopperlens.errors.ConfigError` in one wording::

    <Owner> got <name>=<value>; expected <what is allowed>.

>>> check_params("apply_retention", {"days": Interval(int, 0)}, {"days": -1})
Traceback (most recent call last):
...
shopperlens.errors.ConfigError: apply_retention got days=-1; expected an int in [0, inf].
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from shopperlens.errors import ConfigError

__all__ = ["Constraint", "Interval", "OneOf", "Rule", "check_params"]


class Constraint(Protocol):
    """What :func:`check_params` asks of a constraint."""

    def accepts(self, value: Any) -> bool: ...

    def describe(self) -> str: ...


def _is_number(value: Any, kind: type) -> bool:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    if kind is int:
        return isinstance(value, numbers.Integral) or float(value).is_integer()
    return True


@dataclass(frozen=True)
class Interval:
    """A number of ``kind`` (``int`` or ``float``; never a bool) in ``[low, high]``.

    >>> Interval(float, 0.0, low_open=True).describe(), Interval(int, 1).accepts(2.0)
    ('a float in (0.0, inf]', True)
    """

    kind: type
    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False
    allow_none: bool = False

    def accepts(self, value: Any) -> bool:
        if value is None:
            return self.allow_none
        if not _is_number(value, self.kind) or math.isnan(float(value)):
            return False
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return bool(above and below)

    def describe(self) -> str:
        left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
        text = f"a{'n' if self.kind is int else ''} {self.kind.__name__} in {left}{self.low}, "
        text += f"{self.high}{right}"
        return f"{text} or None" if self.allow_none else text


@dataclass(frozen=True, init=False)
class OneOf:
    """One of a few given values.

    >>> OneOf("month", "week").describe()
    "one of 'month', 'week'"
    """

    values: tuple[Any, ...]

    def __init__(self, *values: Any) -> None:
        object.__setattr__(self, "values", tuple(values))

    def accepts(self, value: Any) -> bool:
        return any(value is v or (type(value) is type(v) and value == v) for v in self.values)

    def describe(self) -> str:
        return "one of " + ", ".join(map(repr, self.values))


@dataclass(frozen=True)
class Rule:
    """Any predicate, with the words that say what it allows."""

    predicate: Callable[[Any], bool]
    wording: str

    def accepts(self, value: Any) -> bool:
        return bool(self.predicate(value))

    def describe(self) -> str:
        return self.wording


def _as_constraint(rule: Constraint | tuple[Callable[[Any], bool], str]) -> Constraint:
    return Rule(*rule) if isinstance(rule, tuple) else rule


def check_params(
    owner: Any,
    constraints: Mapping[str, Constraint | tuple[Callable[[Any], bool], str]],
    values: Mapping[str, Any] | None = None,
) -> None:
    """Raise :class:`ConfigError` naming the first parameter that breaks its constraint.

    ``owner`` is an estimator (its ``get_params(deep=False)`` are checked unless
    ``values`` is given) or the name of the function whose arguments ``values`` are.
    """
    if values is None:
        values = owner.get_params(deep=False)
    name_of = owner if isinstance(owner, str) else type(owner).__name__
    for name, rule in constraints.items():
        constraint = _as_constraint(rule)
        value = values[name]
        try:
            valid = constraint.accepts(value)
        except (TypeError, ValueError):
            valid = False
        if not valid:
            raise ConfigError(f"{name_of} got {name}={value!r}; expected {constraint.describe()}.")
