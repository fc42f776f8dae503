"""Methods that add pairs built from the training texts: `rrm_augment`, `counterfactual_augment`.

Both train plain Bradley-Terry on the original pairs plus new ones whose labels encode a causal
claim: a tie where only something spurious differs, an order where quality differs. New pairs
are text, so they are encoded with the same encoder as the training vectors (`encoder`);
a mismatch between the two is caught before training.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence

import numpy as np

from causalpref.data import PreferenceData
from causalpref.data.schema import LABEL, PROMPT, RESPONSE_A, RESPONSE_B, VECTOR_A, VECTOR_B, WEIGHT
from causalpref.design.rewriters import get_rewriter
from causalpref.errors import ConfigError, UnknownNameError
from causalpref.methods.base import RewardModel
from causalpref.methods.invariance import _is_number_at_least
from causalpref.methods.registry import register_method
from causalpref.models.reward_nets import RewardNet, SingleRewardNet

ENCODER_CHECK_ROWS = 8
SOURCE = "source"
ENCODER_ATOL = 1e-4


class TextAugmentation(RewardModel):
    """Bradley-Terry on the training pairs plus pairs made from their texts (`_new_pairs`)."""

    def __init__(
        self,
        *,
        encoder: str = "hashing",
        augment_fraction: float = 1.0,
        augment_weight: float = 1.0,
        latent_dim: int = 64,
        **settings,
    ):
        super().__init__(**settings)
        self.encoder = encoder
        self.augment_fraction = augment_fraction
        self.augment_weight = augment_weight
        self.latent_dim = latent_dim

    def training_columns(self) -> list[str]:
        """The texts the new pairs are made of."""
        return [RESPONSE_A, RESPONSE_B]

    def _check_params(self) -> list[str]:
        problems = super()._check_params()
        if not (isinstance(self.encoder, str) and self.encoder and self.encoder != "precomputed"):
            problems.append(
                f"encoder={self.encoder!r}: expected the text encoder that made the training "
                f"vectors, e.g. 'hashing' or 'minilm' (new pairs must be encoded the same way)"
            )
        for key in ("augment_fraction", "augment_weight"):
            if not _is_number_at_least(getattr(self, key), 0.0):
                problems.append(f"{key}={getattr(self, key)!r}: expected a number >= 0")
        if not (isinstance(self.latent_dim, int) and self.latent_dim >= 1):
            problems.append(f"latent_dim={self.latent_dim!r}: expected a positive integer")
        return problems

    def _build_net(self, input_dim: int, n_contexts: int) -> RewardNet:
        return SingleRewardNet(input_dim, hidden_dim=self.hidden_dim, latent_dim=self.latent_dim)

    @abc.abstractmethod
    def _new_pairs(self, data: PreferenceData, rng: np.random.Generator) -> dict[str, list]:
        """Columns prompt / response_a / response_b / label / source of the pairs to add."""

    def _prepare_training_data(self, data: PreferenceData) -> PreferenceData:
        """The training pairs (vectors, label, weight) followed by the encoded new pairs."""
        from causalpref.features.encoders import get_encoder

        self._encoder = get_encoder(self.encoder)
        self._check_encoder(data, self._encoder)
        augmented, self.augmented_counts_ = self._augment(data, np.random.default_rng(self.seed))
        self.n_augmented_ = sum(self.augmented_counts_.values())
        return augmented

    def _prepare_validation_data(self, validation: PreferenceData) -> PreferenceData:
        """Validation pairs plus pairs made from them the same way, when they have the texts:
        early stopping then scores the method's own objective, not the shortcut-rewarding
        accuracy on the training distribution."""
        if not all(validation.has(c) for c in self.training_columns()):
            return validation
        rng = np.random.default_rng([int(self.seed), 1])
        return self._augment(validation, rng)[0]

    def _selects_by_groups(self, validation: PreferenceData) -> bool:
        """Early stopping uses the Bradley-Terry loss (ties included) of the augmented pairs."""
        return True

    def _selection_score(self, margins: np.ndarray, validation: PreferenceData) -> float:
        """Minus the weighted BT loss on validation: the ties count, unlike in accuracy."""
        label, weight = validation.labels, validation.weights
        nll = np.logaddexp(0.0, -margins) * label + np.logaddexp(0.0, margins) * (1.0 - label)
        return -float(np.sum(weight * nll) / max(np.sum(weight), 1e-12))

    def _augment(self, data: PreferenceData, rng) -> tuple[PreferenceData, dict[str, int]]:
        """`data` reduced to vectors, label and weight, then the encoded new pairs; and the
        number of new pairs per kind (their `source`)."""
        from causalpref.features.encode import encode_pairs

        new = self._new_pairs(data, rng)
        base = _pair_core(data, data.weights)
        counts = {
            str(k): int(v) for k, v in zip(*np.unique(new[SOURCE], return_counts=True), strict=True)
        }
        if not new[LABEL]:
            return base, counts
        added = PreferenceData.from_columns(new, validate=False)
        added = encode_pairs(added, self._encoder, progress=self.verbose)
        weight = np.full(len(added), float(self.augment_weight))
        return PreferenceData.concat([base, _pair_core(added, weight)], validate=False), counts

    def _check_encoder(self, data: PreferenceData, encoder) -> None:
        """The first rows' texts, encoded with `encoder`, must reproduce their vectors."""
        from causalpref.features.encode import encode_pairs

        head = data.take(np.arange(min(ENCODER_CHECK_ROWS, len(data))))
        again = encode_pairs(head.drop([VECTOR_A, VECTOR_B]), encoder, progress=False)
        if again.vector_dim != head.vector_dim or not np.allclose(
            again.vectors("a"), head.vectors("a"), atol=ENCODER_ATOL
        ):
            raise ConfigError(
                f"method '{self.name}' encodes the pairs it adds with encoder={self.encoder!r}, "
                f"but that encoder does not reproduce the training data's vector.a/vector.b; "
                f"set encoder=... to the encoder that made them (causalpref fit passes its "
                f"--encoder on)"
            )


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
class CounterfactualAugment(TextAugmentation):
    """Causal-rubric augmentation (Crome, Srivastava et al., arXiv 2506.16507): each rewriter
    changes one attribute of sampled responses; a neutral change makes a tie, a causal change
    an ordered pair."""

    name = "counterfactual_augment"
    summary = "BT + rewritten pairs: ties for spurious-only changes, orders for causal ones"

    def __init__(
        self,
        *,
        rewriters: str | Sequence[str] = "padding,marker,formatting,degrade_points",
        **settings,
    ):
        super().__init__(**settings)
        self.rewriters = rewriters

    def _check_params(self) -> list[str]:
        problems = super()._check_params()
        names = self.rewriter_names()
        if not names or not all(isinstance(n, str) and n for n in names):
            problems.append(
                f"rewriters={self.rewriters!r}: expected rewriter names, comma-separated or a "
                f"list, such as 'padding,degrade_points' (causalpref.design.available_rewriters())"
            )
            return problems
        for name in names:
            try:
                get_rewriter(name)
            except (ConfigError, UnknownNameError) as err:
                problems.append(f"rewriters: {err.args[0]}")
        return problems

    def rewriter_names(self) -> list[str]:
        """The `rewriters` setting as a list of names."""
        if isinstance(self.rewriters, str):
            return [n.strip() for n in self.rewriters.split(",") if n.strip()]
        return list(self.rewriters)

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
