"""Methods that add pairs built from the training texts: `rrm_augment`, `counterfactual_augment`.

Both train plain Bradley-Terry on the original pairs plus new ones whose labels encode a causal
claim: a tie where only something spurious differs, an order where quality differs. New pairs
are text, so they are encoded by the model's own featuriser (`encoder`, the same setting every
method has); training vectors the encoder does not reproduce are caught before training.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Real

import numpy as np

from causalpref.data import PreferenceData
from causalpref.data.schema import LABEL, PROMPT, RESPONSE_A, RESPONSE_B, VECTOR_A, VECTOR_B, WEIGHT
from causalpref.features.encoders import is_encoder_spec
from causalpref.features.featurizer import PRECOMPUTED
from causalpref.features.rewriters import get_rewriter
from causalpref.methods.base import RewardModel
from causalpref.methods.registry import register_method
from causalpref.methods.settings import WIDTH, Interval, Satisfies, setting
from causalpref.metrics import bradley_terry_nll
from causalpref.models.reward_nets import RewardNet, SingleRewardNet

SOURCE = "source"


def _is_text_encoder(spec: object) -> bool:
    return spec != PRECOMPUTED and is_encoder_spec(spec)


def _names(rewriters: str | Sequence[str]) -> list[str]:
    """The `rewriters` setting as a list of names."""
    if isinstance(rewriters, str):
        return [n.strip() for n in rewriters.split(",") if n.strip()]
    return list(rewriters)


def _known_rewriters(rewriters: str | Sequence[str]) -> bool:
    names = _names(rewriters)
    for name in names:
        get_rewriter(name)
    return bool(names)


@dataclass(kw_only=True, eq=False, repr=False)
class TextAugmentation(RewardModel):
    """Bradley-Terry on the training pairs plus pairs made from their texts (`_new_pairs`)."""

    encoder: str = setting(
        "hashing",
        Satisfies(_is_text_encoder, "a text encoder name ('hashing', 'minilm', 'hf:<path>', ...)"),
        hint="new pairs are text, so they must be encoded the same way as the training pairs",
    )
    augment_fraction: float = setting(1.0, Interval(Real, 0, None))
    augment_weight: float = setting(1.0, Interval(Real, 0, None))
    latent_dim: int = setting(64, WIDTH)

    def training_columns(self) -> list[str]:
        """The texts the new pairs are made of."""
        return [RESPONSE_A, RESPONSE_B]

    def _build_net(self, input_dim: int, n_contexts: int) -> RewardNet:
        return SingleRewardNet(input_dim, hidden_dim=self.hidden_dim, latent_dim=self.latent_dim)

    @abc.abstractmethod
    def _new_pairs(self, data: PreferenceData, rng: np.random.Generator) -> dict[str, list]:
        """Columns prompt / response_a / response_b / label / source of the pairs to add."""

    def _prepare_training_data(self, data: PreferenceData) -> PreferenceData:
        """The training pairs (vectors, label, weight) followed by the encoded new pairs."""
        augmented, self.augmented_counts_ = self._augment(data, np.random.default_rng(self.seed))
        self.n_augmented_ = sum(self.augmented_counts_.values())
        return augmented

    def _prepare_validation_data(self, validation: PreferenceData) -> PreferenceData:
        """Validation pairs plus pairs made from them the same way, when they have the texts:
        early stopping then scores the method's own objective, not the shortcut-rewarding
        accuracy on the training distribution. The added pairs weigh 1 whatever
        `augment_weight` is, so candidates with different weights are scored on the same pairs."""
        if not all(validation.has(c) for c in self.training_columns()):
            return validation
        rng = np.random.default_rng([int(self.seed), 1])
        return self._augment(validation, rng, weight=1.0)[0]

    def _selects_by_groups(self, validation: PreferenceData) -> bool:
        """Early stopping uses the Bradley-Terry loss (ties included) of the augmented pairs."""
        return True

    def _selection_score(self, margins: np.ndarray, validation: PreferenceData) -> float:
        """Minus the weighted BT loss on validation: the ties count, unlike in accuracy."""
        weight = validation.weights
        nll = bradley_terry_nll(margins, validation.labels)
        return -float(np.sum(weight * nll) / max(np.sum(weight), 1e-12))

    def _augment(
        self, data: PreferenceData, rng, weight: float | None = None
    ) -> tuple[PreferenceData, dict[str, int]]:
        """`data` reduced to vectors, label and weight, then the new pairs encoded by the
        model's featuriser, through its cache: half their texts are training texts already
        encoded, and a refit with the same seed (another grid point, another method) adds the
        same pairs; and the number of new pairs per kind (their `source`). New pairs weigh
        `weight` (default `augment_weight`)."""
        new = self._new_pairs(data, rng)
        base = _pair_core(data, data.weights)
        counts = {
            str(k): int(v) for k, v in zip(*np.unique(new[SOURCE], return_counts=True), strict=True)
        }
        if not new[LABEL]:
            return base, counts
        added = PreferenceData.from_columns(new, validate=False)
        added = self.featurizer().transform(added)
        weights = np.full(len(added), float(self.augment_weight if weight is None else weight))
        return PreferenceData.concat([base, _pair_core(added, weights)], validate=False), counts


def _pair_core(data: PreferenceData, weight: np.ndarray) -> PreferenceData:
    """Only what training reads: both vectors, the label and a weight."""
    return PreferenceData.from_columns(
        {
            VECTOR_A: data.vectors("a"),
            VECTOR_B: data.vectors("b"),
            LABEL: data.labels,
            WEIGHT: np.asarray(weight, dtype=np.float64),
        },
        validate=False,
    )


def _texts(data: PreferenceData) -> tuple[list, list[str], list[str]]:
    prompts = list(data.column(PROMPT)) if data.has(PROMPT) else [None] * len(data)
    return prompts, list(data.column(RESPONSE_A)), list(data.column(RESPONSE_B))


def _sample(n: int, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """round(fraction * n) indices of range(n), with replacement only when fraction > 1."""
    k = int(round(fraction * n))
    return rng.choice(n, size=k, replace=k > n)


@register_method
@dataclass(kw_only=True, eq=False, repr=False)
class RRMAugment(TextAugmentation):
    """RRM (Liu et al., arXiv 2409.13156): own-prompt responses beat other prompts' responses,
    and two responses to another prompt tie, so prompt-independent artefacts earn nothing."""

    name = "rrm_augment"
    summary = "BT + cross-prompt pairs: on-prompt beats off-prompt, two off-prompt responses tie"

    def training_columns(self) -> list[str]:
        """Augmentation swaps responses across prompts, so it needs the prompts too."""
        return [PROMPT, *super().training_columns()]

    def _new_pairs(self, data, rng):
        """Per sampled pair i and a partner j with another prompt: (x_i, y_i^a, y_j) and
        (x_i, y_i^b, y_j) with label 1, and (x_i, y_j^a, y_j^b) with label 0.5."""
        prompts, resp_a, resp_b = _texts(data)
        rows = _sample(len(data), self.augment_fraction, rng)
        partners = _partners(prompts, rows, rng)
        out = _empty_pairs()
        for i, j in zip(rows, partners, strict=True):
            if j < 0:
                continue
            off = resp_a[j] if rng.random() < 0.5 else resp_b[j]
            for a, b, label in ((resp_a[i], off, 1.0), (resp_b[i], off, 1.0)):
                _append(out, prompts[i], a, b, label, "on_prompt_wins")
            _append(out, prompts[i], resp_a[j], resp_b[j], 0.5, "off_prompt_tie")
        return out


def _partners(prompts: Sequence, rows: np.ndarray, rng, tries: int = 8) -> np.ndarray:
    """For each row a random other row whose prompt differs (-1 when none was found)."""
    n = len(prompts)
    out = np.full(len(rows), -1, dtype=np.int64)
    for k, i in enumerate(rows):
        for j in rng.integers(0, n, size=tries):
            if prompts[j] != prompts[i]:
                out[k] = j
                break
    return out


def _empty_pairs() -> dict[str, list]:
    """Columns of new pairs; `source` names what made each pair (a rewriter, a pairing rule)."""
    return {PROMPT: [], RESPONSE_A: [], RESPONSE_B: [], LABEL: [], SOURCE: []}


def _append(out: dict[str, list], prompt, a: str, b: str, label: float, source: str) -> None:
    out[SOURCE].append(source)
    out[PROMPT].append(prompt)
    out[RESPONSE_A].append(a)
    out[RESPONSE_B].append(b)
    out[LABEL].append(label)


@register_method
@dataclass(kw_only=True, eq=False, repr=False)
class CounterfactualAugment(TextAugmentation):
    """Causal-rubric augmentation (Crome, Srivastava et al., arXiv 2506.16507): each rewriter
    changes one attribute of sampled responses; a neutral change makes a tie, a causal change
    an ordered pair."""

    name = "counterfactual_augment"
    summary = "BT + rewritten pairs: ties for spurious-only changes, orders for causal ones"

    rewriters: str | Sequence[str] = setting(
        "padding,marker,formatting,degrade_points",
        Satisfies(_known_rewriters, "rewriter names, comma-separated or a list"),
        hint="such as 'padding,degrade_points' (causalpref.design.available_rewriters())",
    )

    def rewriter_names(self) -> list[str]:
        """The `rewriters` setting as a list of names."""
        return _names(self.rewriters)

    def _new_pairs(self, data, rng):
        """For each rewriter, (response, rewrite) pairs over sampled responses of both sides,
        labelled 0.5 (neutral), 1 (rewrite degrades) or 0 (rewrite upgrades)."""
        prompts, resp_a, resp_b = _texts(data)
        all_prompts, responses = prompts + prompts, resp_a + resp_b
        out = _empty_pairs()
        for k, name in enumerate(self.rewriter_names()):
            rewriter = get_rewriter(name)
            rows = _sample(len(responses), self.augment_fraction / 2, rng)
            new = rewriter.rewrite(
                [all_prompts[i] for i in rows],
                [responses[i] for i in rows],
                seed=int(self.seed) * 1000 + k,
            )
            label = {0: 0.5, -1: 1.0, 1: 0.0}[rewriter.effect]
            for i, text in zip(rows, new, strict=True):
                if text is not None and text != responses[i]:
                    _append(out, all_prompts[i], responses[i], text, label, name)
        return out
