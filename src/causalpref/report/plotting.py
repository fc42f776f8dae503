"""What every report figure shares: matplotlib on the Agg backend, one style, and the two ways a
figure leaves the process (a PNG file, or SVG text to inline in a self-contained HTML page).

matplotlib comes with `pip install 'causalpref[plot]'`; without it `pyplot()` is None and
callers put `MISSING_MATPLOTLIB` where the figure would be.
"""

from __future__ import annotations

import io
import re
from html import escape
from pathlib import Path
from typing import Any

from causalpref._atomic import atomic_path

MISSING_MATPLOTLIB = (
    "Figure not drawn: matplotlib is not installed (pip install 'causalpref[plot]')."
)
ACCENT = "#2b5f9e"  # marks and bars
INK = "#222222"  # text, reference lines
MUTED = "#666666"  # axes, missing values
GRID = "#e3e3e3"
STYLE = {
    "font.size": 9,
    "font.family": "sans-serif",
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "svg.fonttype": "none",  # text stays text: searchable, and the page's font draws it
}
_SVG_START = re.compile(r"<svg\b")
_IDS = re.compile(r'\bid="([^"]+)"')
_REFS = re.compile(r'(url\(#|xlink:href="#|href="#)([^)"]+)')


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend, or None when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


def style(plt: Any) -> Any:
    """Context in which figures are drawn in the report style (fonts, axes, SVG text)."""
    return plt.rc_context(STYLE)


def figure(plt: Any, width: float, height: float) -> tuple[Any, Any]:
    """(figure, axes) of `width` x `height` inches in the report style."""
    with style(plt):
        fig, ax = plt.subplots(figsize=(width, height))
    ax.grid(axis="x", color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    return fig, ax


def save_png(fig: Any, path: Path) -> Path:
    """Write `fig` to `path` as a PNG, atomically."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=130, bbox_inches="tight", format="png")
    return path


def svg_text(fig: Any, uid: str, *, title: str = "") -> str:
    """`fig` as one `<svg>` element to inline in HTML, then closed.

    Ids are prefixed with `uid` so several figures can share a page; the SVG's own style rule
    is scoped to it; no XML prolog, metadata or external reference is left.
    """
    import matplotlib
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": uid, **STYLE}):
        fig.savefig(
            buffer,
            format="svg",
            bbox_inches="tight",
            metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
        )
    plt.close(fig)
    text = buffer.getvalue()
    text = text[_SVG_START.search(text).start() :]
    text = _IDS.sub(lambda m: f'id="{uid}-{m.group(1)}"', text)
    text = _REFS.sub(lambda m: f"{m.group(1)}{uid}-{m.group(2)}", text)
    text = text.replace("*{stroke-linejoin", f'svg[data-fig="{uid}"] *{{stroke-linejoin', 1)
    head = f'<svg data-fig="{uid}" class="fig" role="img" aria-label="{escape(title, quote=True)}"'
    text = _SVG_START.sub(head, text, count=1)
    return text.strip()
