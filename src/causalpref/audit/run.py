"""Run every registered check on a data set and write the report (audit.json, audit.html)."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from causalpref._atomic import write_text
from causalpref.audit.checks import CHECKS
from causalpref.audit.context import AuditContext
from causalpref.audit.findings import AuditReport
from causalpref.audit.verdicts import build_verdicts
from causalpref.data.preference_data import PreferenceData


def run_audit(
    data: PreferenceData,
    *,
    context: str | None = None,
    attributes: list[str] | None = None,
    encoder: Any = None,
    cache: Any = None,
    seed: int = 0,
    progress: bool = True,
) -> AuditReport:
    """Audit `data`: every check in CHECKS, then the identification verdicts.

    A check that cannot run on this data says why in its result; errors are not swallowed.
    """
    ctx = AuditContext(
        data,
        context=context,
        attributes=attributes,
        encoder=encoder,
        cache=cache,
        seed=seed,
        progress=progress,
    )
    results = [check(ctx) for check in CHECKS.values()]
    settings = {
        "context": context,
        "attributes": ctx.attributes,
        "encoder": getattr(encoder, "spec", None),
        "seed": seed,
        "checks": list(CHECKS),
    }
    return AuditReport(ctx.summary(), results, build_verdicts(results, ctx), settings)


def write_audit(report: AuditReport, out_dir: str | os.PathLike) -> list[Path]:
    """Write DIR/audit.json (and DIR/audit.html when the HTML renderer exists) atomically."""
    out = Path(out_dir)
    text = json.dumps(_plain(report.to_dict()), indent=2, allow_nan=False)
    written = [write_text(out / "audit.json", text + "\n")]
    try:
        from causalpref.audit.html import render_html
    except ImportError:
        return written
    written.append(write_text(out / "audit.html", render_html(report)))
    return written


def _plain(value: Any) -> Any:
    """JSON-ready copy: numpy scalars to Python, NaN / inf to None (strict JSON has neither)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
