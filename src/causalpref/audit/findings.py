"""What an audit returns: findings, identification verdicts, figure data, and the whole report.

Checks produce plain data (numbers, labels, figure specifications); `audit.json` is this data as
JSON and the HTML report renders it, so nothing in a check knows about presentation.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["info", "notice", "warning", "error"]
SEVERITIES: tuple[str, ...] = ("info", "notice", "warning", "error")  # ascending
# not_enough_data: too few rows for the checks behind a verdict to test anything, so neither
# "identified" nor "not identified" would be the truth.
VerdictStatus = Literal["identified", "at_risk", "not_identified", "not_enough_data"]
VERDICT_STATUSES: tuple[str, ...] = ("identified", "at_risk", "not_identified", "not_enough_data")
FigureKind = Literal["intervals", "bars", "histogram", "heatmap"]


def severity_rank(severity: str) -> int:
    """Position of `severity` in SEVERITIES (info = 0 ... error = 3)."""
    return SEVERITIES.index(severity)


@dataclass(frozen=True)
class Finding:
    """One observation about the data.

    `code` is stable and dotted (`spurious.length`, `hygiene.empty_responses`); `check` names the
    check that made it; `evidence` holds the numbers behind the message (JSON-serialisable);
    `advice` says what to do or what data to collect.
    """

    code: str
    check: str
    severity: Severity
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    advice: str = ""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity={self.severity!r}: expected one of {SEVERITIES}")


@dataclass(frozen=True)
class Verdict:
    """Whether an estimand is identified from this data, and under which assumption."""

    estimand: str
    status: VerdictStatus
    assumption: str
    evidence: str
    advice: str = ""

    def __post_init__(self) -> None:
        if self.status not in VERDICT_STATUSES:
            raise ValueError(f"status={self.status!r}: expected one of {VERDICT_STATUSES}")


@dataclass(frozen=True)
class FigureSpec:
    """Data for one figure; the HTML report draws it as inline SVG.

    `data` by kind:
    - intervals: {"rows": [{"label", "value", "low", "high"}], "reference": float | None}
      (a forest plot: one point with its interval per row, a dashed line at `reference`);
    - bars: {"rows": [{"label", "value", "low"?, "high"?}], "reference": float | None};
    - histogram: {"edges": [k + 1 floats], "counts": [k ints], "reference": float | None};
    - heatmap: {"rows": [labels], "columns": [labels], "values": [[float]], "vmin", "vmax"}.
    `xlabel` / `ylabel` name the axes; `caption` says in one sentence how to read it.
    """

    name: str
    title: str
    kind: FigureKind
    data: dict[str, Any]
    xlabel: str = ""
    ylabel: str = ""
    caption: str = ""


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: its findings, summary statistics and figures, or why it was
    skipped (a check that cannot run on this data says so and produces nothing else)."""

    name: str
    title: str
    findings: list[Finding] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    figures: list[FigureSpec] = field(default_factory=list)
    skipped: str | None = None


@dataclass(frozen=True)
class AuditReport:
    """Everything `causalpref audit` found, in the order checks ran."""

    data_summary: dict[str, Any]
    checks: list[CheckResult]
    verdicts: list[Verdict]
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def findings(self) -> list[Finding]:
        """All findings, most severe first (stable within a severity)."""
        found = [f for check in self.checks for f in check.findings]
        return sorted(found, key=lambda f: -severity_rank(f.severity))

    def worst_severity(self) -> str | None:
        """The most severe finding's severity, or None when there are no findings."""
        found = self.findings
        return found[0].severity if found else None

    def at_least(self, severity: str) -> list[Finding]:
        """Findings of `severity` or worse."""
        rank = severity_rank(severity)
        return [f for f in self.findings if severity_rank(f.severity) >= rank]

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (the content of audit.json)."""
        return {
            "data_summary": self.data_summary,
            "settings": self.settings,
            "worst_severity": self.worst_severity(),
            "findings": [asdict(f) for f in self.findings],
            "verdicts": [asdict(v) for v in self.verdicts],
            "checks": [
                {
                    "name": c.name,
                    "title": c.title,
                    "skipped": c.skipped,
                    "stats": c.stats,
                    "figures": [asdict(fig) for fig in c.figures],
                    "findings": [f.code for f in c.findings],
                }
                for c in self.checks
            ],
        }
