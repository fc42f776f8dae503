"""Check 4 (heterogeneity): fires on a minority context with its own reward, quiet otherwise."""

from __future__ import annotations

import numpy as np
import pytest

from causalpref.audit.checks import heterogeneity
from causalpref.audit.context import AuditContext
from causalpref.simulate import make


def with_minority(data, share: float, seed: int):
    """Keep every 'helpful' row and a `share` of the 'harmless' rows."""
    rng = np.random.default_rng(seed)
    keep = (data.column("context") == "helpful") | (rng.random(len(data)) < share)
    return data.filter(keep)


def run(data, seed: int = 0, context: str | None = "context"):
    return heterogeneity.run(AuditContext(data=data, context=context, seed=seed))


def codes(result) -> dict[str, str]:
    return {f.code: f.severity for f in result.findings}


@pytest.mark.parametrize("seed", [0, 1])
def test_minority_with_its_own_reward_is_overruled(seed):
    scenario = make("user_confounding", seed=seed, n_validation=50, n_test=50)
    result = run(with_minority(scenario.train, 0.2, seed), seed)
    assert codes(result).get("heterogeneity.minority_overruled") == "warning"
    finding = next(f for f in result.findings if f.code == "heterogeneity.minority_overruled")
    assert finding.evidence["contexts"][0]["context"] == "harmless"
    assert finding.evidence["contexts"][0]["gap"] > 0.05
    kinds = {fig.kind for fig in result.figures}
    assert kinds == {"intervals", "heatmap"}


def test_balanced_contexts_disagree_is_a_notice_not_a_warning():
    """The clean user_confounding scenario (rho = 0.5): two equal objectives, no minority."""
    scenario = make("user_confounding", seed=3, rho=0.5, n_train=12000, n_validation=50, n_test=50)
    result = run(scenario.train, 3)
    found = codes(result)
    assert found.get("heterogeneity.contexts_disagree") == "notice"
    assert "warning" not in found.values() and "error" not in found.values()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_negative_control_same_reward_in_every_context(seed):
    """Both objectives weigh the factors alike: a minority loses nothing under pooling."""
    scenario = make(
        "user_confounding",
        seed=seed,
        objective_overlap=1.0,
        n_train=12000,
        n_validation=50,
        n_test=50,
    )
    result = run(with_minority(scenario.train, 0.2, seed), seed)
    assert not [f for f in result.findings if f.severity in ("warning", "error")]
    assert "heterogeneity.minority_overruled" not in codes(result)


def test_skips_without_a_context_and_says_why():
    scenario = make("latent_overlap", seed=0, n_train=500, n_validation=50, n_test=50, n_ood=50)
    result = run(scenario.train, context=None)
    assert result.skipped and "--context" in result.skipped
    assert result.findings == []


def test_skips_a_single_valued_context():
    scenario = make("user_confounding", seed=0, n_train=600, n_validation=50, n_test=50)
    helpful = scenario.train.filter(scenario.train.column("context") == "helpful")
    result = run(helpful)
    assert result.skipped and "single value" in result.skipped


def test_label_rates_flag_a_context_with_a_shifted_mean_label():
    rng = np.random.default_rng(0)
    codes_ = np.repeat([0, 1], 2000)
    labels = np.where(codes_ == 0, rng.random(4000) < 0.5, rng.random(4000) < 0.7).astype(float)
    rates = heterogeneity.label_rates(labels, codes_, np.array(["x", "y"]))
    assert abs(rates[1]["mean"] - 0.7) < 0.03
    found = heterogeneity._rate_findings(rates, "context")
    assert [f.code for f in found] == ["heterogeneity.label_rates_differ"]
    same = np.where(codes_ == 0, rng.random(4000) < 0.5, rng.random(4000) < 0.5).astype(float)
    assert (
        heterogeneity._rate_findings(
            heterogeneity.label_rates(same, codes_, np.array(["x", "y"])), "context"
        )
        == []
    )
