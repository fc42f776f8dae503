"""Render benchmark results: per-scenario tables, the gap-closed figure, report.md."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from causalpref._atomic import write_text
from causalpref._json import dumps
from causalpref.evaluate.study import StudyResult
from causalpref.report.figures import pyplot, save_png
from causalpref.report.summary import config_section, format_mean_se, render_table


def bench_tables(results: Sequence[StudyResult], markdown: bool = False) -> str:
    """One table per scenario: shift metric, gain over the baseline (paired), share of the gap
    to the oracle closed."""
    parts = []
    for result in results:
        cells = result.summary()
        title = f"{result.study}: shift metric = {result.shift_name}"
        body, skipped = [], []
        for c in cells:
            if "skipped" in c:
                skipped.append(f"{c['method']} ({c['skipped']})")
                continue
            body.append(
                [
                    c["method"],
                    format_mean_se(c["shift_metric"]),
                    format_mean_se(c["gain"]),
                    "-" if np.isnan(c["gap_closed"]) else f"{100 * c['gap_closed']:.0f}%",
                    format_mean_se(c.get("id_accuracy", c.get("validation_accuracy"))),
                    str(c["seeds"]),
                ]
            )
        oracle = next(c["oracle"] for c in cells if "oracle" in c)
        body.append(["oracle", format_mean_se(oracle), "", "100%", "", ""])
        header = [
            "method",
            "shift metric %",
            f"gain over {result.baseline} (pts)",
            "gap closed",
            "ID acc %",
            "seeds",
        ]
        heading = f"### {title}" if markdown else title
        parts += [heading, "" if markdown else "", render_table(header, body, markdown)]
        if skipped:
            parts.append(("\n" if markdown else "") + "skipped: " + "; ".join(skipped))
        parts.append("")
    return "\n".join(parts)


def write_bench_outputs(results: Sequence[StudyResult], config: dict, out: Path) -> str:
    """results.json, report.md and bench.png under `out`; returns the console text."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rows = [r for result in results for r in result.rows]
    write_text(out / "results.json", dumps(rows, indent=1))
    figure = _figure(results, out / "bench.png")
    lines = [
        "# causalpref bench",
        "",
        "Produced by `causalpref bench`. Each scenario's shift metric is the accuracy on its "
        "shifted test split; `gain over bt` is paired over seeds (same data per seed), and "
        "`gap closed` is that gain as a share of the gap between `bt` and the oracle (the true "
        "reward). Mean +- s.e. over seeds; every number is computed from `results.json`.",
        "",
        bench_tables(results, markdown=True),
        *(["![benchmark](bench.png)", ""] if figure else []),
        *config_section(config),
    ]
    write_text(out / "report.md", "\n".join(lines))
    files = [out / "results.json", out / "report.md", *([figure] if figure else [])]
    return bench_tables(results) + "\nwrote " + ", ".join(str(p) for p in files)


def _figure(results: Sequence[StudyResult], path: Path) -> Path | None:
    plt = pyplot()
    if plt is None:
        return None
    cells = [c for r in results for c in r.summary() if "skipped" not in c]
    scenarios = list(dict.fromkeys(c["study"] for c in cells))
    fig, axes = plt.subplots(1, len(scenarios), figsize=(4.2 * len(scenarios), 3.6), squeeze=False)
    for ax, scenario in zip(axes[0], scenarios, strict=True):
        mine = [c for c in cells if c["study"] == scenario]
        y = np.arange(len(mine))
        means = [100 * c["shift_metric"][0] for c in mine]
        errs = [100 * np.nan_to_num(c["shift_metric"][1]) for c in mine]
        base = next(r.baseline for r in results if r.study == scenario)
        colors = ["#333333" if c["method"] == base else "#1b9e77" for c in mine]
        ax.barh(y, means, xerr=errs, color=colors, capsize=3)
        ax.axvline(100 * mine[0]["oracle"][0], color="gray", linestyle=":", label="oracle")
        ax.set_yticks(y, [c["method"] for c in mine])
        ax.set_xlim(min(means) - 10, 100 * mine[0]["oracle"][0] + 5)
        ax.set_title(scenario, fontsize=10)
        ax.set_xlabel("shift metric (%)")
        ax.grid(axis="x", alpha=0.3)
    axes[0][0].legend(fontsize=8, loc="lower right")
    fig.suptitle("Shift metric per method (bars: 1 s.e.; dotted: oracle)")
    fig.tight_layout()
    save_png(fig, path)
    plt.close(fig)
    return path
