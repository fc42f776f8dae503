"""The audit's checks, in the order they run: name -> run(ctx) -> CheckResult."""

from __future__ import annotations

from collections.abc import Callable

from causalpref.audit.checks import (
    heterogeneity,
    hygiene,
    labeller,
    overlap,
    selection,
    spurious,
)
from causalpref.audit.context import AuditContext
from causalpref.audit.findings import CheckResult

CHECKS: dict[str, Callable[[AuditContext], CheckResult]] = {
    "spurious": spurious.run,
    "overlap": overlap.run,
    "labeller": labeller.run,
    "heterogeneity": heterogeneity.run,
    "hygiene": hygiene.run,
    "selection": selection.run,
}

__all__ = ["CHECKS"]
