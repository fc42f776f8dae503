"""Group-aware train / validation / test assignment for data without a split column.

Each row's group (its prompt, so no prompt is on two sides) is hashed with a seed into [0, 1);
the first `test` share of that range is test, the next `validation` share is validation. The
rule needs nothing but the rows, so a model that records it (`PromptSplit.record()`) lets
`evaluate` find its held-out rows in the same file again, and a fingerprint of the rows tells
whether a file is that file.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from causalpref.data.preference_data import PreferenceData
from causalpref.data.schema import PAIR_ID, PROMPT, RESPONSE_A, RESPONSE_B, VECTOR_A, VECTOR_B
from causalpref.errors import ConfigError

TRAIN, VALIDATION, TEST = "train", "validation", "test"
RULE = "prompt-hash"
_HASH_SPAN = float(2**64)


@dataclass(frozen=True)
class PromptSplit:
    """Shares of the groups (prompts) held out for validation and test, and the hash seed."""

    validation: float = 0.1
    test: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        shares = (self.validation, self.test)
        if any(not 0 <= s < 1 for s in shares) or sum(shares) >= 1:
            raise ConfigError(
                f"hold-out shares validation={self.validation}, test={self.test}: each must be "
                "in [0, 1) and together below 1, so some rows train"
            )

    def assign(self, data: PreferenceData) -> np.ndarray:
        """'train', 'validation' or 'test' for every row; all rows of a group get one value."""
        u = np.fromiter(
            (_unit(self.seed, key) for key in group_keys(data)), dtype=np.float64, count=len(data)
        )
        names = np.full(len(data), TRAIN, dtype=object)
        names[u < self.test + self.validation] = VALIDATION
        names[u < self.test] = TEST
        return names

    def record(self, data: PreferenceData) -> dict[str, Any]:
        """What a model stores: the rule, its shares and seed, and the fitted file's fingerprint."""
        return {"rule": RULE, **asdict(self), "fingerprint": fingerprint(data)}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> PromptSplit:
        """The split a model recorded at fit time."""
        if record.get("rule") != RULE:
            raise ConfigError(f"unknown hold-out rule {record.get('rule')!r}; expected {RULE!r}")
        return cls(validation=record["validation"], test=record["test"], seed=record["seed"])


def group_keys(data: PreferenceData) -> list[str]:
    """Each row's group: its prompt; without prompts its pair_id, else its row number."""
    for column in (PROMPT, PAIR_ID):
        if data.has(column):
            values = data.column(column)
            return [f"row {i}" if v is None else f"{column} {v}" for i, v in enumerate(values)]
    return [f"row {i}" for i in range(len(data))]


def fingerprint(data: PreferenceData) -> str:
    """SHA-256 of the rows' prompts and responses (or vectors), in order: the same file read
    again has the same fingerprint, another file almost surely not."""
    digest = hashlib.sha256(str(len(data)).encode())
    for column in (PROMPT, RESPONSE_A, RESPONSE_B):
        if data.has(column):
            for value in data.column(column):
                digest.update(b"\x00" + ("\x01" if value is None else str(value)).encode())
    for column in (VECTOR_A, VECTOR_B):
        if data.has(column) and data.vector_dim is not None:
            digest.update(np.ascontiguousarray(data.vectors(column[-1])).tobytes())
    return digest.hexdigest()


def _unit(seed: int, key: str) -> float:
    """A uniform number in [0, 1) from the seed and the group key."""
    raw = hashlib.blake2b(f"{seed}\x00{key}".encode(), digest_size=8).digest()
    return int.from_bytes(raw, "little") / _HASH_SPAN
