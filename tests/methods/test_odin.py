"""odin: the two-head net, the quality-only reward after save/load, settings, and the causal claim.

The claim: in spurious_attribute, scoring with the quality head r_Q beats `bt` on the `reversed`
split, paired per seed over 5 seeds, by more than 3 standard errors; the negative control
(attribute_effect=1: the attribute truly matters) must not show the advantage.

Settings were chosen on validation splits only, of other seeds (10-14): length_penalty in
{0.03, 0.1, 0.3, 1, 3, 10} (orthogonality_penalty 1), by worst-group validation accuracy, the
two groups being the pairs whose preferred response has the higher / the lower attribute; it
picked 0.3 (attribute-balanced validation accuracy would have picked 0.03).
"""

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from causalpref import simulate
from causalpref.errors import ConfigError
from causalpref.evaluate import mean_se
from causalpref.methods import load_model, make_method
from causalpref.methods.odin import weighted_corr
from causalpref.models.two_head import TwoHeadRewardNet
from tests.methods.paired import describe, reversed_gaps

SHARED = {"hidden_dim": 128, "epochs": 10, "lr": 1e-3, "batch_size": 256}
# spurious_attribute records its attribute as attr.length.a/.b (the default, length_words, is
# computed from text, which this vector scenario has none of).
LENGTH = {"attribute": "length"}
METHOD = {"length_penalty": 0.3, "orthogonality_penalty": 1.0, **LENGTH}
FAST = {"hidden_dim": 16, "epochs": 2, "lr": 1e-3, "batch_size": 64, **LENGTH}


@pytest.fixture(scope="module")
def small():
    return simulate.make(
        "spurious_attribute", seed=0, n_train=300, n_validation=100, n_test=100, dim=16
    )


# -- pieces --------------------------------------------------------------------------------------
def test_weighted_corr_matches_numpy_and_ignores_zero_weight_samples():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(200, generator=g, dtype=torch.float64)
    y = 0.6 * x + torch.randn(200, generator=g, dtype=torch.float64)
    expected = np.corrcoef(x.numpy(), y.numpy())[0, 1]
    assert float(weighted_corr(x, y, torch.ones(200, dtype=torch.float64))) == pytest.approx(
        expected
    )
    weight = torch.ones(200, dtype=torch.float64)
    weight[150:] = 0.0
    partial = np.corrcoef(x[:150].numpy(), y[:150].numpy())[0, 1]
    assert float(weighted_corr(x, y, weight)) == pytest.approx(partial)


def test_two_head_net_returns_the_quality_reward_and_exposes_the_attribute_head():
    torch.manual_seed(0)
    net = TwoHeadRewardNet(6, hidden_dim=8, latent_dim=4)
    x = torch.randn(5, 6)
    reward, h = net(x, torch.zeros(5, dtype=torch.long))
    torch.testing.assert_close(reward, net.quality_head(h).squeeze(-1))
    torch.testing.assert_close(net.attribute_reward(h), net.attribute_head(h).squeeze(-1))
    with torch.no_grad():
        net.quality_head.weight.copy_(torch.tensor([[1.0, 0.0, 0.0, 0.0]]))
        net.attribute_head.weight.copy_(torch.tensor([[0.0, 2.0, 0.0, 0.0]]))
    assert float(net.head_cosine().detach()) == pytest.approx(0.0)


# -- the fitted model ----------------------------------------------------------------------------
def test_saved_model_scores_with_the_quality_head_only(small, tmp_path):
    model = make_method("odin", **FAST).fit(small.train, small.validation)
    model.save(tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    test = small.test.drop(["attr.length.a", "attr.length.b"])  # scoring needs no attribute
    np.testing.assert_array_equal(loaded.margins(test), model.margins(test))
    state = loaded.net_.state_dict()
    assert "attribute_head.weight" in state and "quality_head.weight" in state
    xa, xb = (torch.from_numpy(np.array(test.vectors(s))) for s in "ab")
    with torch.no_grad():
        ha, hb = (F.gelu(loaded.net_.body(x)) for x in (xa, xb))
        quality = loaded.net_.quality_head(ha) - loaded.net_.quality_head(hb)
        both = quality + loaded.net_.attribute_head(ha) - loaded.net_.attribute_head(hb)
    np.testing.assert_allclose(loaded.margins(test), quality.squeeze(-1).numpy(), atol=1e-5)
    assert not np.allclose(loaded.margins(test), both.squeeze(-1).numpy(), atol=1e-3)


def test_missing_attribute_column_names_the_column_and_the_setting(small):
    with pytest.raises(ConfigError, match=r"attr\.length\.b.*attribute='length' of method 'odin'"):
        make_method("odin", **FAST).fit(small.train.drop("attr.length.b"))


def test_invalid_settings_are_reported_before_training(small):
    model = make_method("odin", length_penalty=-1.0, orthogonality_penalty="high", latent_dim=0)
    with pytest.raises(ConfigError) as err:
        model.fit(small.train)
    message = str(err.value)
    for setting, value in (
        ("length_penalty", -1.0),
        ("orthogonality_penalty", "high"),
        ("latent_dim", 0),
    ):
        assert f"The '{setting}' parameter of ODIN must be" in message
        assert f"Got {value!r} instead" in message


# -- the causal claim and its negative control ---------------------------------------------------
@pytest.mark.slow
def test_odin_beats_bt_when_the_attribute_is_spurious():
    gaps = reversed_gaps("odin", SHARED, METHOD, attribute_effect=0.0)
    mean, se = mean_se(gaps)
    assert mean > 3 * se, describe(gaps)


@pytest.mark.slow
def test_negative_control_no_advantage_when_the_attribute_truly_matters():
    gaps = reversed_gaps("odin", SHARED, METHOD, attribute_effect=1.0)
    mean, se = mean_se(gaps)
    assert mean <= 3 * se, describe(gaps)
