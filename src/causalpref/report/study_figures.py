"""The study page's figure: each method's gain over the baseline, mean +- 2 s.e. over seeds."""

from __future__ import annotations

import math
from typing import Any

from causalpref.report.plotting import figure, pyplot, svg_text

PLOT_NOTE = "Figures need matplotlib: pip install 'causalpref[plot]'."


def gain_figure(
    cells: list[dict[str, Any]], baseline: str, grid_keys: tuple[str, ...], uid: str
) -> str | None:
    """Inline SVG of the paired gains (points, with +- 2 s.e. bars); None without matplotlib."""
    plt = pyplot()
    if plt is None:
        return None
    rows = [c for c in cells if c["method"] != baseline and not math.isnan(c["gain"][0])]
    labels = [" ".join([c["method"], *(f"{k}={c[k]}" for k in grid_keys)]) for c in rows]
    fig, ax = figure(plt, 6.0, 0.45 * max(len(rows), 1) + 1.0)
    for y, cell in enumerate(rows):
        mean, se = cell["gain"]
        color = "#1a7f37" if mean - 2 * se > 0 else "#cf222e" if mean + 2 * se < 0 else "#57606a"
        ax.errorbar(100 * mean, y, xerr=200 * se, fmt="o", color=color, capsize=3)
    ax.axvline(0.0, color="#57606a", linewidth=1.0)
    ax.set_yticks(range(len(rows)), labels)
    ax.invert_yaxis()
    ax.set_xlabel(f"gain over {baseline} on the shift metric (points, +- 2 s.e.)")
    return svg_text(fig, uid, title=f"gain over {baseline} per method")
