"""Inline SVG drawings of FigureSpec data: forest plots, bars, histograms and heatmaps.

Hand-written SVG keeps the HTML report self-contained (no scripts, no fonts, no matplotlib) and
printable. Every text is escaped; missing or non-finite numbers are left out, never drawn at 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import Any

from causalpref.audit.findings import FigureSpec

WIDTH = 640  # px of the viewBox; the page scales it down on narrow screens
ROW_HEIGHT = 26  # px per labelled row (forest plot, bars): room for 12px text
CHAR_WIDTH = 7.2  # px per character of 12px sans-serif (generous), to size the label column
MAX_LABEL_CHARS = 32  # longer labels are cut (the full label stays in a tooltip)
INK = "#222"
MUTED = "#666"
GRID = "#e3e3e3"
ACCENT = "#2b5f9e"


def render_figure(spec: FigureSpec, uid: str) -> str:
    """SVG markup for `spec`; `uid` makes element ids unique within the page."""
    draw = {
        "intervals": _intervals,
        "bars": _bars,
        "histogram": _histogram,
        "heatmap": _heatmap,
    }.get(spec.kind)
    if draw is None:
        return _note(spec, uid, f"unknown figure kind {spec.kind!r}")
    try:
        return draw(spec, uid)
    except (KeyError, TypeError, ValueError) as e:
        return _note(spec, uid, f"figure data could not be drawn ({type(e).__name__}: {e})")


# -- numbers and scales ----------------------------------------------------------------------
def finite(x: Any) -> float | None:
    """`x` as a float, or None when it is missing, not a number, or infinite."""
    try:
        value = float(x)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def nice_ticks(lo: float, hi: float, target: int = 5) -> list[float]:
    """About `target` round tick values (steps of 1, 2 or 5 x 10^k) covering [lo, hi]."""
    if hi < lo:
        lo, hi = hi, lo
    if hi - lo < 1e-12:
        pad = abs(lo) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / max(target, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.floor(lo / step + 1e-9) * step
    last = math.ceil(hi / step - 1e-9) * step
    count = int(round((last - first) / step)) + 1
    return [round(first + i * step, 12) for i in range(count)]


def fmt(x: float) -> str:
    """A short label for a tick or value: up to 3 significant digits, k / M for large numbers."""
    if x == 0:
        return "0"
    for size, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(x) >= size:
            return f"{x / size:.3g}{suffix}"
    if abs(x) < 1e-3:
        return f"{x:.2g}"
    return f"{x:.3g}"


class Scale:
    """Linear map from data [lo, hi] to pixels [p0, p1]."""

    def __init__(self, lo: float, hi: float, p0: float, p1: float):
        self.lo, self.hi, self.p0, self.p1 = lo, hi, p0, p1

    def __call__(self, x: float) -> float:
        span = self.hi - self.lo or 1.0
        return self.p0 + (x - self.lo) / span * (self.p1 - self.p0)


# -- shared pieces ---------------------------------------------------------------------------
def _open(spec: FigureSpec, uid: str, height: float, width: float = WIDTH) -> list[str]:
    title = escape(spec.title or spec.name)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="fig" viewBox="0 0 {width:.0f} '
        f'{height:.0f}" width="{width:.0f}" height="{height:.0f}" role="img" '
        f'aria-labelledby="{uid}-t" font-family="system-ui, -apple-system, Segoe UI, Roboto, '
        f'Helvetica, Arial, sans-serif" font-size="12">',
        f'<title id="{uid}-t">{title}</title>',
    ]


def _text(x: float, y: float, s: str, anchor: str = "start", **attrs: Any) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(str(v))}"' for k, v in attrs.items())
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>{escape(s)}</text>'


def _label(s: Any) -> tuple[str, str]:
    """(shown, full) text of a row label; long labels are cut with an ellipsis."""
    full = str(s)
    shown = full if len(full) <= MAX_LABEL_CHARS else full[: MAX_LABEL_CHARS - 1] + "\u2026"
    return shown, full


def _label_width(labels: Sequence[Any]) -> float:
    longest = max((len(_label(s)[0]) for s in labels), default=4)
    return min(max(longest * CHAR_WIDTH + 16, 60), MAX_LABEL_CHARS * CHAR_WIDTH + 16)


def _x_axis(scale: Scale, ticks: list[float], top: float, bottom: float, label: str) -> list[str]:
    out = []
    for t in ticks:
        x = scale(t)
        out.append(
            f'<line x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{bottom:.1f}" stroke="{GRID}"/>'
        )
        out.append(_text(x, bottom + 14, fmt(t), "middle", fill=MUTED))
    out.append(
        f'<line x1="{scale.p0:.1f}" y1="{bottom:.1f}" x2="{scale.p1:.1f}" '
        f'y2="{bottom:.1f}" stroke="{MUTED}"/>'
    )
    if label:
        out.append(_text((scale.p0 + scale.p1) / 2, bottom + 30, label, "middle", fill=INK))
    return out


def _reference(scale: Scale, ref: float | None, top: float, bottom: float) -> list[str]:
    if ref is None or not scale.lo <= ref <= scale.hi:
        return []
    x = scale(ref)
    return [
        f'<line x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{bottom:.1f}" stroke="{INK}" '
        'stroke-dasharray="4 3" stroke-width="1.2"/>'
    ]


def _domain(values: Sequence[float], include: Sequence[float] = ()) -> tuple[float, float]:
    """Round axis limits covering `values` and `include`; [0, 1] when everything is 0."""
    pool = [v for v in (*values, *include) if v is not None]
    if not pool:
        return 0.0, 1.0
    lo, hi = min(pool), max(pool)
    if lo == hi == 0:
        return 0.0, 1.0
    ticks = nice_ticks(lo, hi)
    low = 0.0 if lo >= 0 and ticks[0] < 0 else ticks[0]
    return low, ticks[-1]


def _note(spec: FigureSpec, uid: str, message: str) -> str:
    parts = _open(spec, uid, 40)
    parts.append(_text(8, 24, message, fill=MUTED))
    return "".join(parts) + "</svg>"


def _rows(spec: FigureSpec) -> list[dict[str, Any]]:
    rows = spec.data.get("rows") or []
    if not isinstance(rows, list):
        raise TypeError(f"data['rows'] must be a list, got {type(rows).__name__}")
    return rows


# -- kinds -----------------------------------------------------------------------------------
def _intervals(spec: FigureSpec, uid: str) -> str:
    """Forest plot: one point with its interval per row, a dashed reference line."""
    rows = _rows(spec)
    if not rows:
        return _note(spec, uid, "no rows to draw")
    ref = finite(spec.data.get("reference"))
    values = [finite(r.get(k)) for r in rows for k in ("value", "low", "high")]
    lo, hi = _domain([v for v in values if v is not None], [ref] if ref is not None else [])
    left, top = _label_width([r.get("label", "") for r in rows]), 10
    bottom = top + ROW_HEIGHT * len(rows)
    height = bottom + (44 if spec.xlabel else 26)
    scale = Scale(lo, hi, left, WIDTH - 20)
    parts = _open(spec, uid, height)
    parts += _x_axis(scale, nice_ticks(lo, hi), top, bottom, spec.xlabel)
    parts += _reference(scale, ref, top, bottom)
    for i, row in enumerate(rows):
        parts += _interval_row(row, scale, top + ROW_HEIGHT * (i + 0.5), left)
    return "".join(parts) + "</svg>"


def _interval_row(row: dict[str, Any], scale: Scale, y: float, left: float) -> list[str]:
    shown, full = _label(row.get("label", ""))
    out = [
        f"<g><title>{escape(full)}: {escape(_describe(row))}</title>",
        _text(left - 8, y + 4, shown, "end", fill=INK),
    ]
    value, low, high = (finite(row.get(k)) for k in ("value", "low", "high"))
    if low is not None and high is not None:
        out.append(
            f'<line x1="{scale(low):.1f}" y1="{y:.1f}" x2="{scale(high):.1f}" '
            f'y2="{y:.1f}" stroke="{ACCENT}" stroke-width="2"/>'
        )
        for end in (low, high):
            out.append(
                f'<line x1="{scale(end):.1f}" y1="{y - 5:.1f}" x2="{scale(end):.1f}" '
                f'y2="{y + 5:.1f}" stroke="{ACCENT}" stroke-width="2"/>'
            )
    if value is not None:
        out.append(
            f'<rect x="{scale(value) - 4.5:.1f}" y="{y - 4.5:.1f}" width="9" height="9" '
            f'fill="{ACCENT}" stroke="#fff" stroke-width="1"/>'
        )
    else:
        out.append(_text(left + 4, y + 4, "n/a", fill=MUTED))
    out.append("</g>")
    return out


def _describe(row: dict[str, Any]) -> str:
    value, low, high = (finite(row.get(k)) for k in ("value", "low", "high"))
    text = fmt(value) if value is not None else "n/a"
    if low is not None and high is not None:
        text += f" [{fmt(low)}, {fmt(high)}]"
    return text


def _bars(spec: FigureSpec, uid: str) -> str:
    """Horizontal bars from zero, optional whiskers, value printed beside each bar."""
    rows = _rows(spec)
    if not rows:
        return _note(spec, uid, "no rows to draw")
    ref = finite(spec.data.get("reference"))
    values = [finite(r.get(k)) for r in rows for k in ("value", "low", "high")]
    lo, hi = _domain(
        [v for v in values if v is not None], [0.0] + ([ref] if ref is not None else [])
    )
    left, top = _label_width([r.get("label", "") for r in rows]), 10
    bottom = top + ROW_HEIGHT * len(rows)
    scale = Scale(lo, hi, left, WIDTH - 56)
    parts = _open(spec, uid, bottom + (44 if spec.xlabel else 26))
    parts += _x_axis(scale, nice_ticks(lo, hi), top, bottom, spec.xlabel)
    for i, row in enumerate(rows):
        parts += _bar_row(row, scale, top + ROW_HEIGHT * i, left)
    parts += _reference(scale, ref, top, bottom)
    return "".join(parts) + "</svg>"


def _bar_row(row: dict[str, Any], scale: Scale, y: float, left: float) -> list[str]:
    shown, full = _label(row.get("label", ""))
    mid = y + ROW_HEIGHT / 2
    out = [
        f"<g><title>{escape(full)}: {escape(_describe(row))}</title>",
        _text(left - 8, mid + 4, shown, "end", fill=INK),
    ]
    value = finite(row.get("value"))
    if value is None:
        out += [_text(left + 4, mid + 4, "n/a", fill=MUTED), "</g>"]
        return out
    x0, x1 = sorted((scale(0.0), scale(value)))
    out.append(
        f'<rect x="{x0:.1f}" y="{y + 5:.1f}" width="{max(x1 - x0, 1):.1f}" '
        f'height="{ROW_HEIGHT - 10}" fill="{ACCENT}" fill-opacity="0.8"/>'
    )
    low, high = finite(row.get("low")), finite(row.get("high"))
    if low is not None and high is not None:
        out.append(
            f'<line x1="{scale(low):.1f}" y1="{mid:.1f}" x2="{scale(high):.1f}" '
            f'y2="{mid:.1f}" stroke="{INK}" stroke-width="1.5"/>'
        )
    end = max(x1, scale(high) if high is not None else x1)
    out.append(_text(end + 4, mid + 4, fmt(value), fill=INK))
    out.append("</g>")
    return out


def _histogram(spec: FigureSpec, uid: str) -> str:
    """Vertical bars over bin edges, count axis, dashed reference line."""
    edges = [finite(e) for e in spec.data.get("edges") or []]
    counts = [finite(c) or 0.0 for c in spec.data.get("counts") or []]
    if len(edges) != len(counts) + 1 or not counts or any(e is None for e in edges):
        return _note(spec, uid, "histogram needs k counts and k + 1 finite edges")
    ref = finite(spec.data.get("reference"))
    left, top, bottom, right = 56, 12, 200, WIDTH - 16
    xs = Scale(edges[0], edges[-1], left, right)
    y_ticks = nice_ticks(0, max(max(counts), 1), 4)
    ys = Scale(0, y_ticks[-1], bottom, top)
    parts = _open(spec, uid, bottom + (46 if spec.xlabel else 28))
    for t in y_ticks:
        parts.append(
            f'<line x1="{left}" y1="{ys(t):.1f}" x2="{right}" y2="{ys(t):.1f}" stroke="{GRID}"/>'
        )
        parts.append(_text(left - 6, ys(t) + 4, fmt(t), "end", fill=MUTED))
    for lo_e, hi_e, c in zip(edges[:-1], edges[1:], counts, strict=True):
        x0, x1 = xs(lo_e), xs(hi_e)
        parts.append(
            f'<rect x="{x0 + 0.5:.1f}" y="{ys(c):.1f}" width="{max(x1 - x0 - 1, 0.5):.1f}" '
            f'height="{bottom - ys(c):.1f}" fill="{ACCENT}" fill-opacity="0.8">'
            f"<title>[{fmt(lo_e)}, {fmt(hi_e)}): {fmt(c)}</title></rect>"
        )
    ticks = [t for t in nice_ticks(edges[0], edges[-1]) if edges[0] <= t <= edges[-1]]
    parts += _x_axis(xs, ticks, bottom, bottom, spec.xlabel)
    parts += _reference(xs, ref, top, bottom)
    if spec.ylabel:
        parts.append(
            _text(
                14,
                (top + bottom) / 2,
                spec.ylabel,
                "middle",
                fill=INK,
                transform=f"rotate(-90 14 {(top + bottom) / 2:.1f})",
            )
        )
    return "".join(parts) + "</svg>"


def _heatmap(spec: FigureSpec, uid: str) -> str:
    """Grid of coloured cells with the value printed in each, and a colour key."""
    rows, cols = list(spec.data.get("rows") or []), list(spec.data.get("columns") or [])
    values = spec.data.get("values") or []
    if not rows or not cols or len(values) != len(rows):
        return _note(spec, uid, "heatmap needs row labels, column labels and one value row each")
    flat = [finite(v) for line in values for v in line]
    seen = [v for v in flat if v is not None]
    vmin = finite(spec.data.get("vmin"))
    vmax = finite(spec.data.get("vmax"))
    vmin = vmin if vmin is not None else min(seen, default=0.0)
    vmax = vmax if vmax is not None else max(seen, default=1.0)
    left = _label_width(rows)
    cell = max(min((WIDTH - left - 20) / len(cols), 64.0), 14.0)
    head = min(max(len(_label(c)[0]) for c in cols) * CHAR_WIDTH * 0.75 + 12, 130)
    top = head
    bottom = top + cell * len(rows)
    width = max(WIDTH, left + cell * len(cols) + 20)
    parts = _open(spec, uid, bottom + 46, width)
    for j, col in enumerate(cols):
        x = left + cell * (j + 0.5)
        shown, full = _label(col)
        parts.append(
            f"<g><title>{escape(full)}</title>"
            + _text(
                x, top - 6, shown, "start", fill=INK, transform=f"rotate(-40 {x:.1f} {top - 6:.1f})"
            )
            + "</g>"
        )
    for i, (row, line) in enumerate(zip(rows, values, strict=True)):
        shown, _ = _label(row)
        y = top + cell * i
        parts.append(_text(left - 8, y + cell / 2 + 4, shown, "end", fill=INK))
        for j in range(len(cols)):
            v = finite(line[j]) if j < len(line) else None
            parts.append(_cell(left + cell * j, y, cell, v, vmin, vmax, f"{row} / {cols[j]}"))
    parts += _colour_key(left, bottom + 14, vmin, vmax)
    return "".join(parts) + "</svg>"


def _cell(
    x: float, y: float, size: float, v: float | None, vmin: float, vmax: float, where: str
) -> str:
    fill = colour(v, vmin, vmax) if v is not None else "#f4f4f4"
    text = fmt(v) if v is not None else "n/a"
    ink = "#fff" if v is not None and _dark(v, vmin, vmax) else INK
    label = (
        _text(
            x + size / 2,
            y + size / 2 + 4,
            text,
            "middle",
            fill=ink,
            font_size=f"{min(11, size / 3.2):.0f}",
        )
        if size >= 26
        else ""
    )
    return (
        f'<g><title>{escape(where)}: {escape(text)}</title><rect x="{x:.1f}" y="{y:.1f}" '
        f'width="{size:.1f}" height="{size:.1f}" fill="{fill}" stroke="#fff"/>{label}</g>'
    )


def _position(v: float, vmin: float, vmax: float) -> float:
    span = vmax - vmin or 1.0
    return min(max((v - vmin) / span, 0.0), 1.0)


def _diverging(vmin: float, vmax: float) -> bool:
    return vmin < 0 < vmax


def colour(v: float, vmin: float, vmax: float) -> str:
    """Cell colour: white to blue, or blue-white-red when the range straddles zero."""
    if _diverging(vmin, vmax):
        t = v / vmax if v >= 0 else v / -vmin
        base = (178, 24, 43) if t >= 0 else (33, 102, 172)
        return _mix((255, 255, 255), base, min(abs(t), 1.0))
    return _mix((247, 251, 255), (8, 69, 148), _position(v, vmin, vmax))


def _dark(v: float, vmin: float, vmax: float) -> bool:
    if _diverging(vmin, vmax):
        return abs(v / (vmax if v >= 0 else -vmin)) > 0.6
    return _position(v, vmin, vmax) > 0.6


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> str:
    r, g, bl = (round(x + (y - x) * t) for x, y in zip(a, b, strict=True))
    return f"#{r:02x}{g:02x}{bl:02x}"


def _colour_key(left: float, y: float, vmin: float, vmax: float) -> list[str]:
    steps, width = 10, 16
    out = [_text(left, y + 11, fmt(vmin), "end", fill=MUTED)]
    for k in range(steps):
        v = vmin + (vmax - vmin) * (k + 0.5) / steps
        out.append(
            f'<rect x="{left + 6 + k * width:.1f}" y="{y:.1f}" width="{width}" '
            f'height="14" fill="{colour(v, vmin, vmax)}"/>'
        )
    out.append(_text(left + 12 + steps * width, y + 11, fmt(vmax), fill=MUTED))
    return out
