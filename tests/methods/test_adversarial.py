"""The `adversarial` method's adversary schedule: inner steps, settings, persistence, and whether
a stronger schedule really takes the context out of the trunk's representation."""

import json

import numpy as np
import pytest
import torch

from causalpref import simulate
from causalpref.errors import ConfigError
from causalpref.evaluate import mean_se
from causalpref.evaluate.probes import context_probe
from causalpref.methods import load_model, make_method
from causalpref.methods.training import PairTensors, forward_batch
from causalpref.models.reward_nets import AdversarialNet

FAST = {"hidden_dim": 16, "epochs": 2, "lr": 1e-3, "batch_size": 64}


@pytest.fixture(scope="module")
def confounded():
    return simulate.make(
        "user_confounding", seed=0, rho=0.9, n_train=300, n_validation=100, n_test=100
    )


def _batch(net, n=64, d=8, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 2, d, generator=gen)
    pairs = PairTensors.from_arrays(
        x[:, 0],
        x[:, 1],
        c=torch.randint(0, 2, (n,), generator=gen),
        label=torch.randint(0, 2, (n,), generator=gen).float(),
        weight=torch.ones(n),
    )
    return forward_batch(net, pairs, torch.arange(n))


def _snapshot(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def test_inner_steps_move_only_the_adversary_and_lower_its_loss():
    torch.manual_seed(0)
    net = AdversarialNet(8, 2, hidden_dim=16, adversary_steps=5, adversary_lr=1e-2)
    batch = _batch(net)
    before = _snapshot(net)
    pair = torch.cat([batch.rep_a, batch.rep_b], dim=-1).detach()
    with torch.no_grad():
        loss_before = float(net.adversary_loss(pair, batch.c, batch.weight))
    net.train_adversary(batch.rep_a, batch.rep_b, batch.c, batch.weight)
    after = net.state_dict()
    moved = {k for k in before if not torch.equal(before[k], after[k])}
    assert moved and all(k.startswith("adversary.") for k in moved), moved
    assert {k for k in before if k.startswith("adversary.")} == moved
    # the trunk and heads received no gradient either: the inner steps see a detached z
    assert all(p.grad is None for n, p in net.named_parameters() if not n.startswith("adversary"))
    with torch.no_grad():
        assert float(net.adversary_loss(pair, batch.c, batch.weight)) < loss_before


def test_zero_inner_steps_is_the_papers_single_step():
    torch.manual_seed(0)
    net = AdversarialNet(8, 2, hidden_dim=16, adversary_steps=0)
    batch = _batch(net)
    before = _snapshot(net)
    net.train_adversary(batch.rep_a, batch.rep_b, batch.c, batch.weight)
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())


def test_default_schedule_is_the_selected_one():
    """10 inner steps at the model's lr: chosen on validation data (docs/methods/adversarial.md)."""
    params = make_method("adversarial").get_params()
    assert params["adversary_steps"] == 10 and params["adversary_lr"] is None
    model = make_method("adversarial", lr=3e-4)
    assert model._build_net(8, 2).adversary_lr == 3e-4


def test_fit_with_inner_steps_differs_from_the_single_step(confounded):
    one = make_method("adversarial", adversary_steps=0, **FAST)
    one.fit(confounded.train, confounded.validation)
    more = make_method("adversarial", adversary_steps=2, **FAST).fit(
        confounded.train, confounded.validation
    )
    assert not np.allclose(one.margins(confounded.validation), more.margins(confounded.validation))


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"adversary_steps": -1}, "'adversary_steps' parameter .* Got -1 instead"),
        ({"adversary_steps": 1.5}, "'adversary_steps' parameter .* Got 1.5 instead"),
        ({"adversary_steps": True}, "'adversary_steps' parameter .* Got True instead"),
        ({"adversary_lr": 0}, "'adversary_lr' parameter .* None or a float .* Got 0 instead"),
        ({"adversary_lr": "fast"}, "'adversary_lr' parameter .* Got 'fast' instead"),
        ({"adversary_weight": -1}, "'adversary_weight' parameter .* Got -1 instead"),
    ],
)
def test_bad_adversary_settings_name_setting_value_and_fix(settings, named, confounded):
    with pytest.raises(ConfigError, match=named):
        make_method("adversarial", **settings).fit(confounded.train)


