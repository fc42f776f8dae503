"""The one renderer: tables, Markdown, figures and self-contained HTML pages of study results
and audit results (`write_audit_report`, `audit_summary`)."""

from causalpref.report.summary import format_mean_se, summarize

__all__ = ["audit_summary", "format_mean_se", "summarize", "write_audit_report"]


def __getattr__(name: str):
    """The audit renderers load on first use (they import the audit and, to draw, matplotlib)."""
    if name in ("audit_summary", "write_audit_report"):
        from causalpref.report import audit

        return getattr(audit, name)
    raise AttributeError(f"module 'causalpref.report' has no attribute {name!r}")
