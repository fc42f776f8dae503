"""Run every registered check on a data set (the report is written by causalpref.report)."""

from __future__ import annotations

import os

from causalpref.audit.checks import CHECKS
from causalpref.audit.context import AuditContext
from causalpref.audit.findings import AuditReport
from causalpref.audit.verdicts import build_verdicts
from causalpref.data.preference_data import PreferenceData
from causalpref.features.featurizer import Featurizer
from causalpref.progress import track


def run_audit(
    data: PreferenceData,
    *,
    context: str | None = None,
    attributes: list[str] | None = None,
    encoder: str | Featurizer | None = None,
    cache_dir: str | os.PathLike | None = None,
    seed: int = 0,
    progress: bool = True,
) -> AuditReport:
    """Audit `data`: every check in CHECKS, then the identification verdicts.

    `encoder` is a Featurizer, or an encoder spec ("hashing", "minilm", "hf:<path>") whose
    Featurizer caches in `cache_dir`; it encodes text only where the data holds no vectors
    (and prompts). A check that cannot run on this data says why in its result; errors are not
    swallowed.
    """
    if isinstance(encoder, str):
        encoder = Featurizer(encoder=encoder, cache_dir=cache_dir, progress=progress)
    ctx = AuditContext(
        data,
        context=context,
        attributes=attributes,
        featurizer=encoder,
        seed=seed,
        progress=progress,
    )
    checks = track(CHECKS.items(), desc="audit checks", unit="check", enabled=progress)
    results = [check(ctx) for _, check in checks]
    settings = {
        "context": context,
        "attributes": ctx.attributes,
        "encoder": None if encoder is None else encoder.encoder,
        "seed": seed,
        "checks": list(CHECKS),
    }
    return AuditReport(ctx.summary(), results, build_verdicts(results, ctx), settings)
