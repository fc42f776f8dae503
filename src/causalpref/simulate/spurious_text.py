"""Scenario `spurious_text`: `spurious_attribute` (DESIGN.md scenario 3) as templated text.

Causal graph (per response; both responses of a pair answer the same prompt)::

    environment e --> strength s_e
    q (quality) ---------------------------------+--> r = q + attribute_effect * z(A) --> label L
        \\                                        |
         +-- corr s_e in training --> a --> A (shown attribute) --+
    q + readout noise --> k helpful points --+
    A (padding / marker / formatting) -------+--> response text --> encoder --> vector
    topic --> prompt, and which points are helpful

A response has four content slots: k of them hold helpful points on the prompt's topic, the rest
vague topic-free sentences, where k = clip(round(2 + q + obs_noise * noise), 0, 4): the text shows
quality only through a noisy, coarse readout, as an encoder sees it. The attribute A is shown by
`attribute`:
- `length`: clip(round(2.5 + 1.5 a), 0, 5) padding sentences appended (recorded as the response's
  word count);
- `marker`: the phrase "Great question, I am so glad you asked!" opens the response when a > 0;
- `formatting`: the content is a markdown list under "Here is a summary:" when a > 0.
In training, corr(a, q) = s_e per environment, so A tells the labels something the coarse
readout does not; a model that fits training labels well leans on it. With attribute_effect = 0
the attribute does not enter the reward: it is spurious. Test splits `independent` (corr 0) and
`reversed` (corr -strength). z(A) standardises the shown attribute ((n - 2.5) / 1.5 padding
sentences, or +-1 for a marker or list), so `attribute_effect` is in reward units per s.d.

Columns: prompt, response_a/b, topic, attr.<attribute>.a/b, latent.quality.a/b,
shown.helpful_points.a/b, env, the truth columns, and vector.a/b from `encoder` (hashing by
default: offline and fast; None keeps text only).
"""

from __future__ import annotations

from functools import partial

import numpy as np

from causalpref.errors import ConfigError
from causalpref.features.rewriters import (
    REWRITERS,
    ListFormatRewriter,
    MarkerRewriter,
    PaddingRewriter,
    SentenceSwapRewriter,
)
from causalpref.simulate.base import SCENARIOS, Scenario, ScenarioData, pair_columns
from causalpref.simulate.knobs import Knob
from causalpref.simulate.observation import bradley_terry_labels
from causalpref.simulate.spurious_attribute import (
    ENVIRONMENT_KNOBS,
    env_strengths,
    environment_problems,
)
from causalpref.simulate.text_bank import (
    FORMAT_HEADER,
    MARKER,
    PADDING,
    TOPICS,
    VAGUE,
    join_sentences,
)

ATTRIBUTES = ("length", "marker", "formatting")
CONTENT_SLOTS = 4
MAX_PADDING = 5
# z(A): centre and scale of the shown attribute, so attribute_effect is per standard deviation.
_CENTRE_SCALE = {"length": (2.5, 1.5), "marker": (0.5, 0.5), "formatting": (0.5, 0.5)}


def simulate(
    *,
    attribute: str = "length",
    strength: float = 0.7,
    env_spread: float = 0.25,
    n_envs: int = 2,
    attribute_effect: float = 0.0,
    obs_noise: float = 1.0,
    beta: float | None = 2.0,
    n_train: int = 6000,
    n_validation: int = 1000,
    n_test: int = 4000,
    encoder: str | None = "hashing",
    seed: int = 0,
) -> ScenarioData:
    """Simulate spurious_text: the attribute co-varies with quality at `strength` in training."""
    strengths = env_strengths(strength, env_spread, n_envs)
    _check_knobs(attribute, strength, env_spread, n_envs)
    rng = np.random.default_rng(seed)
    topics = list(TOPICS)

    def draw(split: str, n: int, corr: np.ndarray, env: np.ndarray | None = None):
        topic = rng.integers(0, len(topics), size=n)
        prompts = [rng.choice(TOPICS[topics[t]]["prompts"]) for t in topic]
        sides = [_responses(rng, topics, topic, corr, attribute, obs_noise) for _ in "ab"]
        reward = [s["q"] + attribute_effect * _standardise(s["shown"], attribute) for s in sides]
        label, prob = bradley_terry_labels(reward[0] - reward[1], beta, rng)
        extra = {
            "prompt": np.asarray(prompts, dtype=object),
            "response_a": np.asarray(sides[0]["text"], dtype=object),
            "response_b": np.asarray(sides[1]["text"], dtype=object),
            "topic": np.asarray([topics[t] for t in topic], dtype=object),
            f"attr.{attribute}.a": sides[0]["recorded"],
            f"attr.{attribute}.b": sides[1]["recorded"],
            "latent.quality.a": sides[0]["q"],
            "latent.quality.b": sides[1]["q"],
            "shown.helpful_points.a": sides[0]["k"].astype(np.float64),
            "shown.helpful_points.b": sides[1]["k"].astype(np.float64),
            "env": (
                np.asarray([f"env{e}" for e in env], dtype=object)
                if env is not None
                else np.full(n, "test", dtype=object)
            ),
        }
        return pair_columns(split, None, None, label, prob, reward[0], reward[1], **extra)

    def training(split: str, n: int):
        env = rng.integers(0, n_envs, size=n)
        return draw(split, n, strengths[env], env)

    splits = {
        "train": training("train", n_train),
        "validation": training("validation", n_validation),
        "independent": draw("test_independent", n_test, np.zeros(n_test)),
        "reversed": draw("test_reversed", n_test, np.full(n_test, -strength)),
    }
    if encoder is not None:
        splits = _encode(splits, encoder)
    return ScenarioData(
        name="spurious_text",
        seed=seed,
        train=splits["train"],
        validation=splits["validation"],
        test_splits={"independent": splits["independent"], "reversed": splits["reversed"]},
        truth={
            "attribute_column": f"attr.{attribute}",
            "attribute": attribute,
            "env_strengths": strengths.tolist(),
            "attribute_effect": attribute_effect,
            "encoder": encoder,
        },
    )


