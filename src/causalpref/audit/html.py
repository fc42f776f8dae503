"""The audit as one self-contained HTML page: verdict first, then findings, figures and settings.

No scripts, fonts or network requests: CSS is inline and figures are inline SVG (audit/svg.py),
so the file can be mailed, archived or printed as is. Every piece of text is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

from causalpref import __version__
from causalpref.audit.findings import (
    SEVERITIES,
    AuditReport,
    CheckResult,
    Finding,
    Verdict,
    severity_rank,
)
from causalpref.audit.svg import render_figure

MAX_LIST_ITEMS = 12  # longer lists in evidence or stats show their first items and a count
MAX_TEXT_CHARS = 400  # longer strings in evidence or stats are cut; audit.json keeps them whole
STATUS_LABELS = {
    "identified": "identified",
    "at_risk": "at risk",
    "not_identified": "not identified",
}
SEVERITY_TITLES = {"error": "Errors", "warning": "Warnings", "notice": "Notices", "info": "Info"}
SEVERITY_MARKS = {"error": "\u2716", "warning": "\u25b2", "notice": "\u25cf", "info": "\u25cb"}


def render_html(report: AuditReport) -> str:
    """The whole report page as a string (UTF-8 HTML5, self-contained)."""
    source = (
        report.data_summary.get("source") or report.data_summary.get("path") or "in-memory data"
    )
    body = [
        _header(report, str(source)),
        _headline(report),
        _contents(report),
        _verdicts(report.verdicts),
        _findings(report.findings),
        _checks(report.checks),
        _data_and_settings(report),
        f"<footer>Made by causalpref {escape(__version__)}. The same numbers are in "
        "<code>audit.json</code> beside this page.</footer>",
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>Audit of {escape(str(source))} \u2014 causalpref</title>\n"
        f"<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
        + "\n".join(body)
        + "\n</main>\n</body>\n</html>\n"
    )


# -- formatting ------------------------------------------------------------------------------
def prose(text: str) -> str:
    """Escaped text in which `backticked` spans (commands, columns) render as code."""
    parts = escape(text).split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick stays as it is
        return escape(text)
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def format_value(value: Any) -> str:
    """A short human-readable rendering of an evidence or stats value (not escaped)."""
    if value is None:
        return "\u2013"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, float):
        return _format_float(value)
    if isinstance(value, str):
        return value if len(value) <= MAX_TEXT_CHARS else value[:MAX_TEXT_CHARS] + "\u2026"
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {format_value(v)}" for k, v in value.items())
    if isinstance(value, Iterable):
        items = list(value)
        if not items:
            return "none"
        shown = ", ".join(format_value(v) for v in items[:MAX_LIST_ITEMS])
        more = len(items) - MAX_LIST_ITEMS
        return f"{shown}, \u2026 ({len(items)} in all)" if more > 0 else shown
    return str(value)


def _format_float(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "\u221e" if value > 0 else "\u2212\u221e"
    if value.is_integer() and abs(value) < 1e15:
        return format_value(int(value))
    return f"{value:.4g}"


def _badge(severity: str) -> str:
    mark = SEVERITY_MARKS.get(severity, "")
    return (
        f'<span class="badge sev-{escape(severity)}"><span aria-hidden="true">{mark}</span> '
        f"{escape(severity.upper())}</span>"
    )


def _kv_table(items: Mapping[str, Any], cls: str = "kv") -> str:
    rows = "".join(
        f'<tr><th scope="row">{escape(str(k))}</th><td>{_cell(v)}</td></tr>'
        for k, v in items.items()
    )
    return f'<table class="{cls}"><tbody>{rows}</tbody></table>' if rows else ""


def _cell(value: Any) -> str:
    """Escaped HTML for one value; a list of records becomes a small table."""
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        return _records(value)
    return escape(format_value(value))


def _records(records: list[Mapping[str, Any]]) -> str:
    columns = list(dict.fromkeys(k for r in records for k in r))
    shown = records[:MAX_LIST_ITEMS]
    head = "".join(f'<th scope="col">{escape(str(c))}</th>' for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(format_value(r.get(c)))}</td>" for c in columns) + "</tr>"
        for r in shown
    )
    more = len(records) - len(shown)
    note = f'<p class="more">\u2026 and {more} more (all in audit.json)</p>' if more > 0 else ""
    return (
        f'<table class="records"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}'
    )


def _stats_list(stats: Mapping[str, Any]) -> str:
    """Summary statistics as a definition list that flows into columns on wide pages."""
    items = "".join(
        f'<div class="stat"><dt>{escape(str(k))}</dt><dd>{_cell(v)}</dd></div>'
        for k, v in _flatten(stats).items()
    )
    return f'<dl class="stats">{items}</dl>' if items else ""


def _flatten(stats: Mapping[str, Any], prefix: str = "", depth: int = 2) -> dict[str, Any]:
    """Nested dicts as 'outer \u203a inner' keys, so a stats table stays two columns wide."""
    out: dict[str, Any] = {}
    for key, value in stats.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and depth > 0:
            out.update(_flatten(value, f"{name} \u203a ", depth - 1))
        else:
            out[name] = value
    return out


# -- sections --------------------------------------------------------------------------------
def _header(report: AuditReport, source: str) -> str:
    summary = report.data_summary
    n = summary.get("n_pairs", summary.get("rows", summary.get("n_rows")))
    facts = [f"source <code>{escape(source)}</code>"]
    if n is not None:
        facts.append(f"{escape(format_value(n))} comparisons")
    ran = [c for c in report.checks if c.skipped is None]
    facts.append(f"{len(ran)} of {len(report.checks)} checks ran")
    joined = " \u00b7 ".join(facts)
    return f'<header><h1>Data audit</h1><p class="sub">{joined}</p></header>'


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
    if worst == "error":
        n = counts["error"]
        return (
            f"{n} error{_s(n)}: problems that make the data unfit for training as it is; "
            "fix them first." + tail
        )
    if worst == "warning":
        n = counts["warning"]
        return (
            f"{n} warning{_s(n)}: the data may not support the reward you want as collected; "
            "read them before training." + tail
        )
    if worst == "notice":
        n = counts["notice"]
        return (
            f"No warnings. {n} notice{_s(n)} worth a look before training; "
            "nothing blocks it." + tail
        )
    n = counts["info"]
    return f"No warnings or notices; {n} informational note{_s(n)} describe the data." + tail


def _s(n: int) -> str:
    return "" if n == 1 else "s"


def _headline(report: AuditReport) -> str:
    worst = report.worst_severity()
    level = worst or "clean"
    label = (
        f"Worst finding: {_badge(worst)}"
        if worst
        else '<span class="badge sev-clean">'
        '<span aria-hidden="true">\u2714</span> NO FINDINGS</span>'
    )
    counts = counts_by_severity(report.findings)
    chips = "".join(
        f'<li class="chip sev-{s}"><b>{n}</b> {escape(s)}</li>' for s, n in counts.items()
    )
    return (
        f'<section class="headline level-{level}" aria-label="Verdict">'
        f'<p class="worst">{label}</p>'
        f'<p class="summary">{escape(headline_sentence(report))}</p>'
        f'<ul class="chips">{chips}</ul></section>'
    )


def _contents(report: AuditReport) -> str:
    links = [
        ("verdicts", "Identification"),
        ("findings", "Findings"),
        ("checks", "Checks"),
        ("data", "Data and settings"),
    ]
    items = "".join(f'<li><a href="#{k}">{escape(v)}</a></li>' for k, v in links)
    return f'<nav aria-label="Contents"><ul>{items}</ul></nav>'


def _verdicts(verdicts: list[Verdict]) -> str:
    head = '<section id="verdicts"><h2>Identification</h2>'
    if not verdicts:
        return head + '<p class="empty">No identification verdicts were made.</p></section>'
    rows = "".join(
        f'<tr><th scope="row">{escape(v.estimand)}</th>'
        f'<td><span class="status st-{escape(v.status)}">'
        f"{escape(STATUS_LABELS.get(v.status, v.status))}</span></td>"
        f"<td>{escape(v.assumption)}</td><td>{escape(v.evidence)}</td>"
        f"<td>{prose(v.advice)}</td></tr>"
        for v in verdicts
    )
    return (
        head + '<p class="lead">Which targets this data can support, and under which '
        'assumption.</p><div class="scroll"><table class="grid verdicts"><thead><tr>'
        '<th scope="col">Estimand</th><th scope="col">Status</th><th scope="col">Assumption</th>'
        '<th scope="col">Evidence</th><th scope="col">Advice</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></div></section>"
    )


def _findings(findings: list[Finding]) -> str:
    head = '<section id="findings"><h2>Findings</h2>'
    if not findings:
        return head + '<p class="empty">No findings.</p></section>'
    parts = [head]
    for severity in reversed(SEVERITIES):
        group = [f for f in findings if f.severity == severity]
        if group:
            parts.append(
                f'<h3 class="group">{escape(SEVERITY_TITLES[severity])} '
                f'<span class="count">({len(group)})</span></h3>'
            )
            parts.extend(_finding(f) for f in group)
    return "".join(parts) + "</section>"


def _finding(f: Finding) -> str:
    advice = f'<p class="advice"><b>What to do:</b> {prose(f.advice)}</p>' if f.advice else ""
    return (
        f'<article class="finding sev-{escape(f.severity)}">'
        f'<p class="fhead">{_badge(f.severity)} <code class="code">{escape(f.code)}</code> '
        f'<span class="from">from <a href="#check-{escape(f.check)}">{escape(f.check)}</a>'
        f"</span></p>"
        f'<p class="message">{prose(f.message)}</p>'
        f"{_kv_table(f.evidence, 'kv evidence')}{advice}</article>"
    )


def _checks(checks: list[CheckResult]) -> str:
    parts = ['<section id="checks"><h2>Checks</h2>']
    if not checks:
        parts.append('<p class="empty">No checks ran.</p>')
    for i, check in enumerate(checks):
        parts.append(_check(check, i))
    return "".join(parts) + "</section>"


def _check(check: CheckResult, index: int) -> str:
    worst = max((severity_rank(f.severity) for f in check.findings), default=-1)
    state = (
        '<span class="state skipped">skipped</span>'
        if check.skipped is not None
        else (
            _badge(SEVERITIES[worst])
            if worst >= 0
            else '<span class="state ok">nothing found</span>'
        )
    )
    parts = [
        f'<section class="check" id="check-{escape(check.name)}">'
        f'<h3>{escape(check.title)} <code class="name">{escape(check.name)}</code> {state}</h3>'
    ]
    if check.skipped is not None:
        parts.append(f'<p class="skip"><b>Skipped:</b> {escape(check.skipped)}</p></section>')
        return "".join(parts)
    if check.findings:
        codes = ", ".join(f"<code>{escape(f.code)}</code>" for f in check.findings)
        parts.append(f'<p class="codes">Findings: {codes}</p>')
    if check.stats:
        parts.append(_stats_list(check.stats))
    for j, fig in enumerate(check.figures):
        caption = f"<figcaption><b>{escape(fig.title)}.</b> {escape(fig.caption)}</figcaption>"
        svg = render_figure(fig, f"fig{index}-{j}")
        parts.append(f'<figure class="plot">{svg}{caption}</figure>')
    return "".join(parts) + "</section>"


def _data_and_settings(report: AuditReport) -> str:
    data = _kv_table(_flatten(report.data_summary)) or '<p class="empty">Not recorded.</p>'
    settings = _kv_table(_flatten(report.settings)) or '<p class="empty">Not recorded.</p>'
    return (
        '<section id="data"><h2>Data and settings</h2><div class="two">'
        f"<div><h3>Data</h3>{data}</div><div><h3>Settings</h3>{settings}</div></div></section>"
    )


CSS = """
:root { --ink:#1d1d1f; --muted:#5f6368; --rule:#d9dce1; --bg:#fff; --panel:#f7f8fa;
  --err:#a4161a; --err-bg:#fde8e8; --warn:#8a4b00; --warn-bg:#fff1d6;
  --note:#1d4f91; --note-bg:#e6effc; --info:#4a4f57; --info-bg:#eef0f2;
  --ok:#1b6b3a; --ok-bg:#e4f4ea; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin:0; background:var(--bg); color:var(--ink);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
main { max-width: 60rem; margin: 0 auto; padding: 1.5rem 1.25rem 3rem; }
h1 { font-size: 1.75rem; margin: 0 0 .2rem; letter-spacing: -.01em; }
h2 { font-size: 1.3rem; margin: 2.2rem 0 .8rem; padding-bottom: .3rem;
  border-bottom: 2px solid var(--rule); }
h3 { font-size: 1.05rem; margin: 1.4rem 0 .5rem; }
code { font: .88em/1.3 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  background: var(--panel); padding: .05em .3em; border-radius: 3px; }
a { color: var(--note); }
.sub, .lead, .from, .count, figcaption, footer { color: var(--muted); }
.sub { margin: 0; }
.headline { margin: 1.2rem 0 1rem; padding: 1rem 1.2rem; border-radius: 8px;
  border-left: 8px solid var(--info); background: var(--info-bg); }
.headline.level-error { border-color: var(--err); background: var(--err-bg); }
.headline.level-warning { border-color: #d97706; background: var(--warn-bg); }
.headline.level-notice { border-color: #3b73c4; background: var(--note-bg); }
.headline.level-clean { border-color: var(--ok); background: var(--ok-bg); }
.headline .worst { margin: 0 0 .35rem; font-weight: 600; }
.headline .summary { margin: 0 0 .6rem; font-size: 1.12rem; font-weight: 500; }
.chips { list-style: none; display: flex; flex-wrap: wrap; gap: .4rem; margin: 0; padding: 0; }
.chip { padding: .1rem .6rem; border-radius: 999px; background: #fff; border: 1px solid
  var(--rule); font-size: .9rem; }
.badge { display: inline-block; padding: .05rem .5rem; border-radius: 4px; font-size: .78rem;
  font-weight: 700; letter-spacing: .04em; border: 1px solid currentColor; white-space: nowrap; }
.sev-error.badge, .chip.sev-error b { color: var(--err); }
.sev-warning.badge, .chip.sev-warning b { color: var(--warn); }
.sev-notice.badge, .chip.sev-notice b { color: var(--note); }
.sev-info.badge, .chip.sev-info b { color: var(--info); }
.badge.sev-error { background: var(--err-bg); } .badge.sev-warning { background: var(--warn-bg); }
.badge.sev-notice { background: var(--note-bg); } .badge.sev-info { background: var(--info-bg); }
.badge.sev-clean { color: var(--ok); background: #fff; }
nav ul { list-style: none; display: flex; gap: 1.2rem; padding: 0; margin: .5rem 0 0;
  font-size: .92rem; }
table { border-collapse: collapse; font-size: .9rem; }
.scroll { overflow-x: auto; }
.grid { width: 100%; }
.grid th, .grid td { text-align: left; vertical-align: top; padding: .45rem .6rem;
  border-bottom: 1px solid var(--rule); }
.grid thead th { background: var(--panel); font-weight: 600; }
.status { font-weight: 700; white-space: nowrap; padding: .05rem .45rem; border-radius: 4px;
  border: 1px solid currentColor; font-size: .82rem; }
.st-identified { color: var(--ok); background: var(--ok-bg); }
.st-at_risk { color: var(--warn); background: var(--warn-bg); }
.st-not_identified { color: var(--err); background: var(--err-bg); }
.group { margin-top: 1.2rem; }
.finding { border: 1px solid var(--rule); border-left: 6px solid var(--info); border-radius: 6px;
  padding: .7rem .95rem; margin: .6rem 0; break-inside: avoid; }
.finding.sev-error { border-left-color: var(--err); }
.finding.sev-warning { border-left-color: #d97706; }
.finding.sev-notice { border-left-color: #3b73c4; }
.finding p { margin: .25rem 0; }
.fhead { display: flex; flex-wrap: wrap; gap: .5rem; align-items: baseline; }
.fhead .from { margin-left: auto; font-size: .85rem; }
.message { font-size: 1rem; }
.advice { background: var(--panel); padding: .35rem .6rem; border-radius: 4px; }
.kv { margin: .45rem 0; }
.kv th { text-align: left; font-weight: 500; color: var(--muted); padding: .15rem 1rem .15rem 0;
  vertical-align: top; white-space: nowrap; }
.kv td { padding: .15rem 0; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
.stats { background: var(--panel); padding: .5rem .8rem; border-radius: 6px; margin: .5rem 0;
  columns: 2 22rem; column-gap: 2rem; font-size: .88rem; }
.stat { display: flex; gap: .8rem; break-inside: avoid; padding: .1rem 0; }
.stat dt { color: var(--muted); flex: 0 1 55%; overflow-wrap: anywhere; }
.stat dd { margin: 0; flex: 1 1 45%; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
.records { margin: .1rem 0; font-size: .85rem; }
.records th, .records td { padding: .1rem .7rem .1rem 0; text-align: left; white-space: nowrap; }
.records th { color: var(--muted); font-weight: 500; border-bottom: 1px solid var(--rule); }
.more { margin: .1rem 0; color: var(--muted); font-size: .85rem; }
.check { border-top: 1px solid var(--rule); padding-top: .2rem; }
h2 + .check { border-top: none; }
.check h3 { display: flex; flex-wrap: wrap; gap: .5rem; align-items: baseline; }
.check h3 .name { font-weight: 400; font-size: .8rem; }
.state { font-size: .78rem; font-weight: 700; padding: .05rem .45rem; border-radius: 4px;
  border: 1px solid currentColor; }
.state.ok { color: var(--ok); } .state.skipped { color: var(--muted); }
.skip { color: var(--muted); }
figure.plot { margin: 1rem 0 1.4rem; break-inside: avoid; }
figure.plot svg { display: block; max-width: 100%; height: auto; }
figcaption { font-size: .88rem; margin-top: .3rem; max-width: 44rem; }
.empty { color: var(--muted); font-style: italic; }
.two { display: grid; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); gap: 1.5rem; }
footer { margin-top: 3rem; font-size: .85rem; border-top: 1px solid var(--rule);
  padding-top: .6rem; }
@media print {
  body { font-size: 10.5pt; } main { max-width: none; padding: 0; }
  nav { display: none; } a { color: inherit; text-decoration: none; }
  h2 { break-after: avoid; } .check { break-inside: auto; }
}
"""
