"""The audit's figures drawn with matplotlib from each check's FigureSpec: forest plots, bars,
histograms and heatmaps, as inline SVG for the HTML report.

Missing or non-finite numbers are left out (or marked n/a), never drawn at 0. Figure data that
cannot be drawn gives a note in place of the figure, never an exception: the rest of the report
still renders.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape
from typing import Any

import numpy as np

from causalpref.audit.findings import FigureSpec
from causalpref.report.plotting import (
    ACCENT,
    GRID,
    INK,
    MISSING_MATPLOTLIB,
    MUTED,
    figure,
    pyplot,
    style,
    svg_text,
)

MAX_LABEL_CHARS = 32  # longer labels are cut with an ellipsis (audit.json keeps them whole)
WIDTH = 6.4  # inches; the page scales figures down on narrow screens
ROW_INCHES = 0.32  # per labelled row of a forest plot, bar chart or heatmap


class FigureDataError(ValueError):
    """The figure data does not have the shape its kind needs (said in the note shown instead)."""


def render_figure(spec: FigureSpec, uid: str) -> str:
    """HTML for `spec`: an inline `<svg>`, or a note saying why it is not drawn.

    `uid` makes the SVG's element ids unique within the page.
    """
    kind = KINDS.get(spec.kind)
    if kind is None:
        return note(f"unknown figure kind {spec.kind!r}")
    prepare, draw = kind
    try:
        data = prepare(spec)
    except FigureDataError as e:
        return note(str(e))
    except (KeyError, TypeError, ValueError) as e:
        return note(f"figure data could not be drawn ({type(e).__name__}: {e})")
    plt = pyplot()
    if plt is None:
        return note(MISSING_MATPLOTLIB)
    with style(plt):
        fig = draw(plt, spec, data)
    return svg_text(fig, uid, title=spec.title or spec.name)


def note(message: str) -> str:
    """What stands in for a figure that is not drawn."""
    return f'<p class="fig-note">{escape(message)}</p>'


# -- numbers and labels ----------------------------------------------------------------------
def finite(x: Any) -> float | None:
    """`x` as a float, or None when it is missing, not a number, or infinite."""
    try:
        value = float(x)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def fmt(x: float) -> str:
    """A short label for a value: up to 3 significant digits, k / M for large numbers."""
    if x == 0:
        return "0"
    for size, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(x) >= size:
            return f"{x / size:.3g}{suffix}"
    return f"{x:.2g}" if abs(x) < 1e-3 else f"{x:.3g}"


def cut(label: Any) -> str:
    """A row or column label, cut to MAX_LABEL_CHARS with an ellipsis."""
    text = str(label)
    return text if len(text) <= MAX_LABEL_CHARS else text[: MAX_LABEL_CHARS - 1] + "\u2026"


def _rows(spec: FigureSpec) -> list[dict[str, Any]]:
    rows = spec.data.get("rows") or []
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise TypeError(f"data['rows'] must be a list of records, got {type(rows).__name__}")
    if not rows:
        raise FigureDataError("no rows to draw")
    return rows


def _points(rows: list[dict[str, Any]]) -> dict[str, list[float | None]]:
    return {k: [finite(r.get(k)) for r in rows] for k in ("value", "low", "high")}


def _reference(ax: Any, spec: FigureSpec) -> None:
    ref = finite(spec.data.get("reference"))
    if ref is not None:
        ax.axvline(ref, color=INK, linestyle=(0, (4, 3)), linewidth=1.1, zorder=1)


def _row_axes(plt: Any, labels: Sequence[Any], spec: FigureSpec) -> tuple[Any, Any]:
    """Figure and axes with one labelled row per entry, the first at the top."""
    fig, ax = figure(plt, WIDTH, ROW_INCHES * len(labels) + 0.7)
    ax.set_yticks(range(len(labels)), [cut(s) for s in labels])
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.tick_params(axis="y", length=0, labelcolor=INK)
    if spec.xlabel:
        ax.set_xlabel(spec.xlabel)
    return fig, ax


# -- kinds -----------------------------------------------------------------------------------
def _prepare_rows(spec: FigureSpec) -> dict[str, Any]:
    rows = _rows(spec)
    return {"labels": [r.get("label", "") for r in rows], **_points(rows)}


def _intervals(plt: Any, spec: FigureSpec, data: dict[str, Any]) -> Any:
    """Forest plot: one point with its interval per row, a dashed reference line."""
    fig, ax = _row_axes(plt, data["labels"], spec)
    for y, (value, low, high) in enumerate(
        zip(data["value"], data["low"], data["high"], strict=True)
    ):
        if low is not None and high is not None:
            ax.errorbar(
                [(low + high) / 2],
                [y],
                xerr=[[(high - low) / 2]],
                fmt="none",
                ecolor=ACCENT,
                elinewidth=2,
                capsize=4,
                zorder=2,
            )
        if value is not None:
            ax.plot([value], [y], marker="s", markersize=7, color=ACCENT, mec="white", zorder=3)
        else:
            _not_available(ax, y)
    _reference(ax, spec)
    return fig


def _not_available(ax: Any, y: float) -> None:
    """An "n/a" at the left of row `y`, where a value could not be computed."""
    ax.annotate(
        "n/a",
        (0, y),
        xycoords=("axes fraction", "data"),
        xytext=(4, 0),
        textcoords="offset points",
        va="center",
        color=MUTED,
    )


def _bars(plt: Any, spec: FigureSpec, data: dict[str, Any]) -> Any:
    """Horizontal bars from zero, optional whiskers, the value printed beside each bar."""
    fig, ax = _row_axes(plt, data["labels"], spec)
    for y, (value, low, high) in enumerate(
        zip(data["value"], data["low"], data["high"], strict=True)
    ):
        if value is None:
            _not_available(ax, y)
            continue
        ax.barh([y], [value], height=0.6, color=ACCENT, alpha=0.85, zorder=2)
        end = value
        if low is not None and high is not None:
            ax.plot([low, high], [y, y], color=INK, linewidth=1.5, zorder=3)
            end = max(value, high)
        ax.annotate(
            fmt(value), (end, y), xytext=(4, 0), textcoords="offset points", va="center", color=INK
        )
    ax.axvline(0, color=MUTED, linewidth=0.8)
    _reference(ax, spec)
    ax.margins(x=0.12)
    return fig


def _prepare_histogram(spec: FigureSpec) -> dict[str, Any]:
    edges = [finite(e) for e in spec.data.get("edges") or []]
    counts = [finite(c) or 0.0 for c in spec.data.get("counts") or []]
    if len(edges) != len(counts) + 1 or not counts or any(e is None for e in edges):
        raise FigureDataError("histogram needs k counts and k + 1 finite edges")
    return {"edges": np.asarray(edges, dtype=float), "counts": np.asarray(counts, dtype=float)}


def _histogram(plt: Any, spec: FigureSpec, data: dict[str, Any]) -> Any:
    """Vertical bars over the bin edges, a count axis, a dashed reference line."""
    edges, counts = data["edges"], data["counts"]
    fig, ax = figure(plt, WIDTH, 2.6)
    ax.grid(axis="x", visible=False)
    ax.grid(axis="y", color=GRID, linewidth=0.8)
    bars = ax.bar(
        edges[:-1],
        counts,
        width=np.diff(edges),
        align="edge",
        color=ACCENT,
        alpha=0.85,
        edgecolor="white",
        linewidth=0.8,
        zorder=2,
    )
    for i, bar in enumerate(bars):
        bar.set_gid(f"bin-{i}")
    ax.set_xlim(edges[0], edges[-1])
    _reference(ax, spec)
    ax.set_xlabel(spec.xlabel)
    ax.set_ylabel(spec.ylabel)
    return fig


def _prepare_heatmap(spec: FigureSpec) -> dict[str, Any]:
    rows, cols = list(spec.data.get("rows") or []), list(spec.data.get("columns") or [])
    values = spec.data.get("values") or []
    if not rows or not cols or len(values) != len(rows):
        raise FigureDataError("heatmap needs row labels, column labels and one value row each")
    grid = np.full((len(rows), len(cols)), np.nan)
    for i, line in enumerate(values):
        for j, v in enumerate(list(line)[: len(cols)]):
            grid[i, j] = np.nan if finite(v) is None else finite(v)
    seen = grid[np.isfinite(grid)]
    vmin, vmax = finite(spec.data.get("vmin")), finite(spec.data.get("vmax"))
    vmin = vmin if vmin is not None else float(seen.min()) if seen.size else 0.0
    vmax = vmax if vmax is not None else float(seen.max()) if seen.size else 1.0
    return {"rows": rows, "columns": cols, "grid": grid, "vmin": vmin, "vmax": vmax}


def _heatmap(plt: Any, spec: FigureSpec, data: dict[str, Any]) -> Any:
    """Coloured cells with the value printed in each (n/a where missing) and a colour key."""
    grid, vmin, vmax = data["grid"], data["vmin"], data["vmax"]
    diverging = vmin < 0 < vmax
    cmap = plt.get_cmap("RdBu_r" if diverging else "Blues").with_extremes(bad="#f4f4f4")
    limit = max(abs(vmin), abs(vmax))
    lo, hi = (-limit, limit) if diverging else (vmin, vmax if vmax > vmin else vmin + 1.0)
    n_rows, n_cols = grid.shape
    fig, ax = figure(plt, min(WIDTH, 1.6 + 0.6 * n_cols), 0.9 + 0.45 * n_rows)
    ax.grid(False)
    image = ax.pcolormesh(  # vector cells (imshow would embed a bitmap)
        np.arange(n_cols + 1) - 0.5,
        np.arange(n_rows + 1) - 0.5,
        np.ma.masked_invalid(grid),
        cmap=cmap,
        vmin=lo,
        vmax=hi,
        edgecolors="white",
        linewidth=1.0,
    )
    ax.set_ylim(n_rows - 0.5, -0.5)
    ax.set_xticks(range(n_cols), [cut(c) for c in data["columns"]], rotation=40, ha="right")
    ax.set_yticks(range(n_rows), [cut(r) for r in data["rows"]])
    ax.tick_params(length=0, labelcolor=INK)
    for spine in ax.spines.values():
        spine.set_visible(False)
    for (i, j), v in np.ndenumerate(grid):
        dark = np.isfinite(v) and abs(image.norm(v) - (0.5 if diverging else 0.0)) > 0.6 * (
            0.5 if diverging else 1.0
        )
        text = fmt(v) if np.isfinite(v) else "n/a"
        ax.text(j, i, text, ha="center", va="center", fontsize=8, color="white" if dark else INK)
    key = fig.colorbar(image, ax=ax, fraction=0.05, pad=0.03)
    key.solids.set_rasterized(False)  # vector, like the rest of the page
    key.solids.set_edgecolor("face")  # no hairline seams between the key's colour steps
    return fig


Prepare = Callable[[FigureSpec], dict[str, Any]]
Draw = Callable[[Any, FigureSpec, dict[str, Any]], Any]
KINDS: dict[str, tuple[Prepare, Draw]] = {
    "intervals": (_prepare_rows, _intervals),
    "bars": (_prepare_rows, _bars),
    "histogram": (_prepare_histogram, _histogram),
    "heatmap": (_prepare_heatmap, _heatmap),
}
