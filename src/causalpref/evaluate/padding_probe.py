"""Counterfactual padding sensitivity: how often a fitted reward rises when content-free padding
is appended to a response.

Padding sentences (causalpref.features.neutral_text, through the `padding` rewriter) add length
and nothing else, so a reward that does not pay for length rises on about half the responses or
fewer; one that pays for length rises on nearly all. Every method of a data set is probed on the
same padded texts (drawn with the data set's seed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from causalpref.data import PreferenceData
from causalpref.data.schema import CONTEXT, RESPONSE_A, RESPONSE_B
from causalpref.errors import ConfigError
from causalpref.features.rewriters import PaddingRewriter
from causalpref.methods.inputs import pair_prompts

PADDING_RISE = "padding_rise"


@dataclass(frozen=True)
class PaddingProbe:
    """Test responses with their prompts (and contexts), the same responses with padding
    appended, and, when the data's featuriser is known, the vectors of both."""

    prompts: list
    originals: list[str]
    padded: list[str]
    context: list | None = None
    vectors: tuple[np.ndarray, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.originals)


def build_probe(
    tests: dict[str, PreferenceData], seed: int, featurizer: Any = None
) -> PaddingProbe:
    """The distinct responses of every test split, padded with 1-2 neutral sentences (seeded);
    responses the rewriter cannot extend (empty, or already ending in padding) are left out.
    `featurizer` (the data's own) encodes both for models fitted on precomputed vectors."""
    prompts, responses, context = _test_responses(tests)
    padded = PaddingRewriter().rewrite(prompts, responses, seed=seed)
    keep = [i for i, (r, p) in enumerate(zip(responses, padded, strict=True)) if _extends(r, p)]
    if not keep:
        raise ConfigError("padding_probe: no test response could be padded (are they all empty?)")
    probe = PaddingProbe(
        [prompts[i] for i in keep],
        [responses[i] for i in keep],
        [padded[i] for i in keep],
        None if context is None else [context[i] for i in keep],
    )
    if featurizer is None:
        return probe
    vectors = (
        featurizer.encode(probe.prompts, probe.originals),
        featurizer.encode(probe.prompts, probe.padded),
    )
    return PaddingProbe(probe.prompts, probe.originals, probe.padded, probe.context, vectors)


def padding_rise(model: Any, probe: PaddingProbe) -> float:
    """Share of the probe's responses whose reward under `model` is higher with the padding
    (equal rewards do not count as a rise). A model with a text encoder encodes the texts
    itself; one fitted on precomputed vectors is given the probe's vectors."""
    if model.featurizer().is_precomputed:
        if probe.vectors is None:
            raise ConfigError(
                f"padding_probe: method '{model.name}' scores precomputed vectors and the data "
                "has no encoder to encode the padded texts: read the data with encoder = "
                "'hashing' / 'minilm' / ..., or give the methods a text encoder"
            )
        before = model.rewards(vectors=probe.vectors[0], context=probe.context)
        after = model.rewards(vectors=probe.vectors[1], context=probe.context)
    else:
        before = model.rewards(
            prompts=probe.prompts, responses=probe.originals, context=probe.context
        )
        after = model.rewards(prompts=probe.prompts, responses=probe.padded, context=probe.context)
    return float(np.mean(after > before))


def _extends(original: str, padded: str | None) -> bool:
    """Whether the rewrite appended text (the rewriter removes padding a response ends with)."""
    return (
        padded is not None
        and padded.startswith(original.rstrip())
        and len(padded) > len(original.rstrip())
    )


def _test_responses(tests: dict[str, PreferenceData]) -> tuple[list, list[str], list | None]:
    """(prompts, responses, contexts or None) of both sides of every test split, each distinct
    (prompt, response, context) once, in order of appearance."""
    seen: dict[tuple, None] = {}
    with_context = all(part.has(CONTEXT) for part in tests.values())
    for split, part in tests.items():
        if not (part.has(RESPONSE_A) and part.has(RESPONSE_B)):
            raise ConfigError(
                f"padding_probe: test split '{split}' has no response texts to pad; the probe "
                "needs text pairs (keep response_a / response_b beside any vectors)"
            )
        prompts = pair_prompts(part)
        contexts = list(part.column(CONTEXT)) if with_context else [None] * len(part)
        for column in (RESPONSE_A, RESPONSE_B):
            texts: Sequence[str] = part.column(column)
            for key in zip(prompts, texts, contexts, strict=True):
                seen.setdefault(key, None)
    prompts, responses, contexts = (
        (list(x) for x in zip(*seen, strict=True)) if seen else ([], [], [])
    )
    return prompts, [str(r) for r in responses], contexts if with_context else None
