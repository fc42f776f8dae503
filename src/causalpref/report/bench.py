"""Render benchmark results: per-scenario tables, the gap-closed figure, report.md."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from causalpref._atomic import write_text
from causalpref.evaluate.benchmark import BENCH_SCENARIOS, summarize_bench
from causalpref.report.figures import pyplot, save_png
from causalpref.report.summary import config_section, format_mean_se, render_table


def bench_tables(rows: Sequence[dict], markdown: bool = False) -> str:
    """One table per scenario: shift metric, gain over bt (paired), share of the gap closed."""
    cells = summarize_bench(rows)
    parts = []
    for scenario in dict.fromkeys(c["scenario"] for c in cells):
        spec = BENCH_SCENARIOS.get(scenario)
        title = f"{scenario}: shift metric = {spec.shift_name if spec else 'shift split'}"
        body, skipped = [], []
        for c in (c for c in cells if c["scenario"] == scenario):
            if "skipped" in c:
                skipped.append(f"{c['method']} ({c['skipped']})")
                continue
            body.append(
                [
                    c["method"],
                    format_mean_se(c["shift_metric"]),
                    format_mean_se(c["gain"]),
                    "-" if np.isnan(c["gap_closed"]) else f"{100 * c['gap_closed']:.0f}%",
                    format_mean_se(c["id_accuracy"]),
                    str(c["seeds"]),
                ]
            )
        oracle = next(c["oracle"] for c in cells if c["scenario"] == scenario and "oracle" in c)
        body.append(["oracle", format_mean_se(oracle), "", "100%", "", ""])
        header = [
            "method",
            "shift metric %",
            "gain over bt (pts)",
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


def write_bench_outputs(rows: list[dict], config: dict, out: Path) -> str:
    """results.json, report.md and bench.png under `out`; returns the console text."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / "results.json", json.dumps(rows, indent=1))
    figure = _figure(rows, out / "bench.png")
    lines = [
        "# causalpref bench",
        "",
        "Produced by `causalpref bench`. Each scenario's shift metric is the accuracy on its "
        "shifted test split; `gain over bt` is paired over seeds (same data per seed), and "
        "`gap closed` is that gain as a share of the gap between `bt` and the oracle (the true "
        "reward). Mean +- s.e. over seeds; every number is computed from `results.json`.",
        "",
        bench_tables(rows, markdown=True),
        *(["![benchmark](bench.png)", ""] if figure else []),
        *config_section(config),
    ]
    write_text(out / "report.md", "\n".join(lines))
    files = [out / "results.json", out / "report.md", *([figure] if figure else [])]
    return bench_tables(rows) + "\nwrote " + ", ".join(str(p) for p in files)


def _figure(rows: Sequence[dict], path: Path) -> Path | None:
    plt = pyplot()
    if plt is None:
        return None
    cells = [c for c in summarize_bench(rows) if "skipped" not in c]
    scenarios = list(dict.fromkeys(c["scenario"] for c in cells))
    fig, axes = plt.subplots(1, len(scenarios), figsize=(4.2 * len(scenarios), 3.6), squeeze=False)
    for ax, scenario in zip(axes[0], scenarios, strict=True):
        mine = [c for c in cells if c["scenario"] == scenario]
        y = np.arange(len(mine))
        means = [100 * c["shift_metric"][0] for c in mine]
        errs = [100 * np.nan_to_num(c["shift_metric"][1]) for c in mine]
        colors = ["#333333" if c["method"] == "bt" else "#1b9e77" for c in mine]
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