def test_every_bad_setting_is_reported_at_once(confounded):
    with pytest.raises(ConfigError) as err:
        make_method("adversarial", adversary_steps=-2, adversary_lr=-1.0, epochs=0).fit(
            confounded.train
        )
    message = str(err.value)
    for setting, value in (("adversary_steps", -2), ("adversary_lr", -1.0), ("epochs", 0)):
        assert f"The '{setting}' parameter of AdversarialReward must be" in message
        assert f"Got {value!r} instead" in message


def test_save_load_round_trip_keeps_the_schedule(confounded, tmp_path):
    model = make_method("adversarial", adversary_steps=3, adversary_lr=3e-3, **FAST)
    model.fit(confounded.train, confounded.validation)
    model.save(tmp_path / "m")
    stored = json.loads((tmp_path / "m" / "config.json").read_text())["settings"]
    assert stored["adversary_steps"] == 3 and stored["adversary_lr"] == 3e-3
    loaded = load_model(tmp_path / "m")
    assert loaded.get_params() == model.get_params()
    assert loaded.net_.adversary_steps == 3 and loaded.net_.adversary_lr == 3e-3
    test = confounded.test_splits["inconsistent"]
    np.testing.assert_array_equal(loaded.margins(test), model.margins(test))


# -- statistical test --------------------------------------------------------------------------
# Smaller than the demo (n_train 2000, hidden 64, 5 seeds) so both tests run in well under a
# minute on one core; user_confounding at rho 0.9. The schedule is the one selected on
# validation data (scripts/adversary_schedule.py): 10 inner adversary steps per batch.
PROBE_SEEDS = range(5)
PROBE_SIZES = {"n_train": 2000, "n_validation": 1000, "n_test": 500}
PROBE_MODEL = {"hidden_dim": 64, "epochs": 10, "lr": 1e-3, "batch_size": 256}
PAPER = {"adversary_steps": 0}
STRONG = {"adversary_steps": 10}


def _probe_gaps(strong: dict) -> tuple[list[float], list[float]]:
    """Per seed: validation c-probe accuracy of the paper's schedule, and that of `strong` minus
    it (a linear probe fitted on the training pairs' trunk representations)."""
    default, gaps = [], []
    for seed in PROBE_SEEDS:
        data = simulate.make("user_confounding", seed=seed, rho=0.9, **PROBE_SIZES)
        scores = []
        for settings in (PAPER, strong):
            model = make_method("adversarial", seed=seed, **PROBE_MODEL, **settings)
            model.fit(data.train, data.validation)
            scores.append(context_probe(model, data.train, data.validation, "context", "harmless"))
        default.append(scores[0])
        gaps.append(scores[1] - scores[0])
    return default, gaps


@pytest.mark.slow
def test_stronger_schedule_does_not_take_the_context_out_of_the_trunk():
    """Pins the measured (negative) finding of docs/methods/adversarial.md.

    Hoped for: the 10-step schedule lowers the probe. Measured: it does not (gap -0.3 points,
    s.e. 0.4, per-seed probes 0.85-0.91, i.e. c is decoded about as well as the prompt type
    allows at rho 0.9). The assertion fails if the probe drops by 2 points or more (5 s.e.), so
    a change that makes the schedule work shows up here, and the docs must then be updated.
    """
    default, gaps = _probe_gaps(STRONG)
    mean, se = mean_se(gaps)
    assert min(default) > 0.8, f"the paper's schedule should leave c decodable: {default}"
    assert mean > -0.02, f"gap {mean:+.4f} +- {se:.4f} per seed {gaps}: update the docs"


@pytest.mark.slow
def test_negative_control_inner_steps_without_adversary_weight_change_nothing():
    """With lambda = 0 the trunk never feels the adversary, however strong: the probe must not
    drop (it is exactly the lambda = 0 trunk, whose probe equals the paper schedule's +-0.5)."""
    _, gaps = _probe_gaps({**STRONG, "adversary_weight": 0.0})
    mean, se = mean_se(gaps)
    assert mean > -0.01 - 2 * se, f"gap {mean:+.4f} +- {se:.4f} per seed {gaps}"


def test_inner_steps_without_adversary_weight_leave_the_reward_unchanged(confounded):
    """lambda = 0: the reversed gradient is zero, so the trunk and heads train identically."""
    plain = make_method("adversarial", adversary_weight=0.0, adversary_steps=0, **FAST)
    inner = make_method("adversarial", adversary_weight=0.0, adversary_steps=3, **FAST)
    test = confounded.test_splits["inconsistent"]
    margins = [m.fit(confounded.train, confounded.validation).margins(test) for m in (plain, inner)]
    np.testing.assert_allclose(margins[0], margins[1], atol=1e-6)
