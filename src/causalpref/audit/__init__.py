"""Read-only diagnostics of preference data: findings, figures and identification verdicts."""

from causalpref.audit.findings import AuditReport, CheckResult, Finding, Verdict
from causalpref.audit.run import run_audit, write_audit

__all__ = ["AuditReport", "CheckResult", "Finding", "Verdict", "run_audit", "write_audit"]
