"""Scenario `spurious_attribute`: causal misidentification (DESIGN.md scenario 3).

Causal graph (per response; a pair compares two responses to the same prompt)::

    environment e --> strength s_e
    q (quality) --------------------------------+--> r = q + attribute_effect * a --> label L
        \\                                       |
         +-- corr s_e in training --> a (attribute, e.g. length) --+
    q + encoder noise --+
    a -------------------+--> embedding e <-- nuisance u, prompt topic

In training, the attribute a co-varies with quality: corr(a, q) = s_e in environment e (the
environments' strengths spread around `strength`). With `attribute_effect = 0` the attribute has
no effect on the reward: it is spurious. The embedding reads a cleanly but q only through noise
(`obs_noise`), so a model that predicts training labels well leans on a. Test splits:
`independent` (corr(a, q) = 0) and `reversed` (corr(a, q) = -strength). The attribute is recorded
per response as `attr.<attribute>.a/.b` (standardised), the environment as `env`.

Negative controls: `attribute_effect != 0` (the attribute truly matters, so forcing the reward to
ignore it is wrong) and `env_spread = 0` (no environment varies, so environment-based methods have
nothing to work with).
"""

from __future__ import annotations

import numpy as np

from causalpref.errors import ConfigError
from causalpref.simulate.base import SCENARIOS, Scenario, ScenarioData, pair_columns
from causalpref.simulate.knobs import ANY_FLOAT, BETA, CORRELATION, DIM, NOISE, SIZE, Knob
from causalpref.simulate.observation import RandomLift, bradley_terry_labels

N_TOPIC = 3
N_NUISANCE = 4


def env_strengths(strength: float, env_spread: float, n_envs: int) -> np.ndarray:
    """The per-environment corr(attribute, quality) in training, evenly spread around strength."""
    return np.linspace(strength - env_spread, strength + env_spread, n_envs)


def environment_problems(strength: float, env_spread: float, n_envs: int) -> list[str]:
    """What is wrong with the environment knobs (empty when they are valid)."""
    strengths = env_strengths(strength, env_spread, n_envs)
    problems = []
    if n_envs < 1:
        problems.append(f"n_envs={n_envs}: expected at least 1")
    if np.any(np.abs(strengths) >= 1) or abs(strength) >= 1:
        problems.append(
            f"strength={strength} with env_spread={env_spread} gives environment strengths "
            f"{np.round(strengths, 3).tolist()}: each must lie strictly between -1 and 1"
        )
    return problems


def simulate(
    *,
    strength: float = 0.7,
    env_spread: float = 0.25,
    n_envs: int = 2,
    attribute_effect: float = 0.0,
    attribute: str = "length",
    obs_noise: float = 1.0,
    beta: float | None = 2.0,
    n_train: int = 6000,
    n_validation: int = 1000,
    n_test: int = 4000,
    dim: int = 64,
    seed: int = 0,
) -> ScenarioData:
    """Simulate spurious_attribute: corr(attribute, quality) = strength (on average) in training."""
    strengths = env_strengths(strength, env_spread, n_envs)
    problems = environment_problems(strength, env_spread, n_envs)
    if problems:
        raise ConfigError("spurious_attribute: " + "; ".join(problems))
    rng = np.random.default_rng(seed)
    lift_prompt = RandomLift(N_TOPIC, dim, rng)
    lift_response = RandomLift(2 + N_NUISANCE, dim, rng)
    column = f"attr.{attribute}"

    def draw(split: str, n: int, corr: np.ndarray, env: np.ndarray | None = None):
        qa, qb = rng.normal(size=n), rng.normal(size=n)
        aa = corr * qa + np.sqrt(1 - corr**2) * rng.normal(size=n)
        ab = corr * qb + np.sqrt(1 - corr**2) * rng.normal(size=n)
        prompt = lift_prompt(rng.normal(size=(n, N_TOPIC)))
        emb = [
            prompt
            + lift_response(
                np.column_stack(
                    [q + obs_noise * rng.normal(size=n), a, rng.normal(size=(n, N_NUISANCE))]
                )
            )
            for q, a in ((qa, aa), (qb, ab))
        ]
        ra, rb = qa + attribute_effect * aa, qb + attribute_effect * ab
        label, prob = bradley_terry_labels(ra - rb, beta, rng)
        extra = {
            f"{column}.a": aa,
            f"{column}.b": ab,
            "latent.quality.a": qa,
            "latent.quality.b": qb,
        }
        extra["env"] = (
            np.asarray([f"env{e}" for e in env], dtype=object)
            if env is not None
            else np.full(n, "test", dtype=object)
        )  # test rows: a held-out env
        return pair_columns(split, emb[0], emb[1], label, prob, ra, rb, **extra)

    def training(split: str, n: int):
        env = rng.integers(0, n_envs, size=n)
        return draw(split, n, strengths[env], env)

    return ScenarioData(
        name="spurious_attribute",
        seed=seed,
        train=training("train", n_train),
        validation=training("validation", n_validation),
        test_splits={
            "independent": draw("test_independent", n_test, np.zeros(n_test)),
            "reversed": draw("test_reversed", n_test, np.full(n_test, -strength)),
        },
        truth={
            "attribute_column": column,
            "attribute": attribute,
            "env_strengths": strengths.tolist(),
            "attribute_effect": attribute_effect,
        },
    )


# The knobs this scenario shares with its text twin (spurious_text): environments, labels, sizes.
ENVIRONMENT_KNOBS = {
    "strength": CORRELATION,
    "env_spread": NOISE,
    "n_envs": Knob("int", 1, None),
    "attribute_effect": ANY_FLOAT,
    "obs_noise": NOISE,
    "beta": BETA,
    "n_train": SIZE,
    "n_validation": SIZE,
    "n_test": SIZE,
}

# Clean counterpart: the attribute independent of quality in every environment.
SCENARIOS.register(
    "spurious_attribute",
    Scenario(
        simulate=simulate,
        shift_split="reversed",
        shift_name="accuracy where the attribute-quality link is reversed",
        id_split="independent",
        clean={"strength": 0.0, "env_spread": 0.0},
        problem={},
        ranges={**ENVIRONMENT_KNOBS, "attribute": Knob("str"), "dim": DIM},
    ),
)
