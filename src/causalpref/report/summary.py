"""Group result rows (one per seed) into mean +- standard error cells."""

from __future__ import annotations

import math
from collections.abc import Sequence

from causalpref._json import dumps
from causalpref.metrics import mean_se


def summarize(rows: Sequence[dict], by: Sequence[str], metrics: Sequence[str]) -> list[dict]:
    """One row per distinct value of the `by` keys, in first-seen order, with `metric` =
    (mean, s.e.) over the rows it groups and `n` the number of rows (seeds)."""
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(row.get(k) for k in by), []).append(row)
    out = []
    for key, members in groups.items():
        cell = dict(zip(by, key, strict=True))
        cell["n"] = len(members)
        for m in metrics:
            values = [r[m] for r in members if m in r and r[m] is not None]
            cell[m] = mean_se(values)
        out.append(cell)
    return out


def format_mean_se(value: tuple[float, float], scale: float = 100.0, digits: int = 1) -> str:
    """'67.6 +- 0.2' (percent by default); '-' when empty; the s.e. is left out for one seed."""
    mean, se = value
    if math.isnan(mean):
        return "-"
    if math.isnan(se):
        return f"{mean * scale:.{digits}f}"
    return f"{mean * scale:.{digits}f} +- {se * scale:.{digits}f}"


def render_table(header: Sequence[str], body: Sequence[Sequence[str]], markdown: bool) -> str:
    """A plain-text (aligned) or Markdown table."""
    cells = [list(header), *[list(r) for r in body]]
    if markdown:
        lines = ["| " + " | ".join(cells[0]) + " |", "|" + "|".join("---" for _ in header) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in cells[1:]]
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def config_section(config: dict) -> list[str]:
    """Markdown lines closing a report: the run's configuration as a JSON block."""
    return ["## Configuration", "", "```json", dumps(config, indent=1), "```", ""]
