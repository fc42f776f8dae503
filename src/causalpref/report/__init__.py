"""Tables, Markdown reports and figures of experiment results."""

from causalpref.report.summary import format_mean_se, summarize

__all__ = ["format_mean_se", "summarize"]
