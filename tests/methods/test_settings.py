"""Declared setting constraints: bounds that keep training from crashing or diverging."""

from numbers import Real

import pytest

from causalpref.errors import ConfigError
from causalpref.methods import make_method
from causalpref.methods.settings import MAX_WIDTH, Interval


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_an_interval_holds_only_finite_numbers(value):
    assert not Interval(Real, None, None, closed="neither").is_satisfied_by(value)
    assert Interval(Real, 0, None, closed="neither").is_satisfied_by(1e300)  # negative control


def test_widths_have_an_upper_bound_named_in_the_message():
    model = make_method("bt", hidden_dim=100_000_000, latent_dim=MAX_WIDTH + 1, lr=1e400)
    with pytest.raises(ConfigError) as err:
        model.validate_params()
    for name in ("hidden_dim", "latent_dim", "lr"):
        assert f"The '{name}' parameter" in str(err.value)
    assert f"[1, {MAX_WIDTH}]" in str(err.value)
    make_method("bt", hidden_dim=MAX_WIDTH, latent_dim=MAX_WIDTH).validate_params()
