"""Scenario `user_confounding`: labeller objectives confounded with prompt type (paper, sec. 4).

Causal graph (one pair; both responses answer the same prompt)::

    C (objective) ---- P(T = C) = rho ----> T (prompt type) --> prompt part of each embedding
        |                                                         (T is easy to decode from e)
        v
    r_C(z) = W[C] . z  -->  label L ~ Bernoulli(sigma(beta (r_C(z_a) - r_C(z_b))))
        ^
    z (response factors: helpfulness, harmlessness) --> z + encoder noise --> response part of e

The reward depends on the objective C and the response factors z only; the prompt type T has no
effect on it. But T and C coincide with probability rho in training, so T can stand in for C: a
model that uses T scores a harmless-minded labeller on a helpful-type prompt as if they were
helpful-minded. Test splits: `consistent` (T = C) and `inconsistent` (T != C, the interventional
question). With rho = 1 there are no inconsistent rows in training at all.

`features` sets how the response factors show in the embedding:
- `shared`: the same random map lifts (z, nuisance) for every prompt type; the prompt part adds on.
- `type_specific`: each prompt type has its own random map for (z, nuisance): how a factor shows
  depends on the prompt type, so a reading learned on one type says nothing about the other.
"""

from __future__ import annotations

import numpy as np

from causalpref.errors import ConfigError
from causalpref.simulate.base import SCENARIOS, Scenario, ScenarioData, pair_columns
from causalpref.simulate.knobs import ANY_FLOAT, DIM, NOISE, SIZE, Knob
from causalpref.simulate.observation import RandomLift, bradley_terry_labels

OBJECTIVES = ("helpful", "harmless")
N_TOPIC = 3
N_NUISANCE = 4
FEATURES = ("shared", "type_specific")


def simulate(
    *,
    rho: float = 0.5,
    features: str = "shared",
    objective_overlap: float = 0.2,
    type_signal: float = 2.0,
    beta: float = 2.0,
    obs_noise: float = 1.0,
    n_train: int = 30000,
    n_validation: int = 6000,
    n_test: int = 5000,
    dim: int = 64,
    seed: int = 0,
) -> ScenarioData:
    """Simulate user_confounding with P(prompt type = objective) = `rho` in training.

    `objective_overlap` is the weight each objective puts on the other objective's factor (0: the
    objectives read disjoint factors); `type_signal` scales how strongly the prompt type shows in
    the embedding; `obs_noise` is the s.d. of the noise with which the embedding reads each
    factor; `n_test` is the size of each test split.
    """
    if features not in FEATURES:
        raise ConfigError(f"features={features!r}: expected one of {FEATURES}")
    rng = np.random.default_rng(seed)
    weights = np.array([[1.0, objective_overlap], [objective_overlap, 1.0]])
    type_codes = rng.normal(size=(2, N_TOPIC))
    type_codes *= type_signal / np.linalg.norm(type_codes, axis=1, keepdims=True)
    lift_prompt = RandomLift(N_TOPIC, dim, rng)
    n_lifts = 2 if features == "type_specific" else 1
    lift_response = [RandomLift(2 + N_NUISANCE, dim, rng) for _ in range(n_lifts)]

    def embed(z: np.ndarray, t: np.ndarray, prompt_part: np.ndarray) -> np.ndarray:
        seen = z + obs_noise * rng.normal(size=z.shape)
        h = np.hstack([seen, rng.normal(size=(len(z), N_NUISANCE))])
        if n_lifts == 1:
            return prompt_part + lift_response[0](h)
        out = np.where((t == 0)[:, None], lift_response[0](h), lift_response[1](h))
        return prompt_part + out

    def draw(split: str, c: np.ndarray, t: np.ndarray) -> object:
        n = len(c)
        prompt_part = lift_prompt(type_codes[t] + 0.5 * rng.normal(size=(n, N_TOPIC)))
        za, zb = rng.normal(size=(n, 2)), rng.normal(size=(n, 2))
        ra, rb = np.sum(za * weights[c], axis=1), np.sum(zb * weights[c], axis=1)
        label, prob = bradley_terry_labels(ra - rb, beta, rng)
        return pair_columns(
            split,
            embed(za, t, prompt_part),
            embed(zb, t, prompt_part),
            label,
            prob,
            ra,
            rb,
            context=np.asarray(OBJECTIVES, dtype=object)[c],
            prompt_type=np.asarray(OBJECTIVES, dtype=object)[t],
            **{
                "latent.helpfulness.a": za[:, 0],
                "latent.helpfulness.b": zb[:, 0],
                "latent.harmlessness.a": za[:, 1],
                "latent.harmlessness.b": zb[:, 1],
            },
        )

    def confounded(n: int):
        c = rng.integers(0, 2, size=n)
        same = rng.random(n) < rho
        return c, np.where(same, c, 1 - c)

    train = draw("train", *confounded(n_train))
    validation = draw("validation", *confounded(n_validation))
    c_test = rng.integers(0, 2, size=n_test)
    consistent = draw("test_consistent", c_test, c_test)
    c_test = rng.integers(0, 2, size=n_test)
    inconsistent = draw("test_inconsistent", c_test, 1 - c_test)
    return ScenarioData(
        name="user_confounding",
        seed=seed,
        train=train,
        validation=validation,
        test_splits={"consistent": consistent, "inconsistent": inconsistent},
        truth={
            "objectives": list(OBJECTIVES),
            "reward_weights": weights.tolist(),
            "context_column": "context",
            "hidden_confounder": "prompt_type",
        },
    )


# Clean counterpart: prompt type independent of the objective (rho 0.5), so it cannot stand in.
SCENARIOS.register(
    "user_confounding",
    Scenario(
        simulate=simulate,
        shift_split="inconsistent",
        shift_name="inconsistent-row accuracy (prompt type != objective)",
        id_split="consistent",
        clean={"rho": 0.5},
        problem={"rho": 0.9},
        ranges={
            "rho": Knob("float", 0, 1),  # P(prompt type = objective)
            "features": Knob("str", options=FEATURES),
            "objective_overlap": ANY_FLOAT,
            "type_signal": NOISE,
            "beta": Knob("float", 0, None, closed="neither"),
            "obs_noise": NOISE,
            "n_train": SIZE,
            "n_validation": SIZE,
            "n_test": SIZE,
            "dim": DIM,
        },
    ),
)
