"""Simulated scenarios with known ground truth: `make(name, seed=..., **knobs)`.

Every scenario is one entry of the `SCENARIOS` registry (registered in its own module), declaring
its knobs (the simulator's keyword arguments), its shift metric and its clean counterpart.
"""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

from causalpref.errors import ConfigError
from causalpref.simulate import (  # noqa: F401  (importing a module registers its scenario)
    latent_overlap,
    spurious_attribute,
    spurious_text,
    user_confounding,
)
from causalpref.simulate.base import SCENARIOS, Scenario, ScenarioData, oracle_accuracy
from causalpref.simulate.knobs import Knob, value_problems


def available_scenarios() -> list[str]:
    """Registered scenario names, sorted."""
    return sorted(SCENARIOS.names())


def get_scenario(name: str) -> Scenario:
    """The registered scenario `name` (an unknown name lists the available ones)."""
    return SCENARIOS.get(name)


def scenario_knobs(name: str) -> dict[str, Any]:
    """The knobs of scenario `name` with their defaults."""
    params = inspect.signature(get_scenario(name).simulate).parameters
    return {k: p.default for k, p in params.items() if k != "seed"}


def knob_problems(name: str, knobs: dict[str, Any]) -> list[str]:
    """What is wrong with `knobs` for scenario `name` (empty when every knob exists)."""
    valid = scenario_knobs(name)
    unknown = sorted(set(knobs) - set(valid))
    if not unknown:
        return []
    return [
        f"scenario '{name}' has no knob(s) {unknown}; valid knobs: "
        + ", ".join(f"{k} (default {v!r})" for k, v in valid.items())
    ]


def knob_value_problems(name: str, knobs: dict[str, Any]) -> list[str]:
    """What is wrong with the values of `knobs` (wrong type, out of range), one line each."""
    return value_problems(name, get_scenario(name).ranges, knobs)


def make(name: str, *, seed: int = 0, **knobs: Any) -> ScenarioData:
    """Simulate scenario `name` with `seed`; unknown knobs and values of the wrong type or out of
    range are one ConfigError listing every problem (and the valid knobs)."""
    scenario = get_scenario(name)
    problems = knob_problems(name, knobs) + knob_value_problems(name, knobs)
    if problems:
        raise ConfigError("; ".join(problems))
    valid = scenario_knobs(name)
    return dataclasses.replace(scenario.simulate(seed=seed, **knobs), knobs={**valid, **knobs})


def make_clean(name: str, *, seed: int = 0, **knobs: Any) -> ScenarioData:
    """The clean counterpart of `make(name, seed, **knobs)`: same sizes and seed, problem off."""
    return make(name, seed=seed, **{**knobs, **get_scenario(name).clean})


__all__ = [
    "SCENARIOS",
    "Scenario",
    "ScenarioData",
    "available_scenarios",
    "Knob",
    "get_scenario",
    "knob_problems",
    "knob_value_problems",
    "make",
    "make_clean",
    "oracle_accuracy",
    "scenario_knobs",
]
