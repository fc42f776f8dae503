"""Check 6 (selection): heavy weights and predictable exposure are flagged; mild ones are not."""

from __future__ import annotations

import numpy as np

from causalpref.audit.checks import selection
from causalpref.audit.context import AuditContext
from causalpref.simulate import make


def scenario_data(seed: int = 0, n: int = 3000):
    return make("latent_overlap", seed=seed, n_train=n, n_validation=50, n_test=50, n_ood=50).train


def run(data, seed: int = 0):
    return selection.run(AuditContext(data=data, seed=seed))


def by_code(result) -> dict:
    return {f.code: f for f in result.findings}


def test_skipped_without_propensity_or_exposure_and_says_what_it_needs():
    result = run(scenario_data(n=300))
    assert result.skipped is not None
    assert "'propensity'" in result.skipped and "'observed'" in result.skipped
    assert result.findings == [] and result.figures == []


def test_a_few_huge_weights_warn():
    data = scenario_data()
    rng = np.random.default_rng(0)
    propensity = rng.uniform(0.3, 1.0, size=len(data))
    rare = rng.random(len(data)) < 0.03
    propensity[rare] = 0.002  # 3% of rows with weight 500
    result = run(data.with_columns({"propensity": propensity}))
    found = by_code(result)
    assert found["selection.effective_sample_size"].severity == "warning"
    assert result.stats["weights"]["ess_share"] < selection.ESS_WARN
    assert found["selection.clipped_weights"].severity == "notice"
    assert found["selection.clipped_weights"].evidence["first_rows"][0] == np.flatnonzero(rare)[0]
    assert [fig.kind for fig in result.figures] == ["histogram"]


def test_many_small_propensities_warn_about_clipping():
    data = scenario_data()
    rng = np.random.default_rng(0)
    propensity = np.clip(rng.beta(0.3, 3.0, size=len(data)), 1e-3, 1.0)
    found = by_code(run(data.with_columns({"propensity": propensity})))
    assert found["selection.clipped_weights"].severity == "warning"


def test_mild_propensities_are_info_only():
    data = scenario_data()
    rng = np.random.default_rng(1)
    result = run(data.with_columns({"propensity": rng.uniform(0.5, 1.0, size=len(data))}))
    assert {f.severity for f in result.findings} == {"info"}
    assert result.stats["weights"]["ess_share"] > 0.9
    assert "selection.clipped_weights" not in by_code(result)


def test_exposure_that_depends_on_content_is_predicted():
    data = scenario_data(seed=2)
    reward = data.column("true_reward.a") + data.column("true_reward.b")
    rng = np.random.default_rng(2)
    shown = rng.random(len(data)) < 1 / (1 + np.exp(-4 * reward))
    result = run(data.with_columns({"observed": shown.astype(np.int64)}), seed=2)
    found = by_code(result)
    assert found["selection.predictable_exposure"].severity == "notice"
    assert result.stats["propensity_model"]["auc"] > selection.AUC_STRONG
    assert result.stats["weights"]["source"] == "fitted propensity model"


def test_random_exposure_is_not_flagged():
    data = scenario_data(seed=3)
    rng = np.random.default_rng(3)
    shown = (rng.random(len(data)) < 0.6).astype(np.int64)
    result = run(data.with_columns({"shown": shown}), seed=3)
    found = by_code(result)
    assert "selection.predictable_exposure" not in found
    assert found["selection.exposure_model"].severity == "info"
    assert abs(result.stats["propensity_model"]["auc"] - 0.5) < 0.05
    assert not [f for f in result.findings if f.severity in ("warning", "error")]


def test_bad_exposure_values_are_an_error_with_rows():
    data = scenario_data(n=300)
    flags = np.ones(len(data), dtype=np.int64)
    flags[[4, 9]] = 2
    result = run(data.with_columns({"observed": flags}))
    found = by_code(result)["selection.bad_indicator"]
    assert found.severity == "error" and found.evidence["first_rows"] == [4, 9]


def test_weight_summary_matches_kish():
    s = selection.weight_summary(np.array([1.0, 0.5, 0.25, 0.01]))
    w = np.array([1.0, 2.0, 4.0, 100.0])
    assert np.isclose(s["ess"], w.sum() ** 2 / (w**2).sum())
    assert s["clipped"] == 1
