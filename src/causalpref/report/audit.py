"""The audit's outputs: audit.json (every number), audit.html (one self-contained page) and the
short text summary the command line prints.

The audit itself (causalpref.audit) returns data only; everything about presentation is here.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

from causalpref._json import dumps
from causalpref.audit.findings import SEVERITIES, AuditReport, CheckResult, Finding, severity_rank
from causalpref.outputs import output_folder
from causalpref.progress import track
from causalpref.report.html import columns_of, flatten, format_value, is_records

STATUS_LABELS = {
    "identified": "identified",
    "at_risk": "at risk",
    "not_identified": "not identified",
    "not_enough_data": "not enough data",
}
SEVERITY_TITLES = {"error": "Errors", "warning": "Warnings", "notice": "Notices", "info": "Info"}
SEVERITY_MARKS = {"error": "\u2716", "warning": "\u25b2", "notice": "\u25cf", "info": "\u25cb"}
# Seven short columns (a label and six numbers) fit the 60rem page at the tables' .85rem; more
# ran off the page (the overlap check's 16 per pair of factors). The rest stay in audit.json.
MAX_TABLE_COLUMNS = 7


def write_audit_report(
    report: AuditReport,
    out_dir: str | os.PathLike,
    *,
    progress: bool = False,
    overwrite: bool = False,
) -> list[Path]:
    """Write DIR/audit.json and DIR/audit.html as one folder swap; return the paths written.

    An existing DIR is replaced only with `overwrite`, and only when it holds an earlier audit
    and nothing else (ConfigError otherwise, before anything is rendered).
    """
    out = Path(out_dir)
    with output_folder(out, "audit", overwrite=overwrite) as folder:
        (folder / "audit.json").write_text(audit_json(report) + "\n", encoding="utf-8")
        html = render_audit_html(report, progress=progress)
        (folder / "audit.html").write_text(html, encoding="utf-8")
    return [out / "audit.json", out / "audit.html"]


def audit_json(report: AuditReport) -> str:
    """The report as strict JSON (numpy scalars as numbers, NaN and infinity as null)."""
    return dumps(report.to_dict(), indent=2)


# -- the page --------------------------------------------------------------------------------
def render_audit_html(report: AuditReport, *, progress: bool = False) -> str:
    """The whole report page as a string (UTF-8 HTML5, self-contained)."""
    import markupsafe

    from causalpref.report.html import render_page

    summary = report.data_summary
    return render_page(
        "audit.html.j2",
        source=str(summary.get("source") or summary.get("path") or "in-memory data"),
        n_pairs=summary.get("n_pairs", summary.get("rows", summary.get("n_rows"))),
        n_ran=sum(c.skipped is None for c in report.checks),
        worst=report.worst_severity(),
        headline=headline_sentence(report),
        counts=counts_by_severity(report.findings),
        verdicts=report.verdicts,
        groups=_groups(report.findings),
        checks=_checks(report.checks, progress),
        data_summary=summary,
        settings=report.settings,
        status_labels=STATUS_LABELS,
        severity_marks=SEVERITY_MARKS,
        not_recorded=markupsafe.Markup('<p class="empty">Not recorded.</p>'),
    )


def _groups(findings: list[Finding]) -> list[tuple[str, list[dict[str, Any]]]]:
    """(title, [{finding, evidence fitted to the page}]) per severity that has any, most
    severe first."""
    groups = [(s, [f for f in findings if f.severity == s]) for s in reversed(SEVERITIES)]
    return [
        (SEVERITY_TITLES[s], [{"f": f, "evidence": _fitted(f.evidence)} for f in group])
        for s, group in groups
        if group
    ]


def _fitted(evidence: dict[str, Any]) -> dict[str, Any]:
    """Evidence with every table cut to MAX_TABLE_COLUMNS, naming the columns left out."""
    out: dict[str, Any] = {}
    for key, value in evidence.items():
        if not is_records(value):
            out[key] = value
            continue
        table = fit_table(key, value)
        out[key] = table["rows"]
        if table["omitted"]:
            out[f"{key}: more columns"] = ", ".join(table["omitted"]) + " (in audit.json)"
    return out


def split_stats(stats: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A check's stats as (single values for the two-column list, tables shown full width)."""
    flat = flatten(stats)
    # dicts left after flatten's depth are shown inline, as before (not flattened again)
    values = {
        k: format_value(v) if isinstance(v, dict) else v
        for k, v in flat.items()
        if not is_records(v)
    }
    tables = [fit_table(k, v) for k, v in flat.items() if is_records(v)]
    return values, tables


