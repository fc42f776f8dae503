"""Declared settings of an estimator, checked in one place (scikit-learn `_param_validation` style).

A method declares each setting once, as a dataclass field made by `setting(default, *constraints)`;
the field is the constructor's keyword-only argument and its constraints are the only rules
`setting_problems` checks. Messages follow one form, e.g. "The 'epochs' parameter of BradleyTerry
must be an int in the range [1, inf). Got 0 instead.", and every problem is reported at once.
"""

from __future__ import annotations

import abc
import dataclasses
import math
from collections.abc import Callable, Iterable
from numbers import Integral, Real
from typing import Any

import numpy as np

from causalpref._interval import CLOSED, within

CONSTRAINTS = "constraints"
HINT = "hint"


class Constraint(abc.ABC):
    """One rule a setting's value may satisfy; a setting is valid when any of its rules holds."""

    @abc.abstractmethod
    def is_satisfied_by(self, value: Any) -> bool:
        """Whether `value` obeys the rule."""

    @abc.abstractmethod
    def __str__(self) -> str:
        """The rule as a phrase: 'an int in the range [1, inf)'."""


class Interval(Constraint):
    """A number of kind `kind` (Integral or Real) between `left` and `right` (None: unbounded)."""

    def __init__(
        self, kind: type, left: float | None, right: float | None, *, closed: str = "left"
    ):
        if kind not in (Integral, Real) or closed not in CLOSED:
            raise ValueError(f"Interval({kind}, closed={closed!r}): unsupported")
        self.kind, self.left, self.right, self.closed = kind, left, right, closed

    def is_satisfied_by(self, value: Any) -> bool:
        if isinstance(value, bool | np.bool_) or not isinstance(value, self.kind):
            return False
        if isinstance(value, Real) and not math.isfinite(float(value)):
            return False  # NaN, and infinity, which every printed range leaves open
        return within(value, self.left, self.right, self.closed)

    def __str__(self) -> str:
        kind = "an int" if self.kind is Integral else "a float"
        left = "-inf" if self.left is None else _number(self.left)
        right = "inf" if self.right is None else _number(self.right)
        open_left = "[" if self.closed in ("left", "both") and self.left is not None else "("
        close = "]" if self.closed in ("right", "both") and self.right is not None else ")"
        return f"{kind} in the range {open_left}{left}, {right}{close}"


class Options(Constraint):
    """One of a fixed set of values (strings, usually)."""

    def __init__(self, values: Iterable[Any]):
        self.values = tuple(values)

    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, str | int | float | bool | None) and value in self.values

    def __str__(self) -> str:
        return "a str among {" + ", ".join(repr(v) for v in self.values) + "}"


class InstanceOf(Constraint):
    """An instance of `kind` (bool is never accepted where an int or float is meant)."""

    def __init__(self, kind: type | tuple[type, ...], description: str):
        self.kind, self.description = kind, description

    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, self.kind)

    def __str__(self) -> str:
        return self.description


class NonEmptyString(Constraint):
    """A str with at least one character."""

    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, str) and bool(value)

    def __str__(self) -> str:
        return "a non-empty str"


class NoneValue(Constraint):
    """None (for settings where None means 'the default behaviour')."""

    def is_satisfied_by(self, value: Any) -> bool:
        return value is None

    def __str__(self) -> str:
        return "None"


class Satisfies(Constraint):
    """Anything `check` accepts; `description` says what that is."""

    def __init__(self, check: Callable[[Any], bool], description: str):
        self.check, self.description = check, description

    def is_satisfied_by(self, value: Any) -> bool:
        try:
            return bool(self.check(value))
        except Exception:  # noqa: BLE001 - a check that cannot run on a value rejects it
            return False

    def __str__(self) -> str:
        return self.description

    def explain(self, value: Any) -> str:
        """Why `check` rejected `value`, when it said so by raising (e.g. an unknown name)."""
        try:
            self.check(value)
        except Exception as err:  # noqa: BLE001 - the message is all we want
            return str(err.args[0]) if err.args else type(err).__name__
        return ""


BOOL = InstanceOf((bool, np.bool_), "a bool")
SEED = Interval(Integral, None, None, closed="neither")
MAX_WIDTH = 2**16  # a layer wider than this does not fit in memory beside realistic inputs
WIDTH = Interval(Integral, 1, MAX_WIDTH, closed="both")


def setting(default: Any, *constraints: Constraint, hint: str = "") -> Any:
    """A dataclass field for one setting: its default, the constraints it must meet (any one),
    and an optional hint appended to the message when it does not."""
    return dataclasses.field(default=default, metadata={CONSTRAINTS: constraints, HINT: hint})


def declared_constraints(cls: type) -> dict[str, tuple[tuple[Constraint, ...], str]]:
    """Setting name -> (constraints, hint) for every field of `cls`; a subclass that only
    changes a default (`batch_size: int = 512`) keeps its parent's constraints."""
    out = {}
    for field in dataclasses.fields(cls):
        for klass in cls.__mro__:
            declared = klass.__dict__.get("__dataclass_fields__", {}).get(field.name)
            if declared is not None and CONSTRAINTS in declared.metadata:
                out[field.name] = (declared.metadata[CONSTRAINTS], declared.metadata[HINT])
                break
    return out


def setting_problems(estimator: Any) -> list[str]:
    """One message per setting of `estimator` that meets none of its declared constraints."""
    cls = type(estimator)
    problems = []
    for name, (constraints, hint) in declared_constraints(cls).items():
        value = getattr(estimator, name)
        if not constraints or any(c.is_satisfied_by(value) for c in constraints):
            continue
        wanted = _either([str(c) for c in constraints])
        message = (
            f"The '{name}' parameter of {cls.__name__} must be {wanted}. Got {value!r} instead."
        )
        reasons = [r for c in constraints if isinstance(c, Satisfies) if (r := c.explain(value))]
        details = [*reasons, hint] if hint else reasons
        problems.append(f"{message} ({'; '.join(details)})" if details else message)
    return problems


def _either(phrases: list[str]) -> str:
    return phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " or " + phrases[-1]


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)
