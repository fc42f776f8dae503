"""Registry of training methods: a method is available everywhere once it is registered here."""

from __future__ import annotations

import dataclasses
from typing import Any

from causalpref.errors import ConfigError
from causalpref.registry import Registry

METHODS: Registry[type] = Registry("method")


def register_method(cls: type) -> type:
    """Class decorator: register `cls` under its `name` attribute (must be unique)."""
    METHODS.register(cls.name, cls)
    return cls


def available_methods() -> list[str]:
    """Registered method names, sorted."""
    return sorted(METHODS.names())


def get_method(name: str) -> type:
    """The class registered as `name`; a clear error listing the options otherwise."""
    return METHODS.get(name)


def make_method(name: str, **settings: Any):
    """Construct the method `name` with keyword settings; an unknown setting is a ConfigError."""
    cls = get_method(name)
    known = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(settings) - set(known))
    if unknown:
        raise ConfigError(f"method '{name}' has no setting(s) {unknown}; valid settings: {known}")
    return cls(**settings)
