"""Hyperparameter selection on validation only: per method, seed and data point the candidate
with the best validation score is kept; test rows never sway the choice."""

import random

import pytest

from causalpref.errors import ConfigError
from causalpref.evaluate import MethodSpec, ScenarioSource, Study, parse_spec
from causalpref.evaluate.selection import select_rows
from causalpref.report.study import study_table

SPURIOUS = ScenarioSource(
    "spurious_attribute", {"n_train": 400, "n_validation": 200, "n_test": 400}
)
TINY = {"hidden_dim": 16, "epochs": 8, "batch_size": 64, "patience": None}


def row(method, seed, lr, validation, test, **extra):
    return {
        "method": method,
        "seed": seed,
        "rho": 0.9,
        "settings.lr": lr,
        "validation_score": validation,
        "shift_metric": test,
        **extra,
    }


def test_the_best_validation_score_is_kept_whatever_the_test_rows_say():
    rows = [
        row("bt", 0, 1e-3, validation=0.80, test=0.55),
        row("bt", 0, 1e-2, validation=0.70, test=0.90),  # best on test, worse on validation
        row("bt", 1, 1e-3, validation=0.60, test=0.70),
        row("bt", 1, 1e-2, validation=0.75, test=0.50),
    ]
    chosen, marked = select_rows(rows, "validation", ["rho"])
    assert [(r["seed"], r["settings.lr"]) for r in chosen] == [(0, 1e-3), (1, 1e-2)]
    assert [r["chosen"] for r in chosen] == ["lr=0.001", "lr=0.01"]
    assert [r["selected"] for r in marked] == [True, False, False, True]


def test_negative_control_shuffling_test_scores_never_changes_the_choice():
    rng = random.Random(0)
    rows = [
        row(m, seed, lr, validation=rng.random(), test=rng.random())
        for m in ("bt", "odin")
        for seed in range(4)
        for lr in (1e-4, 1e-3, 1e-2)
    ]
    picked = [r["settings.lr"] for r in select_rows(rows, "validation", ["rho"])[0]]
    for _ in range(20):
        tests = [r["shift_metric"] for r in rows]
        rng.shuffle(tests)
        shuffled = [{**r, "shift_metric": t} for r, t in zip(rows, tests, strict=True)]
        assert [r["settings.lr"] for r in select_rows(shuffled, "validation", ["rho"])[0]] == picked


def test_ties_go_to_the_first_candidate_and_groups_stay_apart():
    rows = [
        row("bt", 0, 1e-3, validation=0.7, test=0.1),
        row("bt", 0, 1e-2, validation=0.7, test=0.9),
        {**row("bt", 0, 1e-3, validation=0.1, test=0.1), "rho": 0.5},
    ]
    chosen, _ = select_rows(rows, "validation", ["rho"])
    assert [(r["rho"], r["settings.lr"]) for r in chosen] == [(0.9, 1e-3), (0.5, 1e-3)]


def test_a_row_without_a_validation_score_is_a_clear_error():
    rows = [row("bt", 0, 1e-3, validation=None, test=0.5)]
    with pytest.raises(ConfigError, match="needs a validation split"):
        select_rows(rows, "validation", ["rho"])
    with pytest.raises(ConfigError, match="select = 'test'"):
        select_rows(rows, "test", ["rho"])


@pytest.fixture(scope="module")
def selected():
    """bt with a learning rate so small it cannot leave its initial weights, beside a working
    one; and a setting that changes nothing (the validation split is given, so
    validation_fraction is unused): the negative control."""
    study = Study(
        name="select",
        source=SPURIOUS,
        methods=(
            MethodSpec("bt", "bt", grid={"lr": (1e-9, 1e-2)}),
            MethodSpec("inert", "bt", {"lr": 1e-2}, grid={"validation_fraction": (0.1, 0.3)}),
        ),
        seeds=(0, 1, 2),
        baseline="bt",
        settings=TINY,
        select="validation",
    )
    return study.run(progress=lambda msg: None)


def test_a_setting_that_cannot_train_is_never_selected(selected):
    bt = [r for r in selected.rows if r["method"] == "bt"]
    assert [r["settings.lr"] for r in bt] == [1e-2] * 3
    untrained = [r for r in selected.candidates if r.get("settings.lr") == 1e-9]
    assert all(not r["selected"] for r in untrained)
    # the choice is visible: validation clearly separates the candidates
    trained = [r for r in selected.candidates if r["method"] == "bt" and r["selected"]]
    assert min(r["validation_score"] for r in trained) > max(
        r["validation_score"] for r in untrained
    )


def test_negative_control_an_inert_setting_ties_and_keeps_the_first(selected):
    inert = [r for r in selected.candidates if r["method"] == "inert"]
    by_seed = {}
    for r in inert:
        by_seed.setdefault(r["seed"], []).append(r)
    for pair in by_seed.values():
        assert pair[0]["validation_score"] == pair[1]["validation_score"]
        assert pair[0]["shift_metric"] == pair[1]["shift_metric"]
        assert [r["selected"] for r in pair] == [True, False]


def test_the_table_names_the_chosen_settings_and_has_one_row_per_method(selected):
    assert selected.grid_keys == () and len(selected.rows) == 2 * 3
    table = study_table(selected, markdown=True)
    assert "chosen on validation (seeds)" in table
    assert "lr=0.01 (3/3)" in table and "validation_fraction=0.1 (3/3)" in table


def test_a_settings_grid_key_is_chosen_per_data_point(tmp_path):
    study = Study(
        name="grid",
        source=SPURIOUS,
        methods=(MethodSpec("bt", "bt"),),
        seeds=(0,),
        grid={"strength": (0.3, 0.6), "settings.lr": (1e-9, 1e-2)},
        baseline="bt",
        settings=TINY,
        select="validation",
    )
    result = study.run(progress=lambda msg: None)
    assert result.grid_keys == ("strength",) and len(result.candidates) == 4
    assert [(r["strength"], r["chosen"]) for r in result.rows] == [
        (0.3, "lr=0.01"),
        (0.6, "lr=0.01"),
    ]
    assert len(result.paired_gains("bt", strength=0.6)) == 1


def spec(**study):
    table = {"scenario": "spurious_attribute", "baseline": "bt", **study}
    return {"study": {"s": table}}


def test_the_spec_validates_select_and_method_grids():
    grid = {"bt": {}, "invariant_mmd": {"grid": {"penalty": [0.3, 1.0]}}}
    study = parse_spec(spec(methods=grid, select="validation")).studies[0]
    assert study.select == "validation" and study.methods[1].grid == {"penalty": (0.3, 1.0)}
    with pytest.raises(ConfigError) as err:
        parse_spec(spec(methods=grid))
    assert 'set select = "validation"' in str(err.value)
    bad = {"bt": {}, "invariant_mmd": {"grid": {"penalty": [-1.0]}, "n_bins": 4}}
    with pytest.raises(ConfigError) as err:
        parse_spec(spec(methods=bad, select="on_test"))
    message = str(err.value)
    assert "select = 'on_test'" in message and "method 'invariant_mmd'" in message
    assert "penalty" in message
