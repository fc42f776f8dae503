"""Simulated scenarios with known ground truth: `make(name, seed=..., **knobs)`."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any

from causalpref.errors import ConfigError, UnknownNameError
from causalpref.simulate import (
    latent_overlap,
    spurious_attribute,
    spurious_text,
    user_confounding,
)
from causalpref.simulate.base import ScenarioData, oracle_accuracy

SCENARIOS: dict[str, Callable[..., ScenarioData]] = {
    "latent_overlap": latent_overlap.simulate,
    "user_confounding": user_confounding.simulate,
    "spurious_attribute": spurious_attribute.simulate,
    "spurious_text": spurious_text.simulate,
}


def available_scenarios() -> list[str]:
    """Registered scenario names, sorted."""
    return sorted(SCENARIOS)


def scenario_knobs(name: str) -> dict[str, Any]:
    """The knobs of scenario `name` with their defaults."""
    params = inspect.signature(_get(name)).parameters
    return {k: p.default for k, p in params.items() if k != "seed"}


def make(name: str, *, seed: int = 0, **knobs: Any) -> ScenarioData:
    """Simulate scenario `name` with `seed`; an unknown knob is an error listing the valid ones."""
    fn = _get(name)
    valid = scenario_knobs(name)
    unknown = sorted(set(knobs) - set(valid))
    if unknown:
        raise ConfigError(
            f"scenario '{name}' has no knob(s) {unknown}; valid knobs: "
            + ", ".join(f"{k} (default {v!r})" for k, v in valid.items())
        )
    return dataclasses.replace(fn(seed=seed, **knobs), knobs={**valid, **knobs})


def _get(name: str) -> Callable[..., ScenarioData]:
    try:
        return SCENARIOS[name]
    except KeyError:
        raise UnknownNameError(
            f"unknown scenario '{name}'; available: {', '.join(available_scenarios())}"
        ) from None


__all__ = ["ScenarioData", "available_scenarios", "make", "oracle_accuracy", "scenario_knobs"]
