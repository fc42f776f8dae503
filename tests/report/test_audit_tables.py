"""The audit page's tables fit the page: columns capped, labels first, nothing wider than the
window (measured in headless Chromium when it is installed)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from causalpref.audit import run_audit
from causalpref.data import PreferenceData
from causalpref.report.audit import MAX_TABLE_COLUMNS, fit_table, render_audit_html


def wide_report():
    """Six factors: the overlap check's 15 pairs, 16 numbers each, once ran off the page."""
    rng = np.random.default_rng(0)
    n = 500
    cols = {
        "label": (rng.random(n) < 0.5).astype(float),
        "vector.a": rng.normal(size=(n, 4)),
        "vector.b": rng.normal(size=(n, 4)),
    }
    base = rng.normal(size=(n, 2))
    for k in range(6):
        name = f"latent.a_long_factor_name_number_{k}"
        cols[f"{name}.a"] = base[:, 0] + (0.1 if k < 3 else 2.0) * rng.normal(size=n)
        cols[f"{name}.b"] = rng.normal(size=n)
    data = PreferenceData.from_columns(cols, validate=False)
    return run_audit(data, attributes=[], progress=False)


def test_fit_table_puts_labels_first_and_caps_columns():
    rows = [{f"value_{i}": float(i) for i in range(10)} | {"factors": ["x.a", "x.b"]}]
    table = fit_table("pairs", rows)
    columns = list(table["rows"][0])
    assert columns[0] == "factors" and table["rows"][0]["factors"] == "x.a, x.b"
    assert len(columns) == MAX_TABLE_COLUMNS
    assert table["omitted"] == [f"value {i}" for i in range(MAX_TABLE_COLUMNS - 1, 10)]


def test_overlap_tables_are_capped_on_the_page():
    report = wide_report()
    pairs = next(c for c in report.checks if c.name == "overlap").stats["pairs"]
    assert len(pairs[0]) > MAX_TABLE_COLUMNS  # the data has more than the page shows
    html = render_audit_html(report)
    widths = [len(re.findall(r'<th scope="col">', t)) for t in records_tables(html)]
    assert widths and max(widths) <= MAX_TABLE_COLUMNS
    assert "Columns not shown:" in html and "(all in audit.json)" in html


def test_page_is_no_wider_than_the_window():
    width = page_width(render_audit_html(wide_report()))
    if width is None:
        pytest.skip("Chromium is not installed: the page width cannot be measured")
    assert width[0] <= width[1], f"page {width[0]}px wide in a {width[1]}px window"


def records_tables(html: str) -> list[str]:
    return re.findall(r"<table class=\"records\">.*?</thead>", html, flags=re.S)


def page_width(html: str) -> tuple[int, int] | None:
    """(scroll width, window width) of the page in headless Chromium at 1024 px; None without
    Chromium."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        return None
    probe = (
        '<script>document.body.dataset.sw = document.documentElement.scrollWidth + "/" + '
        "document.documentElement.clientWidth</script></body>"
    )
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "audit.html"
        page.write_text(html.replace("</body>", probe), encoding="utf-8")
        dom = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1024,800",
             "--dump-dom", page.as_uri()],
            capture_output=True, text=True, timeout=120, check=False,
        ).stdout  # fmt: skip
    match = re.search(r'data-sw="(\d+)/(\d+)"', dom)
    return (int(match[1]), int(match[2])) if match else None
