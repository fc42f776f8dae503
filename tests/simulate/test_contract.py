"""The scenario registry's contract, run over every registered scenario.

Each scenario declares its shift metric (a test split it produces), the in-distribution split
beside it, and its clean counterpart (knob overrides that switch its problem off). The clean
counterpart must really remove the problem: `bt` fitted on clean data scores higher on the problem
draw's shift split than `bt` fitted on the same amount of problem data (paired by seed over 3
seeds, by more than 3 s.e.). Negative control: `bt` refitted on a fresh draw of problem data
(another seed) gains nothing over the first fit (within 3 s.e.).
"""

import pytest

from causalpref import simulate
from causalpref.evaluate import MethodSpec, ScenarioSource, Study
from causalpref.metrics import mean_se

SIZES = {
    "latent_overlap": {"n_train": 2000, "n_validation": 500, "n_test": 1000, "n_ood": 1000},
    "user_confounding": {"n_train": 2000, "n_validation": 500, "n_test": 1000},
    "spurious_attribute": {"n_train": 2000, "n_validation": 500, "n_test": 1000},
    "spurious_text": {"n_train": 2000, "n_validation": 500, "n_test": 1000},
}
SETTINGS = {"hidden_dim": 64, "epochs": 8, "lr": 1e-3, "validation_fraction": 0.0}
# What switching a problem off means, per kind of knob (the scenario's own declaration is read).
SWITCHES = {"rho": (0.0, 0.5), "strength": (0.0,), "env_spread": (0.0,)}


@pytest.mark.parametrize("name", simulate.available_scenarios())
def test_scenario_declares_shift_metric_id_split_and_clean_counterpart(name):
    scenario = simulate.get_scenario(name)
    knobs = simulate.scenario_knobs(name)
    assert scenario.clean and set(scenario.clean) <= set(knobs)
    assert set(scenario.problem) <= set(knobs)
    assert all(scenario.clean[k] in SWITCHES.get(k, (scenario.clean[k],)) for k in scenario.clean)
    data = simulate.make(name, seed=0, **SIZES[name])
    assert scenario.shift_split in data.test_splits and scenario.id_split in data.test_splits
    assert scenario.shift_split != scenario.id_split and scenario.shift_name


@pytest.mark.parametrize("name", simulate.available_scenarios())
def test_every_scenario_is_in_the_tiny_sizes_table(name):
    assert name in SIZES, f"add scenario '{name}' to SIZES with small split sizes"


def _bt(name: str, clean: bool, seeds=(0, 1, 2)):
    scenario = simulate.get_scenario(name)
    study = Study(
        name=name,
        source=ScenarioSource(name, {**SIZES[name], **scenario.problem}),
        methods=(MethodSpec("bt", "bt"),),
        seeds=seeds,
        baseline="bt",
        settings=SETTINGS,
        early_stopping=False,
        clean_ceiling=clean,
    )
    return study.run(progress=lambda msg: None).rows


@pytest.mark.slow
@pytest.mark.parametrize("name", simulate.available_scenarios())
def test_the_clean_counterpart_removes_the_problem(name):
    """bt on clean data beats bt on problem data on the problem's shift split, paired by seed."""
    rows = _bt(name, clean=True)
    gains = [r["clean_shift_metric"] - r["shift_metric"] for r in rows]
    mean, se = mean_se(gains)
    assert mean > 3 * se and mean > 0.01, f"{name}: clean - problem on shift {gains}"


@pytest.mark.slow
@pytest.mark.parametrize("name", simulate.available_scenarios())
def test_negative_control_a_fresh_draw_of_problem_data_gains_nothing(name):
    first, fresh = _bt(name, clean=False), _bt(name, clean=False, seeds=(10, 11, 12))
    gains = [b["shift_metric"] - a["shift_metric"] for a, b in zip(first, fresh, strict=True)]
    mean, se = mean_se(gains)
    assert abs(mean) <= 3 * se + 0.01, f"{name}: fresh - first draw on shift {gains}"