def fit_table(name: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A table that fits the page: text columns (labels) first, at most MAX_TABLE_COLUMNS.

    Returns {"name", "rows", "omitted"}; headers have spaces for underscores, and lists of text
    in a cell are joined with commas.
    """
    # spaced headers wrap at word breaks in a narrow column; audit.json keeps the keys
    cells = [{str(k).replace("_", " "): _cell(v) for k, v in r.items()} for r in rows]
    columns = columns_of(cells)
    text = [c for c in columns if all(isinstance(r.get(c, ""), str) for r in cells)]
    ordered = text + [c for c in columns if c not in text]
    shown = ordered[:MAX_TABLE_COLUMNS]
    return {
        "name": name,
        "rows": [{c: r.get(c) for c in shown} for r in cells],
        "omitted": ordered[MAX_TABLE_COLUMNS:],
    }


def _cell(value: Any) -> Any:
    if isinstance(value, list | tuple) and value and all(isinstance(v, str) for v in value):
        return ", ".join(value)
    return value


def _checks(checks: list[CheckResult], progress: bool) -> list[dict[str, Any]]:
    """Per check: its result, its worst severity and its figures drawn (the slow part)."""
    import markupsafe

    from causalpref.report.audit_figures import render_figure

    figures = [(i, j, fig) for i, c in enumerate(checks) for j, fig in enumerate(c.figures)]
    drawn: dict[tuple[int, int], str] = {}
    for i, j, fig in track(figures, desc="audit figures", unit="fig", enabled=progress):
        drawn[i, j] = render_figure(fig, f"fig{i}-{j}")
    return [
        {
            "result": c,
            "worst": _worst(c),
            "stats": split_stats(c.stats),
            "figures": [
                {"html": markupsafe.Markup(drawn[i, j]), "title": f.title, "caption": f.caption}
                for j, f in enumerate(c.figures)
            ],
        }
        for i, c in enumerate(checks)
    ]


def _worst(check: CheckResult) -> str | None:
    rank = max((severity_rank(f.severity) for f in check.findings), default=-1)
    return SEVERITIES[rank] if rank >= 0 else None


# -- text ------------------------------------------------------------------------------------
def counts_by_severity(findings: list[Finding]) -> dict[str, int]:
    """Number of findings per severity, most severe first."""
    return {s: sum(f.severity == s for f in findings) for s in reversed(SEVERITIES)}


def headline_sentence(report: AuditReport) -> str:
    """One plain sentence saying what the audit means for training on this data."""
    counts = counts_by_severity(report.findings)
    worst = report.worst_severity()
    skipped = sum(c.skipped is not None for c in report.checks)
    tail = f" {skipped} check{'s were' if skipped != 1 else ' was'} skipped (see why below)."
    tail = tail if skipped else ""
    if worst is None:
        return "No findings: the checks that ran found nothing to report." + tail
    n = counts[worst]
    if worst == "error":
        return (
            f"{n} error{_s(n)}: problems that make the data unfit for training as it is; "
            "fix them first." + tail
        )
    if worst == "warning":
        return (
            f"{n} warning{_s(n)}: the data may not support the reward you want as collected; "
            "read them before training." + tail
        )
    if worst == "notice":
        return (
            f"No warnings. {n} notice{_s(n)} worth a look before training; "
            "nothing blocks it." + tail
        )
    return f"No warnings or notices; {n} informational note{_s(n)} describe the data." + tail


def _s(n: int) -> str:
    return "" if n == 1 else "s"


def audit_summary(report: AuditReport, n_pairs: int) -> str:
    """What `causalpref audit` prints: the worst severity and counts, one line per warning or
    worse, skipped checks, then the identification verdicts."""
    counts = Counter(f.severity for f in report.findings)
    tally = ", ".join(f"{counts[s]} {s}" for s in ("error", "warning", "notice") if counts[s])
    worst = report.worst_severity() or "none"
    lines = [f"audit of {n_pairs} pairs: worst severity {worst} ({tally or 'no findings'})"]
    lines += [f"  [{f.severity}] {f.code}: {f.message}" for f in report.at_least("warning")]
    skipped = [f"{c.name} ({c.skipped})" for c in report.checks if c.skipped]
    if skipped:
        lines.append("skipped: " + "; ".join(skipped))
    lines.append("identification:")
    lines += [f"  {v.status:15s} {v.estimand}" for v in report.verdicts]
    return "\n".join(lines)
