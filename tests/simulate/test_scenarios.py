import math

import numpy as np
import pytest

from causalpref import simulate
from causalpref.errors import ConfigError, UnknownNameError
from causalpref.simulate.latent_overlap import informative_mass

SMALL = {
    "latent_overlap": {"n_train": 400, "n_validation": 100, "n_test": 200, "n_ood": 200},
    "user_confounding": {"n_train": 400, "n_validation": 100, "n_test": 200},
    "spurious_attribute": {"n_train": 400, "n_validation": 100, "n_test": 200},
    "spurious_text": {"n_train": 400, "n_validation": 100, "n_test": 200},
}
EXPECTED_SPLITS = {
    "spurious_attribute": ["independent", "reversed"],
    "spurious_text": ["independent", "reversed"],
    "latent_overlap": ["id", "ood"],
    "user_confounding": ["consistent", "inconsistent"],
}


@pytest.mark.parametrize("name", simulate.available_scenarios())
def test_every_scenario_is_seeded_and_has_named_splits_with_truth(name):
    a = simulate.make(name, seed=3, **SMALL[name])
    b = simulate.make(name, seed=3, **SMALL[name])
    c = simulate.make(name, seed=4, **SMALL[name])
    assert list(a.test_splits) == EXPECTED_SPLITS[name]
    np.testing.assert_array_equal(a.train.vectors("a"), b.train.vectors("a"))
    np.testing.assert_array_equal(a.test.labels, b.test.labels)
    assert not np.array_equal(a.train.vectors("a"), c.train.vectors("a"))
    rows = a.all_rows()
    assert rows.split_values() == sorted(
        ["train", "validation", *[f"test_{s}" for s in EXPECTED_SPLITS[name]]]
    )
    for split in a.test_splits:
        assert 0.5 < a.oracle_accuracy(split) <= 1.0
    for col in ("true_reward.a", "true_reward.b", "true_prob", "vector.a", "label"):
        assert rows.has(col)


@pytest.mark.parametrize("name", simulate.available_scenarios())
def test_scenario_docstring_draws_its_causal_graph(name):
    doc = simulate.get_scenario(name).simulate.__module__
    import importlib

    assert "Causal graph" in importlib.import_module(doc).__doc__


def test_unknown_knob_and_scenario_errors_list_the_options():
    with pytest.raises(ConfigError, match="valid knobs: .*rho"):
        simulate.make("latent_overlap", rhoo=0.3)
    with pytest.raises(UnknownNameError, match="available: .*user_confounding"):
        simulate.make("no_such_scenario")


@pytest.mark.parametrize("rho", [0.0, 0.6, 0.9])
def test_latent_overlap_difference_correlation_and_informative_mass(rho):
    n = 20000
    data = simulate.make(
        "latent_overlap", seed=1, rho=rho, n_train=n, n_validation=10, n_test=10, n_ood=10
    ).train
    d1 = data.column("latent.z1.a") - data.column("latent.z1.b")
    d2 = data.column("latent.z2.a") - data.column("latent.z2.b")
    corr = np.corrcoef(d1, d2)[0, 1]
    assert abs(corr - rho) < 4 * (1 - rho**2) / math.sqrt(n) + 1e-3
    share = np.mean(d1 * d2 < 0)
    mass = informative_mass(rho)
    assert abs(share - mass) < 4 * math.sqrt(mass * (1 - mass) / n)


def test_latent_overlap_ood_split_holds_only_opposed_pairs():
    ood = simulate.make(
        "latent_overlap", seed=0, n_train=10, n_validation=10, n_test=10, n_ood=500
    ).test_splits["ood"]
    d1 = ood.column("latent.z1.a") - ood.column("latent.z1.b")
    d2 = ood.column("latent.z2.a") - ood.column("latent.z2.b")
    assert len(ood) == 500 and np.all(d1 * d2 < 0)


def test_latent_overlap_labels_are_the_sign_of_the_true_reward_difference():
    data = simulate.make("latent_overlap", seed=0, **SMALL["latent_overlap"])
    assert data.oracle_accuracy("id") == 1.0 and data.oracle_accuracy("ood") == 1.0


