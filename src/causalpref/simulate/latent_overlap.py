"""Scenario `latent_overlap`: limited latent positivity (founding paper, section 3, Table 1).

Causal graph (per response; a pair compares two responses to the same prompt)::

    topic ----------------------------------------------> embedding e <- nuisance u
    z1 (truthfulness) ---+--> r = w1 z1 + w2 z2 --> label L = 1[r_a > r_b]
    z2 (instr. follow.) -+--> (z1, z2) + encoder noise --> embedding e

The two latent factors of a response are correlated with corr(z1, z2) = rho, so the pair
differences (z1_a - z1_b, z2_a - z2_b) are correlated with the same rho: the training knob rho_tr.
Only pairs whose differences disagree in sign (quadrants 2 and 4) tell w1 from w2; their share is
1/2 - arcsin(rho)/pi. The latents are scaled so that Var(r) = 1 at every rho, which keeps the
in-distribution task (and its Bayes accuracy) the same at every rho: only overlap changes.

Labels are noise-free (the sign of r_a - r_b, as in the paper), but the embedding reads each factor
with noise (`obs_noise`), as a frozen encoder captures the factor scores only in part. Two things
then lower OOD accuracy as rho grows: the informative pairs that pin down w1 : w2 get rarer, and
even the best predictor of the training distribution borrows across co-varying factors (each noisy
reading also tells about the other factor), a weighting that fails where the factors disagree. The
latter is computed exactly and stored as `id_optimal_reward.a/.b`, so the two can be told apart.

Test splits: `id` (same distribution as training) and `ood` (one fixed pool for every rho, with
independent unit-variance factors, kept only where the factor differences disagree in sign).
"""

from __future__ import annotations

import math

import numpy as np

from causalpref.simulate.base import SCENARIOS, Scenario, ScenarioData, pair_columns
from causalpref.simulate.knobs import BETA, CORRELATION, DIM, NOISE, SIZE, Knob
from causalpref.simulate.observation import RandomLift, bradley_terry_labels

N_TOPIC = 3
N_NUISANCE = 4


def informative_mass(rho: float) -> float:
    """P(factor differences disagree in sign) = 1/2 - arcsin(rho)/pi for Gaussian differences."""
    return 0.5 - math.asin(rho) / math.pi


def simulate(
    *,
    rho: float = 0.0,
    weights: tuple[float, float] = (0.25, 0.75),
    beta: float | None = None,
    obs_noise: float = 1.0,
    n_train: int = 15000,
    n_validation: int = 2000,
    n_test: int = 15000,
    n_ood: int = 15000,
    dim: int = 64,
    seed: int = 0,
) -> ScenarioData:
    """Simulate latent_overlap with training factor correlation `rho` (the paper's rho_tr).

    Labels are the sign of the reward difference, as in the paper (`beta=None`), or Bradley-Terry
    draws from sigma(beta * difference). `obs_noise` is the s.d. of the noise with which the
    embedding reads each factor: the paper's embeddings encode the factor scores only in part.
    """
    rng = np.random.default_rng(seed)
    w = np.asarray(weights, dtype=np.float64)
    lift_prompt = RandomLift(N_TOPIC, dim, rng)
    lift_response = RandomLift(2 + N_NUISANCE, dim, rng)

    cov = np.array([[1.0, rho], [rho, 1.0]])
    cov_train = cov / float(w @ cov @ w)

    # The best predictor of the training distribution reads the factors through the encoder's
    # noise: E[z | seen] = S (S + s^2 I)^-1 seen. With co-varying factors it borrows across them.
    id_optimal_weights = cov_train @ np.linalg.inv(cov_train + obs_noise**2 * np.eye(2)) @ w

    def draw(split: str, n: int, latent_cov: np.ndarray, keep_opposed: bool = False):
        za, zb = _latent_pairs(rng, n, latent_cov, keep_opposed)
        seen = [z + obs_noise * rng.normal(size=z.shape) for z in (za, zb)]
        prompt_part = lift_prompt(rng.normal(size=(n, N_TOPIC)))
        emb = [
            prompt_part + lift_response(np.hstack([s, rng.normal(size=(n, N_NUISANCE))]))
            for s in seen
        ]
        ra, rb = za @ w, zb @ w
        label, prob = bradley_terry_labels(ra - rb, beta, rng)
        return pair_columns(
            split,
            emb[0],
            emb[1],
            label,
            prob,
            ra,
            rb,
            **{
                "latent.z1.a": za[:, 0],
                "latent.z1.b": zb[:, 0],
                "latent.z2.a": za[:, 1],
                "latent.z2.b": zb[:, 1],
                "id_optimal_reward.a": seen[0] @ id_optimal_weights,
                "id_optimal_reward.b": seen[1] @ id_optimal_weights,
            },
        )

    train = draw("train", n_train, cov_train)
    validation = draw("validation", n_validation, cov_train)
    test_id = draw("test_id", n_test, cov_train)
    test_ood = draw("test_ood", n_ood, np.eye(2), keep_opposed=True)
    return ScenarioData(
        name="latent_overlap",
        seed=seed,
        train=train,
        validation=validation,
        test_splits={"id": test_id, "ood": test_ood},
        truth={
            "weights": list(weights),
            "informative_mass": informative_mass(rho),
            "id_optimal_weights": id_optimal_weights.tolist(),
        },
    )


def _latent_pairs(rng, n: int, cov: np.ndarray, keep_opposed: bool):
    """n pairs of 2-factor latents; with keep_opposed, only pairs in quadrants 2 and 4."""
    chol = np.linalg.cholesky(cov)
    za_parts, zb_parts, have = [], [], 0
    while have < n:
        m = 2 * (n - have) + 16 if keep_opposed else n
        za, zb = rng.normal(size=(m, 2)) @ chol.T, rng.normal(size=(m, 2)) @ chol.T
        if keep_opposed:
            d = za - zb
            keep = d[:, 0] * d[:, 1] < 0
            za, zb = za[keep], zb[keep]
        za_parts.append(za)
        zb_parts.append(zb)
        have += len(za)
    return np.vstack(za_parts)[:n], np.vstack(zb_parts)[:n]


# Clean counterpart: uncorrelated factors (rho 0), the most overlap the scenario has.
SCENARIOS.register(
    "latent_overlap",
    Scenario(
        simulate=simulate,
        shift_split="ood",
        shift_name="OOD accuracy (quadrants 2 and 4)",
        id_split="id",
        clean={"rho": 0.0},
        problem={"rho": 0.9},
        ranges={
            "rho": CORRELATION,
            "weights": Knob("floats", length=2),
            "beta": BETA,
            "obs_noise": NOISE,
            "n_train": SIZE,
            "n_validation": SIZE,
            "n_test": SIZE,
            "n_ood": SIZE,
            "dim": DIM,
        },
    ),
)
