"""Encode texts and preference pairs, reusing cached vectors and saving progress as it goes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from causalpref.data.preference_data import PreferenceData
from causalpref.data.schema import PROMPT, RESPONSE_A, RESPONSE_B, VECTOR_A, VECTOR_B
from causalpref.errors import ConfigError
from causalpref.features.cache import EmbeddingCache, text_keys
from causalpref.features.encoders import Encoder, _as_texts
from causalpref.features.text_format import join_prompt_response
from causalpref.progress import progress_bar

DEFAULT_CHUNK_SIZE = 512  # a cache write and a progress update every chunk


def encode_texts(
    texts: Sequence[str],
    encoder: Encoder,
    *,
    cache: EmbeddingCache | None = None,
    batch_size: int | None = None,
    progress: bool = True,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> np.ndarray:
    """float32 (len(texts), dim) vectors in input order; each distinct text is encoded once.

    Cached texts are not encoded again. Misses are encoded in chunks of `chunk_size` and every
    finished chunk goes to the cache at once, so an interrupted run keeps its work.
    batch_size None means the encoder's own default (64 unless configured).
    """
    texts = _as_texts(texts)
    _check_chunk_size(chunk_size)
    unique, inverse = _unique(texts)
    vectors = np.zeros((len(unique), encoder.dim), dtype=np.float32)
    missing = np.arange(len(unique))
    fingerprint = encoder.fingerprint() if cache is not None else None
    keys = text_keys(unique) if cache is not None else None
    if cache is not None and unique:
        found, cached = cache.get(fingerprint, keys)
        vectors[found] = cached
        missing = np.flatnonzero(~found)
    with _progress_bar(len(unique), len(unique) - len(missing), progress, encoder.spec) as bar:
        for start in range(0, len(missing), chunk_size):
            rows = missing[start : start + chunk_size]
            chunk = _encode_chunk(encoder, [unique[i] for i in rows], batch_size)
            vectors[rows] = chunk
            if cache is not None:
                cache.put(fingerprint, keys[rows], chunk)
            bar.update(len(rows))
    return vectors[inverse]


def encode_pairs(
    data: PreferenceData,
    encoder: Encoder,
    *,
    cache: EmbeddingCache | None = None,
    batch_size: int | None = None,
    progress: bool = True,
) -> PreferenceData:
    """`data` with columns vector.a / vector.b: each response encoded together with its prompt.

    Text is join_prompt_response(prompt, response_x); the prompt column is optional. With the
    'precomputed' encoder the data must already hold vector.a and vector.b and is returned as is.
    """
    if encoder.spec == "precomputed":
        return _require_precomputed(data)
    texts_a, texts_b = pair_texts(data)
    vectors = encode_texts(
        texts_a + texts_b, encoder, cache=cache, batch_size=batch_size, progress=progress
    )
    n = len(texts_a)
    return data.with_columns({VECTOR_A: vectors[:n], VECTOR_B: vectors[n:]}, validate=False)


def pair_texts(data: PreferenceData) -> tuple[list[str], list[str]]:
    """(texts of a, texts of b) as the encoder sees them: prompt joined with each response."""
    missing = [c for c in (RESPONSE_A, RESPONSE_B) if not data.has(c)]
    if missing:
        raise ConfigError(
            f"cannot encode pairs: text column(s) {missing} not found (columns: {data.columns}); "
            "load data with response_a/response_b (or chosen/rejected), or use "
            "encoder 'precomputed' with vector.a/vector.b"
        )
    prompts = data.column(PROMPT) if data.has(PROMPT) else [None] * len(data)
    return _side_texts(prompts, data, RESPONSE_A), _side_texts(prompts, data, RESPONSE_B)


def _side_texts(prompts: Sequence[Any], data: PreferenceData, column: str) -> list[str]:
    """Prompt joined with each response of `column`."""
    responses = data.column(column)
    return [_join(p, r, column, i) for i, (p, r) in enumerate(zip(prompts, responses, strict=True))]


def _join(prompt: Any, response: Any, column: str, row: int) -> str:
    """join_prompt_response with an error that names the column and row of a missing text."""
    if not isinstance(response, str):
        raise ConfigError(
            f"column '{column}' row {row} is {response!r}, not text; fill or drop such rows "
            "before encoding"
        )
    if prompt is not None and not isinstance(prompt, str):
        raise ConfigError(f"column '{PROMPT}' row {row} is {prompt!r}, not text or null")
    return join_prompt_response(prompt, response)


def _require_precomputed(data: PreferenceData) -> PreferenceData:
    """The data itself if it holds vector.a and vector.b; a ConfigError otherwise."""
    missing = [c for c in (VECTOR_A, VECTOR_B) if not data.has(c)]
    if missing:
        raise ConfigError(
            f"encoder 'precomputed' means the data already holds vector.a and vector.b, but "
            f"{missing} are missing (columns: {data.columns}); add them or pick a text encoder"
        )
    return data


def _encode_chunk(encoder: Encoder, texts: list[str], batch_size: int | None) -> np.ndarray:
    """Encode one chunk and check the encoder kept its promise on shape and dtype."""
    vectors = encoder.encode(texts, batch_size=batch_size)
    if getattr(vectors, "shape", None) != (len(texts), encoder.dim):
        raise ConfigError(
            f"encoder '{encoder.spec}' returned shape {getattr(vectors, 'shape', None)} for "
            f"{len(texts)} texts; expected ({len(texts)}, {encoder.dim})"
        )
    return np.asarray(vectors, dtype=np.float32)


def _unique(texts: list[str]) -> tuple[list[str], np.ndarray]:
    """Distinct texts in first-seen order and, per input, the index of its distinct text."""
    first: dict[str, int] = {}
    inverse = np.fromiter(
        (first.setdefault(t, len(first)) for t in texts), dtype=np.int64, count=len(texts)
    )
    return list(first), inverse


def _check_chunk_size(chunk_size: int) -> None:
    """ConfigError unless chunk_size is a positive int."""
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ConfigError(f"chunk_size must be a positive int, got {chunk_size!r}")


def _progress_bar(total: int, done: int, enabled: bool, spec: str) -> Any:
    """The package's progress bar counting distinct texts (cached ones count as done)."""
    return progress_bar(
        total=total, initial=done, desc=f"encoding ({spec})", unit="text", enabled=enabled
    )
