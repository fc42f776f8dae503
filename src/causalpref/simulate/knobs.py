"""Declared types and ranges of scenario knobs, checked before a scenario runs.

A knob of the wrong type (`--set rho=abc`) or outside its range (`--set rho=2`) is one line of a
ConfigError naming the knob, the value and what the knob accepts, instead of a traceback (or
silent nonsense) from deep inside a simulator.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

from causalpref._interval import CLOSED, within


@dataclass(frozen=True)
class Knob:
    """What one knob accepts: a number of `kind` ("float" or "int") between `low` and `high`
    (None: unbounded; `closed` says which ends are allowed), a `floats` tuple of `length`
    numbers, a "str" among `options` (any non-empty text when there are none), and None when
    `allow_none`."""

    kind: str
    low: float | None = None
    high: float | None = None
    closed: str = "both"
    options: tuple[str, ...] = ()
    length: int | None = None
    allow_none: bool = False

    def __post_init__(self) -> None:
        if self.kind not in ("float", "int", "str", "floats") or self.closed not in CLOSED:
            raise ValueError(f"Knob(kind={self.kind!r}, closed={self.closed!r}): unsupported")

    def accepts(self, value: Any) -> bool:
        """Whether `value` is of the knob's type and inside its range."""
        if value is None:
            return self.allow_none
        if self.kind == "str":
            ok = isinstance(value, str) and bool(value.strip())
            return ok and (not self.options or value in self.options)
        if self.kind == "floats":
            items = value if isinstance(value, list | tuple) else None
            return items is not None and len(items) == self.length and all(map(_finite, items))
        if self.kind == "int" and not (isinstance(value, Integral) and not isinstance(value, bool)):
            return False
        return _finite(value) and within(float(value), self.low, self.high, self.closed)

    def describe(self) -> str:
        """The rule as a phrase: 'a float in (-1, 1)', 'one of 'shared', 'type_specific''."""
        if self.kind == "str":
            text = (
                "one of " + ", ".join(repr(o) for o in self.options)
                if self.options
                else "a non-empty string"
            )
        elif self.kind == "floats":
            text = f"a list of {self.length} finite numbers, e.g. [0.25, 0.75]"
        else:
            text = f"{'an int' if self.kind == 'int' else 'a float'} in {self._range()}"
        return text + (" or null (None)" if self.allow_none else "")

    def _range(self) -> str:
        left = "[" if self.closed in ("both", "left") and self.low is not None else "("
        right = "]" if self.closed in ("both", "right") and self.high is not None else ")"
        low = "-inf" if self.low is None else f"{self.low:g}"
        high = "inf" if self.high is None else f"{self.high:g}"
        return f"{left}{low}, {high}{right}"


def _finite(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)


# Shared declarations (sizes and noise levels mean the same in every scenario).
SIZE = Knob("int", 1, None)
DIM = Knob("int", 1, None)
NOISE = Knob("float", 0, None)
BETA = Knob("float", 0, None, closed="neither", allow_none=True)
ANY_FLOAT = Knob("float")
CORRELATION = Knob("float", -1, 1, closed="neither")  # a correlation of +-1 is singular


def value_problems(scenario: str, declared: dict[str, Knob], knobs: dict[str, Any]) -> list[str]:
    """One line per knob in `knobs` whose value its declaration does not accept."""
    return [
        f"scenario '{scenario}': knob {name}={value!r} is invalid; expected "
        f"{declared[name].describe()}"
        for name, value in knobs.items()
        if name in declared and not declared[name].accepts(value)
    ]