def _check_knobs(attribute: str, strength: float, env_spread: float, n_envs: int) -> None:
    problems = environment_problems(strength, env_spread, n_envs)
    if attribute not in ATTRIBUTES:
        problems.insert(0, f"attribute={attribute!r}: expected one of {list(ATTRIBUTES)}")
    if problems:
        raise ConfigError("spurious_text: " + "; ".join(problems))


def _responses(rng, topics, topic, corr, attribute, obs_noise) -> dict[str, np.ndarray]:
    """One response per pair: latent quality, its readout, the shown attribute and the text."""
    n = len(topic)
    q = rng.normal(size=n)
    a = corr * q + np.sqrt(1 - corr**2) * rng.normal(size=n)
    k = np.clip(np.round(2 + q + obs_noise * rng.normal(size=n)), 0, CONTENT_SLOTS).astype(int)
    if attribute == "length":
        shown = np.clip(np.round(2.5 + 1.5 * a), 0, MAX_PADDING)
    else:
        shown = (a > 0).astype(np.float64)
    texts = [
        _text(rng, topics[t], int(ki), attribute, s)
        for t, ki, s in zip(topic, k, shown, strict=True)
    ]
    if attribute == "length":
        recorded = np.asarray([len(t.split()) for t in texts], dtype=np.float64)
    else:
        recorded = shown
    return {"q": q, "k": k, "shown": shown, "text": texts, "recorded": recorded}


def _text(rng, topic: str, k: int, attribute: str, shown: float) -> str:
    """A response with `k` helpful points on `topic` and the attribute shown as `shown`."""
    points = list(rng.choice(TOPICS[topic]["points"], size=k, replace=False))
    vague = list(rng.choice(VAGUE, size=CONTENT_SLOTS - k, replace=False))
    content = [str(s) for s in rng.permutation(points + vague)]
    n_padding = int(shown) if attribute == "length" else 0
    padding = [str(s) for s in rng.choice(PADDING, size=n_padding, replace=False)]
    body = join_sentences(content, formatted=attribute == "formatting" and shown > 0)
    opener = [MARKER] if attribute == "marker" and shown > 0 else []
    return " ".join([*opener, body, *padding])


def _standardise(shown: np.ndarray, attribute: str) -> np.ndarray:
    centre, scale = _CENTRE_SCALE[attribute]
    return (shown - centre) / scale


def _encode(splits: dict, encoder: str) -> dict:
    """Every split with vector.a/.b from `encoder` (prompt and response encoded together)."""
    from causalpref.features.featurizer import Featurizer

    featurizer = Featurizer(encoder=encoder, cache=False)
    return {name: featurizer.transform(d) for name, d in splits.items()}


# Clean counterpart: the shown attribute independent of quality in every environment.
SCENARIOS.register(
    "spurious_text",
    Scenario(
        simulate=simulate,
        shift_split="reversed",
        shift_name="accuracy where the padding-quality link is reversed (text, hashing encoder)",
        id_split="independent",
        clean={"strength": 0.0, "env_spread": 0.0},
        problem={},
        ranges={
            **ENVIRONMENT_KNOBS,
            "attribute": Knob("str", options=ATTRIBUTES),
            "encoder": Knob("str", allow_none=True),
        },
    ),
)


# Rewriters that know this scenario's text (the library's own add neutral text and know no
# helpful points): name them in counterfactual_augment's `rewriters=` to intervene on exactly
# the attribute planted here.
REWRITERS.register(
    "spurious_text.padding", partial(PaddingRewriter, PADDING, name="spurious_text.padding")
)
REWRITERS.register(
    "spurious_text.marker", partial(MarkerRewriter, MARKER, name="spurious_text.marker")
)
REWRITERS.register(
    "spurious_text.formatting",
    partial(ListFormatRewriter, FORMAT_HEADER, name="spurious_text.formatting"),
)


@REWRITERS.register("spurious_text.degrade_points")
def degrade_points() -> SentenceSwapRewriter:
    """Swap one of this scenario's helpful points for one of its vague sentences (effect -1)."""
    points = [p for topic in TOPICS.values() for p in topic["points"]]
    return SentenceSwapRewriter(points, VAGUE, effect=-1, name="spurious_text.degrade_points")
