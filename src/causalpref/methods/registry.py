"""Registry of training methods: a method is available everywhere once it is registered here."""

from __future__ import annotations

from typing import Any

from causalpref.errors import UnknownNameError

_METHODS: dict[str, type] = {}


def register_method(cls: type) -> type:
    """Class decorator: register `cls` under its `name` attribute (must be unique)."""
    name = cls.name
    if name in _METHODS and _METHODS[name] is not cls:
        raise ValueError(f"method name '{name}' is already registered by {_METHODS[name]!r}")
    _METHODS[name] = cls
    return cls


def available_methods() -> list[str]:
    """Registered method names, sorted."""
    return sorted(_METHODS)


def get_method(name: str) -> type:
    """The class registered as `name`; a clear error listing the options otherwise."""
    try:
        return _METHODS[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown method '{name}'; available methods: {', '.join(available_methods())}"
        ) from None


def make_method(name: str, **settings: Any):
    """Construct the method `name` with keyword settings."""
    return get_method(name)(**settings)
