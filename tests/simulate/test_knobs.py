"""Scenario knobs are checked before a simulator runs: every scenario declares what each knob
accepts, and a value of the wrong type or out of range is a ConfigError naming the knob, the value
and the valid range (a contract over every registered scenario)."""

import inspect

import pytest

from causalpref import simulate
from causalpref.errors import ConfigError
from causalpref.simulate.knobs import Knob

NAMES = simulate.available_scenarios()
TINY = {"n_train": 4, "n_validation": 4, "n_test": 4}


def _out_of_range(knob: Knob):
    """A value of the right type outside the knob's range (None when it has no range)."""
    if knob.kind == "str":
        return "no-such-option" if knob.options else None
    if knob.kind == "floats":
        return [1.0] * (knob.length + 1)
    if knob.high is not None:
        return knob.high + (1 if knob.kind == "int" else 0.5)
    if knob.low is not None:
        return knob.low - 1
    return None


@pytest.mark.parametrize("name", NAMES)
def test_every_knob_declares_what_it_accepts(name):
    params = inspect.signature(simulate.get_scenario(name).simulate).parameters
    assert set(simulate.get_scenario(name).ranges) == set(params) - {"seed"}


@pytest.mark.parametrize("name", NAMES)
def test_every_default_is_accepted(name):
    ranges = simulate.get_scenario(name).ranges
    assert simulate.knob_value_problems(name, simulate.scenario_knobs(name)) == []
    assert all(ranges[k].accepts(v) for k, v in simulate.get_scenario(name).clean.items())


@pytest.mark.parametrize("name", NAMES)
def test_a_knob_of_the_wrong_type_is_a_config_error_naming_it(name):
    for knob, rule in simulate.get_scenario(name).ranges.items():
        wrong = "abc" if rule.kind != "str" else 3
        with pytest.raises(ConfigError) as err:
            simulate.make(name, seed=0, **{knob: wrong})
        message = str(err.value)
        assert knob in message and repr(wrong) in message and "expected" in message


@pytest.mark.parametrize("name", NAMES)
def test_a_knob_out_of_range_is_a_config_error_with_the_range(name):
    checked = 0
    for knob, rule in simulate.get_scenario(name).ranges.items():
        value = _out_of_range(rule)
        if value is None:
            continue
        with pytest.raises(ConfigError, match=knob) as err:
            simulate.make(name, seed=0, **{knob: value})
        assert rule.describe() in str(err.value)
        checked += 1
    assert checked


def test_every_bad_knob_is_listed_at_once():
    with pytest.raises(ConfigError) as err:
        simulate.make("latent_overlap", rho="abc", n_train=0, nope=1)
    message = str(err.value)
    assert "rho='abc'" in message and "n_train=0" in message and "nope" in message
    assert "(-1, 1)" in message and "[1, inf)" in message


def test_valid_knobs_still_simulate():
    data = simulate.make("latent_overlap", seed=0, rho=0.5, n_ood=4, **TINY)
    assert len(data.train) == 4 and data.knobs["rho"] == 0.5


def test_a_correlation_of_one_is_refused_not_a_linear_algebra_traceback():
    with pytest.raises(ConfigError, match=r"rho=1\.0 .*\(-1, 1\)"):
        simulate.make("latent_overlap", rho=1.0)
