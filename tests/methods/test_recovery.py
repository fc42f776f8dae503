"""Recovery: with overlap, a fitted model reaches the oracle; without it (negative control) not.

Both use user_confounding with type-specific features and a noise-free encoder (obs_noise=0), so
the oracle's accuracy is attainable in principle; only rho differs. The gap is oracle accuracy
minus model accuracy on the inconsistent test rows, paired on the same labels, over 3 seeds.
ALLOWANCE is the approximation error we accept from a finite-sample fit; the statistical margin
is 2 standard errors of the mean gap over seeds, on the side that makes each claim conservative.
"""

import pytest

from causalpref import simulate
from causalpref.evaluate import mean_se
from causalpref.methods import make_method

ALLOWANCE = 0.02
RECOVERY_N = 16000
SEEDS = (0, 1, 2)
SETTINGS = {"hidden_dim": 256, "epochs": 10, "lr": 1e-3}


def inconsistent_gaps(rho: float, n_train: int) -> tuple[float, float]:
    gaps = []
    for seed in SEEDS:
        data = simulate.make(
            "user_confounding",
            seed=seed,
            rho=rho,
            features="type_specific",
            obs_noise=0.0,
            n_train=n_train,
            n_validation=2000,
            n_test=4000,
        )
        model = make_method("multihead", seed=seed, **SETTINGS).fit(data.train, data.validation)
        part = data.test_splits["inconsistent"]
        gaps.append(data.oracle_accuracy("inconsistent") - model.score(part))
    return mean_se(gaps)


@pytest.mark.slow
def test_with_overlap_the_fitted_model_reaches_the_oracle():
    gap, se = inconsistent_gaps(rho=0.5, n_train=RECOVERY_N)
    assert gap + 2 * se < ALLOWANCE, f"gap {gap:.4f} +- {se:.4f}"


@pytest.mark.slow
def test_negative_control_without_overlap_the_model_does_not():
    gap, se = inconsistent_gaps(rho=1.0, n_train=RECOVERY_N)
    assert gap - 2 * se > ALLOWANCE, f"gap {gap:.4f} +- {se:.4f}"
