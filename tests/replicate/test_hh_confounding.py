import numpy as np
import pytest

from causalpref.data import PreferenceData, write_preferences
from causalpref.errors import ConfigError
from causalpref.evaluate import load_spec, run_spec
from causalpref.evaluate.sources import objective_mix

CELLS = {
    ("helpful", "helpful"): 300,
    ("harmless", "harmless"): 280,
    ("harmless", "helpful"): 260,
    ("helpful", "harmless"): 240,
}
SIZES = {"n_train": 200, "n_validation": 60, "test_fraction": 0.4}


def split_for(data, rho, seed, sizes=SIZES):
    return objective_mix(data, seed=seed, rho=rho, **sizes)


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
    parts = split_for(pool, rho, seed=0)
    for name, n in (("train", SIZES["n_train"]), ("validation", SIZES["n_validation"])):
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
    low, high = split_for(pool, 0.5, 3), split_for(pool, 1.0, 3)
    ids = {k: set(v.column("pair_id")) for k, v in low.items()}
    test = ids["consistent"] | ids["inconsistent"]
    assert not (ids["train"] & ids["validation"]) and not (ids["train"] & test)
    assert not (ids["validation"] & test)
    assert test == set(high["consistent"].column("pair_id")) | set(
        high["inconsistent"].column("pair_id")
    )


def test_asking_for_more_rows_than_a_cell_has_is_a_clear_error(pool):
    big = {**SIZES, "n_train": 2000, "n_validation": 10}
    with pytest.raises(ConfigError, match="lower n_train"):
        split_for(pool, 1.0, 0, big)


def _spec(pool, tmp_path):
    write_preferences(pool, tmp_path / "pool.jsonl")
    study = "study.hh_confounding"
    return load_spec(
        "hh-confounding",
        {
            f"{study}.data": str(tmp_path / "pool.jsonl"),
            f"{study}.encoder": "precomputed",
            f"{study}.layout": "auto",
            f"{study}.seeds": 2,
            f"{study}.grid.rho": [0.5, 1.0],
            f"{study}.resample": {"name": "objective_mix", **SIZES},
            f"{study}.settings": {"hidden_dim": 8, "epochs": 1},
        },
    )


def test_run_produces_one_row_per_rho_seed_model(pool, tmp_path):
    (result,) = run_spec(_spec(pool, tmp_path), progress=lambda msg: None)
    assert len(result.rows) == 2 * 2 * 3
    assert {"consistent_accuracy", "inconsistent_accuracy", "rho", "seed", "method"} <= set(
        result.rows[0]
    )
    assert result.rows[0]["shift_metric"] == result.rows[0]["inconsistent_accuracy"]


def test_missing_columns_name_the_layout_to_use(pool, tmp_path):
    with pytest.raises(ConfigError, match="layout='relabeled_hh'"):
        run_spec(_spec(pool.drop("prompt_type"), tmp_path), progress=lambda msg: None)


def test_the_report_has_our_table_beside_the_papers(pool, tmp_path):
    from causalpref.report.study import write_study_outputs

    spec = _spec(pool, tmp_path)
    text = write_study_outputs(spec, run_spec(spec, progress=lambda msg: None), tmp_path / "out")
    report = (tmp_path / "out" / "report.md").read_text()
    assert "## Our table (precomputed embeddings)" in report and "Llama-3-8B" in report
    assert "HH-RLHF confounding" in text
