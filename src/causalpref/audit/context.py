"""AuditContext: the data under audit, its options, and features computed once and shared.

Checks never encode text or extract attributes themselves: they ask the context, which computes
each feature on first use and keeps it, so six checks cost one encoding pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from causalpref.data.degenerate import shown_rows
from causalpref.data.preference_data import PreferenceData
from causalpref.data.schema import CONTEXT, LABEL, PROMPT, RESPONSE_A, RESPONSE_B, VECTOR_PAIR
from causalpref.errors import ConfigError
from causalpref.features.attributes import (
    BUILTIN_ATTRIBUTES,
    COLUMN_PREFIX,
    attribute_column,
    get_attribute,
)
from causalpref.features.featurizer import Featurizer

PROMPT_VECTOR = "vector.prompt"
PROMPT_PROXY_NOTE = (
    "no prompt text or vector.prompt column: the mean of the two responses' vectors stands in "
    "for the prompt (it also carries response content)"
)


def stored_attributes(data: PreferenceData) -> list[str]:
    """Names of attributes stored as attr.<name>.a / attr.<name>.b column pairs, in table order."""
    names = []
    for column in data.columns:
        if column.startswith(COLUMN_PREFIX) and column.endswith(".a"):
            name = column[len(COLUMN_PREFIX) : -2]
            if data.has(attribute_column(name, "b")):
                names.append(name)
    return names


def default_attributes(data: PreferenceData) -> list[str]:
    """Built-in attributes that need no encoder (when text exists) plus every stored pair."""
    stored = stored_attributes(data)
    has_text = data.has(RESPONSE_A) and data.has(RESPONSE_B)
    builtin = [n for n in BUILTIN_ATTRIBUTES if get_attribute(n).needs != "encoder"]
    builtin = builtin if has_text else []  # without text a stored attr.refusal is the only one
    return builtin + [n for n in stored if n not in builtin]


@dataclass
class AuditContext:
    """The data plus options; `vectors`, `attribute_values` etc. are computed once on demand.

    `context` names the column holding the labeller's objective or user group (None: no
    context); `attributes=None` means `default_attributes(data)`; the `featurizer` encodes text
    only when the data holds no vectors (and prompts), and counts tokens for attributes that
    need an encoder.
    """

    data: PreferenceData
    context: str | None = None
    attributes: list[str] | None = None
    featurizer: Featurizer | None = None
    seed: int = 0
    progress: bool = True
    _memo: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        problems = []
        if len(self.data) == 0:
            problems.append("the data has no rows")
        if not self.data.has(LABEL):
            problems.append(f"the data has no '{LABEL}' column (columns: {self.data.columns})")
        if self.context is not None and not self.data.has(self.context):
            problems.append(
                f"context={self.context!r}: no such column (columns: {self.data.columns}); "
                "pass the column that holds the labeller's objective or user group"
            )
        elif self.context is not None:
            problems += _null_context(self.data, self.context)
        if self.attributes is None:
            self.attributes = default_attributes(self.data)
        else:
            self.attributes = list(dict.fromkeys(self.attributes))
            problems += [p for p in map(self._attribute_problem, self.attributes) if p]
        if problems:
            raise ConfigError("cannot audit: " + "; ".join(problems))

    def _attribute_problem(self, name: str) -> str | None:
        """Why attribute `name` cannot be computed on this data, or None if it can."""
        if self.data.has(attribute_column(name, "a")) and self.data.has(
            attribute_column(name, "b")
        ):
            return None
        try:
            attribute = get_attribute(name)
        except KeyError as e:
            return str(e)
        if not self.has_text:
            return (
                f"attribute {name!r} is not stored as attr.{name}.a/.b and the data has no "
                "response texts to compute it from"
            )
        if attribute.needs == "encoder" and not self._has_encoder:
            return f"attribute {name!r} needs an encoder (count_tokens); pass encoder=..."
        return None

    # -- columns ----------------------------------------------------------------------------
    @property
    def n(self) -> int:
        """Number of pairs."""
        return len(self.data)

    @property
    def labels(self) -> np.ndarray:
        """P(a preferred) per pair, float64."""
        return self.data.labels

    def has(self, column: str) -> bool:
        """True if the data has `column`."""
        return self.data.has(column)

    @property
    def has_text(self) -> bool:
        """True if both response texts are present."""
        return self.data.has(RESPONSE_A) and self.data.has(RESPONSE_B)

    @property
    def has_vectors(self) -> bool:
        """True if vector.a and vector.b are stored in the data."""
        return all(self.data.has(c) for c in VECTOR_PAIR)

    @property
    def _has_encoder(self) -> bool:
        return self.featurizer is not None and not self.featurizer.is_precomputed

    @property
    def can_encode(self) -> bool:
        """True if texts exist and a real (not 'precomputed') encoder was given."""
        return self.has_text and self._has_encoder

    @property
    def has_vectors_or_encoder(self) -> bool:
        """True if response vectors are stored or can be computed."""
        return self.has_vectors or self.can_encode

    def context_values(self) -> np.ndarray | None:
        """The context column as str values (missing -> 'None'), or None without a context."""
        if self.context is None:
            return None
        return self._once("context", lambda: _as_strings(self.data.column(self.context)))

    # -- vectors ----------------------------------------------------------------------------
    def vectors(self, side: str) -> np.ndarray | None:
        """Vectors of response `side` (stored, else prompt+response encoded), or None."""
        pair = self._once("vectors", self._pair_vectors)
        return None if pair is None else pair[0 if side == "a" else 1]

    def _pair_vectors(self) -> tuple[np.ndarray, np.ndarray] | None:
        if self.has_vectors:
            return self.data.vectors("a"), self.data.vectors("b")
        if not self.can_encode:
            return None
        encoded = self.featurizer.transform(self.data)
        return encoded.vectors("a"), encoded.vectors("b")

    def pair_difference(self) -> np.ndarray | None:
        """vectors(a) - vectors(b) as float32 (n, d), or None without vectors."""

        def compute() -> np.ndarray | None:
            a, b = self.vectors("a"), self.vectors("b")
            return None if a is None else (a - b).astype(np.float32)

        return self._once("pair_difference", compute)

    def prompt_vectors(self) -> np.ndarray | None:
        """Encoded prompt text (with an encoder), else a vector.prompt column, else None."""
        return self._once("prompt_vectors", self._prompt_vectors)

    def _prompt_vectors(self) -> np.ndarray | None:
        if self.data.has(PROMPT) and self.can_encode:
            prompts = ["" if p is None else str(p) for p in self.data.column(PROMPT)]
            return self.featurizer.encode_texts(prompts)
        if self.data.has(PROMPT_VECTOR):
            return np.asarray(self.data.column(PROMPT_VECTOR), dtype=np.float32)
        return None

    def prompt_features(self) -> tuple[np.ndarray | None, str]:
        """Prompt vectors, or the mean of the response vectors as a proxy; plus how they were got.

        The second value is 'prompt', 'vector.prompt' or PROMPT_PROXY_NOTE (say it in evidence).
        """
        prompt = self.prompt_vectors()
        if prompt is not None:
            source = "prompt" if self.data.has(PROMPT) and self.can_encode else PROMPT_VECTOR
            return prompt, source
        a, b = self.vectors("a"), self.vectors("b")
        if a is None:
            return None, "no prompt text, prompt vectors or response vectors"
        return ((a + b) / 2).astype(np.float32), PROMPT_PROXY_NOTE

    # -- attributes -------------------------------------------------------------------------
    def attribute_values(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(values of a, values of b) for attribute `name`: stored columns, else from text."""
        return self._once(f"attribute:{name}", lambda: self._attribute_values(name))

    def _attribute_values(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        problem = self._attribute_problem(name)
        if problem:
            raise ConfigError(problem)
        columns = [attribute_column(name, side) for side in ("a", "b")]
        if all(self.data.has(c) for c in columns):
            a, b = (np.asarray(self.data.column(c), dtype=np.float64) for c in columns)
            return a, b
        attribute = get_attribute(name)
        a, b = (
            attribute(self.data.table[column].to_pylist(), encoder=self._encoder(), side=side)
            for side, column in (("a", RESPONSE_A), ("b", RESPONSE_B))
        )
        return a, b

    def attribute_difference(self, name: str) -> np.ndarray:
        """Attribute of a minus attribute of b per pair."""
        a, b = self.attribute_values(name)
        return a - b

    def _encoder(self) -> Any:
        """The encoder object (for token counts), or None without a text encoder."""
        return self.featurizer.encoder_object() if self._has_encoder else None

    # -- memo -------------------------------------------------------------------------------
    def _once(self, key: str, compute: Any) -> Any:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def summary(self) -> dict[str, Any]:
        """Facts about the data for the report header (rows, columns, what features exist)."""
        return {
            "source": self.data.source,
            "n_pairs": self.n,
            "columns": self.data.columns,
            "context": self.context,
            "attributes": list(self.attributes or []),
            "has_text": self.has_text,
            "has_vectors": self.has_vectors,
            "encoder": None if self.featurizer is None else self.featurizer.encoder,
        }


def _null_context(data: PreferenceData, column: str) -> list[str]:
    """Why null contexts stop the audit (a null is not a context called 'None')."""
    missing = np.asarray([v is None for v in data.column(column)], dtype=bool)
    if not missing.any():
        return []
    return [
        f"context column {column!r} is missing (null) in {int(missing.sum())} row(s) "
        f"({shown_rows(missing)}); fill them in (e.g. 'unknown') or drop those rows"
    ]


def _as_strings(values: Any) -> np.ndarray:
    """Object array of str (None -> 'None'), so contexts compare and sort alike."""
    return np.asarray(["None" if v is None else str(v) for v in values], dtype=object)


__all__ = ["CONTEXT", "AuditContext", "default_attributes", "stored_attributes"]
