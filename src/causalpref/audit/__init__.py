"""Read-only diagnostics of preference data: findings, figure data and identification verdicts.

The audit returns data only; `causalpref.report.write_audit_report` renders it (audit.json,
audit.html).
"""

from causalpref.audit.findings import AuditReport, CheckResult, FigureSpec, Finding, Verdict
from causalpref.audit.run import run_audit

__all__ = ["AuditReport", "CheckResult", "FigureSpec", "Finding", "Verdict", "run_audit"]