@pytest.mark.parametrize("rho", [0.5, 0.9, 1.0])
def test_user_confounding_rho_is_the_share_of_matching_prompt_types(rho):
    n = 20000
    data = simulate.make("user_confounding", seed=2, rho=rho, n_train=n, n_validation=10, n_test=10)
    same = np.mean(data.train.column("context") == data.train.column("prompt_type"))
    assert abs(same - rho) <= 4 * math.sqrt(rho * (1 - rho) / n) + 1e-9
    parts = data.test_splits
    assert np.all(
        parts["consistent"].column("context") == parts["consistent"].column("prompt_type")
    )
    assert np.all(
        parts["inconsistent"].column("context") != parts["inconsistent"].column("prompt_type")
    )


def test_user_confounding_reward_depends_on_objective_and_factors_only():
    data = simulate.make(
        "user_confounding", seed=0, objective_overlap=0.2, **SMALL["user_confounding"]
    )
    rows = data.all_rows()
    w = {"helpful": (1.0, 0.2), "harmless": (0.2, 1.0)}
    ctx = rows.column("context")
    expected = np.array([w[c][0] for c in ctx]) * rows.column("latent.helpfulness.a") + np.array(
        [w[c][1] for c in ctx]
    ) * rows.column("latent.harmlessness.a")
    np.testing.assert_allclose(rows.column("true_reward.a"), expected)


@pytest.mark.parametrize("features", ["shared", "type_specific"])
def test_user_confounding_prompt_type_is_decodable_from_the_embedding(features):
    data = simulate.make(
        "user_confounding", seed=0, features=features, n_train=2000, n_validation=10, n_test=1000
    )

    def design(d):  # both responses share the prompt part; their mean isolates it best
        return np.hstack([(d.vectors("a") + d.vectors("b")) / 2, np.ones((len(d), 1))])

    target = (data.train.column("prompt_type") == "harmless").astype(float)
    coef, *_ = np.linalg.lstsq(design(data.train), target, rcond=None)
    test = data.test
    truth = test.column("prompt_type") == "harmless"
    assert np.mean((design(test) @ coef > 0.5) == truth) > 0.9  # chance is 0.5


def test_user_confounding_rejects_unknown_feature_regime():
    with pytest.raises(ConfigError, match="features='mixed'"):
        simulate.make("user_confounding", features="mixed")


def test_spurious_attribute_correlation_per_environment_and_at_test():
    data = simulate.make(
        "spurious_attribute",
        seed=0,
        strength=0.7,
        env_spread=0.25,
        n_envs=2,
        n_train=20000,
        n_validation=10,
        n_test=20000,
    )

    def corr(part):
        return np.corrcoef(part.column("attr.length.a"), part.column("latent.quality.a"))[0, 1]

    envs = data.train.by("env")
    tol = 4 / math.sqrt(10000)  # s.e. of a correlation estimate is at most 1/sqrt(n)
    assert abs(corr(envs["env0"]) - 0.45) < tol and abs(corr(envs["env1"]) - 0.95) < tol
    assert abs(corr(data.test_splits["independent"])) < 4 / math.sqrt(20000)
    assert abs(corr(data.test_splits["reversed"]) + 0.7) < 4 / math.sqrt(20000)


def test_spurious_attribute_reward_ignores_the_attribute_unless_told():
    clean = simulate.make("spurious_attribute", seed=0, **SMALL["spurious_attribute"]).train
    np.testing.assert_allclose(clean.column("true_reward.a"), clean.column("latent.quality.a"))
    real = simulate.make(
        "spurious_attribute", seed=0, attribute_effect=0.5, **SMALL["spurious_attribute"]
    ).train
    np.testing.assert_allclose(
        real.column("true_reward.a"),
        real.column("latent.quality.a") + 0.5 * real.column("attr.length.a"),
    )


def test_spurious_attribute_rejects_impossible_strengths():
    with pytest.raises(ConfigError, match="strictly between -1 and 1"):
        simulate.make("spurious_attribute", strength=0.9, env_spread=0.2)
