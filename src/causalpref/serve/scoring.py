"""The served model's forward pass: texts to rewards, optionally standardised.

Responses are encoded without the on-disk embedding cache: an RL policy rarely sends the same
response twice, so a cache would only grow.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from causalpref.errors import ConfigError
from causalpref.serve.memory import HeapTrimmer
from causalpref.serve.protocol import ModelNeeds, ScoreItems


class RewardScorer:
    """Scores `ScoreItems` with a fitted model, as `model.rewards(prompts=, responses=)` does."""

    def __init__(self, model: Any, *, normalize: bool = False):
        self.model = model
        featurizer = model.featurizer()
        if featurizer.is_precomputed:
            raise ConfigError(
                f"method '{model.name}' was fitted on precomputed vectors (encoder='precomputed'), "
                "so it cannot score text: refit it with a text encoder (hashing, minilm, "
                "wordllama, hf:<path>) to serve it"
            )
        self._featurizer = dataclasses.replace(featurizer, cache=False)
        # a model saved before reward statistics existed fails here, at startup
        self.normalization = model.reward_normalization() if normalize else None
        self._trim_heap = HeapTrimmer()

    @property
    def needs(self) -> ModelNeeds:
        """What requests must carry besides text."""
        contexts = tuple(getattr(self.model, "contexts_", ()))
        return ModelNeeds(uses_context=bool(self.model.uses_context), contexts=contexts)

    def __call__(self, items: ScoreItems) -> np.ndarray:
        """float64 rewards of `items`, standardised with the training mean and sd if asked."""
        if not len(items):
            return np.zeros(0)
        vectors = self._featurizer.encode(items.prompts, items.responses)
        rewards = self.model.rewards(
            vectors=vectors, context=items.contexts, user_id=items.user_ids
        )
        self._trim_heap()
        if self.normalization is not None:
            mean, sd = self.normalization
            rewards = (rewards - mean) / sd
        return rewards

    def info(self) -> dict[str, Any]:
        """Method, encoder, fingerprint and normalisation, for GET /info."""
        record = self.model.encoder_
        mean_sd = self._training_stats()
        return {
            "method": self.model.name,
            "encoder": record["spec"],
            "fingerprint": record["fingerprint"],
            "uses_context": bool(self.model.uses_context),
            "contexts": list(self.needs.contexts),
            "normalize": self.normalization is not None,
            "reward_mean": None if mean_sd is None else mean_sd[0],
            "reward_sd": None if mean_sd is None else mean_sd[1],
        }

    def _training_stats(self) -> tuple[float, float] | None:
        try:
            return self.model.reward_normalization()
        except ConfigError:
            return None
