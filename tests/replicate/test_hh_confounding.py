import numpy as np
import pytest

from causalpref.data import PreferenceData
from causalpref.errors import ConfigError
from causalpref.replicate.hh_confounding import HHConfig, run_hh_confounding, split_for

CELLS = {
    ("helpful", "helpful"): 300,
    ("harmless", "harmless"): 280,
    ("harmless", "helpful"): 260,
    ("helpful", "harmless"): 240,
}
CONFIG = HHConfig(
    n_train=200,
    n_validation=60,
    test_fraction=0.4,
    seeds=2,
    rhos=(0.5, 1.0),
    hidden_dim=8,
    epochs=1,
)


@pytest.fixture(scope="module")
def pool():
    rng = np.random.default_rng(0)
    t, c = zip(*[key for key, n in CELLS.items() for _ in range(n)], strict=True)
    n = len(t)
    return PreferenceData.from_columns(
        {
            "pair_id": [str(i) for i in range(n)],
            "vector.a": rng.normal(size=(n, 4)),
            "vector.b": rng.normal(size=(n, 4)),
            "label": rng.integers(0, 2, n).astype(float),
            "context": np.array(c, dtype=object),
            "prompt_type": np.array(t, dtype=object),
        }
    )


@pytest.mark.parametrize("rho", [0.5, 0.8, 1.0])
def test_training_mix_has_exactly_rho_and_balanced_objectives(pool, rho):
    parts = split_for(pool, rho, seed=0, config=CONFIG)
    for name, n in (("train", CONFIG.n_train), ("validation", CONFIG.n_validation)):
        part = parts[name]
        same = part.column("context") == part.column("prompt_type")
        assert len(part) == n
        assert abs(same.mean() - rho) <= 1 / n
        assert abs((part.column("context") == "helpful").mean() - 0.5) <= 1 / n
    assert np.all(
        parts["consistent"].column("context") == parts["consistent"].column("prompt_type")
    )
    assert np.all(
        parts["inconsistent"].column("context") != parts["inconsistent"].column("prompt_type")
    )


def test_splits_are_disjoint_and_the_test_pool_is_shared_across_rho(pool):
    low, high = split_for(pool, 0.5, 3, CONFIG), split_for(pool, 1.0, 3, CONFIG)
    ids = {k: set(v.column("pair_id")) for k, v in low.items()}
    test = ids["consistent"] | ids["inconsistent"]
    assert not (ids["train"] & ids["validation"]) and not (ids["train"] & test)
    assert not (ids["validation"] & test)
    assert test == set(high["consistent"].column("pair_id")) | set(
        high["inconsistent"].column("pair_id")
    )


def test_asking_for_more_rows_than_a_cell_has_is_a_clear_error(pool):
    big = HHConfig(n_train=2000, n_validation=10)
    with pytest.raises(ConfigError, match="lower n_train"):
        split_for(pool, 1.0, 0, big)


def test_run_produces_one_row_per_rho_seed_model(pool):
    rows = run_hh_confounding(pool, CONFIG, progress=lambda msg: None)
    assert len(rows) == 2 * 2 * 3
    assert {"consistent_accuracy", "inconsistent_accuracy", "rho", "seed", "model"} <= set(rows[0])


def test_missing_columns_name_the_loader_to_use(pool):
    with pytest.raises(ConfigError, match="load_relabeled_hh"):
        run_hh_confounding(pool.drop("prompt_type"), CONFIG)
