"""The audit HTML page (causalpref.report): content, escaping, every figure kind drawn with
matplotlib, the page without matplotlib, and a real render in Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from causalpref.audit.findings import AuditReport, CheckResult, FigureSpec, Finding, Verdict
from causalpref.report import audit_figures, plotting
from causalpref.report.audit import headline_sentence, render_audit_html
from causalpref.report.audit_figures import render_figure
from causalpref.report.html import format_value, prose

render_html = render_audit_html

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
)
MIN_PNG_BYTES = 20_000  # a blank 1200x2400 page compresses to a few kB; a rendered report is more


def figures() -> list[FigureSpec]:
    """One figure of every kind, with awkward labels and a missing value."""
    return [
        FigureSpec(
            name="rates",
            title="Label rate per context",
            kind="intervals",
            data={
                "rows": [
                    {"label": "helpful", "value": 0.52, "low": 0.49, "high": 0.55},
                    {"label": "harmless <b>", "value": 0.31, "low": 0.25, "high": 0.37},
                    {"label": "x" * 60, "value": None, "low": None, "high": None},
                ],
                "reference": 0.5,
            },
            xlabel="share of label > 0.5",
            caption="Points are rates, lines 95% intervals; dashed: no position preference.",
        ),
        FigureSpec(
            name="accuracy",
            title="Held-out accuracy: pooled vs own model",
            kind="bars",
            data={
                "rows": [
                    {"label": "helpful (pooled)", "value": 0.71, "low": 0.69, "high": 0.73},
                    {"label": "harmless (pooled)", "value": 0.55},
                    {"label": "harmless (own)", "value": 0.74, "low": 0.7, "high": 0.78},
                ],
                "reference": 0.5,
            },
            xlabel="accuracy",
            caption="Bars: accuracy; whiskers: 95% intervals.",
        ),
        FigureSpec(
            name="weights",
            title="Inverse propensity weights",
            kind="histogram",
            data={"edges": [0, 1, 2, 4, 8, 16], "counts": [120, 340, 80, 12, 3], "reference": 10},
            xlabel="weight",
            ylabel="rows",
            caption="Dashed: clipping threshold.",
        ),
        FigureSpec(
            name="agreement",
            title="Agreement on similar pairs",
            kind="heatmap",
            data={
                "rows": ["helpful", "harmless"],
                "columns": ["helpful", "harmless"],
                "values": [[0.81, 0.42], [0.42, None]],
                "vmin": 0.0,
                "vmax": 1.0,
            },
            caption="Share of near-identical pairs labelled the same way.",
        ),
    ]


def sample_report() -> AuditReport:
    """A report with every severity, a skipped check, verdicts and hostile text."""
    findings = [
        Finding(
            "heterogeneity.minority_overruled",
            "heterogeneity",
            "warning",
            "Pooled training overrules context 'harmless' (<15% of rows>): accuracy 0.55 vs 0.74.",
            {
                "contexts": [{"context": "harmless", "gap": 0.19}, {"context": "x", "gap": 0.1}],
                "se": 0.02,
                "rows": list(range(40)),
            },
            "Train with the context as an input, or one model per context.",
        ),
        Finding(
            "hygiene.empty_responses",
            "hygiene",
            "notice",
            "3 empty responses.",
            {"count": 3, "first_rows": [4, 17, 88]},
            "Drop or fix the rows.",
        ),
        Finding(
            "hygiene.position_bias",
            "hygiene",
            "info",
            "Every label is 1 & a = chosen.",
            {"share_a": 1.0},
        ),
        Finding("demo.error", "hygiene", "error", "<script>alert(1)</script>", {"x": float("nan")}),
    ]
    checks = [
        CheckResult(
            "heterogeneity",
            "Heterogeneity across contexts",
            findings=[findings[0]],
            stats={"contexts": 2, "per_context": {"helpful": {"n": 900, "rate": 0.52}}},
            figures=figures()[:2] + [figures()[3]],
        ),
        CheckResult(
            "hygiene",
            "Label quality and hygiene",
            findings=findings[1:],
            stats={"rows": 1000},
            figures=[],
        ),
        CheckResult("selection", "Selection", skipped="no propensity or observed column"),
        CheckResult("weights", "Weights", figures=[figures()[2]]),
    ]
    verdicts = [
        Verdict("E[L | x, y, y']", "identified", "A1-A3", "randomised pairs"),
        Verdict("reward via latents", "at_risk", "A5 latent positivity", "rho = 0.8", "more pairs"),
        Verdict("per-context reward", "not_identified", "A2'", "C drives X", "randomise prompts"),
    ]
    return AuditReport(
        data_summary={"source": "data/<train>.jsonl", "rows": 1000, "columns": ["label"]},
        checks=checks,
        verdicts=verdicts,
        settings={"seed": 0, "encoder": "hashing"},
    )


# -- unit tests ------------------------------------------------------------------------------
def test_page_orders_verdict_then_identification_then_findings_then_checks():
    page = render_html(sample_report())
    positions = [
        page.index(s)
        for s in ('class="headline', 'id="verdicts"', 'id="findings"', 'id="checks"', 'id="data"')
    ]
    assert positions == sorted(positions)
    # findings are grouped most severe first, each with a text label, not colour alone
    groups = [page.index(f">{t} <") for t in ("Errors", "Warnings", "Notices", "Info")]
    assert groups == sorted(groups)
    for label in ("ERROR", "WARNING", "NOTICE", "INFO"):
        assert label in page


def test_all_text_is_escaped():
    page = render_html(sample_report())
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "data/&lt;train&gt;.jsonl" in page
    assert "harmless &lt;b&gt;" in page


def test_page_is_self_contained():
    page = render_html(sample_report())
    assert "<script" not in page and "<link" not in page and "<img" not in page
    assert not re.search(r"url\((?!#)", page) and "@import" not in page  # only in-page refs
    assert not re.search(r'href="(?!#)', page)
    urls = set(re.findall(r"https?://[^\"'\s<>]+", page))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}  # namespaces


def test_figures_are_inline_svg_with_ids_unique_on_the_page():
    page = render_html(sample_report())
    assert page.count("<svg") == 4 and "<?xml" not in page and "<!DOCTYPE svg" not in page
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    assert 'aria-label="Label rate per context"' in page


def test_every_figure_kind_renders_an_svg():
    for i, spec in enumerate(figures()):
        svg = render_figure(spec, f"t{i}")
        assert svg.startswith("<svg") and svg.endswith("</svg>")
        assert "could not be drawn" not in svg and "needs" not in svg
        assert spec.title in svg  # the accessible title
        assert "<text" in svg  # text stays text (searchable, drawn in the page's font)


def test_figure_shapes_match_the_data():
    hist = render_figure(figures()[2], "h")
    assert hist.count('id="h-bin-') == 5  # one bar per bin
    heat = render_figure(figures()[3], "m")
    assert heat.count("n/a") >= 1  # a missing cell is shown as missing, not as 0
    forest = render_figure(figures()[0], "f")
    assert "stroke-dasharray" in forest  # the reference line
    assert "\u2026" in forest  # the long label was cut
    assert "harmless &lt;b&gt;" in forest  # labels are escaped


def test_without_matplotlib_the_page_says_how_to_get_figures(monkeypatch):
    monkeypatch.setattr(audit_figures, "pyplot", lambda: None)
    page = render_html(sample_report())
    assert "<svg" not in page
    assert page.count("pip install &#x27;causalpref[plot]&#x27;") == 4  # one note per figure
    assert "Label rate per context" in page  # captions stay


def test_figures_share_the_report_plotting_helpers():
    assert audit_figures.svg_text is plotting.svg_text
    assert audit_figures.pyplot is plotting.pyplot


def test_bad_figure_data_is_reported_not_raised():
    spec = FigureSpec("bad", "Bad", "histogram", {"edges": [0, 1], "counts": [1, 2, 3]})
    assert "histogram needs" in render_figure(spec, "b")
    spec = FigureSpec("bad", "Bad", "bars", {"rows": "not a list"})
    assert "could not be drawn" in render_figure(spec, "b")
    spec = FigureSpec("bad", "Bad", "pie", {})
    assert "unknown figure kind" in render_figure(spec, "b")


def test_empty_report_says_no_findings():
    report = AuditReport(data_summary={"rows": 0}, checks=[], verdicts=[])
    page = render_html(report)
    assert "NO FINDINGS" in page and "No findings." in page
    assert headline_sentence(report).startswith("No findings")


def test_headline_counts_and_skips():
    text = headline_sentence(sample_report())
    assert text.startswith("1 error:") and "1 check was skipped" in text
    page = render_html(sample_report())
    assert "<b>1</b> warning" in page and "Skipped:" in page


def test_format_value_is_short_and_honest():
    assert format_value(float("nan")) == "n/a"
    assert format_value(0.123456) == "0.1235"
    assert format_value(3.0) == "3"
    assert format_value(list(range(30))).endswith("(30 in all)")
    assert format_value(None) == "\u2013" and format_value(True) == "yes"
    assert format_value([]) == "none"


def test_evidence_records_become_a_small_table():
    page = render_html(sample_report())
    assert '<table class="records">' in page
    assert '<th scope="col">gap</th>' in page


def test_missing_numbers_are_left_out_not_drawn_at_zero():
    assert audit_figures.finite(None) is None and audit_figures.finite("x") is None
    assert audit_figures.finite(float("inf")) is None and audit_figures.finite("0.5") == 0.5
    assert audit_figures.fmt(12_345) == "12.3k" and audit_figures.fmt(0.000123) == "0.00012"


# -- the page in a real browser --------------------------------------------------------------
def chromium() -> str | None:
    """Path of a Chromium binary, or None."""
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    return shutil.which("chromium") or shutil.which("chromium-browser")


def screenshot(html: str, tmp_path: Path, size: str = "1200,2400") -> tuple[Path, list[str]]:
    """Render `html` in headless Chromium; return the PNG and the console messages it logged."""
    binary = chromium()
    if binary is None:
        pytest.skip("Chromium not installed (apt-get install -y chromium); browser test skipped")
    page, png = tmp_path / "page.html", tmp_path / "page.png"
    page.write_text(html, encoding="utf-8")
    cmd = [
        binary,
        *CHROMIUM_FLAGS,
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--screenshot={png}",
        f"--window-size={size}",
        page.as_uri(),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    assert png.exists(), f"no screenshot; chromium exit {done.returncode}:\n{done.stderr[-2000:]}"
    return png, console


def test_console_capture_sees_errors(tmp_path):
    """Negative control: a page that logs an error is caught, so the next test can fail."""
    _, console = screenshot("<p>x</p><script>console.error('boom'); nope();</script>", tmp_path)
    assert any("boom" in line for line in console)
    assert any("nope is not defined" in line for line in console)


def test_report_renders_in_chromium_without_console_errors(tmp_path):
    png, console = screenshot(render_html(sample_report()), tmp_path)
    assert console == []
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > MIN_PNG_BYTES


def test_backticked_spans_render_as_code_and_stay_escaped():
    assert prose("run `causalpref design` <now>") == (
        "run <code>causalpref design</code> &lt;now&gt;"
    )
    assert prose("one ` alone") == "one ` alone"
