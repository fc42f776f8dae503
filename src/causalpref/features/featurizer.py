"""The one path from text to vectors: prompt/response formatting, the encoder and the cache.

Methods, the audit, the scenarios and the CLI all featurise through a `Featurizer`, so a fit
done in Python and one done with `causalpref fit` see the same vectors, and a saved model can
rebuild its featuriser (`from_record`) to score raw text.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from causalpref.data.preference_data import PreferenceData
from causalpref.errors import ConfigError
from causalpref.features.cache import (
    EmbeddingCache,
    check_cache_folder,
    default_cache_root,
    default_cache_source,
)
from causalpref.features.encode import encode_pairs, encode_texts
from causalpref.features.encoders import Encoder, get_encoder
from causalpref.features.text_format import join_prompt_response

PRECOMPUTED = "precomputed"


@dataclass(frozen=True)
class Featurizer:
    """Encoder spec plus cache settings; `transform` adds vector.a / vector.b to text pairs.

    encoder: a registered encoder name ("hashing", "minilm", "wordllama"), "hf:<path>", or
    "precomputed" (the data already holds vectors). cache_dir None means the default cache
    ($CAUSALPREF_CACHE or ~/.cache/causalpref/embeddings); cache=False encodes without one.
    """

    encoder: str = PRECOMPUTED
    cache_dir: str | os.PathLike | None = None
    cache: bool = True
    progress: bool = False

    def __post_init__(self) -> None:
        """Refuse a cache folder that is a file (or lies below one) now, before any work."""
        location = self._cache_location()
        if location is not None:
            check_cache_folder(*location)

    @property
    def is_precomputed(self) -> bool:
        """Whether vectors come with the data instead of from an encoder."""
        return self.encoder == PRECOMPUTED

    def encoder_object(self) -> Encoder:
        """The encoder instance (built once per spec and process)."""
        return _build_encoder(self.encoder)

    def fingerprint(self) -> dict[str, Any]:
        """Everything that changes the vectors, as JSON-able data."""
        return self.encoder_object().fingerprint()

    def record(self) -> dict[str, Any]:
        """What a saved model stores to rebuild this featuriser: spec and fingerprint."""
        return {"spec": self.encoder, "fingerprint": self.fingerprint()}

    @classmethod
    def from_record(
        cls,
        record: Mapping[str, Any],
        *,
        cache_dir: str | os.PathLike | None = None,
        progress: bool = False,
    ) -> Featurizer:
        """The featuriser a model was fitted with; refuses an encoder whose vectors differ."""
        featurizer = cls(encoder=record["spec"], cache_dir=cache_dir, progress=progress)
        found = featurizer.fingerprint()
        if found != record["fingerprint"]:
            raise ConfigError(
                f"encoder '{record['spec']}' here differs from the one the model was fitted with "
                f"(saved fingerprint {record['fingerprint']}, found {found}): install the same "
                "encoder version or refit the model"
            )
        return featurizer

    def transform(self, data: PreferenceData) -> PreferenceData:
        """`data` with vector.a / vector.b: each response encoded with its prompt (cached)."""
        cache = self._cache()  # a cache folder that cannot work fails before the encoder loads
        return encode_pairs(data, self.encoder_object(), cache=cache, progress=self.progress)

    def encode(self, prompts: Sequence[str | None] | None, responses: Sequence[str]) -> np.ndarray:
        """float32 (n, dim) vectors of responses joined with their prompts (prompts may be None)."""
        if self.is_precomputed:
            raise ConfigError(
                "this featuriser uses precomputed vectors, so it cannot encode text: pass vectors, "
                "or fit with a text encoder (encoder='hashing', 'minilm', 'wordllama', 'hf:<path>')"
            )
        responses = _text_list(responses, "responses")
        prompts = [None] * len(responses) if prompts is None else list(prompts)
        if len(prompts) != len(responses):
            raise ConfigError(
                f"prompts has {len(prompts)} items but responses has {len(responses)}; "
                "pass one prompt per response (or prompts=None)"
            )
        texts = [join_prompt_response(p, r) for p, r in zip(prompts, responses, strict=True)]
        return encode_texts(
            texts, self.encoder_object(), cache=self._cache(), progress=self.progress
        )

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """float32 (n, dim) vectors of plain texts (no prompt joined), through the same cache."""
        if self.is_precomputed:
            raise ConfigError(
                "this featuriser uses precomputed vectors, so it cannot encode text; choose a "
                "text encoder ('hashing', 'minilm', 'wordllama', 'hf:<path>')"
            )
        return encode_texts(
            _text_list(texts, "texts"),
            self.encoder_object(),
            cache=self._cache(),
            progress=self.progress,
        )

    def _cache(self) -> EmbeddingCache | None:
        location = self._cache_location()
        return None if location is None else _open_cache(str(location[0]), location[1])

    def _cache_location(self) -> tuple[Path, str] | None:
        """(cache folder, the option or variable it comes from), or None without a cache."""
        if self.is_precomputed or not self.cache:
            return None
        if self.cache_dir is not None:
            return Path(self.cache_dir).expanduser().resolve(), "--cache-dir (cache_dir=)"
        return default_cache_root().resolve(), default_cache_source()


@lru_cache(maxsize=8)
def _open_cache(root: str, source: str) -> EmbeddingCache:
    """One cache object per folder and process, so its shard index is read once, then refreshed
    incrementally, instead of on every call (a reward server calls `rewards` many times)."""
    return EmbeddingCache(root, source=source)


@lru_cache(maxsize=8)
def _build_encoder(spec: str) -> Encoder:
    return get_encoder(spec)


def _text_list(values: Sequence[str], name: str) -> list[str]:
    if isinstance(values, str):
        raise ConfigError(f"{name} must be a list of strings, got a single str; wrap it: [text]")
    return list(values)
