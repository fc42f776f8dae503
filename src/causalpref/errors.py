"""Exception hierarchy: one base class, one subclass per kind of user mistake."""

from __future__ import annotations

from dataclasses import dataclass


class CausalPrefError(Exception):
    """Base class of every error causalpref raises on purpose."""


class ConfigError(CausalPrefError, ValueError):
    """A setting, knob or command-line option has a value that cannot work."""


class NotFittedError(CausalPrefError, RuntimeError):
    """A model was used before `fit` was called."""


class UnknownNameError(CausalPrefError, KeyError):
    """A registry lookup (method, scenario, format) named something that does not exist."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class PersistenceError(CausalPrefError, OSError):
    """A saved model or file is missing, incomplete or from an incompatible version."""


class RewardServerError(CausalPrefError, ConnectionError):
    """A reward server could not be reached, or answered with an error or a malformed body."""


@dataclass(frozen=True)
class Problem:
    """One validation finding: where it is, what was observed, and what was expected."""

    column: str | None
    message: str
    rows: tuple[int, ...] = ()

    def describe(self, max_rows: int = 10) -> str:
        where = f"column '{self.column}'" if self.column else "data"
        text = f"{where}: {self.message}"
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows[:max_rows])
            more = f" and {len(self.rows) - max_rows} more" if len(self.rows) > max_rows else ""
            text += f" (rows {shown}{more})"
        return text


class DataValidationError(CausalPrefError, ValueError):
    """Input data has one or more problems; all of them are listed at once."""

    def __init__(
        self,
        problems: list[Problem],
        source: str | None = None,
        outcome: str = "nothing was loaded",
    ):
        self.problems = list(problems)
        self.source = source
        head = f"{len(self.problems)} problem(s) in {source or 'the data'}; {outcome}:"
        body = "\n".join(f"  - {p.describe()}" for p in self.problems)
        super().__init__(f"{head}\n{body}")
