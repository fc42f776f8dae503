"""The audit's checks, registered in the order they run: name -> run(ctx) -> CheckResult.

A new check is one module with `NAME`, `TITLE` and `run(ctx)`, registered here; the audit,
`audit.json`, the HTML report and the check contract suite (tests/audit/test_check_contract.py)
pick it up from `CHECKS`.
"""

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
from causalpref.registry import Registry

Check = Callable[[AuditContext], CheckResult]

CHECKS: Registry[Check] = Registry("audit check")
for _module in (spurious, overlap, labeller, heterogeneity, hygiene, selection):
    CHECKS.register(_module.NAME, _module.run)
del _module


def available_checks() -> list[str]:
    """Check names in the order they run."""
    return CHECKS.names()


__all__ = ["CHECKS", "Check", "available_checks"]
