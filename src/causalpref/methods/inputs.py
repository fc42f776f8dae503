"""How a method turns its input into vectors: text pairs through its Featurizer, vector pairs as
they are, raw prompts and responses for `rewards`.

Data that holds both texts and vectors keeps its vectors when the model's encoder reproduces the
first rows (a cheap check that catches vectors made by another encoder), so a scenario encoded
once is not encoded again for every method.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from causalpref.data import PreferenceData
from causalpref.data.schema import PROMPT, RESPONSE_A, RESPONSE_B, VECTOR_A, VECTOR_B
from causalpref.errors import ConfigError
from causalpref.features.featurizer import Featurizer

CHECK_ROWS = 8
VECTOR_ATOL = 1e-4
TEXT_ENCODERS = "'hashing', 'minilm', 'wordllama' or 'hf:<path>'"


def has_vectors(data: PreferenceData) -> bool:
    """Whether `data` holds vector.a and vector.b."""
    return data.has(VECTOR_A) and data.has(VECTOR_B)


def has_texts(data: PreferenceData) -> bool:
    """Whether `data` holds response_a and response_b."""
    return data.has(RESPONSE_A) and data.has(RESPONSE_B)


def missing_inputs(data: PreferenceData, featurizer: Featurizer) -> list[str]:
    """The columns `data` lacks before it can be turned into vectors (empty when it can)."""
    if has_vectors(data):
        return []
    if featurizer.is_precomputed:
        return [c for c in (VECTOR_A, VECTOR_B) if not data.has(c)]
    return [c for c in (RESPONSE_A, RESPONSE_B) if not data.has(c)]


def as_vectors(data: PreferenceData, featurizer: Featurizer, method: str, what: str):
    """`data` with vector.a / vector.b: its own when present (and reproduced by a text encoder
    on the first rows), else its texts encoded by `featurizer`."""
    missing = missing_inputs(data, featurizer)
    if missing:
        how = (
            "add them, or fit with a text encoder (encoder=" + TEXT_ENCODERS + ") to use text"
            if featurizer.is_precomputed
            else "add the response texts, or pass vector pairs"
        )
        raise ConfigError(
            f"{what} lacks column(s) {missing} needed by method '{method}' with "
            f"encoder={featurizer.encoder!r}: {how}; it has: {data.columns}"
        )
    if has_vectors(data):
        if not featurizer.is_precomputed and has_texts(data):
            check_vectors(data, featurizer, method, what)
        return data
    return featurizer.transform(data)


def check_vectors(data: PreferenceData, featurizer: Featurizer, method: str, what: str) -> None:
    """The first rows' texts, encoded by `featurizer`, must reproduce their stored vectors."""
    head = data.take(np.arange(min(CHECK_ROWS, len(data))))
    again = Featurizer(encoder=featurizer.encoder, cache=False).transform(
        head.drop([VECTOR_A, VECTOR_B])
    )
    same = again.vector_dim == head.vector_dim and all(
        np.allclose(again.vectors(s), head.vectors(s), atol=VECTOR_ATOL) for s in "ab"
    )
    if not same:
        raise ConfigError(
            f"{what}: method '{method}' encodes text with encoder={featurizer.encoder!r}, but "
            f"that encoder does not reproduce the data's vector.a/vector.b; set encoder=... to "
            f"the encoder that made them, drop the vector columns to encode the text, or use "
            f"encoder='precomputed' to train on the vectors as they are"
        )


def text_vectors(
    featurizer: Featurizer,
    prompts: Sequence[str | None] | None,
    responses: Sequence[str],
    method: str,
) -> np.ndarray:
    """float32 vectors of raw responses (with their prompts) through the model's featuriser."""
    if featurizer.is_precomputed:
        raise ConfigError(
            f"method '{method}' was fitted on precomputed vectors (encoder='precomputed'), so it "
            f"cannot encode text: pass vectors=..., or refit with encoder={TEXT_ENCODERS}"
        )
    return featurizer.encode(prompts, responses)


def pair_prompts(data: PreferenceData) -> list:
    """The prompt of each row, or None per row when the data has no prompt column."""
    return list(data.column(PROMPT)) if data.has(PROMPT) else [None] * len(data)
