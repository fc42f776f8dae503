"""Render the demo's results: the two tables (text and Markdown), the figures and report.md."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from causalpref.report.figures import plot_table1, plot_table2, pyplot
from causalpref.report.summary import format_mean_se, render_table, summarize

PAPER_TABLE1 = {0.0: (69.3, 64.5), 0.3: (68.3, 62.0), 0.6: (67.8, 59.7), 0.9: (67.6, 57.8)}
PAPER_TABLE2 = {  # rho: (Base, Multihead, Adversarial) inconsistent | consistent
    0.5: ((60.0, 62.9, 63.7), (60.9, 66.0, 66.3)),
    0.6: ((59.6, 62.4, 63.0), (61.3, 67.0, 67.3)),
    0.7: ((58.4, 60.6, 62.3), (62.5, 67.2, 67.6)),
    0.8: ((56.7, 58.6, 61.3), (63.7, 67.6, 67.9)),
    0.9: ((55.9, 56.3, 58.9), (64.2, 67.9, 68.4)),
    1.0: ((54.9, 53.8, 53.5), (64.1, 67.9, 68.4)),
}
TABLE1_METRICS = (
    "id_accuracy",
    "ood_accuracy",
    "id_optimal_id_accuracy",
    "id_optimal_ood_accuracy",
    "informative_mass",
)
TABLE2_METRICS = (
    "inconsistent_accuracy",
    "consistent_accuracy",
    "oracle_inconsistent_accuracy",
    "oracle_consistent_accuracy",
    "train_accuracy",
)


def table1(rows: Sequence[dict], markdown: bool = False) -> str:
    """Table 1: ID / OOD accuracy (%) by rho_tr, beside the informative mass and the paper."""
    cells = summarize([r for r in rows if r["study"] == "table1"], ["rho"], TABLE1_METRICS)
    header = [
        "rho_tr",
        "informative mass",
        "ID acc %",
        "OOD acc %",
        "ID-optimal ID %",
        "ID-optimal OOD %",
        "paper ID / OOD %",
        "seeds",
    ]
    body = []
    for c in cells:
        paper = PAPER_TABLE1.get(c["rho"])
        body.append(
            [
                f"{c['rho']:.1f}",
                f"{c['informative_mass'][0]:.2f}",
                format_mean_se(c["id_accuracy"]),
                format_mean_se(c["ood_accuracy"]),
                format_mean_se(c["id_optimal_id_accuracy"]),
                format_mean_se(c["id_optimal_ood_accuracy"]),
                f"{paper[0]} / {paper[1]}" if paper else "-",
                str(c["n"]),
            ]
        )
    return render_table(header, body, markdown)


def table2(
    rows: Sequence[dict], features: str, markdown: bool = False, table: str = "table2"
) -> str:
    """Table 2 for one feature regime: inconsistent | consistent accuracy (%) per model and rho;
    the oracle column only where the data has one (simulations)."""
    sel = [r for r in rows if r["study"] == table and r.get("features") == features]
    cells = summarize(sel, ["rho", "method"], TABLE2_METRICS)
    models = list(dict.fromkeys(c["method"] for c in cells))
    rhos = list(dict.fromkeys(c["rho"] for c in cells))
    get = {(c["rho"], c["method"]): c for c in cells}
    has_oracle = any("oracle_inconsistent_accuracy" in r for r in sel)
    header = ["rho", *[f"{m} incons. %" for m in models], *[f"{m} cons. %" for m in models]]
    header += ["oracle incons. / cons. %"] * has_oracle + ["seeds"]
    body = []
    for rho in rhos:
        first = get[(rho, models[0])]
        oracle = [
            f"{format_mean_se(first['oracle_inconsistent_accuracy'])} / "
            f"{format_mean_se(first['oracle_consistent_accuracy'])}"
        ]
        body.append(
            [
                f"{rho:.1f}",
                *[format_mean_se(get[(rho, m)]["inconsistent_accuracy"]) for m in models],
                *[format_mean_se(get[(rho, m)]["consistent_accuracy"]) for m in models],
                *(oracle * has_oracle),
                str(first["n"]),
            ]
        )
    return render_table(header, body, markdown)


def paper_table2_markdown() -> str:
    """The paper's Table 2 (relabelled HH-RLHF, Llama-3-8B embeddings), for side-by-side reading."""
    header = [
        "rho",
        "Base incons.",
        "Multihead incons.",
        "Adversarial incons.",
        "Base cons.",
        "Multihead cons.",
        "Adversarial cons.",
    ]
    body = [
        [f"{rho:.1f}", *map(str, inc), *map(str, con)] for rho, (inc, con) in PAPER_TABLE2.items()
    ]
    return render_table(header, body, markdown=True)


def write_figures(rows: Sequence[dict], out: Path) -> list[Path]:
    """table1.png and table2.png (accuracy against rho, bars = 1 s.e.); [] without matplotlib."""
    plt = pyplot()
    if plt is None:
        return []

    paths = []
    if any(r["study"] == "table1" for r in rows):
        paths.append(plot_table1(plt, rows, out / "table1.png"))
    if any(r["study"] == "table2" for r in rows):
        paths.append(plot_table2(plt, rows, out / "table2.png"))
    return paths


def write_confounding_figure(
    rows: Sequence[dict], path: Path, *, table: str, title: str, panel: str
) -> list[Path]:
    """One Table-2-style figure for the rows of `table`; [] without matplotlib."""
    plt = pyplot()
    if plt is None:
        return []

    return [plot_table2(plt, rows, path, table=table, title=title, panel=panel)]
