"""The one registry shape every extension point uses: methods, encoders, attributes, rewriters,
scenarios, audit checks and input layouts.

A `Registry` maps names to entries (a class, a factory or a function) in registration order.
Lookups of unknown names raise `UnknownNameError` listing what exists and the closest match;
a name may carry an argument after a colon (`hf:<path>`, `regex:<pattern>`) when the registry
says which prefixes take one.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from causalpref.errors import ConfigError, UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """Named entries of one kind (`kind` appears in every message, e.g. "method")."""

    def __init__(self, kind: str, *, argument_hint: str = "<argument>"):
        self.kind = kind
        self.argument_hint = argument_hint
        self._entries: dict[str, T] = {}
        self._takes_argument: set[str] = set()

    def register(
        self, name: str, entry: T | None = None, *, replace: bool = False, argument: bool = False
    ) -> Callable[[T], T] | T:
        """Register `entry` as `name`; without `entry`, return a decorator that does.

        `argument=True` marks a prefix that takes an argument (`name:<...>`, see `split`).
        A second entry under a taken name is an error unless `replace=True`.
        """
        if not isinstance(name, str) or not name or ":" in name:
            raise ConfigError(f"{self.kind} name {name!r}: expected a non-empty string without ':'")

        def add(item: T) -> T:
            if name in self._entries and self._entries[name] is not item and not replace:
                raise ConfigError(
                    f"{self.kind} '{name}' is already registered by {self._entries[name]!r}; "
                    "pass replace=True to swap it"
                )
            self._entries[name] = item
            if argument:
                self._takes_argument.add(name)
            return item

        return add if entry is None else add(entry)

    def unregister(self, name: str) -> None:
        """Remove `name` (for tests and plug-ins that register temporarily)."""
        self._entries.pop(name, None)
        self._takes_argument.discard(name)

    def get(self, name: str) -> T:
        """The entry registered as `name` (for an argument prefix, `name` is just the prefix)."""
        if isinstance(name, str) and name in self._entries:
            return self._entries[name]
        raise UnknownNameError(self._unknown_message(name))

    def split(self, spec: str) -> tuple[str, str | None]:
        """(`name`, argument) of a spec such as `hf:/models/x`; checks the argument rules."""
        if not isinstance(spec, str) or not spec:
            raise ConfigError(f"{self.kind} name must be a non-empty string, got {spec!r}")
        name, sep, argument = spec.partition(":")
        if name not in self._entries:
            raise UnknownNameError(self._unknown_message(spec))
        if name in self._takes_argument and not argument:
            raise ConfigError(
                f"{self.kind} '{spec}' needs an argument: write '{name}:{self.argument_hint}'"
            )
        if name not in self._takes_argument and sep:
            raise ConfigError(f"{self.kind} '{name}' takes no ':<argument>'; got '{spec}'")
        return name, (argument if sep else None)

    def takes_argument(self, name: str) -> bool:
        """Whether `name` is a prefix written as `name:<argument>`."""
        return name in self._takes_argument

    def names(self) -> list[str]:
        """Registered names in registration order."""
        return list(self._entries)

    def listing(self) -> list[str]:
        """Sorted names as a user writes them (argument prefixes shown as `name:<...>`)."""
        return sorted(
            f"{n}:{self.argument_hint}" if n in self._takes_argument else n for n in self._entries
        )

    def items(self) -> list[tuple[str, T]]:
        """(name, entry) pairs in registration order."""
        return list(self._entries.items())

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {self.names()})"

    def _unknown_message(self, name: object) -> str:
        known = self.listing()
        close = difflib.get_close_matches(str(name), self.names(), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return f"unknown {self.kind} {name!r}{hint}; available: {', '.join(known) or 'none'}"
